"""Running the engine over a tenant's synced data and storing its decisions.

Only booked transactions are decided (pending ones wait). A decision that was applied
(approved, posted) is never touched again; a proposed one is replaced only when the engine now
says something different, so running twice changes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.banking.models import BankTransaction
from payymo.http import AppServices
from payymo.invoicing.models import Invoice
from payymo.reconciliation import repository
from payymo.reconciliation.engine import Decision as EngineDecision
from payymo.reconciliation.engine import EngineInvoice, EngineTransaction, Status, decide_all
from payymo.reconciliation.models import Allocation, Decision, DecisionState, DecisionStatus
from payymo.reconciliation.rules import engine_rules
from payymo.tenants import repository as tenants_repo
from payymo.tenants.schemas import TenantSettingsModel

ENGINE_VERSION = "1"
ENGINE_ACTOR = Actor.system("engine")


@dataclass(frozen=True)
class RunResult:
    decided: int
    unchanged: int
    by_status: dict[str, int]


def run_reconciliation(app: AppServices, *, tenant_id: uuid.UUID) -> RunResult:
    """Decide every booked transaction of the tenant and store what changed, in one transaction."""
    with app.db.unit_of_work(tenant_id) as session:
        tenant = tenants_repo.get(session, tenant_id)
        settings = TenantSettingsModel.model_validate(tenant.settings if tenant else {})
        invoices = repository.invoices(session, tenant_id)
        transactions = repository.booked_transactions(session, tenant_id)
        decisions = decide_all(
            [_engine_transaction(t) for t in transactions],
            [_engine_invoice(i) for i in invoices],
            engine_rules(settings.matching),
        )
        by_whmcs_id = {str(i.whmcs_invoice_id): i for i in invoices}
        current = repository.current_decisions(session, tenant_id)
        shadow = settings.matching.shadow_mode or not settings.matching.auto_post
        changed = 0
        for decision in decisions:
            transaction_id = uuid.UUID(decision.transaction_id)
            if _store(
                session,
                tenant_id,
                transaction_id,
                decision,
                existing=current.get(transaction_id),
                invoices=by_whmcs_id,
                shadow=shadow,
            ):
                changed += 1
        counts = Counter(d.status.value for d in decisions)
        return RunResult(changed, len(decisions) - changed, dict(counts))


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


def _engine_invoice(invoice: Invoice) -> EngineInvoice:
    return EngineInvoice(
        id=str(invoice.whmcs_invoice_id),
        number=invoice.invoice_num,
        client_id=str(invoice.whmcs_client_id),
        client_name=invoice.client_name,
        company_name=invoice.company_name,
        status=invoice.status.value,
        currency=invoice.currency,
        total_minor=invoice.total_minor,
        balance_minor=invoice.balance_minor,
        issued=invoice.issued_on,
        due=invoice.due_on,
    )


def _store(
    session: Session,
    tenant_id: uuid.UUID,
    transaction_id: uuid.UUID,
    decision: EngineDecision,
    *,
    existing: Decision | None,
    invoices: dict[str, Invoice],
    shadow: bool,
) -> bool:
    """Store `decision` unless it is what `existing` already says; True if stored."""
    if existing is not None and existing.state is not DecisionState.PROPOSED:
        return False  # applied, rejected or reversed by a person or a posting: final here
    wanted = [
        (invoices[a.invoice_id].id, a.amount_minor, a.fee_minor) for a in decision.allocations
    ]
    if existing is not None and _same(session, tenant_id, existing, decision, wanted):
        return False
    if existing is not None:
        existing.is_current = False
        existing.state = DecisionState.SUPERSEDED
        session.flush()
    row = Decision(
        tenant_id=tenant_id,
        bank_transaction_id=transaction_id,
        status=DecisionStatus(decision.status.value),
        confidence=Decimal(str(decision.confidence)).quantize(Decimal("0.0001")),
        reasons=[{"code": r.code, "text": r.text} for r in decision.reasons],
        engine_version=ENGINE_VERSION,
        shadow=shadow and decision.status is Status.AUTO,
    )
    session.add(row)
    session.flush()
    for invoice_id, amount, fee in wanted:
        session.add(
            Allocation(
                tenant_id=tenant_id,
                decision_id=row.id,
                invoice_id=invoice_id,
                currency=decision.currency,
                amount_minor=amount,
                fee_minor=fee,
            )
        )
    record(
        session,
        tenant_id=tenant_id,
        actor=ENGINE_ACTOR,
        action="decision.proposed",
        object_type="bank_transaction",
        object_id=transaction_id,
        after={"status": row.status.value, "allocations": len(wanted), "shadow": row.shadow},
    )
    return True


def _same(
    session: Session,
    tenant_id: uuid.UUID,
    existing: Decision,
    decision: EngineDecision,
    wanted: list[tuple[uuid.UUID, int, int]],
) -> bool:
    have = sorted(
        (a.invoice_id, a.amount_minor, a.fee_minor)
        for a in repository.allocations_of(session, tenant_id, existing.id)
    )
    return existing.status.value == decision.status.value and have == sorted(wanted)
