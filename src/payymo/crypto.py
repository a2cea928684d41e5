"""Encryption of secrets at rest (provider tokens, WHMCS credentials, MFA seeds).

`ENCRYPTION_KEYS` is a comma-separated list of Fernet keys, newest first: new values are
encrypted with the first key, and any listed key decrypts, so keys can be rotated.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBoxError(ValueError):
    """A key that is not a Fernet key, or a token that no configured key opens."""


class SecretBox:
    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise SecretBoxError("at least one encryption key is required")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError) as exc:
            raise SecretBoxError(
                "ENCRYPTION_KEYS must be url-safe base64 Fernet keys "
                "(make one with: payymo keys generate)"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("no configured encryption key opens this value") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("no configured encryption key opens this value") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
