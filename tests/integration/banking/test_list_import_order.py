"""The transaction list works on SQLite whatever order the models were imported in.

A foreign key column is untyped until the table it references is defined; a statement built
at import time from such a column once sent raw UUIDs to SQLite, which refuses them. Only a
fresh interpreter shows it: by the time a test runs, every model is long imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys, uuid
from payymo.banking import repository  # first, before the tenants table exists
from payymo import migrate
from payymo.banking.schemas import TransactionQuery
from payymo.db import Database

url = "sqlite:///" + sys.argv[1]
migrate.upgrade(url)
db = Database(url)
tenant = uuid.uuid4()
query = TransactionQuery.model_validate(
    {"limit": 5, "account_id": str(uuid.uuid4()), "status": "booked", "q": "x"}
)
for filters in (TransactionQuery.model_validate({}), query):
    with db.unit_of_work(tenant) as session:
        rows, cursor = repository.transaction_page(session, tenant, filters, filters)
        assert rows == [] and cursor is None
print("ok")
"""


def test_the_list_query_binds_ids_on_sqlite_in_a_fresh_interpreter(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT, str(tmp_path / "fresh.db")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
