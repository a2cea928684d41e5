"""A labelled, seeded corpus to build the matching engine on and to measure it against.

`generate_corpus(seed=, invoices=, transactions=, today=)` returns a WHMCS `GetInvoices` body
(every status, with a `balance` on partly paid invoices), a GoCardless Bank Account Data
`/accounts/{id}/transactions/` body for one multi-currency business account, and the truth for
each entry. `python -m payymo.reconciliation.corpus --seed 1 --invoices 2000 --transactions 5000
--out DIR` streams the same three documents to DIR/invoices.json, transactions.json, truth.json.
The same arguments always give byte-identical output; invoices depend only on seed and count.
Money is integer cents inside and decimal strings outside: no amount is ever a float, and no
float reaches the output.

Truth, keyed by `transactionId` (by `entryReference` for pending entries, which have no id):
`{"kind": ..., "invoices": [{"invoice_id": "1024", "amount": "12.30"}], "clear": bool,
"traits": [...]}`, plus `"fee"` (fee_deducted: sum of amounts - fee = entry amount) or
`"excess"` (overpayment: sum + excess = entry amount). Otherwise the amounts add up to the
entry's amount. `clear` means: an unambiguous reference in a listed format (`references`) to
open invoice(s), the exact balance(s), and a kind where auto is expected. Traits say how it
was made (`payer:spouse`, `field:array`, `ref:invoicenum`, `distractor:date`, `twin`, ...).

Kinds (share of entries when invoices are plentiful; engine status; auto):

  kind                        share  status     auto      what
  exact_reference             38.0%  auto       expected  one invoice, listed format, exact
  multi_reference              3.0%  auto       expected  "INV 1024 + 1025", "1024/1025", exact
  duplicate_delivery           1.0%  auto       expected  an exact_reference delivered twice
                                                          with the same ids: post it once
  multi_subset                 1.5%  review     allowed   unlisted; the only set of the
                                                          client's open invoices with that sum
  partial                      2.5%  review     allowed   clear reference, >= 2.00 short
  fee_deducted                 2.5%  review     allowed   clear reference, 0.02-1.50 short
  name_only                    4.0%  review     allowed   no reference; client's name and IBAN
  overpayment                  1.5%  review     never     clear reference, more than owed
  wrong_currency               1.0%  review     never     right number, other currency
  typo_reference               1.0%  review     never     id with swapped (or dropped) digits
  amount_only                  3.0%  review     never     no reference, unknown payer
  pending                      2.5%  review     never     not booked; 40% also appear booked
                                                          (as exact_reference, other text)
  paid_or_cancelled_reference  2.5%  review     never     total of a Paid/Cancelled invoice
  unrelated_credit             8.0%  unmatched  never     interest, refunds, own transfers
  stripe_payout                4.0%  ignored    never     "STRIPE PAYOUT", "STRIPE TRANSFER"
  debit                       24.0%  ignored    never     suppliers, salaries, card, refunds

"allowed" means an auto counts as correct only with exactly the truth's invoices and amounts.
The paying kinds need about 0.68 open invoices per entry and about 62% of invoices are open, so
the shares above hold while invoices >= 1.1 x transactions. With fewer invoices the paying kinds
shrink together to what 95% of the open invoices can feed, and the rest of the entries go to
the last four kinds in their own proportions: seed 1 with 2000 invoices / 5000 transactions
gives 13.4% exact_reference and 22% paying entries in all; 100k / 1M gives 3.3% and 5.4%.

The books: 1 client per 3.4 invoices (thousands for large runs), most paying one of the same
plan prices (4.99 9.99 14.95 29.00 59.00 119.00; x10 in SEK) plus domains, yearly terms and VAT
for consumers, so amounts alone are ambiguous. Clients: EUR 50% (DE NL FR ES IE), GBP 22%,
USD 16%, CHF 4%, SEK 3%, CAD 3%, AUD 2%; 45% companies. Invoice status: Unpaid 62% (7% of those
of 10.00 or more, 5.5% of all, partly paid), Paid 24%, Cancelled 6%, Draft 3%, Refunded 2%,
Collections 2%, Payment Pending 1%. invoicenum: empty 45%, "2026-00042" 30%, a plain sequence
starting above every id 25%. Ids start at 1001 in date order, with a rare gap.

Payments of invoices (shares measured on seed 1): the reference in
remittanceInformationUnstructured 74%, only in the 35-character lines of
remittanceInformationUnstructuredArray 18%, in remittanceInformationStructured 8% (half as ISO
11649 RF references); the invoicenum quoted 30% of the time there is one; upper case 30%,
lower 15%, folded to ASCII 8%; a leading word 12%, a trailing word or the client's name 35%;
distractor numbers (dates, sort codes, phone, IBAN and account numbers, customer numbers,
order numbers in the invoice-id range, amounts, periods) in a third of listed references (never
beside a bare "1024") and 40-50% of texts without one. Payers: the name as registered 32%,
reordered 14%, accents stripped or transliterated 13%, upper case 11%, initials 7%, with a
title 7%, another legal form ("Limited", "GMBH") or truncated 4%, absent 3%, unknown (amount
only) 5%, a spouse 2% or an accountant 2% (who pays for several clients). Each client pays from
one IBAN (a second one 30% of the time for the 12% that have two), so IBANs are learnable.

Deliberate traps besides the distractors: Stripe payouts and supplier credit notes that equal
a plan price, credit notes and debits quoting labelled numbers in the invoice-id range, client
top-ups from a known IBAN that match no open invoice, typo numbers that are other invoices.
"""

from __future__ import annotations

from .categories import (
    AUTO_ALLOWED,
    AUTO_EXPECTED,
    AUTO_NEVER,
    BY_NAME,
    CATEGORIES,
    KINDS,
    Category,
)
from .output import Corpus, Summary, generate_corpus, write_corpus

__all__ = [
    "AUTO_ALLOWED",
    "AUTO_EXPECTED",
    "AUTO_NEVER",
    "BY_NAME",
    "CATEGORIES",
    "KINDS",
    "Category",
    "Corpus",
    "Summary",
    "generate_corpus",
    "write_corpus",
]
