"""The sandbox's state file: the three simulators' pickled states, their world and their clock.

The file is the embedded sandbox's own, written by the process serving it and read back by the
next one; it is never used outside development. A file this code cannot read (damaged, from
another seed, or from a version whose state classes have other fields) is set aside under a
`.unreadable` name and the simulators start afresh, with a warning naming `payymo demo reset`.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from payymo.logs import get_logger

FORMAT = 1
log = get_logger("payymo.sandbox")


@dataclass(frozen=True)
class SavedSandbox:
    seed: int
    world_day: date
    clock_offset: timedelta
    states: dict[str, Any]  # simulator name -> its exported pickle (bytes) or, loaded, its state


def save(path: Path, snapshot: SavedSandbox, *, unless_equal_to: bytes = b"") -> bytes:
    """Write `snapshot` atomically unless it pickles to `unless_equal_to`; returns the pickle."""
    data = pickle.dumps((FORMAT, snapshot), protocol=pickle.HIGHEST_PROTOCOL)
    if data == unless_equal_to:
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with partial.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)
    return data


def load(path: Path, *, seed: int, names: tuple[str, ...]) -> SavedSandbox | None:
    """The saved sandbox with each state unpickled, or None to start afresh."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        version, saved = pickle.loads(data)  # noqa: S301 - our own file under var/, see above
        if version != FORMAT or not isinstance(saved, SavedSandbox):
            raise ValueError(f"format {version!r}, expected {FORMAT}")
        if saved.seed != seed:
            raise ValueError(f"saved for seed {saved.seed}, not {seed}")
        if set(saved.states) != set(names):
            raise ValueError(f"holds {sorted(saved.states)}, expected {sorted(names)}")
        states = {name: pickle.loads(saved.states[name]) for name in names}  # noqa: S301
        for state in states.values():
            _check_fields(state)
    except Exception as exc:  # any unreadable file means: start afresh
        aside = path.with_name(f"{path.name}.unreadable")
        path.replace(aside)
        log.warning(
            "sandbox state unreadable, simulators start afresh (payymo demo reset starts the"
            " demo tenant afresh too)",
            path=str(path),
            set_aside=str(aside),
            reason=f"{type(exc).__name__}: {exc}",
        )
        return None
    return dataclasses.replace(saved, states=states)


def _check_fields(value: Any, seen: set[int] | None = None) -> None:
    """Refuse a state whose objects lack a field their class has now, or have one it lost."""
    seen = seen if seen is not None else set()
    if id(value) in seen or isinstance(value, str | bytes | int | float | date):
        return
    seen.add(id(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        expected = {f.name for f in dataclasses.fields(value)}
        held = set(vars(value)) if hasattr(value, "__dict__") else expected
        if held != expected:
            raise ValueError(f"{type(value).__qualname__} has fields {sorted(held ^ expected)}")
        children: Any = (getattr(value, name) for name in expected)
    elif isinstance(value, dict):
        children = (item for pair in value.items() for item in pair)
    elif isinstance(value, list | tuple | set | frozenset):
        children = value
    elif hasattr(value, "__dict__"):
        children = vars(value).values()
    else:
        return
    for child in children:
        _check_fields(child, seen)
