"""Outgoing email: the console (and local files) in development, SMTP in production, memory in
tests."""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from payymo.masking import mask_tokens
from payymo.settings import EmailBackend, Settings


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str = field(repr=False)  # may hold a reset or invitation link: never in a log line


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class ConsoleMailer:
    """Development mail: each whole message goes to its own file (0600) in `directory`, and
    stderr gets the message with its tokens masked and that file's path, so a developer can
    follow reset and invitation links while no log holds a usable one."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def send(self, mail: Mail) -> None:
        path = self._write(mail)
        print(  # noqa: T201 - the console backend's whole job
            f"--- email to {mail.to}: {mail.subject}\n{mask_tokens(mail.body)}\n"
            f"--- the whole message, links included: {path}",
            file=sys.stderr,
        )

    def _write(self, mail: Mail) -> Path:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self._directory / f"{stamp}-{secrets.token_hex(4)}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(f"To: {mail.to}\nSubject: {mail.subject}\n\n{mail.body}\n")
        return path


class MemoryMailer:
    """Keeps messages in a list (tests read `outbox`)."""

    def __init__(self) -> None:
        self.outbox: list[Mail] = []
        self._lock = threading.Lock()

    def send(self, mail: Mail) -> None:
        with self._lock:
            self.outbox.append(mail)


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def send(self, mail: Mail) -> None:
        s = self._settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.email_from, mail.to, mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=15) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(message)


def make_mailer(settings: Settings) -> Mailer:
    backend = settings.effective_email_backend
    if backend is EmailBackend.SMTP:
        return SmtpMailer(settings)
    if backend is EmailBackend.MEMORY:
        return MemoryMailer()
    return ConsoleMailer(settings.console_mail_dir)
