import json
import logging

import pytest

from payymo.logs import REDACTED, bind_context, clear_context, configure_logging, get_logger


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> object:
    configure_logging("INFO")
    clear_context()

    def read() -> list[dict[str, object]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]

    return read


def test_log_lines_are_json_with_timestamp_level_event_and_context(log_lines) -> None:  # type: ignore[no-untyped-def]
    bind_context(request_id="req-1", tenant_id="t-1")
    get_logger("test").info("something_happened", count=3)
    clear_context()
    (line,) = log_lines()
    assert line["event"] == "something_happened"
    assert line["level"] == "info"
    assert line["request_id"] == "req-1"
    assert line["tenant_id"] == "t-1"
    assert line["count"] == 3
    assert "timestamp" in line


def test_secrets_are_redacted_by_field_name(log_lines) -> None:  # type: ignore[no-untyped-def]
    get_logger("test").info(
        "connect", password="hunter2", api_key="sk_live_x", headers={"Authorization": "Bearer y"}
    )
    (line,) = log_lines()
    assert line["password"] == REDACTED
    assert line["api_key"] == REDACTED
    assert line["headers"] == {"Authorization": REDACTED}
    assert "hunter2" not in json.dumps(line)


def test_ibans_in_free_text_are_masked(log_lines) -> None:  # type: ignore[no-untyped-def]
    get_logger("test").info("payment from GB33BUKB20201555555555 received")
    (line,) = log_lines()
    assert "GB33BUKB20201555555555" not in line["event"]  # type: ignore[operator]
    assert "5555" in line["event"]  # type: ignore[operator]


def test_stdlib_loggers_are_rendered_as_json_too(log_lines) -> None:  # type: ignore[no-untyped-def]
    logging.getLogger("alembic.runtime").warning("plain stdlib message")
    (line,) = log_lines()
    assert line["event"] == "plain stdlib message"
    assert line["level"] == "warning"
    assert line["request_id"] is None


def test_tokens_in_free_text_are_masked(log_lines) -> None:  # type: ignore[no-untyped-def]
    token = "prt_0123456789abcdef0123456789abcdef_" + "s3cretRandomPart-" * 3
    get_logger("test").info(f"link sent: https://x.test/reset-password?token={token}", to=token)
    (line,) = log_lines()
    assert token not in json.dumps(line)
    assert line["to"] == "prt_0123456789abcdef0123456789abcdef_***"
