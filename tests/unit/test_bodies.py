"""The one body reader: a bounded read, and JSON whose nesting is measured before it is parsed."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payymo.bodies import MAX_DEPTH, nesting_depth, parse_json, read_at_most
from payymo.errors import ContentTooLarge, MalformedJson

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@given(json_values, st.booleans())
def test_the_measured_nesting_is_the_real_one_whatever_the_strings_hold(
    value: Any, ascii_only: bool
) -> None:
    assert nesting_depth(json.dumps(value, ensure_ascii=ascii_only)) == depth(value)


@given(st.text(alphabet='[]{}"\\ ,:ab', max_size=200))
def test_any_text_is_measured_without_an_error(text: str) -> None:
    assert nesting_depth(text) >= 0


@pytest.mark.parametrize("levels", [MAX_DEPTH - 1, MAX_DEPTH])
def test_json_up_to_the_limit_parses(levels: int) -> None:
    assert depth(parse_json(b"[" * levels + b"]" * levels)) == levels


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1000, 1_000_000])
def test_deeper_json_is_malformed_before_it_is_parsed(levels: int) -> None:
    with pytest.raises(MalformedJson, match="nested too deep"):
        parse_json(b'{"a": ' + b"[" * levels + b"]" * levels + b"}")


@pytest.mark.parametrize(
    "raw",
    [b'{"a": NaN}', b"[Infinity]", b"", b"{", b"\xff\xfe\x00"],
)
def test_what_json_does_not_allow_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedJson):
        parse_json(raw)


def test_bytes_read_as_the_standard_library_reads_them() -> None:
    value = {"a": ["ü", 1, None]}
    for raw in (json.dumps(value).encode("utf-16"), b"\xef\xbb\xbf" + json.dumps(value).encode()):
        assert parse_json(raw) == json.loads(raw) == value


@pytest.mark.parametrize("size", [0, 1, 65_536, 100_000])
def test_a_stream_up_to_the_limit_is_read_whole(size: int) -> None:
    assert read_at_most(io.BytesIO(b"x" * size), 100_000) == b"x" * size


class Endless(io.RawIOBase):
    """A stream that never ends, a few bytes at a time: a chunked body that does not stop."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        piece = b"x" * min(size, 1000)
        self.given += len(piece)
        return piece


def test_a_stream_over_the_limit_is_refused_after_reading_one_byte_more() -> None:
    stream = Endless()
    with pytest.raises(ContentTooLarge, match="larger than 100000 bytes"):
        read_at_most(stream, 100_000)
    assert stream.given == 100_001
