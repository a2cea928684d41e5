"""Sandbox: the demo tenant and faithful simulators of GoCardless, Stripe and WHMCS."""
