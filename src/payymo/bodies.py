"""Request bodies read safely: at most a given size, and JSON nested at most `MAX_DEPTH` deep.

Pure (a stream or bytes in; bytes, a value or a problem out). The API's `json_body` and the
webhook receivers both read through here, so a hostile body is a 400 or a 413 wherever it
arrives, never a 500.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

from payymo.errors import ContentTooLarge, MalformedJson

MAX_DEPTH = 64  # arrays and objects; Payymo's deepest body nests 3
API_MAX_BODY_BYTES = 64 * 1024  # the largest legitimate API body is a few KiB
_READ_SIZE = 64 * 1024
# A JSON string, escapes included, or an unterminated one running to the end: every quote
# starts a match that succeeds without backtracking, so removing strings takes linear time.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Everything `stream` holds, if that is at most `limit` bytes; ContentTooLarge otherwise.

    Reads at most `limit + 1` bytes, so a body without a Content-Length (chunked) is refused
    as soon as it is known to be too large, never cut short at the limit.
    """
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(_READ_SIZE, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise too_large(limit)
    return b"".join(chunks)


def too_large(limit: int) -> ContentTooLarge:
    return ContentTooLarge(detail=f"the body is larger than {limit} bytes")


def parse_json(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """`raw` read as `json.loads` reads bytes (UTF-8, -16 or -32), except that nesting deeper
    than `max_depth`, NaN and Infinity are refused: each a MalformedJson saying why."""
    try:
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise _not_json(exc) from None
    if nesting_depth(text, stop_after=max_depth) > max_depth:
        raise MalformedJson(
            detail=f"the body is nested too deep: more than {max_depth} levels of arrays and "
            "objects"
        )
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise _not_json(exc) from None


def _not_json(exc: ValueError) -> MalformedJson:
    return MalformedJson(detail=f"the body is not valid JSON: {exc}"[:300])


def nesting_depth(text: str, *, stop_after: int | None = None) -> int:
    """How deep arrays and objects nest in `text`, brackets inside strings not counted; found
    without recursion (and without parsing), so any input is safe. Counting stops once the
    depth passes `stop_after`. Unbalanced text gives some depth; the parser refuses it later."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_after is not None and deepest > stop_after:
                    break
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def unstorable_text(value: Any, path: str = "body") -> str | None:
    """The path of the first string no database can store (NUL, lone surrogate), or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if found := unstorable_text(key, path) or unstorable_text(item, f"{path}.{key}"):
            return found
    return None
