"""Reconciliation benchmark: 1,000,000 synthetic transactions against 100,000 invoices.

Prints the engine's throughput (transactions decided per second, one core), the whole
`payymo reconcile` run's time against the time the standard library takes just to parse the
same input files, and the CLI's peak memory.

Targets (issue 5): engine >= 50,000 transactions/s; CLI total <= 3x the parse time; memory
<= 4 GB. The corpus is generated once into var/bench-corpus (about a minute) and reused.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from payymo.reconciliation.corpus import write_corpus
from payymo.reconciliation.engine import Rules, decide_all
from payymo.reconciliation.offline import parse_invoices, parse_transactions

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "var" / "bench-corpus"
INVOICES = int(os.environ.get("PAYYMO_BENCH_INVOICES", "100000"))
TRANSACTIONS = int(os.environ.get("PAYYMO_BENCH_TRANSACTIONS", "1000000"))
ENGINE_TARGET, RATIO_TARGET, MEMORY_TARGET_GB = 50_000, 3.0, 4.0


def ensure_corpus() -> None:
    marker = CORPUS / f"done-{INVOICES}-{TRANSACTIONS}"
    if marker.exists():
        return
    CORPUS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_corpus(
        CORPUS, seed=2026, invoices=INVOICES, transactions=TRANSACTIONS, today=date(2026, 11, 26)
    )
    marker.touch()
    print(f"corpus: generated in {time.perf_counter() - started:.0f} s")


def parse_only() -> float:
    started = time.perf_counter()
    for name in ("invoices.json", "transactions.json"):
        with (CORPUS / name).open("rb") as handle:
            json.load(handle)
    return time.perf_counter() - started


def engine_only() -> tuple[float, int]:
    with (CORPUS / "invoices.json").open("rb") as handle:
        invoices = parse_invoices(json.load(handle))
    with (CORPUS / "transactions.json").open("rb") as handle:
        transactions = parse_transactions(json.load(handle))
    started = time.perf_counter()
    decisions = decide_all(transactions, invoices, Rules())
    return time.perf_counter() - started, len(decisions)


def cli_run() -> tuple[float, float]:
    payymo = str(Path(sys.executable).parent / "payymo")
    out = CORPUS / "decisions.json"
    started = time.perf_counter()
    subprocess.run(
        [
            payymo,
            "reconcile",
            "--invoices",
            str(CORPUS / "invoices.json"),
            "--transactions",
            str(CORPUS / "transactions.json"),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    return elapsed, peak_gb


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> int:
    ensure_corpus()
    parse_s = parse_only()
    engine_s, decided = engine_only()
    cli_s, peak_gb = cli_run()
    rate = decided / engine_s
    ratio = cli_s / parse_s
    print(
        f"engine: {decided:,} transactions in {engine_s:.1f} s = {rate:,.0f}/s "
        f"(target >= {ENGINE_TARGET:,}): {verdict(rate >= ENGINE_TARGET)}"
    )
    print(
        f"cli: {cli_s:.1f} s vs {parse_s:.1f} s to parse the inputs = {ratio:.1f}x "
        f"(target <= {RATIO_TARGET:.0f}x): {verdict(ratio <= RATIO_TARGET)}"
    )
    print(
        f"cli peak memory: {peak_gb:.2f} GB (target <= {MEMORY_TARGET_GB:.0f}): "
        f"{verdict(peak_gb <= MEMORY_TARGET_GB)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
