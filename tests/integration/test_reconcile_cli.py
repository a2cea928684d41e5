"""`payymo reconcile`: offline decisions from a WHMCS and a GoCardless response body."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from payymo.reconciliation.corpus import write_corpus

PAYYMO = str(Path(sys.executable).parent / "payymo")


def reconcile(
    *, invoices: Path, transactions: Path, out: Path, cwd: Path, rules: Path | None = None
) -> subprocess.CompletedProcess[str]:
    args = ["--invoices", str(invoices), "--transactions", str(transactions), "--out", str(out)]
    if rules is not None:
        args += ["--rules", str(rules)]
    return subprocess.run(  # noqa: S603 - our own command
        [PAYYMO, "reconcile", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder, seed=5, invoices=600, transactions=500, today=date(2026, 11, 26))
    return folder


def test_every_transaction_gets_one_decision_and_pending_ones_are_never_auto(
    corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "decisions.json"
    result = reconcile(
        invoices=corpus / "invoices.json",
        transactions=corpus / "transactions.json",
        out=out,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    decisions = json.loads(out.read_text())["decisions"]
    body = json.loads((corpus / "transactions.json").read_text())["transactions"]
    items = body["booked"] + body.get("pending", [])
    ids = {
        i.get("transactionId") or i.get("internalTransactionId") or i.get("entryReference")
        for i in items
    }
    assert {d["transaction_id"] for d in decisions} == ids
    pending_ids = {i.get("entryReference") for i in body.get("pending", [])}
    assert all(d["status"] != "auto" for d in decisions if d["transaction_id"] in pending_ids)
    for decision in decisions:
        assert decision["status"] in {"auto", "review", "unmatched", "ignored"}
        assert 0 <= decision["confidence"] <= 1
        assert all(isinstance(a["amount"], str) for a in decision["allocations"])
    # The counts are the result, on stdout; the progress bar is on stderr.
    assert result.stdout.splitlines()[0].split()[0] == "auto"
    assert "auto-allocated" in result.stdout
    assert "deciding" in result.stderr
    assert "auto" not in result.stderr


def test_a_pending_item_without_any_id_gets_a_stable_derived_id(
    tmp_path: Path, corpus: Path
) -> None:
    tx = tmp_path / "tx.json"
    tx.write_text(
        json.dumps(
            {
                "transactions": {
                    "booked": [],
                    "pending": [
                        {
                            "transactionAmount": {"amount": "9.99", "currency": "EUR"},
                            "remittanceInformationUnstructured": "Invoice 1001",
                        }
                    ],
                }
            }
        )
    )
    ids = []
    for run in range(2):
        out = tmp_path / f"out{run}.json"
        result = reconcile(
            invoices=corpus / "invoices.json",
            transactions=tx,
            out=out,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        (decision,) = json.loads(out.read_text())["decisions"]
        ids.append(decision["transaction_id"])
        assert decision["status"] != "auto"
    assert ids[0] == ids[1]
    assert ids[0].startswith("derived-")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"result": "error"}', "not a GetInvoices response"),
        (
            '{"result": "success", "invoices": {"invoice": [{"id": 1, "total": 9.99, '
            '"currencycode": "EUR"}]}}',
            "decimal string",
        ),
        (
            '{"result": "success", "invoices": {"invoice": [{"id": 1, '
            '"total": "9999999999999999999999999999.99", "currencycode": "EUR"}]}}',
            "amount out of range",
        ),
    ],
)
def test_a_bad_invoices_file_is_a_one_line_error_naming_it(
    tmp_path: Path, corpus: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = reconcile(
        invoices=bad,
        transactions=corpus / "transactions.json",
        out=tmp_path / "out.json",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert str(bad) in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.json").exists()


def test_a_missing_transactions_file_is_named(tmp_path: Path, corpus: Path) -> None:
    result = reconcile(
        invoices=corpus / "invoices.json",
        transactions=tmp_path / "missing.json",
        out=tmp_path / "o.json",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "missing.json" in result.stderr


def test_rules_from_toml_are_validated(tmp_path: Path, corpus: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('reference_patterns = ["(unclosed"]\n')
    result = reconcile(
        invoices=corpus / "invoices.json",
        transactions=corpus / "transactions.json",
        rules=rules,
        out=tmp_path / "o.json",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "rules.toml" in result.stderr
    assert "reference_patterns" in result.stderr


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [(r"(a)\1", r"invalid escape sequence: \1"), (r"(?<!\d)(\d+)", "invalid perl operator: (?<!")],
)
def test_a_pattern_re2_refuses_in_a_rules_file_is_a_one_line_error_naming_it(
    tmp_path: Path, corpus: Path, pattern: str, reason: str
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(f"reference_patterns = ['INV(\\d+)', '{pattern}']\n")
    result = reconcile(
        invoices=corpus / "invoices.json",
        transactions=corpus / "transactions.json",
        rules=rules,
        out=tmp_path / "o.json",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert f"{rules}: reference_patterns.1: RE2 cannot use this pattern: {reason}" in line
    assert not (tmp_path / "o.json").exists()


def test_the_catastrophic_pattern_in_a_rules_file_does_not_stall_the_run(
    tmp_path: Path, corpus: Path
) -> None:
    # Under Python's re, "(a+)+$" needs 20 s for 28 characters, doubling with each one more.
    credit = {
        "transactionId": "long-remittance",
        "bookingDate": "2026-11-20",
        "transactionAmount": {"amount": "29.00", "currency": "EUR"},
        "debtorName": "Anna Muller",
        "remittanceInformationUnstructured": "a" * 5000 + "!",
    }
    transactions = tmp_path / "transactions.json"
    transactions.write_text(json.dumps({"transactions": {"booked": [credit], "pending": []}}))
    rules = tmp_path / "rules.toml"
    rules.write_text("reference_patterns = ['(a+)+$']\n")
    result = reconcile(
        invoices=corpus / "invoices.json",
        transactions=transactions,
        rules=rules,
        out=tmp_path / "o.json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    [decision] = json.loads((tmp_path / "o.json").read_text())["decisions"]
    assert decision["transaction_id"] == "long-remittance"


def test_an_unwritable_out_path_is_named_without_a_traceback(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "no-such-folder" / "decisions.json"
    result = reconcile(
        invoices=corpus / "invoices.json",
        transactions=corpus / "transactions.json",
        out=out,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert str(out) in last
    assert "cannot write" in last
    assert "Traceback" not in result.stderr
