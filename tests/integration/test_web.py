"""The web basics: probes, problem+json errors, request ids and request logs (on SQLite)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Blueprint, Flask, jsonify
from flask.testing import FlaskClient
from pydantic import BaseModel, Field

from payymo.app import create_app
from payymo.http import json_body
from tests.conftest import REDIS_URL, make_settings, require_redis

LogReader = Callable[[], list[dict[str, object]]]


class Payment(BaseModel):
    amount: str = Field(pattern=r"^\d+\.\d{2}$")
    currency: str = Field(min_length=3, max_length=3)


def _probe_blueprint() -> Blueprint:
    """Routes that exercise the shared request machinery the API endpoints are built on."""
    probe = Blueprint("probe", __name__)

    @probe.post("/_test/payments")
    def create_payment() -> object:
        body = json_body(Payment)
        return jsonify(amount=body.amount, currency=body.currency), 201

    @probe.get("/_test/boom")
    def boom() -> object:
        raise RuntimeError("database password is hunter2")

    return probe


@pytest.fixture
def app(sqlite_url: str) -> Flask:
    application = create_app(make_settings(database_url=sqlite_url, log_level="INFO"))
    application.register_blueprint(_probe_blueprint())
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> LogReader:
    def read() -> list[dict[str, object]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]

    return read


def test_healthz_answers_without_touching_anything(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database_and_its_migrations(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_readyz_is_503_naming_an_unmigrated_database(tmp_path: Path) -> None:
    app = create_app(make_settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert "migrations" in response.json["detail"]
    assert response.json["checks"]["database"] == "ok"


def test_readyz_is_503_naming_redis_when_it_is_configured_but_down(sqlite_url: str) -> None:
    app = create_app(make_settings(database_url=sqlite_url, redis_url="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["detail"] == "not ready: redis"
    assert response.json["checks"]["redis"].startswith("failed")


@pytest.mark.redis
def test_readyz_includes_redis_when_configured(sqlite_url: str) -> None:
    require_redis()
    app = create_app(make_settings(database_url=sqlite_url, redis_url=REDIS_URL))
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["checks"]["redis"] == "ok"


def test_unknown_path_is_a_404_problem_without_a_traceback(
    client: FlaskClient, logs: LogReader
) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert response.json["type"].endswith("/not-found")
    assert response.json["status"] == 404
    assert response.json["instance"] == "/no/such/thing"
    _assert_no_traceback(logs())


def test_wrong_method_is_a_405_problem_with_allow(client: FlaskClient) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_a_400_problem_without_a_traceback(
    client: FlaskClient, logs: LogReader
) -> None:
    response = client.post(
        "/_test/payments", data='{"amount": "12.30",', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert response.json["type"].endswith("/malformed-json")
    _assert_no_traceback(logs())


def test_a_body_that_is_not_json_is_a_400_problem(client: FlaskClient) -> None:
    response = client.post("/_test/payments", data="amount=1", content_type="text/plain")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_invalid_fields_are_a_422_problem_listing_each_field(client: FlaskClient) -> None:
    response = client.post("/_test/payments", json={"amount": "12.3"})
    assert response.status_code == 422
    assert response.json is not None
    fields = {error["field"] for error in response.json["errors"]}
    assert fields == {"amount", "currency"}


def test_valid_json_reaches_the_view(client: FlaskClient) -> None:
    response = client.post("/_test/payments", json={"amount": "12.30", "currency": "EUR"})
    assert response.status_code == 201
    assert response.json == {"amount": "12.30", "currency": "EUR"}


def test_an_unexpected_error_is_a_500_problem_that_leaks_nothing(
    client: FlaskClient, logs: LogReader
) -> None:
    response = client.get("/_test/boom", headers={"X-Request-ID": "req-boom"})
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    text = response.get_data(as_text=True)
    assert "hunter2" not in text
    assert "Traceback" not in text
    assert response.json is not None
    assert response.json["request_id"] == "req-boom"
    error_lines = [line for line in logs() if line["event"] == "unhandled_error"]
    assert error_lines
    assert error_lines[0]["request_id"] == "req-boom"


def test_the_request_id_is_taken_from_the_header_and_echoed(
    client: FlaskClient, logs: LogReader
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    (line,) = [entry for entry in logs() if entry["event"] == "request"]
    assert line["request_id"] == "abc-123"
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert "tenant_id" in line
    assert "timestamp" in line


@pytest.mark.parametrize("incoming", ["", "x" * 200, "bad id with spaces", "a\u00e9b"])
def test_a_missing_or_unsafe_request_id_is_replaced(client: FlaskClient, incoming: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    generated = response.headers["X-Request-ID"]
    assert generated != incoming
    assert len(generated) == 32


def _assert_no_traceback(lines: list[dict[str, object]]) -> None:
    assert lines, "expected a request log line"
    for line in lines:
        assert "exception" not in line
        assert "Traceback" not in json.dumps(line)
