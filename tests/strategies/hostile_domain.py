"""Hypothesis strategies for what a stranger or a broken client may hand the domain.

Values of every type and shape: wrong types, lone surrogates, RTL and zero-width marks, NUL
and control characters, huge and negative numbers, nan and infinities, naive and extreme
datetimes, a datetime where a date belongs, deep nesting. A fuzz test draws from
:func:`anything` (optionally mixed with valid values) and asserts that the call either works
or raises an :class:`~onestop.errors.OnestopError`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from onestop.errors import OnestopError

__all__ = [
    "HOSTILE_CHARACTERS",
    "anything",
    "calls_answer_or_refuse",
    "hostile_ints",
    "hostile_json",
    "hostile_text",
    "hostile_times",
]

#: Characters that break naive text handling: a lone surrogate, NUL, controls, bidi and
#: zero-width marks, a BOM, a combining mark, a non-ASCII digit, letters outside the BMP.
HOSTILE_CHARACTERS = (
    "\ud800",
    "\udfff",
    "\x00",
    "\x1b",
    "\r",
    "\n",
    "\t",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u0301",
    "\u0663",
    "\U0001f600",
    "Đ",
    "ệ",
)


def hostile_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text that mixes ordinary letters with the hostile characters above."""
    pieces = st.sampled_from(HOSTILE_CHARACTERS) | st.text(max_size=4)
    return st.lists(pieces, max_size=max_size).map("".join) | st.text(max_size=max_size)


def hostile_ints() -> st.SearchStrategy[int]:
    """Small, negative, boundary and absurd whole numbers.

    The absurd ones stay under Python's 4,300-digit limit on ``repr`` so that hypothesis can
    still print a failing example; named tests cover 10**5000, whose ``repr`` fails.
    """
    return (
        st.integers(-5, 5)
        | st.sampled_from(
            [
                -(10**4200),
                10**4200,
                -(2**63),
                2**63,
                2**64 + 1,
                10**18,
                10**9,
                -(10**9),
                3661,
                9999,
                10_000,
            ]
        )
        | st.integers()
    )


def hostile_times() -> st.SearchStrategy[object]:
    """Naive, aware and extreme datetimes, dates (and datetimes posing as dates), times."""
    zones = st.sampled_from(
        [
            dt.UTC,
            dt.timezone(dt.timedelta(hours=7)),
            dt.timezone(dt.timedelta(hours=23, minutes=59)),
            dt.timezone(-dt.timedelta(hours=23, minutes=59)),
        ]
    )
    extremes = st.sampled_from(
        [
            dt.datetime.max,
            dt.datetime.min,
            dt.datetime.max.replace(tzinfo=dt.UTC),
            dt.datetime.min.replace(tzinfo=dt.UTC),
            dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=7))),
            dt.datetime.max.replace(tzinfo=dt.timezone(-dt.timedelta(hours=5))),
            dt.date.max,
            dt.date.min,
            dt.time.max,
            dt.timedelta.max,
        ]
    )
    return (
        st.datetimes()
        | st.datetimes(timezones=zones)
        | st.dates()
        | st.times()
        | st.times(timezones=zones)
        | extremes
    )


def _scalars() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.booleans(),
        hostile_ints(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([math.nan, math.inf, -math.inf, -0.0]),
        hostile_text(),
        st.binary(max_size=20),
        hostile_times(),
        st.builds(object),
        st.just(type),
        st.just(Ellipsis),
    )


def anything(max_leaves: int = 8) -> st.SearchStrategy[object]:
    """Any value at all: scalars of every type, and lists, tuples, sets and dicts of them."""
    return st.recursive(
        _scalars(),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.tuples(inner, inner)
            | st.frozensets(st.one_of(st.integers(), hostile_text(), st.dates()), max_size=4)
            | st.dictionaries(hostile_text(max_size=8), inner, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def hostile_json() -> st.SearchStrategy[str | bytes]:
    """JSON-ish documents: valid JSON of the wrong shape, broken encodings, absurd nesting."""
    documents = st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | hostile_text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(hostile_text(max_size=8), inner, max_size=3)
        ),
        max_leaves=10,
    )
    import json

    as_text = documents.map(lambda value: json.dumps(value, ensure_ascii=False))
    absurd = st.sampled_from(
        [
            "[" * 100_000,
            "{" * 10_000,
            '{"a":' * 5000,
            "1" * 5000,
            "-" + "1" * 5000,
            "1e999999",
            "NaN",
            "Infinity",
            '"\\ud800"',
            "\ufeff{}",
            "[]",
            "{}",
            "",
            " ",
            "\x00",
        ]
    )
    broken = st.sampled_from([b"\xff", b"\xfe\xff\x00", b'{"a": "\xc3"}', b"\x00\x00\x00{"])
    return as_text | absurd | broken | st.binary(max_size=30) | hostile_text()


def calls_answer_or_refuse(call: Callable[..., Any], *args: Any, **kwargs: Any) -> object:
    """Run ``call``; return what it returns, or the OnestopError it raised.

    Any other exception propagates and fails the test that called this.
    """
    try:
        return call(*args, **kwargs)
    except OnestopError as e:
        return e
