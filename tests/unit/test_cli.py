"""The `payymo` command module: what it loads, and what it offers."""

from __future__ import annotations

import subprocess
import sys


def test_the_offline_reconcile_command_loads_no_web_database_or_queue_library() -> None:
    script = (
        "import sys\n"
        "import payymo.cli\n"
        "from payymo.reconciliation import offline, engine\n"
        "heavy = ('flask', 'sqlalchemy', 'celery', 'alembic', 'pydantic', 'werkzeug')\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))\n"
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert loaded == ""
