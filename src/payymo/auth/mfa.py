"""TOTP second factor (RFC 6238 through pyotp) and one-time recovery codes."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp

from payymo.auth.models import User
from payymo.auth.passwords import hash_password, verify_password
from payymo.auth.roles import Role
from payymo.crypto import SecretBox

ISSUER = "Payymo"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


POLICY_SETTING = "require_mfa_for_admins"
POLICY_ROLES = frozenset({Role.OWNER, Role.ADMIN})


def enrolment_required(tenant_settings: dict[str, Any], role: Role, mfa_enabled: bool) -> bool:
    """Whether the tenant's MFA policy confines this user to enrolling a second factor.

    Asked whenever an access token is issued (sign-in, refresh) and on every request, so a
    policy switched on, or a promotion to admin, applies to sessions already open."""
    return bool(tenant_settings.get(POLICY_SETTING)) and role in POLICY_ROLES and not mfa_enabled


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str


def start_enrolment(user: User, box: SecretBox) -> Enrolment:
    """Give `user` a new, not yet active TOTP secret (stored encrypted)."""
    secret = pyotp.random_base32()
    user.mfa_secret_encrypted = box.encrypt(secret)
    user.mfa_enabled = False
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def accept_totp(user: User, box: SecretBox, code: str, now: datetime) -> bool:
    """Whether `code` is the user's current TOTP (one step of clock drift either way) and was
    not accepted before; an accepted code's time step is recorded on `user`, so that a code
    seen over someone's shoulder or replayed from a log is refused for the rest of its life
    (RFC 6238 §5.2). The caller holds the user's row locked until it commits."""
    code = code.strip()
    # ASCII only: str.isdigit() also takes other scripts' digits, which no authenticator shows.
    if not user.mfa_secret_encrypted or not (code.isascii() and code.isdigit()):
        return False
    totp = pyotp.TOTP(box.decrypt(user.mfa_secret_encrypted))
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.mfa_last_step is not None and step <= user.mfa_last_step:
                return False
            user.mfa_last_step = step
            return True
    return False


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the plaintext codes are shown once."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    user.mfa_recovery_hashes = [hash_password(code) for code in codes]
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend `code` if it is one of the user's unused recovery codes."""
    normalized = code.strip().upper()
    for stored in list(user.mfa_recovery_hashes):
        if verify_password(stored, normalized):
            user.mfa_recovery_hashes = [h for h in user.mfa_recovery_hashes if h != stored]
            return True
    return False


def disable(user: User) -> None:
    user.mfa_enabled = False
    user.mfa_secret_encrypted = None
    user.mfa_recovery_hashes = []
    user.mfa_last_step = None
