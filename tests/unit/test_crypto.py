import pytest

from payymo.crypto import SecretBox, SecretBoxError, generate_key


def test_a_secret_round_trips_and_is_not_stored_in_plaintext() -> None:
    box = SecretBox((generate_key(),))
    token = box.encrypt("whmcs-secret-value")
    assert "whmcs-secret-value" not in token
    assert box.decrypt(token) == "whmcs-secret-value"


def test_rotation_re_encrypts_under_the_newest_key() -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox((old,)).encrypt("token")
    rotated = SecretBox((new, old)).rotate(token)
    assert SecretBox((new,)).decrypt(rotated) == "token"
    with pytest.raises(SecretBoxError):
        SecretBox((old,)).decrypt(rotated)


def test_a_token_no_key_opens_is_a_clear_error() -> None:
    token = SecretBox((generate_key(),)).encrypt("x")
    with pytest.raises(SecretBoxError, match="no configured encryption key"):
        SecretBox((generate_key(),)).decrypt(token)


def test_a_malformed_key_is_a_clear_error() -> None:
    with pytest.raises(SecretBoxError, match="Fernet"):
        SecretBox(("not-a-key",))
