"""Who may call the API: the IP allow-list (unless the access key is sent), then credentials."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Gate:
    identifier: str
    secret: str
    access_key: str | None = None
    allowed_ips: tuple[str, ...] | None = None

    def refusal(self, params: Mapping[str, str], remote_ip: str) -> str | None:
        """The message WHMCS answers with HTTP 403, or None to let the call through.

        The IP check comes first, as in WHMCS, so a blocked host learns nothing about the
        credentials it sent.
        """
        if not self._ip_allowed(params, remote_ip):
            return f"Invalid IP {remote_ip}"
        if not self._credentials_ok(params):
            return "Authentication Failed"
        return None

    def _ip_allowed(self, params: Mapping[str, str], remote_ip: str) -> bool:
        if self.allowed_ips is None or remote_ip in self.allowed_ips:
            return True
        sent = params.get("accesskey", "")
        return self.access_key is not None and _same(sent, self.access_key)

    def _credentials_ok(self, params: Mapping[str, str]) -> bool:
        # API credentials may travel under the legacy admin field names too.
        identifier = params.get("identifier") or params.get("username") or ""
        secret = params.get("secret") or params.get("password") or ""
        return _same(identifier, self.identifier) and _same(secret, self.secret)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
