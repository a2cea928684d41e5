"""Outgoing email: the console in development, SMTP in production, memory in tests."""

from __future__ import annotations

import smtplib
import ssl
import sys
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from payymo.settings import EmailBackend, Settings


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class ConsoleMailer:
    """Prints each message to stderr, so a developer can follow reset and invitation links."""

    def send(self, mail: Mail) -> None:
        print(f"--- email to {mail.to}: {mail.subject}\n{mail.body}\n---", file=sys.stderr)  # noqa: T201 - the console backend's whole job


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
    return ConsoleMailer()
