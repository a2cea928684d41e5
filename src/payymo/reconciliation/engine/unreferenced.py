"""Plans for a transaction that quotes no invoice: never `auto`, at best a suggestion.

The payer is recognised by a learned IBAN or by name; then the one open invoice of the amount,
or the one set of its open invoices adding up to it, is suggested. Failing that, the one open
invoice anywhere of that amount.
"""

from __future__ import annotations

from collections.abc import Mapping

from payymo.reconciliation.engine.index import InvoiceIndex
from payymo.reconciliation.engine.names import similarity
from payymo.reconciliation.engine.plans import EXACT, Plan, allocate, subset_sums
from payymo.reconciliation.engine.referenced import NAME_SUPPORT
from payymo.reconciliation.engine.runners import NAMED, ids_text
from payymo.reconciliation.engine.types import EngineInvoice, EngineTransaction, Reason, Rules


def unreferenced(
    tx: EngineTransaction, index: InvoiceIndex, rules: Rules, ibans: Mapping[str, str]
) -> Plan | None:
    """The suggestion for a transaction without a usable reference; None if nothing fits."""
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
    payer = tx.counterparty
    if not payer:
        return None
    if payer not in index.client_by_payer:
        index.client_by_payer[payer] = _only_fit(payer, index)
    return index.client_by_payer[payer]


def _only_fit(payer: str, index: InvoiceIndex) -> str | None:
    found = None
    for client in index.clients_named_like(payer):
        if similarity(payer, *index.client_names[client]) >= NAME_SUPPORT:
            if found is not None:
                return None  # a second fit: the name does not tell them apart
            found = client
    return found


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
        tied = " and ".join("(" + ", ".join(i.id for i in s) + ")" for s in sets)
        return Plan(
            [],
            0.3,
            False,
            (),
            [
                Reason(
                    "subset_tie",
                    f"several sets of the payer's invoices add up to the amount, {tied} "
                    "among them: none is preferred",
                )
            ],
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
                "amount_only_ambiguous",
                f"{ids_text([i.id for i in same[:NAMED]], len(same))} have this amount and nothing "
                "else links them: none is preferred",
            )
        ],
    )
