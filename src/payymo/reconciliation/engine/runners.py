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

from collections.abc import Callable, Iterable

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
    currency = tx.currency
    chosen = {invoice.id for invoice in plan.invoices}
    clients = sorted({invoice.client_id for invoice in plan.invoices})
    amounts = [tx.amount_minor]
    if any(allocation.fee_minor for allocation in plan.allocations):
        # A bank fee was deducted: the balance the payment settles is "the amount" too.
        amounts.append(sum(a.amount_minor + a.fee_minor for a in plan.allocations))
    because = (
        f"the transaction names {ids_text(sorted(chosen, key=_by_number), len(chosen))}"
        if plan.referenced
        else ""
    )
    reasons: list[Reason] = []
    rivals: list[tuple[float, str]] = []

    same_lists = [
        index.open_by_client_amount.get((client, currency, amount), ())
        for client in clients
        for amount in amounts
    ]
    in_currency = [invoice for invoice in plan.invoices if invoice.currency == currency]
    chosen_same = sum(1 for invoice in in_currency if invoice.balance_minor in amounts)
    same_count = sum(len(found) for found in same_lists) - chosen_same
    first = _first(same_lists, lambda invoice: invoice.id not in chosen)
    if same_count > 0 and first:
        rivals.append((SAME_CLIENT_SAME_AMOUNT, first[0]))
        reasons.append(
            Reason(
                "runner_up_same_client",
                f"the client's {ids_text(first, same_count)} of the same amount lost: "
                + (because or "the amount alone does not tell which"),
            )
        )

    others_count, first = _other_clients_same_amount(currency, amounts, index, clients)
    if others_count > 0 and first:
        rivals.append((OTHER_CLIENT_SAME_AMOUNT, first[0]))
        reasons.append(
            Reason(
                "runner_up_amount",
                f"{ids_text(first, others_count)} of this amount lost: another client's"
                + (f", and {because}" if because else ""),
            )
        )

    all_count = sum(index.open_count_by_client.get((client, currency), 0) for client in clients)
    other_count = (
        all_count - sum(len(found) for found in same_lists) - (len(in_currency) - chosen_same)
    )
    first = _first(
        [index.open_by_client.get(client, ()) for client in clients],
        lambda invoice: (
            invoice.currency == currency
            and invoice.balance_minor not in amounts
            and invoice.id not in chosen
        ),
    )
    if other_count > 0 and first:
        rivals.append((SAME_CLIENT_OTHER_AMOUNT, first[0]))
        reasons.append(
            Reason(
                "runner_up_balance",
                f"the client's {ids_text(first, other_count)} lost: "
                + ("not named, and " if plan.referenced else "")
                + "the balance differs",
            )
        )

    if rivals:
        best, best_id = max(rivals, key=lambda rival: rival[0])
        # Rounded: 0.97 - 0.3 is 0.6699999999999999 in binary, and a tenant's 0.67 means 0.67.
        lead = round(plan.confidence - best, 6)
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
    lists = [index.open_by_amount.get((currency, amount), ()) for amount in amounts]
    theirs = sum(
        len(index.open_by_client_amount.get((client, currency, amount), ()))
        for client in clients
        for amount in amounts
    )
    mine = set(clients)
    first = _first(lists, lambda invoice: invoice.client_id not in mine)
    return sum(len(found) for found in lists) - theirs, first


def _first(
    lists: Iterable[Iterable[EngineInvoice]], keep: Callable[[EngineInvoice], bool]
) -> list[str]:
    """The ids of the first `NAMED` invoices `keep` accepts, smallest number first."""
    found: list[str] = []
    for invoices in lists:
        for invoice in invoices:
            if len(found) == NAMED:
                return sorted(found, key=_by_number)
            if keep(invoice):
                found.append(invoice.id)
    return sorted(found, key=_by_number)


def _by_number(invoice_id: str) -> tuple[int, str]:
    return len(invoice_id), invoice_id


def ids_text(first: list[str], count: int) -> str:
    """'invoice 12', 'invoices 12, 13', or 'invoices 12, 13, 14 and 5 more'."""
    listed = ", ".join(first[:NAMED])
    more = f" and {count - NAMED} more" if count > NAMED else ""
    return f"invoice {listed}" if count == 1 else f"invoices {listed}{more}"
