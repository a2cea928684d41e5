"""Plans for a transaction that quotes invoice references.

`auto` needs a labelled reference (or a bare number backed by the payer's name or known IBAN)
to open invoices in the transaction's currency, the exact amount (or a bank fee within the
tenant's tolerance), and no rival reading of the reference: a mistyped number paying another
client's invoice of the same amount that the payer's name fits better.
"""

from __future__ import annotations

from collections.abc import Mapping

from payymo.money import Money
from payymo.reconciliation.engine.index import InvoiceIndex
from payymo.reconciliation.engine.names import similarity
from payymo.reconciliation.engine.plans import EXACT, FEE, OVER, PARTIAL, Plan, allocate, fit
from payymo.reconciliation.engine.references import Ref, Strength
from payymo.reconciliation.engine.types import EngineInvoice, EngineTransaction, Reason, Rules

NAME_SUPPORT = 85.0  # payer name this close to the client's counts as corroboration
NAME_RIVAL = 80.0
_CONFIDENCE = {EXACT: 0.97, FEE: 0.96, PARTIAL: 0.7, OVER: 0.7}


def referenced(
    tx: EngineTransaction,
    refs: list[Ref],
    index: InvoiceIndex,
    rules: Rules,
    ibans: Mapping[str, str],
) -> Plan | None:
    """The plan for the invoices `refs` name; None if they name none."""
    strong = [r for r in refs if r.strength is Strength.STRONG]
    chosen = strong or refs
    groups = [index.resolve(value) for value in dict.fromkeys(r.value for r in chosen)]
    groups = [g for g in groups if g]
    if not groups:
        return None
    if any(len(g) > 1 for g in groups):
        return _ambiguous(groups)
    # An invoice named twice (by id and by its number) is one invoice.
    invoices = list({g[0].id: g[0] for g in groups}.values())
    plan = _fit_referenced(tx, invoices, rules)
    name = _corroborate(tx, plan, invoices, strong=bool(strong), ibans=ibans)
    if len(invoices) == 1 and plan.auto_ok:
        _typo_guard(tx, plan, invoices[0], index, own=name)
    return plan


def _ambiguous(groups: list[list[EngineInvoice]]) -> Plan:
    ids = ", ".join(i.id for g in groups for i in g)
    return Plan(
        [],
        0.4,
        False,
        (),
        [Reason("ambiguous_reference", f"the reference names several invoices ({ids})")],
    )


def _fit_referenced(tx: EngineTransaction, invoices: list[EngineInvoice], rules: Rules) -> Plan:
    closed = [i for i in invoices if not i.is_open]
    if closed:
        states = ", ".join(f"{i.id} is {i.status}" for i in closed)
        return Plan(
            invoices,
            0.5,
            False,
            (),
            [Reason("invoice_not_open", f"invoice {states}: a possible duplicate payment")],
        )
    if any(i.currency != tx.currency for i in invoices):
        text = f"paid in {tx.currency}, invoiced in {invoices[0].currency}"
        return Plan(invoices, 0.5, False, (), [Reason("currency_mismatch", text)])
    how = fit(tx, invoices, rules.fee_tolerance_minor)
    allocations = allocate(tx, invoices, how)
    reason = _fit_reason(tx, invoices, how, sum(a.amount_minor for a in allocations))
    return Plan(
        invoices, _CONFIDENCE[how], how in (EXACT, FEE), allocations, [reason], referenced=True
    )


def _fit_reason(
    tx: EngineTransaction, invoices: list[EngineInvoice], how: str, allocated: int
) -> Reason:
    names = ", ".join(i.id for i in invoices)
    if how == EXACT:
        return Reason("reference_exact", f"referenced invoice(s) {names}, exact amount")
    if how == FEE:
        return Reason(
            "fee_deducted", f"referenced invoice(s) {names}, short by a bank fee within tolerance"
        )
    if how == PARTIAL:
        return Reason("partial_payment", f"referenced invoice(s) {names}, partly paid")
    return Reason(
        "overpayment",
        f"referenced invoice(s) {names}, paid more than owed: credit the "
        f"surplus of {Money.from_minor(tx.amount_minor - allocated, tx.currency)}",
    )


def _corroborate(
    tx: EngineTransaction,
    plan: Plan,
    invoices: list[EngineInvoice],
    *,
    strong: bool,
    ibans: Mapping[str, str],
) -> float:
    """Raise the plan when the payer's IBAN or name backs it, lower a bare number that nothing
    backs; returns how well the payer's name fits the best of the invoices' clients."""
    learned = ibans.get(tx.counterparty_iban) if tx.counterparty_iban else None
    known_iban = learned is not None and any(i.client_id == learned for i in invoices)
    name = max([similarity(tx.counterparty, i.client_name, i.company_name) for i in invoices])
    if known_iban or name >= NAME_SUPPORT:
        plan.confidence = min(0.99, plan.confidence + 0.02)
        plan.reasons.append(
            Reason(
                "payer_matches",
                "payer IBAN known for this client"
                if known_iban
                else f"payer name matches the client ({name:.0f})",
            )
        )
    elif not strong and not (len(invoices) > 1 and plan.auto_ok and plan.allocations):
        # A list of bare numbers whose invoices add up exactly is evidence enough on its own.
        plan.confidence -= 0.2
        plan.auto_ok = False
        plan.reasons.append(
            Reason("weak_reference", "an unlabelled number, not backed by the payer's name or IBAN")
        )
    return name


def _typo_guard(
    tx: EngineTransaction, plan: Plan, invoice: EngineInvoice, index: InvoiceIndex, *, own: float
) -> None:
    """Refuse `auto` when a near-miss of the number is another open invoice of this amount
    whose client the payer's name fits better (`own`: how well it fits this invoice's client):
    the payer probably mistyped. The best-fitting such rival is named."""
    fits = [
        (similarity(tx.counterparty, rival.client_name, rival.company_name), rival.id)
        for rival in index.near_misses(invoice.id)
        if rival.client_id != invoice.client_id
        and rival.balance_minor == tx.amount_minor
        and rival.currency == tx.currency
    ]
    better = [
        (theirs, rival_id) for theirs, rival_id in fits if theirs >= NAME_RIVAL and theirs > own
    ]
    if not better:
        return
    theirs, rival_id = min(better, key=lambda fit: (-fit[0], fit[1]))  # the best; ties by id
    plan.auto_ok = False
    plan.confidence = min(plan.confidence, 0.6)
    plan.reasons.append(
        Reason(
            "possible_typo",
            f"invoice {rival_id} fits the payer "
            f"better ({theirs:.0f} vs {own:.0f}): check the number",
        )
    )
