"""Why the runner-up candidates lost, and the lead `auto` needs over the best of them.

A plan that allocates a transaction is weighed against the open invoices it passed over that
could also have taken the money: other invoices of exactly the amount in the currency, and
the same client's other invoices. Each is given the confidence its own evidence earns:

- the same client and the amount, but the transaction names another invoice: 0.6 (without a
  reference the plan itself is such a suggestion, which always goes to review);
- the amount alone, another client's invoice: 0.3;
- the same client, another amount: 0.1.

`auto` needs the plan's confidence to lead the best of them by `Rules.min_margin`. Rivals the
payer's name fits better (mistyped numbers) are judged before this, in `referenced`.

Only dictionary reads and the first few list entries are touched: invoices of a common plan
price can number thousands, and every decision with an allocation comes through here.
"""

from __future__ import annotations

from payymo.reconciliation.engine.index import InvoiceIndex
from payymo.reconciliation.engine.plans import Plan
from payymo.reconciliation.engine.types import EngineInvoice, EngineTransaction, Reason, Rules

SAME_CLIENT_SAME_AMOUNT = 0.6
OTHER_CLIENT_SAME_AMOUNT = 0.3
SAME_CLIENT_OTHER_AMOUNT = 0.1
NAMED = 3  # invoice ids a reason lists before "and N more"


def weigh_runners_up(tx: EngineTransaction, plan: Plan, index: InvoiceIndex, rules: Rules) -> None:
    """Add to `plan` why its runners-up lost; refuse `auto` when its lead is under the margin."""
    chosen = {invoice.id for invoice in plan.invoices}
    clients = {invoice.client_id for invoice in plan.invoices}
    because = (
        f"the transaction names {ids_text(sorted(chosen), len(chosen))}" if plan.referenced else ""
    )
    best, best_id = 0.0, ""
    same_client_same_amount: list[EngineInvoice] = []
    same_client_other_amount: list[EngineInvoice] = []
    for client in sorted(clients):
        for invoice in index.open_by_client.get(client, ()):
            if invoice.id in chosen or invoice.currency != tx.currency:
                continue
            if invoice.balance_minor == tx.amount_minor:
                same_client_same_amount.append(invoice)
            else:
                same_client_other_amount.append(invoice)
    if same_client_same_amount:
        best, best_id = SAME_CLIENT_SAME_AMOUNT, same_client_same_amount[0].id
        plan.reasons.append(
            Reason(
                "runner_up_same_client",
                f"the client's {_listed(same_client_same_amount)} of the same amount lost: "
                + (because or "the amount alone does not tell which"),
            )
        )
    others, first_others = _other_clients_same_amount(tx, index, clients)
    if others:
        if best < OTHER_CLIENT_SAME_AMOUNT:
            best, best_id = OTHER_CLIENT_SAME_AMOUNT, first_others[0]
        plan.reasons.append(
            Reason(
                "runner_up_amount",
                f"{ids_text(first_others, others)} of this amount lost: another client's"
                + (f", and {because}" if because else ""),
            )
        )
    if same_client_other_amount:
        if best < SAME_CLIENT_OTHER_AMOUNT:
            best, best_id = SAME_CLIENT_OTHER_AMOUNT, same_client_other_amount[0].id
        plan.reasons.append(
            Reason(
                "runner_up_balance",
                f"the client's {_listed(same_client_other_amount)} lost: "
                + ("not named, and " if plan.referenced else "")
                + "the balance differs",
            )
        )
    lead = plan.confidence - best
    if plan.auto_ok and best_id and lead < rules.min_margin:
        plan.auto_ok = False
        plan.reasons.append(
            Reason(
                "narrow_margin",
                f"leads the runner-up (invoice {best_id}) by {lead:.2f}, "
                f"less than the {rules.min_margin:.2f} required for automatic posting",
            )
        )


def _other_clients_same_amount(
    tx: EngineTransaction, index: InvoiceIndex, clients: set[str]
) -> tuple[int, list[str]]:
    """How many other clients' open invoices have exactly the amount, and the first ids."""
    same = index.open_by_amount.get((tx.currency, tx.amount_minor), ())
    theirs = sum(
        1
        for client in clients
        for invoice in index.open_by_client.get(client, ())
        if invoice.currency == tx.currency and invoice.balance_minor == tx.amount_minor
    )
    first: list[str] = []
    for invoice in same:
        if len(first) == NAMED:
            break
        if invoice.client_id not in clients:
            first.append(invoice.id)
    return len(same) - theirs, first


def _listed(invoices: list[EngineInvoice]) -> str:
    ids = [invoice.id for invoice in invoices]
    return ids_text(ids[:NAMED], len(ids))


def ids_text(first: list[str], count: int) -> str:
    """'invoice 12', 'invoices 12, 13', or 'invoices 12, 13, 14 and 5 more'."""
    listed = ", ".join(first[:NAMED])
    more = f" and {count - NAMED} more" if count > NAMED else ""
    return f"invoice {listed}" if count == 1 else f"invoices {listed}{more}"
