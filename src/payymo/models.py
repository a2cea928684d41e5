"""Every model, imported once so `Base.metadata` is complete (Alembic, tests, the CLI)."""

from payymo.audit.models import AuditEntry
from payymo.auth.models import ApiKey, Invitation, PasswordResetToken, RefreshToken, User
from payymo.banking.models import BankAccount, BankCallLedger, BankConnection, BankTransaction
from payymo.db import Base
from payymo.invoicing.models import Invoice, WhmcsConnection
from payymo.jobs.models import JobRun
from payymo.payments.models import (
    StripeBalanceTransaction,
    StripeConnection,
    StripePayment,
    StripePayout,
)
from payymo.reconciliation.models import Allocation, Decision, Posting
from payymo.tenants.models import Tenant
from payymo.webhooks.models import WebhookEvent

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
    "Invitation",
    "Invoice",
    "JobRun",
    "PasswordResetToken",
    "Posting",
    "RefreshToken",
    "StripeBalanceTransaction",
    "StripeConnection",
    "StripePayment",
    "StripePayout",
    "Tenant",
    "User",
    "WebhookEvent",
    "WhmcsConnection",
]
