"""A Stripe API simulator: the subset of `/v1` Payymo uses, seeded from the sandbox world.

Point the official SDK at it with
`stripe.StripeClient(key, base_addresses={"api": url}, http_client=stripe.HTTPXClient())`.
"""

from payymo.sandbox.stripe.app import create_app

__all__ = ["create_app"]
