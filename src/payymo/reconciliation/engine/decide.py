"""The decision for each transaction, and the policy that allows `auto`.

`auto` needs unambiguous evidence: a labelled reference (or a bare number backed by the payer's
name or known IBAN) to open invoices in the transaction's currency, the exact amount (or a bank
fee within the tenant's tolerance), no rival reading of the reference (a transposed number
paying another client's invoice of the same amount that the payer's name fits better), a
margin over the runner-up, and a booked transaction. Everything else goes to review with the
best suggestion, is unmatched, or is ignored (debits, Stripe payouts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from payymo.reconciliation.engine.index import InvoiceIndex, number_key
from payymo.reconciliation.engine.names import similarity
from payymo.reconciliation.engine.plans import (
    EXACT,
    FEE,
    OVER,
    PARTIAL,
    Plan,
    allocate,
    fit,
    subset_sums,
)
from payymo.reconciliation.engine.references import Ref, Strength, find_references, fold
from payymo.reconciliation.engine.types import (
    Decision,
    EngineInvoice,
    EngineTransaction,
    Reason,
    Rules,
    Status,
)

NAME_SUPPORT = 85.0  # payer name this close to the client's counts as corroboration
NAME_RIVAL = 80.0
_STRIPE = re.compile(r"\bSTRIPE\b")


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
    only what the first pass did not settle. `progress(done, total)` reports the first pass.
    """
    index = InvoiceIndex.build(invoices)
    unique = {tx.id: tx for tx in sorted(transactions, key=lambda t: (t.id, t.text))}
    first: dict[str, Decision] = {}
    for done, (tid, tx) in enumerate(unique.items(), start=1):
        first[tid] = decide(tx, index, rules, {})
        if progress is not None and (done % 10_000 == 0 or done == len(unique)):
            progress(done, len(unique))
    learned = _learn_ibans(unique, first, index)
    return [
        decide(unique[tid], index, rules, learned)
        if learned and first[tid].status in (Status.REVIEW, Status.UNMATCHED)
        else first[tid]
        for tid in sorted(unique)
    ]


def _learn_ibans(
    transactions: Mapping[str, EngineTransaction],
    decisions: Mapping[str, Decision],
    index: InvoiceIndex,
) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for tid, decision in decisions.items():
        iban = transactions[tid].counterparty_iban
        if decision.status is Status.AUTO and iban:
            clients = {
                index.by_id[number_key(a.invoice_id)].client_id for a in decision.allocations
            }
            seen.setdefault(iban, set()).update(clients)
    return {iban: next(iter(c)) for iban, c in seen.items() if len(c) == 1}


def decide(
    tx: EngineTransaction, index: InvoiceIndex, rules: Rules, ibans: Mapping[str, str]
) -> Decision:
    if tx.amount_minor <= 0:
        return _final(tx, Status.IGNORED, [Reason("outgoing", "money going out is not a payment")])
    if _STRIPE.search(fold(f"{tx.counterparty} {tx.text}")):
        return _final(
            tx,
            Status.IGNORED,
            [Reason("stripe_payout", "a Stripe payout; card payments are matched in Stripe")],
        )
    refs = find_references(tx.text, rules.reference_patterns, numbers=index.compound_numbers)
    plan = (_referenced(tx, refs, index, rules, ibans) if refs else None) or _unreferenced(
        tx, index, rules, ibans
    )
    return _conclude(tx, plan, rules)


def _final(tx: EngineTransaction, status: Status, reasons: list[Reason]) -> Decision:
    return Decision(
        tx.id, status, tx.currency, 0.0 if status is Status.UNMATCHED else 1.0, (), tuple(reasons)
    )


def _conclude(tx: EngineTransaction, plan: Plan | None, rules: Rules) -> Decision:
    if plan is None:
        reasons = [Reason("no_candidate", "no invoice fits")]
        return Decision(tx.id, Status.UNMATCHED, tx.currency, 0.0, (), tuple(reasons))
    # A plan without allocations is an ambiguity (tied candidates): a person picks.
    status = (
        Status.AUTO if plan.auto_ok and plan.confidence >= rules.auto_threshold else Status.REVIEW
    )
    if status is Status.AUTO and not tx.booked:
        status = Status.REVIEW
        plan.reasons.append(Reason("pending", "pending at the bank; waits until booked"))
    return Decision(
        tx.id, status, tx.currency, round(plan.confidence, 4), plan.allocations, tuple(plan.reasons)
    )


def _referenced(
    tx: EngineTransaction,
    refs: list[Ref],
    index: InvoiceIndex,
    rules: Rules,
    ibans: Mapping[str, str],
) -> Plan | None:
    strong = [r for r in refs if r.strength is Strength.STRONG]
    chosen = strong or refs
    groups = [index.resolve(value) for value in dict.fromkeys(r.value for r in chosen)]
    groups = [g for g in groups if g]
    if not groups:
        return None
    if any(len(g) > 1 for g in groups):
        return _ambiguous(tx, groups)
    invoices = [g[0] for g in groups]
    plan = _fit_referenced(tx, invoices, rules)
    _corroborate(tx, plan, invoices, strong=bool(strong), ibans=ibans)
    if len(invoices) == 1 and plan.auto_ok:
        _typo_guard(tx, plan, invoices[0], index)
    return plan


def _ambiguous(tx: EngineTransaction, groups: list[list[EngineInvoice]]) -> Plan:
    ids = ", ".join(i.id for g in groups for i in g)
    return Plan(
        [],
        0.4,
        False,
        (),
        [Reason("ambiguous_reference", f"the reference names several invoices ({ids})")],
    )


def _fit_referenced(tx: EngineTransaction, invoices: list[EngineInvoice], rules: Rules) -> Plan:
    names = ", ".join(i.id for i in invoices)
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
        return Plan(
            invoices,
            0.5,
            False,
            (),
            [
                Reason(
                    "currency_mismatch",
                    f"paid in {tx.currency}, invoiced in {invoices[0].currency}",
                )
            ],
        )
    how = fit(tx, invoices, rules.fee_tolerance_minor)
    allocations = allocate(tx, invoices, how)
    text = {
        EXACT: ("reference_exact", f"referenced invoice(s) {names}, exact amount"),
        FEE: (
            "fee_deducted",
            f"referenced invoice(s) {names}, short by a bank fee within tolerance",
        ),
        PARTIAL: ("partial_payment", f"referenced invoice(s) {names}, partly paid"),
        OVER: (
            "overpayment",
            f"referenced invoice(s) {names}, paid more than owed: credit the "
            f"surplus of {tx.amount_minor - sum(a.amount_minor for a in allocations)} minor units",
        ),
    }[how]
    confidence = {EXACT: 0.97, FEE: 0.96, PARTIAL: 0.7, OVER: 0.7}[how]
    return Plan(invoices, confidence, how in (EXACT, FEE), allocations, [Reason(*text)])


def _corroborate(
    tx: EngineTransaction,
    plan: Plan,
    invoices: list[EngineInvoice],
    *,
    strong: bool,
    ibans: Mapping[str, str],
) -> None:
    clients = {i.client_id for i in invoices}
    known_iban = bool(tx.counterparty_iban) and ibans.get(tx.counterparty_iban or "") in clients
    name = max(
        (similarity(tx.counterparty, i.client_name, i.company_name) for i in invoices), default=0.0
    )
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


def _typo_guard(
    tx: EngineTransaction, plan: Plan, invoice: EngineInvoice, index: InvoiceIndex
) -> None:
    """Refuse `auto` when a near-miss of the number is another open invoice of this amount
    whose client the payer's name fits better: the payer probably mistyped."""
    own = similarity(tx.counterparty, invoice.client_name, invoice.company_name)
    for variant in _near_misses(invoice.id):
        rival = index.by_id.get(variant)
        if (
            rival is None
            or rival.client_id == invoice.client_id
            or not rival.is_open
            or rival.balance_minor != tx.amount_minor
            or rival.currency != tx.currency
        ):
            continue
        theirs = similarity(tx.counterparty, rival.client_name, rival.company_name)
        if theirs >= NAME_RIVAL and theirs > own:
            plan.auto_ok = False
            plan.confidence = min(plan.confidence, 0.6)
            plan.reasons.append(
                Reason(
                    "possible_typo",
                    f"invoice {rival.id} fits the payer "
                    f"better ({theirs:.0f} vs {own:.0f}): check the number",
                )
            )
            return


@lru_cache(maxsize=65_536)
def _near_misses(number: str) -> frozenset[str]:
    variants = {
        number[:i] + number[i + 1] + number[i] + number[i + 2 :] for i in range(len(number) - 1)
    }
    variants |= {number[:i] + number[i + 1 :] for i in range(len(number))}
    variants |= {number[:i] + d + number[i:] for i in range(len(number) + 1) for d in "0123456789"}
    variants.discard(number)
    return frozenset(v.lstrip("0") or "0" for v in variants if v)


def _unreferenced(
    tx: EngineTransaction, index: InvoiceIndex, rules: Rules, ibans: Mapping[str, str]
) -> Plan | None:
    client = ibans.get(tx.counterparty_iban or "")
    if client is None:
        client = _client_by_name(tx, index)
    if client is not None:
        plan = _client_plan(tx, index.open_by_client.get(client, []), rules)
        if plan is not None:
            return plan
    return _amount_only(tx, index)


def _client_by_name(tx: EngineTransaction, index: InvoiceIndex) -> str | None:
    """The one client with open invoices whose name the payer's fits; None if none or several."""
    if not tx.counterparty:
        return None
    fits = [
        c
        for c in sorted(index.clients_named_like(tx.counterparty))
        if similarity(tx.counterparty, *index.client_names[c]) >= NAME_SUPPORT
    ]
    return fits[0] if len(fits) == 1 else None


def _client_plan(
    tx: EngineTransaction, open_invoices: list[EngineInvoice], rules: Rules
) -> Plan | None:
    same = [i for i in open_invoices if i.currency == tx.currency]
    exact = [i for i in same if i.balance_minor == tx.amount_minor]
    if len(exact) == 1:
        return Plan(
            exact,
            0.85,
            False,
            allocate(tx, exact, EXACT),
            [
                Reason(
                    "client_and_amount",
                    f"the payer's only open invoice of this amount is {exact[0].id} "
                    "(no reference: review)",
                )
            ],
        )
    if exact:
        return None
    sets = subset_sums(
        same,
        tx.amount_minor,
        max_candidates=rules.max_subset_candidates,
        max_size=rules.max_subset_size,
    )
    if len(sets) == 1:
        ids = ", ".join(i.id for i in sets[0])
        return Plan(
            sets[0],
            0.8,
            False,
            allocate(tx, sets[0], EXACT),
            [
                Reason(
                    "subset_sum",
                    f"the payer's open invoices {ids} add up exactly (no reference: review)",
                )
            ],
        )
    if len(sets) > 1:
        return Plan(
            [],
            0.3,
            False,
            (),
            [Reason("subset_tie", "several sets of the payer's invoices add up to the amount")],
        )
    return None


def _amount_only(tx: EngineTransaction, index: InvoiceIndex) -> Plan | None:
    same = index.open_by_amount.get((tx.currency, tx.amount_minor), [])
    if not same:
        return None
    if len(same) == 1:
        return Plan(
            same,
            0.5,
            False,
            allocate(tx, same, EXACT),
            [
                Reason(
                    "amount_only",
                    f"only invoice {same[0].id} has this amount; nothing else links them",
                )
            ],
        )
    return Plan(
        [],
        0.2,
        False,
        (),
        [
            Reason(
                "amount_only_ambiguous", f"{len(same)} open invoices have this amount; no reference"
            )
        ],
    )
