"""A WHMCS API simulator that follows the contract in api-contracts.md §3, quirks included.

`create_app(...)` builds it; serve it with `sandbox.common.SimServer` in tests.
"""

from .app import create_app

__all__ = ["create_app"]
