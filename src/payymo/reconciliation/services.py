"""Running the engine over a tenant's synced data and storing its decisions.

One run, in one database transaction (runs of a tenant queue behind a lock on its row):
1. Bank: every booked transaction is decided (pending ones wait).
2. Stripe payouts are matched to the bank credits they produced; such a credit is Stripe money,
   so its decision becomes `ignored` (or `review` if the engine also read it as a customer's
   payment: a person settles the conflict).
3. Stripe: every card payment is decided on Stripe's side (metadata, description, customer).
Invoices go into the engine with what Payymo has already applied to them but WHMCS's snapshot
does not show yet taken off their balance, so a later payment cannot claim the same money.
Storing follows `storing.py`: running twice changes nothing. A run's counts are what it stored
(a payment whose decision stays as it was, or was settled by a person, is `unchanged`), and
the review queue as the run leaves it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.banking.models import BankTransaction
from payymo.http import AppServices
from payymo.invoicing.models import Invoice
from payymo.payments.models import StripePayment
from payymo.reconciliation import repository
from payymo.reconciliation.engine import Decision as EngineDecision
from payymo.reconciliation.engine import (
    EngineInvoice,
    EngineTransaction,
    Reason,
    Status,
    decide_all,
)
from payymo.reconciliation.engine.cards import EngineCardPayment, decide_card_payments
from payymo.reconciliation.engine.payouts import EnginePayout, match_payouts
from payymo.reconciliation.rules import engine_rules
from payymo.reconciliation.storing import Policy, Target, store
from payymo.reconciliation.subjects import bank_subject, stripe_subject
from payymo.tenants.models import Tenant
from payymo.tenants.schemas import TenantSettingsModel

PAID_OUT = ("paid", "in_transit")


@dataclass(frozen=True)
class RunResult:
    decided: int  # decisions this run stored (new, or replacing a proposed one)
    unchanged: int  # payments whose current decision stays
    by_status: dict[str, int]  # the `decided` by status; they add up to it
    in_review: int  # decisions waiting for a person after the run: what the review queue lists


def run_reconciliation(app: AppServices, *, tenant_id: uuid.UUID) -> RunResult:
    """Decide every booked transaction and Stripe payment of the tenant; store what changed."""
    with app.db.unit_of_work(tenant_id) as session:
        tenant = session.scalars(
            select(Tenant).where(Tenant.id == tenant_id).with_for_update()
        ).one_or_none()
        settings = TenantSettingsModel.stored(tenant.settings if tenant else None)
        rules = engine_rules(settings.matching)
        policy = Policy(
            shadow=settings.matching.shadow_mode or not settings.matching.auto_post,
            now=app.clock.now(),
        )
        invoices = repository.invoices(session, tenant_id)
        engine_invoices = _engine_invoices(session, tenant_id, invoices)
        by_whmcs_id = {str(i.whmcs_invoice_id): i for i in invoices}

        transactions = {t.id: t for t in repository.booked_transactions(session, tenant_id)}
        decisions = decide_all(
            [_engine_transaction(t) for t in transactions.values()], engine_invoices, rules
        )
        decisions = _set_payouts_apart(session, tenant_id, transactions, decisions)
        current = repository.current_decisions(session, tenant_id)
        stored: Counter[str] = Counter()
        for decision in decisions:
            tx = transactions[uuid.UUID(decision.transaction_id)]
            target = Target(tx.id, None, bank_subject(session, tx))
            if store(
                session,
                tenant_id,
                target,
                decision,
                existing=current.get(tx.id),
                invoices=by_whmcs_id,
                policy=policy,
            ):
                stored[decision.status.value] += 1

        payments = {p.id: p for p in repository.stripe_payments(session, tenant_id)}
        card_decisions = decide_card_payments(
            [_engine_card_payment(p) for p in payments.values()], engine_invoices, rules
        )
        current_cards = repository.current_stripe_decisions(session, tenant_id)
        gateway = settings.matching.stripe_gateway
        for decision in card_decisions:
            payment = payments[uuid.UUID(decision.transaction_id)]
            target = Target(None, payment.id, stripe_subject(payment, gateway))
            if store(
                session,
                tenant_id,
                target,
                decision,
                existing=current_cards.get(payment.id),
                invoices=by_whmcs_id,
                policy=policy,
            ):
                stored[decision.status.value] += 1
        decided = stored.total()
        return RunResult(
            decided=decided,
            unchanged=len(decisions) + len(card_decisions) - decided,
            by_status=dict(stored),
            in_review=repository.open_review_count(session, tenant_id),
        )


def _set_payouts_apart(
    session: Session,
    tenant_id: uuid.UUID,
    transactions: dict[uuid.UUID, BankTransaction],
    decisions: list[EngineDecision],
) -> list[EngineDecision]:
    """Link each Stripe payout to its bank credit, and decide that credit accordingly."""
    payouts = [p for p in repository.stripe_payouts(session, tenant_id) if p.status in PAID_OUT]
    by_tx = {str(p.bank_transaction_id): p for p in payouts if p.bank_transaction_id is not None}
    free = {str(p.id): p for p in payouts if p.bank_transaction_id is None}
    credits = [_engine_transaction(t) for t in transactions.values() if str(t.id) not in by_tx]
    engine_payouts = [
        EnginePayout(key, p.amount_minor, p.currency, p.arrival_date) for key, p in free.items()
    ]
    for payout_id, tx_id in match_payouts(engine_payouts, credits).items():
        free[payout_id].bank_transaction_id = uuid.UUID(tx_id)
        by_tx[tx_id] = free[payout_id]
    out = []
    for decision in decisions:
        payout = by_tx.get(decision.transaction_id)
        out.append(decision if payout is None else _as_payout(decision, payout.stripe_id))
    return out


def _as_payout(decision: EngineDecision, payout_id: str) -> EngineDecision:
    said = Reason("stripe_payout", f"the bank credit of Stripe payout {payout_id}")
    if decision.status in (Status.AUTO, Status.REVIEW) and decision.allocations:
        conflict = Reason(
            "payout_conflict",
            f"it is also the amount of Stripe payout {payout_id}: check before posting",
        )
        return replace(decision, status=Status.REVIEW, reasons=(said, conflict, *decision.reasons))
    return replace(decision, status=Status.IGNORED, confidence=1.0, allocations=(), reasons=(said,))


def _engine_invoices(
    session: Session, tenant_id: uuid.UUID, invoices: list[Invoice]
) -> list[EngineInvoice]:
    claimed = repository.unsynced_claims(session, tenant_id)
    return [_engine_invoice(i, claimed.get(i.id, 0)) for i in invoices]


def _engine_invoice(invoice: Invoice, claimed_minor: int = 0) -> EngineInvoice:
    return EngineInvoice(
        id=str(invoice.whmcs_invoice_id),
        number=invoice.invoice_num,
        client_id=str(invoice.whmcs_client_id),
        client_name=invoice.client_name,
        company_name=invoice.company_name,
        status=invoice.status.value,
        currency=invoice.currency,
        total_minor=invoice.total_minor,
        balance_minor=max(invoice.balance_minor - claimed_minor, 0),
        issued=invoice.issued_on,
        due=invoice.due_on,
    )


def _engine_transaction(tx: BankTransaction) -> EngineTransaction:
    return EngineTransaction(
        id=str(tx.id),
        booked=True,
        amount_minor=tx.amount_minor,
        currency=tx.currency,
        day=tx.transaction_date,
        text=tx.remittance,
        counterparty=tx.counterparty_name,
        counterparty_iban=tx.counterparty_iban,
    )


def _engine_card_payment(payment: StripePayment) -> EngineCardPayment:
    metadata = payment.metadata_ or {}
    return EngineCardPayment(
        id=str(payment.id),
        status=payment.status,
        amount_minor=payment.amount_minor,
        fee_minor=payment.fee_minor,
        refunded_minor=payment.refunded_minor,
        currency=payment.currency,
        description=payment.description,
        invoice_id=metadata.get("whmcs_invoice_id"),
        client_id=metadata.get("whmcs_client_id"),
        customer_id=payment.customer_id,
    )
