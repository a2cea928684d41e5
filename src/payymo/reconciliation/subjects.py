"""The payment a decision is about (a bank credit or a Stripe payment), as allocating and
posting need it, and the posting each allocation owes WHMCS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from payymo.banking.models import BankAccount, BankTransaction
from payymo.errors import Conflict, NotFound
from payymo.invoicing.models import Invoice
from payymo.payments.models import StripePayment
from payymo.reconciliation.models import Allocation, Decision, Posting
from payymo.tenants import repository as tenants_repo
from payymo.tenants.schemas import TenantSettingsModel


@dataclass(frozen=True)
class Subject:
    amount_minor: int  # what allocations may take: the credit, or Stripe's net after refunds
    currency: str
    paid_at: datetime
    gateway: str  # the WHMCS payment gateway the payment is posted under
    transid: str | None = None  # preferred WHMCS transid (Stripe's id); None: one per allocation


def subject_of(session: Session, decision: Decision) -> Subject:
    if decision.bank_transaction_id is not None:
        tx = session.get(BankTransaction, decision.bank_transaction_id)
        if tx is None or tx.tenant_id != decision.tenant_id:
            raise NotFound(detail="the decision's transaction is gone")
        return bank_subject(session, tx)
    payment = session.get(StripePayment, decision.stripe_payment_id)
    if payment is None or payment.tenant_id != decision.tenant_id:
        raise NotFound(detail="the decision's Stripe payment is gone")
    return stripe_subject(payment, stripe_gateway(session, decision))


def bank_subject(session: Session, tx: BankTransaction) -> Subject:
    account = session.get(BankAccount, tx.account_id)
    if account is None:  # the foreign key makes this impossible
        raise Conflict(detail="the transaction's account is gone")
    paid = datetime.combine(tx.booking_date or tx.transaction_date, time(12), tzinfo=UTC)
    return Subject(tx.amount_minor, tx.currency, paid, account.whmcs_gateway)


def stripe_subject(payment: StripePayment, gateway: str) -> Subject:
    # WHMCS's own Stripe module records the payment intent (or charge) id as the transid, so a
    # payment WHMCS already took is found by the check before posting and not paid twice.
    transid = payment.payment_intent_id or payment.charge_id or payment.stripe_id
    allocatable = payment.net_minor - payment.refunded_minor
    return Subject(allocatable, payment.currency, payment.created_at_provider, gateway, transid)


def stripe_gateway(session: Session, decision: Decision) -> str:
    tenant = tenants_repo.get(session, decision.tenant_id)
    settings = TenantSettingsModel.stored(tenant.settings if tenant else None)
    return settings.matching.stripe_gateway


def queue_posting(session: Session, subject: Subject, allocation: Allocation) -> Posting:
    """The outbox row for `allocation`: WHMCS gets amount + fee, with the fee as `fees`."""
    invoice = session.get(Invoice, allocation.invoice_id)
    if invoice is None:  # the foreign key makes this impossible
        raise NotFound(detail="the allocation's invoice is gone")
    transid = subject.transid
    if transid is None or session.scalar(
        select(
            exists().where(Posting.tenant_id == allocation.tenant_id, Posting.transid == transid)
        )
    ):
        # Stable per allocation: WHMCS is asked for it before any retry posts again.
        transid = f"payymo-{allocation.id.hex}"
    posting = Posting(
        tenant_id=allocation.tenant_id,
        allocation_id=allocation.id,
        whmcs_invoice_id=invoice.whmcs_invoice_id,
        transid=transid,
        gateway=subject.gateway,
        currency=allocation.currency,
        amount_minor=allocation.amount_minor + allocation.fee_minor,
        fee_minor=allocation.fee_minor,
        payment_date=subject.paid_at,
    )
    session.add(posting)
    session.flush()
    return posting
