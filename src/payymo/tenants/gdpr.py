"""Personal-data rights for a whole tenant: export everything, or purge everything."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
import zipfile
from typing import IO, Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from payymo.models import Base

# Credentials are never exported, even to their owner: hashes and encrypted secrets stay put.
_SECRET_SUFFIXES = ("_hash", "_hashes", "_encrypted")


def _exportable(table: Table) -> list[str]:
    return [c.name for c in table.columns if not c.name.endswith(_SECRET_SUFFIXES)]


def _tables() -> list[tuple[Table, str]]:
    found: list[tuple[Table, str]] = [(Base.metadata.tables["tenants"], "id")]
    found += [(t, "tenant_id") for t in Base.metadata.sorted_tables if "tenant_id" in t.columns]
    return found


def write_archive(session: Session, tenant_id: uuid.UUID) -> IO[bytes]:
    """A zip with `<table>.json` and `<table>.csv` for every table holding the tenant's data."""
    archive = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 - returned open
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        manifest: dict[str, int] = {}
        for table, key in _tables():
            columns = _exportable(table)
            rows = [
                dict(r._mapping)
                for r in session.execute(
                    select(*(table.c[name] for name in columns)).where(table.c[key] == tenant_id)
                )
            ]
            manifest[table.name] = len(rows)
            zf.writestr(f"{table.name}.json", json.dumps(rows, default=str, indent=1))
            zf.writestr(f"{table.name}.csv", _csv(columns, rows))
        zf.writestr("manifest.json", json.dumps({"tenant_id": str(tenant_id), "rows": manifest}))
    archive.seek(0)
    return archive


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
        )
    return out.getvalue()
