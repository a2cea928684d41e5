"""Invoicing: the tenant's WHMCS installation and the local snapshot of its invoices."""
