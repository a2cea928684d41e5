"""Webhooks: signed events in from Stripe, GoCardless and WHMCS, and out to tenants."""
