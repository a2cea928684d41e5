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
from dataclasses import dataclass

from payymo.reconciliation.engine.index import InvoiceIndex
from payymo.reconciliation.engine.plans import Plan
from payymo.reconciliation.engine.types import EngineInvoice, EngineTransaction, Reason, Rules

SAME_CLIENT_SAME_AMOUNT = 0.6
OTHER_CLIENT_SAME_AMOUNT = 0.3
SAME_CLIENT_OTHER_AMOUNT = 0.1
NAMED = 3  # invoice ids a reason lists before "and N more"
RUNNER_UP = "runner_up"


@dataclass(frozen=True)
class _Look:
    """What a plan's runners-up are sought by, worked out once per decision."""

    currency: str
    chosen: frozenset[str]
    clients: list[str]
    amounts: list[int]  # the amount received; with a bank fee, also the balance it settles
    because: str  # why a rival lost when the transaction names the chosen invoices, else ""
    same_amount: list[list[EngineInvoice]]  # the clients' open invoices of the amount(s)
    chosen_in_currency: int  # chosen invoices in the currency ...
    chosen_same_amount: int  # ... and how many of them have the amount

    @classmethod
    def of(cls, tx: EngineTransaction, plan: Plan, index: InvoiceIndex) -> _Look:
        chosen = frozenset(invoice.id for invoice in plan.invoices)
        clients = sorted({invoice.client_id for invoice in plan.invoices})
        amounts = [tx.amount_minor]
        if any(allocation.fee_minor for allocation in plan.allocations):
            amounts.append(sum(a.amount_minor + a.fee_minor for a in plan.allocations))
        named = ids_text(sorted(chosen, key=_by_number), len(chosen))
        mine = [invoice for invoice in plan.invoices if invoice.currency == tx.currency]
        return cls(
            currency=tx.currency,
            chosen=chosen,
            clients=clients,
            amounts=amounts,
            because=f"the transaction names {named}" if plan.referenced else "",
            same_amount=[
                index.open_by_client_amount.get((client, tx.currency, amount), [])
                for client in clients
                for amount in amounts
            ],
            chosen_in_currency=len(mine),
            chosen_same_amount=sum(1 for invoice in mine if invoice.balance_minor in amounts),
        )


# A runner-up kind: the confidence it earns, the first such invoice, and why they lost.
_Found = tuple[float, str, Reason]


def weigh_runners_up(
    tx: EngineTransaction, plan: Plan, index: InvoiceIndex, rules: Rules
) -> list[Reason]:
    """Why `plan`'s runners-up lost, to follow its deciding reasons. When its lead over the best
    of them is under the margin, `auto` is refused with a `narrow_margin` reason on `plan`."""
    look = _Look.of(tx, plan, index)
    found = [
        kind
        for kind in (
            _same_client(look),
            _other_clients(look, index),
            _other_balances(look, index),
        )
        if kind is not None
    ]
    if found and plan.auto_ok:
        best, best_id, _ = max(found, key=lambda kind: kind[0])
        # Rounded: 0.97 - 0.3 is 0.6699999999999999 in binary, and a tenant's 0.67 means 0.67.
        lead = round(plan.confidence - best, 6)
        if lead < rules.min_margin:
            plan.auto_ok = False
            plan.reasons.append(
                Reason(
                    "narrow_margin",
                    f"leads the runner-up (invoice {best_id}) by {lead:.2f}, "
                    f"less than the {rules.min_margin:.2f} required for automatic posting",
                )
            )
    return [reason for _, _, reason in found]


def deciding_first(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    """`reasons` with the runners-up last: summaries that show only the first few must show
    why the decision is what it is."""
    return tuple(sorted(reasons, key=lambda reason: reason.code.startswith(RUNNER_UP)))


def _same_client(look: _Look) -> _Found | None:
    count = sum(len(found) for found in look.same_amount) - look.chosen_same_amount
    first = _first(look.same_amount, lambda invoice: invoice.id not in look.chosen)
    if count <= 0 or not first:
        return None
    why = look.because or "the amount alone does not tell which"
    text = f"the client's {ids_text(first, count)} of the same amount lost: {why}"
    return SAME_CLIENT_SAME_AMOUNT, first[0], Reason("runner_up_same_client", text)


def _other_clients(look: _Look, index: InvoiceIndex) -> _Found | None:
    lists = [index.open_by_amount.get((look.currency, amount), []) for amount in look.amounts]
    theirs = sum(len(found) for found in look.same_amount)
    count = sum(len(found) for found in lists) - theirs
    mine = set(look.clients)
    first = _first(lists, lambda invoice: invoice.client_id not in mine)
    if count <= 0 or not first:
        return None
    text = f"{ids_text(first, count)} of this amount lost: another client's" + (
        f", and {look.because}" if look.because else ""
    )
    return OTHER_CLIENT_SAME_AMOUNT, first[0], Reason("runner_up_amount", text)


def _other_balances(look: _Look, index: InvoiceIndex) -> _Found | None:
    total = sum(index.open_count_by_client.get((c, look.currency), 0) for c in look.clients)
    same = sum(len(found) for found in look.same_amount)
    count = total - same - (look.chosen_in_currency - look.chosen_same_amount)
    first = _first(
        [index.open_by_client.get(client, []) for client in look.clients],
        lambda invoice: (
            invoice.currency == look.currency
            and invoice.balance_minor not in look.amounts
            and invoice.id not in look.chosen
        ),
    )
    if count <= 0 or not first:
        return None
    text = (
        f"the client's {ids_text(first, count)} lost: "
        + ("not named, and " if look.because else "")
        + "the balance differs"
    )
    return SAME_CLIENT_OTHER_AMOUNT, first[0], Reason("runner_up_balance", text)


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
