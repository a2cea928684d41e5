"""Audit: the append-only record of every state change, who made it and what it was."""
