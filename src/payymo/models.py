"""Every model, imported once so `Base.metadata` is complete (Alembic, tests, the CLI)."""

from payymo.audit.models import AuditEntry
from payymo.auth.models import ApiKey, Invitation, PasswordResetToken, RefreshToken, User
from payymo.banking.models import BankAccount, BankCallLedger, BankConnection, BankTransaction
from payymo.db import Base
from payymo.events.delivery_models import Delivery, NotificationChannel, WebhookEndpoint
from payymo.events.models import Event
from payymo.invoicing.models import Invoice, WhmcsConnection
from payymo.jobs.models import JobRun
from payymo.payments.models import (
    StripeBalanceTransaction,
    StripeConnection,
    StripePayment,
    StripePayout,
)
from payymo.reconciliation.models import Allocation, Decision, Posting, Reversal
from payymo.tenants.models import Tenant
from payymo.webhooks.models import InboundWebhook, WebhookEvent

__all__ = [
    "Allocation",
    "ApiKey",
    "AuditEntry",
    "BankAccount",
    "BankCallLedger",
    "BankConnection",
    "BankTransaction",
    "Base",
    "Decision",
    "Delivery",
    "Event",
    "InboundWebhook",
    "Invitation",
    "Invoice",
    "JobRun",
    "NotificationChannel",
    "PasswordResetToken",
    "Posting",
    "RefreshToken",
    "Reversal",
    "StripeBalanceTransaction",
    "StripeConnection",
    "StripePayment",
    "StripePayout",
    "Tenant",
    "User",
    "WebhookEndpoint",
    "WebhookEvent",
    "WhmcsConnection",
]
