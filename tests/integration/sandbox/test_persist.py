"""The embedded sandbox's state file: what one process's simulators did, the next one finds."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from payymo.sandbox.mount import mount_simulators
from payymo.sandbox.persist import FORMAT

WHMCS = "/sandbox/whmcs/includes/api.php"
WHMCS_LOGIN = {"identifier": "sim-identifier", "secret": "sim-secret", "responsetype": "json"}


def _process(state_path: Path) -> FlaskClient:
    """A fresh process's view: a new app with the simulators mounted on the same state file."""
    app = Flask("host")
    mount_simulators(app, state_path=state_path)
    return app.test_client()


def _json(client: FlaskClient, path: str) -> dict[str, Any]:
    found = client.get(path).json
    assert isinstance(found, dict), path
    return found


def _whmcs(client: FlaskClient, action: str, **params: Any) -> dict[str, Any]:
    found = client.post(WHMCS, data={**WHMCS_LOGIN, "action": action, **params}).json
    assert isinstance(found, dict)
    return found


def _world(client: FlaskClient) -> dict[str, Any]:
    """What the three simulators hold, without their idea of now."""
    whmcs = _json(client, "/sandbox/whmcs/_sim/state")
    bank = _json(client, "/sandbox/gocardless/_sim/state")
    stripe = _json(client, "/sandbox/stripe/_sim/state")
    return {
        "invoices": whmcs["invoices"],
        "transactions": whmcs["transactions"],
        "accounts": bank["accounts"],
        "charges": stripe["charges"],
    }


def test_a_new_process_finds_the_simulators_and_their_clock_as_the_last_one_left_them(
    tmp_path: Path,
) -> None:
    state = tmp_path / "sandbox.pickle"
    first = _process(state)
    paid = _whmcs(first, "AddInvoicePayment", invoiceid=1003, transid="t-1", gateway="banktransfer")
    assert paid["result"] == "success"
    account = _json(first, "/sandbox/gocardless/_sim/state")["accounts"][0]["id"]
    added = first.post(
        f"/sandbox/gocardless/_sim/accounts/{account}/transactions",
        json=[{"amount": "12.30", "remittance": "kept across restarts"}],
    )
    assert added.status_code == 201, added.json
    first.post("/sandbox/stripe/_sim/clock", json={"advance_seconds": 86400})
    before, clock = _world(first), _json(first, "/sandbox/whmcs/_sim/clock")["now"]

    second = _process(state)
    assert _world(second) == before
    assert _whmcs(second, "GetInvoice", invoiceid=1003)["status"] == "Paid"
    assert _json(second, "/sandbox/whmcs/_sim/clock")["now"] >= clock


def test_reset_after_a_restart_returns_to_the_world_of_the_first_start(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.pickle"
    first = _process(state)
    seeded = _world(first)
    _whmcs(first, "AddInvoicePayment", invoiceid=1003, transid="t-1", gateway="banktransfer")

    second = _process(state)
    for name in ("whmcs", "gocardless", "stripe"):
        second.post(f"/sandbox/{name}/_sim/reset")
    assert _world(second) == seeded


def test_an_unreadable_state_file_is_set_aside_and_the_simulators_start_afresh(
    tmp_path: Path,
) -> None:
    state = tmp_path / "sandbox.pickle"
    seeded = _world(_process(tmp_path / "elsewhere.pickle"))
    state.write_bytes(b"not a pickle at all")

    client = _process(state)
    assert _world(client) == seeded
    assert (tmp_path / "sandbox.pickle.unreadable").read_bytes() == b"not a pickle at all"
    assert state.exists()  # written afresh by the first request


def test_a_state_whose_objects_have_other_fields_than_the_code_is_not_restored(
    tmp_path: Path,
) -> None:
    state = tmp_path / "sandbox.pickle"
    first = _process(state)
    _whmcs(first, "AddInvoicePayment", invoiceid=1003, transid="t-1", gateway="banktransfer")
    version, saved = pickle.loads(state.read_bytes())  # noqa: S301 - the test's own file
    assert version == FORMAT
    whmcs = pickle.loads(saved.states["whmcs"])  # noqa: S301 - likewise
    del vars(whmcs["invoices"][1003])["datepaid"]  # as if saved before the field existed
    saved.states["whmcs"] = pickle.dumps(whmcs)
    state.write_bytes(pickle.dumps((version, saved)))

    second = _process(state)
    assert _whmcs(second, "GetInvoice", invoiceid=1003)["status"] == "Unpaid"
    assert (tmp_path / "sandbox.pickle.unreadable").exists()
