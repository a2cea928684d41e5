"""`python -m payymo.reconciliation.corpus --seed 1 --invoices 2000 --transactions 5000 --out D`"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from .output import write_corpus

DEFAULT_TODAY = date(2026, 11, 26)  # fixed, so a seed means the same corpus on any day


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m payymo.reconciliation.corpus",
        description="Write a labelled reconciliation corpus: invoices.json (WHMCS GetInvoices), "
        "transactions.json (GoCardless transactions) and truth.json.",
    )
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--invoices", type=int, required=True)
    parser.add_argument("--transactions", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    args = parser.parse_args(argv)
    if args.invoices < 0 or args.transactions < 0:
        parser.error("--invoices and --transactions must not be negative")
    summary = write_corpus(
        args.out,
        seed=args.seed,
        invoices=args.invoices,
        transactions=args.transactions,
        today=args.today,
    )
    sys.stderr.write(summary.line() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
