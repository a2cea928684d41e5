"""What every simulator shares: a controllable clock, fault injection, the `/_sim` control
API, and a real HTTP server on loopback.

A simulator is a Flask app built by its own `create_app(...)`. It calls `install_sim_support`
with its clock, its fault list, how to render its provider's error body, and how to dump and
reset its state. Tests and `make run` then drive it over HTTP:

    GET  /_sim/state                       the simulator's state, as JSON
    POST /_sim/reset                       back to the seeded state
    GET  /_sim/clock                       {"now": "2026-11-26T09:00:00+00:00"}
    POST /_sim/clock  {"advance_seconds": 3600} or {"set": "2026-12-01T00:00:00+00:00"}
    POST /_sim/faults {"kind": "error|rate_limit|latency|timeout|malformed|stall",
                       "path": "/prefix", "method": "GET", "times": 1, "status": 500,
                       "seconds": 2.0, "params": {"action": "AddInvoicePayment"}}

`params` narrows a fault to requests carrying those query or form values (WHMCS has one
endpoint for every action). `stall` lets the request take effect, then holds the answer back
for `seconds`: the provider did the work, the caller has not heard yet.
    GET  /_sim/faults | DELETE /_sim/faults
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from flask import Flask, Response, g, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

FaultKind = Literal["error", "rate_limit", "latency", "timeout", "malformed", "stall"]
FAULT_KINDS: tuple[str, ...] = ("error", "rate_limit", "latency", "timeout", "malformed", "stall")
CONTROL_PREFIX = "/_sim"

ErrorRenderer = Callable[[int, str], Response]
"""Builds the provider's own error response for (HTTP status, message)."""


class SimClock:
    """The simulators' notion of now: real time plus an offset tests can move forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    @property
    def offset(self) -> timedelta:
        """How far the simulated now is ahead of real time (negative: behind)."""
        with self._lock:
            return self._offset

    def set_offset(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("the simulator clock takes aware datetimes")
        with self._lock:
            self._offset = moment - datetime.now(UTC)
        return self.now()


@dataclass
class Fault:
    """One injected misbehaviour, applied to matching requests `times` times (None: forever)."""

    kind: FaultKind
    path: str = "/"
    method: str | None = None
    times: int | None = 1
    status: int = 500
    seconds: float = 1.0
    params: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str, values: Mapping[str, str]) -> bool:
        return (
            path.startswith(self.path)
            and (self.method is None or self.method == method)
            and all(values.get(name) == value for name, value in self.params.items())
        )


@dataclass
class FaultInjector:
    faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def take(self, method: str, path: str, values: Mapping[str, str]) -> Fault | None:
        """The first fault matching this request, used up by one."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path, values):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self.faults]


@dataclass
class SimHooks:
    """What a simulator tells the shared machinery about itself."""

    clock: SimClock
    faults: FaultInjector
    render_error: ErrorRenderer
    dump_state: Callable[[], dict[str, Any]]
    reset: Callable[[], None]
    export_state: Callable[[], bytes]
    """The state as a pickle, taken under the simulator's lock (see `sandbox/persist.py`)."""
    import_state: Callable[[Any], None]
    """Replace the state with one `export_state` pickled (unpickled by the caller)."""
    rate_limit_headers: Callable[[], dict[str, str]] = field(default=dict)


def install_sim_support(app: Flask, hooks: SimHooks) -> None:
    """Add fault injection and the `/_sim` control API to a simulator app."""
    app.extensions["payymo.sim"] = hooks

    @app.before_request
    def inject_faults() -> Response | None:
        if request.path.startswith(CONTROL_PREFIX):
            return None
        fault = hooks.faults.take(request.method, request.path, request.values)
        if fault is not None and fault.kind == "stall":
            g.sim_stall_seconds = fault.seconds
            return None
        return _apply(fault, hooks) if fault else None

    @app.after_request
    def hold_stalled_answer(response: Response) -> Response:
        if (seconds := g.pop("sim_stall_seconds", None)) is not None:
            time.sleep(seconds)
        return response

    @app.get(f"{CONTROL_PREFIX}/state")
    def sim_state() -> Response:
        return jsonify(hooks.dump_state())

    @app.post(f"{CONTROL_PREFIX}/reset")
    def sim_reset() -> Response:
        hooks.reset()
        hooks.faults.clear()
        return jsonify(status="reset")

    @app.get(f"{CONTROL_PREFIX}/clock")
    def sim_clock() -> Response:
        return jsonify(now=hooks.clock.now().isoformat())

    @app.post(f"{CONTROL_PREFIX}/clock")
    def sim_move_clock() -> Response | tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        if "advance_seconds" in body:
            now = hooks.clock.advance(float(body["advance_seconds"]))
        elif "set" in body:
            now = hooks.clock.set(datetime.fromisoformat(str(body["set"])))
        else:
            return jsonify(error="give advance_seconds or set"), 400
        return jsonify(now=now.isoformat())

    @app.get(f"{CONTROL_PREFIX}/faults")
    def sim_faults() -> Response:
        return jsonify(faults=hooks.faults.describe())

    @app.post(f"{CONTROL_PREFIX}/faults")
    def sim_add_fault() -> Response | tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        if body.get("kind") not in FAULT_KINDS:
            return jsonify(error=f"kind must be one of {', '.join(FAULT_KINDS)}"), 400
        fault = Fault(
            kind=body["kind"],
            path=str(body.get("path", "/")),
            method=body.get("method"),
            times=body.get("times", 1),
            status=int(body.get("status", 429 if body["kind"] == "rate_limit" else 500)),
            seconds=float(body.get("seconds", 1.0)),
            params={str(k): str(v) for k, v in dict(body.get("params") or {}).items()},
        )
        hooks.faults.add(fault)
        return jsonify(faults=hooks.faults.describe()), 201

    @app.delete(f"{CONTROL_PREFIX}/faults")
    def sim_clear_faults() -> Response:
        hooks.faults.clear()
        return jsonify(faults=[])


def _apply(fault: Fault, hooks: SimHooks) -> Response | None:
    if fault.kind == "latency":
        time.sleep(fault.seconds)
        return None  # then answer normally, late
    if fault.kind == "timeout":
        time.sleep(fault.seconds)  # longer than the client waits
        return hooks.render_error(504, "Gateway Timeout")
    if fault.kind == "malformed":
        return Response('{"result": "succ', status=200, mimetype="application/json")
    if fault.kind == "rate_limit":
        response = hooks.render_error(fault.status, "Rate limit exceeded")
        response.headers.update(hooks.rate_limit_headers())
        return response
    return hooks.render_error(fault.status, "Injected server error")


class SimServer:
    """Serve a WSGI app on loopback in a background thread: `with SimServer(app) as s: s.url`."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        # threaded=True gives werkzeug's ThreadedWSGIServer, whose threads are daemons.
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> SimServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
