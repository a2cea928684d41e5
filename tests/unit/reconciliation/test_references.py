import pytest

from payymo.reconciliation.engine.references import Strength, find_references


def refs(text: str, numbers: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    return [(r.value, r.strength.name) for r in find_references(text, numbers=numbers)]


@pytest.mark.parametrize(
    "text",
    [
        "Invoice 1024",
        "INV-1024 thanks",
        "INV1024",
        "#1024",
        "Rechnung Nr. 1024",
        "Facture n° 1024",
        "Factura nº 1024",
        "RE 1024 MUELLER",
        "Fattura n. 1024",
        "Rg. 1024",
        "Invoice no. 1024",
        "dated 2026-11-26 Invoice 1024",
        "EUR 12,30 Invoice 1024",
        "Invoice 1024 CHF 9,99",
        "Account no. 9178866817 #1024",
        "Kundennr. 22 Rechnung 1024",
    ],
)
def test_labelled_invoice_numbers_are_strong_references(text: str) -> None:
    assert refs(text) == [("1024", "STRONG")]


@pytest.mark.parametrize(
    "text",
    [
        "Order 1024",
        "Kundennr. 1024",
        "client 1024",
        "Sort code 20-00-00",
        "Tel. 030 1234567",
        "26.11.2026",
        "2026-11-26",
        "11/2026",
        "12.30 EUR",
        "IBAN DE89 3704 0044 0532 0130 00",
        "Acct 1234567890",
        "Q4 2026",
        "Nov 2026",
        "Hosting 2026 1024",
    ],
)
def test_numbers_that_are_not_invoices_are_ignored(text: str) -> None:
    assert refs(text) == []


def test_a_lone_number_is_a_weak_reference() -> None:
    assert refs("1024") == [("1024", "WEAK")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INV 1024 + 1025", [("1024", "STRONG"), ("1025", "STRONG")]),
        ("Rechnungen 1024 und 1025", [("1024", "STRONG"), ("1025", "STRONG")]),
        (
            "Invoice 1024, 1025 and 1026",
            [("1024", "STRONG"), ("1025", "STRONG"), ("1026", "STRONG")],
        ),
        ("#1024 #1025", [("1024", "STRONG"), ("1025", "STRONG")]),
        ("1024/1025", [("1024", "WEAK"), ("1025", "WEAK")]),
    ],
)
def test_lists_of_invoice_numbers_are_all_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert refs(text) == expected


def test_invoice_numbers_with_letters_and_dashes_are_found_whole() -> None:
    numbers = frozenset({"2026-00293"})
    assert refs("INV-2026-00293 sep 2026", numbers) == [("2026-00293", "STRONG")]
    assert refs("inv2026-00293 server", numbers) == [("2026-00293", "STRONG")]


def test_a_creditor_reference_with_a_valid_check_is_strong_and_a_wrong_one_is_not() -> None:
    found = find_references("RF18 1024".replace(" ", "") + " payment")
    assert all(r.strength is Strength.STRONG for r in found)
    assert all(r.strength is Strength.WEAK for r in find_references("RF991024"))


def test_several_scattered_bare_numbers_say_nothing() -> None:
    assert refs("1024 thanks 1025") == []
