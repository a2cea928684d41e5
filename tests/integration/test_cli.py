"""The `payymo` command, run as a user runs it: a subprocess with an environment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PostgresDatabase, require_postgres

PAYYMO = str(Path(sys.executable).parent / "payymo")
PASSWORD = "correct horse battery staple"


def run(
    *args: str, env: dict[str, str], stdin: str | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command with fixed arguments
        [PAYYMO, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PAYYMO_", "DATABASE_"))}
    clean.update(
        PAYYMO_ENV="testing",
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        LOG_LEVEL="WARNING",
    )
    for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "REDIS_URL"):
        clean.pop(name, None)
    return clean


def test_production_without_secrets_exits_non_zero_naming_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["PAYYMO_ENV"] = "production"
    del env["DATABASE_URL"]
    result = run("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("login", "refusal"),
    [("admin_url", "bypasses row-level security"), ("owner_url", "owns the schema")],
)
def test_production_refuses_a_database_role_that_bypasses_rls(
    env: dict[str, str],
    tmp_path: Path,
    postgres_database: PostgresDatabase,
    login: str,
    refusal: str,
) -> None:
    require_postgres()
    env.update(
        PAYYMO_ENV="production",
        SECRET_KEY="x" * 32,
        ENCRYPTION_KEYS="ZGV2LWluc2VjdXJlLWVuY3J5cHRpb24ta2V5LTAwMDA=",
        DATABASE_URL=getattr(postgres_database, login),
        SMTP_HOST="smtp.example.com",
    )
    result = run("serve", "--port", str(_free_port()), env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert refusal in result.stderr


def test_tenant_and_user_creation_from_the_command_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    created = run("tenant", "create", "Acme Hosting", env=env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "acme-hosting" in created.stdout
    user = run(
        "user",
        "create",
        "--tenant",
        "acme-hosting",
        "--email",
        "ann@example.com",
        "--role",
        "owner",
        "--password-stdin",
        env=env,
        stdin=PASSWORD + "\n",
        cwd=tmp_path,
    )
    assert user.returncode == 0, user.stderr
    assert "ann@example.com (owner)" in user.stdout
    assert PASSWORD not in user.stdout + user.stderr


def test_bad_input_is_one_line_and_a_non_zero_exit(env: dict[str, str], tmp_path: Path) -> None:
    run("db", "upgrade", env=env, cwd=tmp_path)
    run("tenant", "create", "Acme", env=env, cwd=tmp_path)
    cases = [
        run("tenant", "create", "Acme", env=env, cwd=tmp_path),
        run(
            "user",
            "create",
            "--tenant",
            "nope",
            "--email",
            "a@b.co",
            "--role",
            "owner",
            "--password-stdin",
            env=env,
            stdin=PASSWORD,
            cwd=tmp_path,
        ),
        run(
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "a@b.co",
            "--role",
            "owner",
            "--password-stdin",
            env=env,
            stdin="short",
            cwd=tmp_path,
        ),
    ]
    for result in cases:
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert "already exists" in cases[0].stderr
    assert "no tenant 'nope'" in cases[1].stderr
    assert "password" in cases[2].stderr


def test_an_unreachable_database_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    env["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = run("tenant", "create", "Acme", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: database unavailable")
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_check_agrees_after_upgrade(env: dict[str, str], tmp_path: Path) -> None:
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    result = run("db", "check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "agree" in result.stdout
    assert run("db", "downgrade", "base", env=env, cwd=tmp_path).returncode == 0


def test_serve_answers_health_and_readiness_then_stops_on_ctrl_c(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    port = _free_port()
    env["LOG_LEVEL"] = "INFO"
    server = subprocess.Popen(  # noqa: S603 - our own command
        [PAYYMO, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert f"http://127.0.0.1:{port}" in out
    assert '"path": "/readyz"' in out


def test_serve_on_a_port_in_use_says_so_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use (is another Payymo"
        " running? stop it, or pass --port / set PORT)"
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(url: str, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_keys_rotate_re_encrypts_stored_secrets_under_the_first_key(
    env: dict[str, str], tmp_path: Path
) -> None:
    from payymo.crypto import SecretBox, generate_key  # noqa: PLC0415
    from payymo.db import Database  # noqa: PLC0415
    from payymo.invoicing.models import WhmcsConnection  # noqa: PLC0415
    from payymo.settings import DEV_ENCRYPTION_KEY  # noqa: PLC0415
    from payymo.tenants.services import create_tenant  # noqa: PLC0415

    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    db = Database(env["DATABASE_URL"])
    owner = create_tenant(db, name="Acme")
    with db.unit_of_work(owner.id) as session:
        session.add(
            WhmcsConnection(
                tenant_id=owner.id,
                base_url="https://billing.example.com",
                identifier_encrypted=SecretBox((DEV_ENCRYPTION_KEY,)).encrypt("the-identifier"),
                secret_encrypted=SecretBox((DEV_ENCRYPTION_KEY,)).encrypt("the-secret"),
            )
        )
    new = generate_key()
    env["ENCRYPTION_KEYS"] = f"{new},{DEV_ENCRYPTION_KEY}"
    result = run("keys", "rotate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "re-encrypted 2 secret(s) in 1 tenant(s)" in result.stdout
    with db.unit_of_work(owner.id) as session:
        row = session.query(WhmcsConnection).one()
        assert SecretBox((new,)).decrypt(row.secret_encrypted) == "the-secret"
    db.dispose()
