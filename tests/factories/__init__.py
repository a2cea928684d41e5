"""Test data builders, one module per domain; each writes through the session it is given."""
