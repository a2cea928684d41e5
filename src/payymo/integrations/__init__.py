"""Integrations: what Payymo's provider clients share, and the Integration API."""
