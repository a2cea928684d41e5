"""Tenants: one hosting company, one WHMCS installation."""
