import stat
import uuid
from pathlib import Path

import pytest

from payymo.auth.tokens import new_opaque_token
from payymo.mail import ConsoleMailer, Mail, make_mailer
from payymo.settings import load_settings

TENANT = uuid.UUID("0123456789abcdef0123456789abcdef")


def reset_mail() -> tuple[Mail, str, str]:
    reset, invitation = new_opaque_token("prt", TENANT), new_opaque_token("inv", TENANT)
    link = f"http://127.0.0.1:5000/reset-password?token={reset}"
    body = f"Someone asked to reset your Payymo password.\n\n{link}\n\n(and {invitation}.)"
    return Mail("ann@example.com", "Reset your Payymo password", body), reset, invitation


def test_the_console_backend_prints_no_token_and_logs_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    mail, reset, invitation = reset_mail()
    mailer = make_mailer(load_settings(database_url=f"sqlite:///{tmp_path / 'payymo.db'}"))

    mailer.send(mail)

    out, err = capsys.readouterr()
    for text in (out, err, caplog.text):
        assert reset not in text
        assert invitation not in text
        assert reset.split("_", 2)[2] not in text
    assert f"/reset-password?token=prt_{TENANT.hex}_***" in err
    assert f"inv_{TENANT.hex}_***" in err


def test_the_console_backend_keeps_the_whole_message_in_a_file_only_its_owner_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mail, reset, _ = reset_mail()
    directory = tmp_path / "mail"

    ConsoleMailer(directory).send(mail)

    [path] = directory.iterdir()
    assert str(path) in capsys.readouterr().err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    text = path.read_text()
    assert f"http://127.0.0.1:5000/reset-password?token={reset}\n" in text
    assert text.startswith("To: ann@example.com\nSubject: Reset your Payymo password\n\n")


def test_development_mail_is_written_beside_the_embedded_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'payymo.db'}")

    make_mailer(settings).send(reset_mail()[0])

    assert len(list((tmp_path / "mail").iterdir())) == 1
    assert str(tmp_path / "mail") in capsys.readouterr().err


def test_a_mail_does_not_show_its_body_when_printed() -> None:
    mail, reset, _ = reset_mail()
    assert reset not in repr(mail)
    assert reset not in str(mail)
