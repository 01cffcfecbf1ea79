"""Hypothesis strategies for what a stranger or a broken client sends: anything at all.

``hostile_values()`` mixes wrong types (None, bools, ints, floats, bytes, lists, dicts, sets,
objects), text that breaks naive code (lone surrogates, NUL and control characters, RTL and
zero-width marks, very long text), absurd numbers (±10**5000, 2**63, nan, inf), naive and
extreme datetimes, a datetime where a date belongs, deep nesting, and an object whose
``__repr__`` and ``__eq__`` raise. The fuzz suite draws each argument of every public entry
point either from these or from a value that is valid for it, so calls get past the first
check often enough to reach the code behind it. The domain tests have their own generator
of the same kind in :mod:`tests.strategies.hostile_domain`; both are mixed here.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from hypothesis import strategies as st

from tests.strategies.hostile_domain import anything

__all__ = [
    "NASTY_TEXTS",
    "Unprintable",
    "deep_nesting",
    "hostile_numbers",
    "hostile_texts",
    "hostile_times",
    "hostile_values",
]

#: Characters that break naive text handling, each a known trap.
_TRAPS = (
    "\x00",  # NUL: C strings, paths, PostgreSQL text
    "\ud800",  # lone surrogate: cannot be encoded as UTF-8
    "\udfff",
    "\u202e",  # right-to-left override: "\u202efdp.exe" shows as "exe.pdf"
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte-order mark
    "\r\n",
    "\x1b[31m",  # terminal escape
    "\u0301",  # a combining mark on its own
    "đ",
    "Đ",
    "'; DROP TABLE dossiers; --",
    "../../etc/passwd",
    "%00",
    "{{ 7*7 }}",
    "<script>",
)

#: Whole texts worth trying on every text argument.
NASTY_TEXTS = (
    "",
    " ",
    "\ud800" * 8,
    "\x00",
    "a\x00b",
    "\u202efdp.exe",
    "x" * 100_000,
    "9" * 5_000,  # a number too long to convert
    "000.00.03.H34-220622-0001\x00",
    "000.00.03.H34-220622-00001",
    "0" * 12,
    "nguyen.van.an@example.vn\ud800",
    "-1",
    "NaN",
    "[" * 1_000,
)


class Unprintable:
    """An object whose ``repr``, ``str``, equality and hash all raise."""

    def __repr__(self) -> str:
        raise RuntimeError("repr refused")

    def __str__(self) -> str:
        raise RuntimeError("str refused")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq refused")

    def __hash__(self) -> int:
        raise RuntimeError("hash refused")


@functools.cache
def hostile_texts() -> st.SearchStrategy[str]:
    """Text with surrogates, controls, bidi and zero-width marks, or one of the nasty texts."""
    trap = st.sampled_from(_TRAPS)
    any_text = st.text(st.characters(codec=None), max_size=40)
    mixed = st.lists(st.one_of(trap, any_text), min_size=1, max_size=6).map("".join)
    return st.one_of(st.sampled_from(NASTY_TEXTS), mixed, any_text)


def _power_of_ten(exponent: int) -> int:
    """``10**5000`` (or ``-(10**5000)`` for a negative exponent): a number no repr can show."""
    return 10 ** abs(exponent) * (1 if exponent > 0 else -1)


@functools.cache
def hostile_numbers() -> st.SearchStrategy[Any]:
    """Numbers at and past every edge: huge, negative, bool, float specials."""
    return st.one_of(
        st.sampled_from(
            [0, -1, 2**31, 2**63, -(2**63) - 1, True, False, float("nan"), float("inf"), -0.0]
        ),
        # Built, not listed: hypothesis labels a sampled_from by the repr of its elements,
        # and Python refuses to repr an integer of 5,000 digits.
        st.sampled_from([5000, -5000, 400, -400]).map(_power_of_ten),
        st.integers(),
        st.floats(),
    )


@functools.cache
def hostile_times() -> st.SearchStrategy[Any]:
    """Naive, extreme and wrongly-typed moments."""
    utc = dt.UTC
    return st.one_of(
        st.sampled_from(
            [
                dt.datetime.max,
                dt.datetime.min,
                dt.datetime.max.replace(tzinfo=utc),
                dt.datetime.min.replace(tzinfo=utc),
                dt.datetime(2022, 6, 22, 9, 30),  # naive
                dt.date.max,
                dt.date.min,
                dt.time(9, 30),
                dt.timedelta(days=-1),
                dt.timedelta.max,
            ]
        ),
        st.datetimes(),
        st.datetimes(timezones=st.timezones()),
        st.dates(),
    )


def _nest(args: tuple[int, str]) -> Any:
    depth, kind = args
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


@functools.cache
def deep_nesting() -> st.SearchStrategy[Any]:
    """Lists or dicts nested far deeper than any real document."""
    return st.tuples(st.sampled_from([50, 1_000, 5_000]), st.sampled_from(["list", "dict"])).map(
        _nest
    )


@functools.cache
def hostile_values() -> st.SearchStrategy[Any]:
    """Anything a JSON body, a query string or a confused caller could hand us.

    Built once and shared: hypothesis validates a strategy each time one is built, and a
    recursive one is costly to validate.
    """
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        hostile_numbers(),
        hostile_texts(),
        st.binary(max_size=20),
        st.just(b"\xff\xfe\x00"),
        hostile_times(),
        st.builds(Unprintable),
        st.builds(object),
    )
    containers = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(hostile_texts(), st.integers()), inner, max_size=4),
            st.tuples(inner, inner),
            st.frozensets(st.one_of(st.integers(), hostile_texts()), max_size=4),
        ),
        max_leaves=8,
    )
    return st.one_of(scalars, containers, deep_nesting(), anything(), st.just([]), st.just({}))
