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

Counts come from the index; only the first few invoices of a list are read for their ids
(invoices of a common plan price can number thousands, and so can one client's), and every
decision with an allocation comes through here.
"""

from __future__ import annotations

from payymo.reconciliation.engine.index import InvoiceIndex
from payymo.reconciliation.engine.plans import Plan
from payymo.reconciliation.engine.types import EngineInvoice, EngineTransaction, Reason, Rules

SAME_CLIENT_SAME_AMOUNT = 0.6
OTHER_CLIENT_SAME_AMOUNT = 0.3
SAME_CLIENT_OTHER_AMOUNT = 0.1
NAMED = 3  # invoice ids a reason lists before "and N more"
RUNNER_UP = "runner_up"


def weigh_runners_up(
    tx: EngineTransaction, plan: Plan, index: InvoiceIndex, rules: Rules
) -> list[Reason]:
    """Why `plan`'s runners-up lost, to follow its deciding reasons. When its lead over the best
    of them is under the margin, `auto` is refused with a `narrow_margin` reason on `plan`."""
    chosen = {invoice.id for invoice in plan.invoices}
    clients = sorted({invoice.client_id for invoice in plan.invoices})
    # With a bank fee deducted the payment settles more than it brought: both amounts count.
    settled = sum(a.amount_minor + a.fee_minor for a in plan.allocations)
    amounts = sorted({tx.amount_minor, settled})
    because = (
        f"the transaction names {ids_text(sorted(chosen), len(chosen))}" if plan.referenced else ""
    )
    reasons: list[Reason] = []
    rivals: list[tuple[float, str]] = []
    same_client = [
        invoice
        for client in clients
        for amount in amounts
        for invoice in index.open_by_client_amount.get((client, tx.currency, amount), ())
    ]
    mine = [invoice for invoice in same_client if invoice.id not in chosen]
    if mine:
        rivals.append((SAME_CLIENT_SAME_AMOUNT, mine[0].id))
        reasons.append(
            Reason(
                "runner_up_same_client",
                f"the client's {_listed(mine)} of the same amount lost: "
                + (because or "the amount alone does not tell which"),
            )
        )
    others, first_others = _other_clients_same_amount(tx.currency, amounts, index, clients)
    if others:
        rivals.append((OTHER_CLIENT_SAME_AMOUNT, first_others[0]))
        reasons.append(
            Reason(
                "runner_up_amount",
                f"{ids_text(first_others, others)} of this amount lost: another client's"
                + (f", and {because}" if because else ""),
            )
        )
    in_currency = sum(index.open_count_by_client.get((c, tx.currency), 0) for c in clients)
    elsewhere = [i for i in plan.invoices if i.currency == tx.currency and i not in same_client]
    other_amounts = in_currency - len(same_client) - len(elsewhere)
    if other_amounts > 0:
        first = _first_other_amounts(tx.currency, amounts, index, clients, chosen)
        rivals.append((SAME_CLIENT_OTHER_AMOUNT, first[0]))
        reasons.append(
            Reason(
                "runner_up_balance",
                f"the client's {ids_text(first, other_amounts)} lost: "
                + ("not named, and " if plan.referenced else "")
                + "the balance differs",
            )
        )
    if rivals:
        best, best_id = max(rivals, key=lambda rival: rival[0])
        lead = plan.confidence - best
        if plan.auto_ok and lead < rules.min_margin:
            plan.auto_ok = False
            plan.reasons.append(
                Reason(
                    "narrow_margin",
                    f"leads the runner-up (invoice {best_id}) by {lead:.2f}, "
                    f"less than the {rules.min_margin:.2f} required for automatic posting",
                )
            )
    return reasons


def deciding_first(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    """`reasons` with the runners-up last: summaries that show only the first few must show
    why the decision is what it is."""
    return tuple(sorted(reasons, key=lambda reason: reason.code.startswith(RUNNER_UP)))


def _other_clients_same_amount(
    currency: str, amounts: list[int], index: InvoiceIndex, clients: list[str]
) -> tuple[int, list[str]]:
    """How many other clients' open invoices have one of the amounts, and the first ids."""
    count, mine = 0, set(clients)
    first: list[str] = []
    for amount in amounts:
        same = index.open_by_amount.get((currency, amount), ())
        theirs = sum(
            len(index.open_by_client_amount.get((c, currency, amount), ())) for c in clients
        )
        count += len(same) - theirs
        for invoice in same:
            if len(first) == NAMED:
                break
            if invoice.client_id not in mine:
                first.append(invoice.id)
    return count, first


def _first_other_amounts(
    currency: str, amounts: list[int], index: InvoiceIndex, clients: list[str], chosen: set[str]
) -> list[str]:
    """The first few of the clients' open invoices in `currency` of other balances."""
    first: list[str] = []
    for client in clients:
        for invoice in index.open_by_client.get(client, ()):
            if len(first) == NAMED:
                return first
            if (
                invoice.currency == currency
                and invoice.balance_minor not in amounts
                and invoice.id not in chosen
            ):
                first.append(invoice.id)
    return first


def _listed(invoices: list[EngineInvoice]) -> str:
    ids = [invoice.id for invoice in invoices]
    return ids_text(ids[:NAMED], len(ids))


def ids_text(first: list[str], count: int) -> str:
    """'invoice 12', 'invoices 12, 13', or 'invoices 12, 13, 14 and 5 more'."""
    listed = ", ".join(first[:NAMED])
    more = f" and {count - NAMED} more" if count > NAMED else ""
    return f"invoice {listed}" if count == 1 else f"invoices {listed}{more}"
