"""The words around numbers in remittance text, in the languages payers write them in."""

from __future__ import annotations

INVOICE_WORDS = frozenset(
    [
        "invoice",
        "invoices",
        "inv",
        "invno",
        "rechnung",
        "rechnungen",
        "rechnungsnr",
        "rechnungsnummer",
        "re",
        "rg",
        "rgnr",
        "factuur",
        "facturen",
        "factuurnummer",
        "factuurnr",
        "facture",
        "factures",
        "factura",
        "facturas",
        "fattura",
        "fatture",
        "faktura",
        "fakturanr",
        "fakturanummer",
        "bill",
        "proforma",
        "nota",
    ]
)
# Words that may stand between an invoice word and its number.
FILLERS = frozenset(
    ["no", "nr", "n", "nº", "n°", "number", "num", "nummer", "numero", "número", "nro"]
)
# Labels that claim the following number for something other than an invoice.
OTHER_WORDS = frozenset(
    [
        "order",
        "orders",
        "bestellung",
        "auftrag",
        "commande",
        "pedido",
        "ordine",
        "customer",
        "client",
        "kunde",
        "kundennr",
        "kdnr",
        "kd",
        "klant",
        "klantnummer",
        "klantnr",
        "id",
        "account",
        "acct",
        "konto",
        "kontonr",
        "tel",
        "phone",
        "fax",
        "mobile",
        "sc",
        "sort",
        "code",
        "iban",
        "bic",
        "vat",
        "ust",
        "mwst",
        "ticket",
        "contract",
        "vertrag",
        "period",
        "quarter",
        "amount",
        "betrag",
        "eur",
        "usd",
        "gbp",
        "chf",
        "sek",
        "cad",
        "aud",
    ]
)
LIST_JOINERS = frozenset(["and", "und", "en", "et", "y", "e"])
LIST_PUNCT = frozenset("+/,&")
SKIPPABLE_PUNCT = frozenset("#:.-°º")
