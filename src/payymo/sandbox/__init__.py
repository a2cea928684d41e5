"""Sandbox: demo data and (later) the GoCardless, Stripe and WHMCS simulators."""
