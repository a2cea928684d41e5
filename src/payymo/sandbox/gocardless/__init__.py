"""A faithful GoCardless Bank Account Data (BAD) API simulator.

`create_app(seed=...)` serves `/api/v2/` (tokens, institutions, agreements, requisitions,
accounts) with the real API's shapes, errors and per-account quotas, a consent page at each
requisition's `link`, and the shared `/_sim` control API plus its own test routes.
"""

from payymo.sandbox.gocardless.app import create_app

__all__ = ["create_app"]
