"""The Stripe leg: which invoice each card payment (charge or payment intent) pays.

Evidence, strongest first: the invoice id WHMCS's Stripe module writes into the payment's
metadata (`whmcs_invoice_id`), an invoice reference in the description ("Invoice #1024"), and
the client the Stripe customer is known to be. Allocations are the net amount that reaches the
payout, with Stripe's fee as the allocation's fee (posted as WHMCS `fees`), so amount + fee is
the gross the customer paid.

`auto` needs an invoice id from the metadata or a labelled reference in the description (the
two must not disagree), the same currency, an Unpaid invoice, and the gross equal to its
balance. Partial payments, overpayments, other currencies, closed invoices and partly refunded
payments go to review with a suggestion; failed, pending and fully refunded ones are ignored.
Pure: no I/O, same answer in any order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from payymo.money import Money
from payymo.reconciliation.engine.index import InvoiceIndex, number_key
from payymo.reconciliation.engine.references import Strength, find_references
from payymo.reconciliation.engine.types import (
    OPEN_STATUS,
    Allocation,
    Decision,
    EngineInvoice,
    Reason,
    Rules,
    Status,
)

SUCCEEDED = "succeeded"


@dataclass(frozen=True, slots=True)
class EngineCardPayment:
    id: str
    status: str  # Stripe's: succeeded, pending, failed, requires_payment_method, ...
    amount_minor: int  # gross, what the customer paid
    fee_minor: int  # Stripe's fee
    refunded_minor: int
    currency: str
    description: str = ""
    invoice_id: str | None = None  # metadata whmcs_invoice_id
    client_id: str | None = None  # metadata whmcs_client_id
    customer_id: str | None = None


def decide_card_payments(
    payments: Iterable[EngineCardPayment], invoices: Iterable[EngineInvoice], rules: Rules
) -> list[Decision]:
    """One decision per distinct payment id, sorted by id."""
    index = InvoiceIndex.build(invoices)
    unique = {p.id: p for p in sorted(payments, key=lambda p: p.id)}
    customers = _known_customers(unique.values(), index, rules)
    return [decide_card_payment(unique[pid], index, rules, customers) for pid in sorted(unique)]


def decide_card_payment(
    payment: EngineCardPayment,
    index: InvoiceIndex,
    rules: Rules,
    customers: Mapping[str, str],
) -> Decision:
    if payment.status != SUCCEEDED:
        return _plain(payment, Status.IGNORED, "not_succeeded", f"the payment {payment.status}")
    if payment.refunded_minor >= payment.amount_minor:
        return _plain(payment, Status.IGNORED, "refunded", "the payment was refunded in full")
    invoice, reasons = _referenced(payment, index, rules)
    if invoice is None and not reasons:
        return _by_customer(payment, index, customers)
    if invoice is None:
        return Decision(payment.id, Status.REVIEW, payment.currency, 0.3, (), tuple(reasons))
    return _judge(payment, invoice, reasons)


def _referenced(
    payment: EngineCardPayment, index: InvoiceIndex, rules: Rules
) -> tuple[EngineInvoice | None, list[Reason]]:
    """The invoice the payment names, and the reasons; (None, reasons) if they conflict."""
    from_metadata = index.by_id.get(number_key(payment.invoice_id)) if payment.invoice_id else None
    if payment.invoice_id and from_metadata is None:
        return None, [
            Reason(
                "unknown_invoice",
                f"metadata names invoice {payment.invoice_id}, which WHMCS does not have",
            )
        ]
    refs = [
        r
        for r in find_references(
            payment.description, rules.reference_patterns, numbers=index.compound_numbers
        )
        if r.strength is Strength.STRONG
    ]
    named = {i.id: i for r in refs for i in index.resolve(r.value)}
    if from_metadata is not None:
        if named and from_metadata.id not in named:
            return None, [
                Reason(
                    "conflicting_references",
                    f"metadata names invoice {from_metadata.id} but the description names "
                    f"{', '.join(sorted(named))}",
                )
            ]
        return from_metadata, [
            Reason("metadata_invoice", f"Stripe metadata names invoice {from_metadata.id}")
        ]
    if len(named) == 1:
        invoice = next(iter(named.values()))
        return invoice, [Reason("reference", f"the description names invoice {invoice.id}")]
    if len(named) > 1:
        listed = ", ".join(sorted(named))
        return None, [Reason("several_references", f"the description names {listed}")]
    return None, []


def _judge(payment: EngineCardPayment, invoice: EngineInvoice, reasons: list[Reason]) -> Decision:
    """Auto for the exact balance of an open invoice; otherwise review with a suggestion."""
    gross, fee = payment.amount_minor, payment.fee_minor
    if invoice.currency != payment.currency:
        reasons.append(Reason("wrong_currency", f"invoice {invoice.id} is in {invoice.currency}"))
        return Decision(payment.id, Status.REVIEW, payment.currency, 0.5, (), tuple(reasons))
    if invoice.status != OPEN_STATUS or invoice.balance_minor <= 0:
        reasons.append(
            Reason(
                "invoice_not_open",
                f"invoice {invoice.id} is {invoice.status}: possibly paid twice",
            )
        )
        return Decision(payment.id, Status.REVIEW, payment.currency, 0.5, (), tuple(reasons))
    if payment.refunded_minor:
        reasons.append(Reason("partly_refunded", "part of the payment was refunded"))
        return _suggest(
            payment, invoice, min(gross - payment.refunded_minor, invoice.balance_minor), reasons
        )
    if gross == invoice.balance_minor:
        reasons.append(Reason("exact_amount", "the payment is the invoice's balance"))
        allocation = Allocation(invoice.id, gross - fee, fee)
        return Decision(
            payment.id, Status.AUTO, payment.currency, 1.0, (allocation,), tuple(reasons)
        )
    if gross < invoice.balance_minor:
        reasons.append(Reason("partial", "the payment is less than the invoice's balance"))
        return _suggest(payment, invoice, gross, reasons)
    surplus = Money.from_minor(gross - invoice.balance_minor, payment.currency)
    reasons.append(Reason("overpaid", f"the payment exceeds the balance by {surplus}: credit it"))
    return _suggest(payment, invoice, invoice.balance_minor, reasons)


def _suggest(
    payment: EngineCardPayment, invoice: EngineInvoice, gross: int, reasons: list[Reason]
) -> Decision:
    """Review with `gross` of the payment on `invoice`, Stripe's fee included."""
    fee = min(payment.fee_minor, gross)
    allocations = (Allocation(invoice.id, gross - fee, fee),) if gross - fee > 0 else ()
    return Decision(payment.id, Status.REVIEW, payment.currency, 0.7, allocations, tuple(reasons))


def _by_customer(
    payment: EngineCardPayment, index: InvoiceIndex, customers: Mapping[str, str]
) -> Decision:
    client = payment.client_id or (customers.get(payment.customer_id or "") or None)
    if client is None:
        return _plain(payment, Status.UNMATCHED, "no_reference", "no invoice is named")
    fitting = [
        i
        for i in index.open_by_client.get(client, ())
        if i.currency == payment.currency and i.balance_minor == payment.amount_minor
    ]
    if len(fitting) != 1:
        why = "none" if not fitting else f"{len(fitting)}"
        return _plain(
            payment,
            Status.UNMATCHED,
            "no_reference",
            f"no invoice is named, and {why} of client {client}'s open invoices fit the amount",
        )
    reasons = [
        Reason(
            "customer_amount",
            f"no invoice is named; invoice {fitting[0].id} is the one open invoice of client "
            f"{client} with this amount",
        )
    ]
    fee = payment.fee_minor
    allocation = Allocation(fitting[0].id, payment.amount_minor - fee, fee)
    return Decision(payment.id, Status.REVIEW, payment.currency, 0.6, (allocation,), tuple(reasons))


def _known_customers(
    payments: Iterable[EngineCardPayment], index: InvoiceIndex, rules: Rules
) -> dict[str, str]:
    """Stripe customer -> WHMCS client, from payments that name their invoice (one client)."""
    seen: dict[str, set[str]] = {}
    for payment in payments:
        if not payment.customer_id:
            continue
        invoice, _ = _referenced(payment, index, rules)
        client = payment.client_id or (invoice.client_id if invoice is not None else None)
        if client is not None:
            seen.setdefault(payment.customer_id, set()).add(client)
    return {customer: next(iter(c)) for customer, c in seen.items() if len(c) == 1}


def _plain(payment: EngineCardPayment, status: Status, code: str, text: str) -> Decision:
    confidence = 1.0 if status is Status.IGNORED else 0.0
    return Decision(payment.id, status, payment.currency, confidence, (), (Reason(code, text),))
