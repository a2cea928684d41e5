"""Payymo: payment reconciliation for web-hosting companies."""

__version__ = "0.1.0"
