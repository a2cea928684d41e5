"""Reconciliation: decisions about which invoices a payment pays, and posting them to WHMCS."""
