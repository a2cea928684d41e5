from pathlib import Path

import pytest

from payymo.webhooks.signatures import hmac_sha256_hex, verify_hmac_sha256_hex

FIXTURE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "gocardless-pro"
SECRET = "ED7D658C-D8EB-4941-948B-3973214F2D49"
SIGNATURE = "2693754819d3e32d7e8fcb13c729631f316c6de8dc1cf634d6527f1c07276e7e"


@pytest.fixture
def body() -> bytes:
    # The recorded vector signs the body without its trailing newline (SOURCES.md).
    return (FIXTURE / "webhook_body.json").read_bytes().rstrip(b"\n")


def test_the_gocardless_pro_test_vector_verifies(body: bytes) -> None:
    assert hmac_sha256_hex(SECRET, body) == SIGNATURE
    assert verify_hmac_sha256_hex(SECRET, body, SIGNATURE)
    assert verify_hmac_sha256_hex(SECRET, body, SIGNATURE.upper())


def test_a_changed_body_or_secret_does_not_verify(body: bytes) -> None:
    assert not verify_hmac_sha256_hex(SECRET, body + b"\n", SIGNATURE)
    assert not verify_hmac_sha256_hex(SECRET.lower(), body, SIGNATURE)
    assert not verify_hmac_sha256_hex(SECRET, body, "")
    assert not verify_hmac_sha256_hex("", body, SIGNATURE)


def test_a_signature_with_strange_characters_is_simply_invalid(body: bytes) -> None:
    assert not verify_hmac_sha256_hex(SECRET, body, "é" * 64)
    assert not verify_hmac_sha256_hex(SECRET, body, "\x00")
