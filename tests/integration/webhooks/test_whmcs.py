"""WHMCS deliveries from Payymo's hook script: `v1=` HMAC over `<timestamp>.<body>`, within
300 s of Payymo's clock either way; a valid one refreshes the invoice snapshot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from payymo.sandbox.common import SimServer
from payymo.webhooks.models import WebhookEventStatus
from tests.integration.api.helpers import ok, problem
from tests.integration.webhooks.conftest import Hooks, whmcs_signed

PHP = shutil.which("php")
HOOK_SCRIPT = Path(__file__).resolve().parents[3] / (
    "src/payymo/integrations/whmcs/payymo_hooks.php"
)
# What WHMCS provides a hooks file: the WHMCS constant, add_hook and logActivity.
WHMCS_STUB = """<?php
define('WHMCS', true);
$hooks = array();
function add_hook($name, $priority, $fn) { $GLOBALS['hooks'][$name][] = $fn; }
function logActivity($message) { fwrite(STDERR, $message . "\\n"); }
require $argv[1];
foreach ($GLOBALS['hooks'][$argv[2]] as $fn) { $fn(array('invoiceid' => (int) $argv[3])); }
"""


def whmcs_event(kind: str = "InvoicePaid", **extra: Any) -> bytes:
    event = {"id": uuid.uuid4().hex, "event": kind, "invoiceid": 1001}
    return json.dumps({**event, "occurred_at": "2026-11-26T09:00:00Z", **extra}).encode()


def test_a_signed_invoice_event_is_stored_once_and_syncs_invoices(hooks: Hooks) -> None:
    created = hooks.rotate("whmcs")
    body = whmcs_event()
    signed = whmcs_signed(body, created["secret"], hooks.now())

    assert ok(hooks.post(created["url"], body, signed)) == {"received": 1, "stored": 1}
    assert ok(hooks.post(created["url"], body, signed)) == {"received": 1, "stored": 0}

    [stored] = hooks.events("whmcs")
    assert (stored.event_type, stored.status) == ("InvoicePaid", WebhookEventStatus.PROCESSED)
    assert stored.payload["invoiceid"] == "1001"
    assert hooks.jobs("invoice_sync") == 1


def test_other_whmcs_events_are_ignored(hooks: Hooks) -> None:
    created = hooks.rotate("whmcs")
    body = whmcs_event("ClientAdd")
    ok(hooks.post(created["url"], body, whmcs_signed(body, created["secret"], hooks.now())))

    [stored] = hooks.events("whmcs")
    assert stored.status is WebhookEventStatus.IGNORED
    assert hooks.jobs("invoice_sync") == 0


def test_a_bad_signature_or_timestamp_is_refused_and_nothing_is_stored(hooks: Hooks) -> None:
    created = hooks.rotate("whmcs")
    body, now = whmcs_event(), hooks.now()
    right = whmcs_signed(body, created["secret"], now)
    refused = [
        whmcs_signed(body, "another-secret", now),
        {**right, "X-Payymo-Timestamp": str(now + 1)},  # not the timestamp that was signed
        {**right, "X-Payymo-Signature": right["X-Payymo-Signature"].removeprefix("v1=")},
        {"X-Payymo-Signature": right["X-Payymo-Signature"]},
        {**right, "X-Payymo-Timestamp": "soon"},
        whmcs_signed(body, created["secret"], now - 301),
        whmcs_signed(body, created["secret"], now + 301),
    ]
    for headers in refused:
        problem(hooks.post(created["url"], body, headers), 400, "invalid-signature")
    assert hooks.events() == []

    ok(hooks.post(created["url"], body, whmcs_signed(body, created["secret"], now - 299)))


def test_a_signed_event_without_its_fields_is_refused(hooks: Hooks) -> None:
    created = hooks.rotate("whmcs")
    for body in (b'{"event": "InvoicePaid", "invoiceid": 1}', whmcs_event(invoiceid=None)):
        signed = whmcs_signed(body, created["secret"], hooks.now())
        problem(hooks.post(created["url"], body, signed), 400, "bad-request")
    assert hooks.events() == []


@pytest.mark.skipif(PHP is None, reason="needs the php command line")
def test_the_hook_script_delivers_a_signed_event_payymo_accepts(
    hooks: Hooks, tmp_path: Path
) -> None:
    created = hooks.rotate("whmcs")
    clock = hooks.api.clock
    clock.advance(seconds=time.time() - clock.now().timestamp())  # the script signs with time()
    with SimServer(hooks.api.app) as server:
        path = created["url"].removeprefix(hooks.api.services.settings.public_url.rstrip("/"))
        script = configured_hook_script(tmp_path, server.url + path, created["secret"])
        run = run_hook(tmp_path, script, "InvoicePaid", 1001)

    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # logActivity was not called: delivered
    [stored] = hooks.events("whmcs")
    assert (stored.event_type, stored.payload["invoiceid"]) == ("InvoicePaid", "1001")
    assert stored.status is WebhookEventStatus.PROCESSED


def configured_hook_script(directory: Path, url: str, secret: str) -> Path:
    """The shipped script with its two settings filled in, as an installer would."""
    script = HOOK_SCRIPT.read_text()
    script = re.sub(r"'https://payymo\.example\.com/[^']*'", lambda _: f"'{url}'", script, count=1)
    script = re.sub(
        r"'PAYYMO_WEBHOOK_SECRET', '[^']*'",
        lambda _: f"'PAYYMO_WEBHOOK_SECRET', '{secret}'",
        script,
    )
    target = directory / "payymo_hooks.php"
    target.write_text(script)
    return target


def run_hook(
    directory: Path, script: Path, event: str, invoice_id: int
) -> subprocess.CompletedProcess[str]:
    """Fire one hook of `script` the way WHMCS would, with a stub of what WHMCS provides."""
    stub = directory / "whmcs_stub.php"
    stub.write_text(WHMCS_STUB)
    return subprocess.run(  # noqa: S603 - our own scripts, fixed arguments
        [str(PHP), str(stub), str(script), event, str(invoice_id)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
