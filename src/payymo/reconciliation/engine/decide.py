"""The decision for each transaction, and the policy that allows `auto`.

`auto` needs unambiguous evidence (see `referenced`), a margin over the runner-up (see
`runners`), and a booked transaction. Everything else goes to review with the best
suggestion, is unmatched, or is ignored (debits, Stripe payouts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from operator import attrgetter
from types import MappingProxyType

from payymo.reconciliation.engine.batch import collector_paused
from payymo.reconciliation.engine.index import InvoiceIndex, number_key
from payymo.reconciliation.engine.plans import Plan
from payymo.reconciliation.engine.referenced import referenced
from payymo.reconciliation.engine.references import Ref, find_references
from payymo.reconciliation.engine.runners import deciding_first, weigh_runners_up
from payymo.reconciliation.engine.types import (
    Decision,
    EngineInvoice,
    EngineTransaction,
    Reason,
    Rules,
    Status,
)
from payymo.reconciliation.engine.unreferenced import unreferenced
from payymo.text import fold

_STRIPE = re.compile(r"\bSTRIPE\b")
# Most transactions end here; their reasons are shared, not rebuilt each time.
_OUTGOING = (Reason("outgoing", "money going out is not a payment"),)
_STRIPE_PAYOUT = (Reason("stripe_payout", "a Stripe payout; card payments are matched in Stripe"),)
_NO_CANDIDATE = (Reason("no_candidate", "no invoice fits"),)
_UNSETTLED = (Status.REVIEW, Status.UNMATCHED)
_NOTHING_LEARNED: Mapping[str, str] = MappingProxyType({})


def decide_all(
    transactions: Iterable[EngineTransaction],
    invoices: Iterable[EngineInvoice],
    rules: Rules,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[Decision]:
    """One decision per distinct transaction id, sorted by id; independent of input order.

    Two passes: payer IBANs seen on the first pass's automatic decisions become evidence for
    the second pass (an IBAN is learned only if it belongs to a single client), which revisits
    only what the first pass did not settle and a learned IBAN paid. `progress(done, total)`
    reports the first pass.
    """
    with collector_paused():
        index = InvoiceIndex.build(invoices)
        unique = _distinct(transactions)
        decisions, quoted = _first_pass(unique, index, rules, progress)
        learned = _learn_ibans([(unique[n], decisions[n]) for n in quoted], index)
        # Only the IBAN lookups differ on the second pass: a transaction whose IBAN was not
        # learned would get the same decision again.
        for n, refs in quoted.items():
            tx = unique[n]
            if decisions[n].status in _UNSETTLED and tx.counterparty_iban in learned:
                decisions[n] = _judge(tx, refs, index, rules, learned)
        return _one_auto_per_invoice(decisions)


def _one_auto_per_invoice(decisions: list[Decision]) -> list[Decision]:
    """Two automatic decisions paying the same invoice mean a payment made twice (or one of
    them misread): neither is posted on its own, both go to review, naming each other."""
    claims: dict[str, list[int]] = {}
    for n, decision in enumerate(decisions):
        if decision.status is Status.AUTO:
            for allocation in decision.allocations:
                claims.setdefault(allocation.invoice_id, []).append(n)
    for invoice_id, claimants in claims.items():
        if len(claimants) < 2:
            continue
        for n in claimants:
            others = ", ".join(decisions[m].transaction_id for m in claimants if m != n)
            reason = Reason(
                "contested_invoice",
                f"invoice {invoice_id} is also paid by {others}: a duplicate payment?",
            )
            decisions[n] = replace(
                decisions[n],
                status=Status.REVIEW,
                confidence=min(decisions[n].confidence, 0.5),
                reasons=deciding_first((*decisions[n].reasons, reason)),
            )
    return decisions


def _first_pass(
    transactions: list[EngineTransaction],
    index: InvoiceIndex,
    rules: Rules,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[Decision], dict[int, list[Ref]]]:
    """The decisions without learned IBANs, and the references each judged credit quoted (by
    its position), which the second pass needs again."""
    decisions: list[Decision] = []
    quoted: dict[int, list[Ref]] = {}
    for n, tx in enumerate(transactions, start=1):
        look = _first_look(tx, index, rules)
        if isinstance(look, Decision):
            decisions.append(look)
        else:
            decisions.append(_judge(tx, look, index, rules, _NOTHING_LEARNED))
            quoted[n - 1] = look
        if progress is not None and (n % 10_000 == 0 or n == len(transactions)):
            progress(n, len(transactions))
    return decisions, quoted


def _distinct(transactions: Iterable[EngineTransaction]) -> list[EngineTransaction]:
    """One transaction per id, sorted by id. Of several with one id, the greatest text wins
    (and of those, the last given), as a sort by (id, text) would keep."""
    kept: list[EngineTransaction] = []
    for tx in sorted(transactions, key=attrgetter("id")):
        if not kept or kept[-1].id != tx.id:
            kept.append(tx)
        elif tx.text >= kept[-1].text:
            kept[-1] = tx
    return kept


def _learn_ibans(
    judged: list[tuple[EngineTransaction, Decision]], index: InvoiceIndex
) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for tx, decision in judged:
        iban = tx.counterparty_iban
        if decision.status is Status.AUTO and iban:
            clients = {
                index.by_id[number_key(a.invoice_id)].client_id for a in decision.allocations
            }
            seen.setdefault(iban, set()).update(clients)
    return {iban: next(iter(c)) for iban, c in seen.items() if len(c) == 1}


def _first_look(tx: EngineTransaction, index: InvoiceIndex, rules: Rules) -> Decision | list[Ref]:
    """The decision for money that is no customer's payment, else the references quoted."""
    if tx.amount_minor <= 0:
        return Decision(tx.id, Status.IGNORED, tx.currency, 1.0, (), _OUTGOING)
    folded = fold(tx.text)
    if _STRIPE.search(folded) or _STRIPE.search(fold(tx.counterparty)):
        return Decision(tx.id, Status.IGNORED, tx.currency, 1.0, (), _STRIPE_PAYOUT)
    return find_references(
        tx.text, rules.reference_patterns, numbers=index.compound_numbers, folded=folded
    )


def _judge(
    tx: EngineTransaction,
    refs: list[Ref],
    index: InvoiceIndex,
    rules: Rules,
    ibans: Mapping[str, str],
) -> Decision:
    plan = (referenced(tx, refs, index, rules, ibans) if refs else None) or unreferenced(
        tx, index, rules, ibans
    )
    return _conclude(tx, plan, index, rules)


def _conclude(
    tx: EngineTransaction, plan: Plan | None, index: InvoiceIndex, rules: Rules
) -> Decision:
    if plan is None:
        return Decision(tx.id, Status.UNMATCHED, tx.currency, 0.0, (), _NO_CANDIDATE)
    runners_up = weigh_runners_up(tx, plan, index, rules) if plan.allocations else []
    # A plan without allocations is an ambiguity (tied candidates): a person picks.
    status = (
        Status.AUTO if plan.auto_ok and plan.confidence >= rules.auto_threshold else Status.REVIEW
    )
    if status is Status.AUTO and not tx.booked:
        status = Status.REVIEW
        plan.reasons.append(Reason("pending", "pending at the bank; waits until booked"))
    reasons = (*plan.reasons, *runners_up)
    return Decision(
        tx.id, status, tx.currency, round(plan.confidence, 4), plan.allocations, reasons
    )
