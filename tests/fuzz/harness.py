"""The fuzz harness: call an entry point with drawn arguments, allow only typed answers.

An entry point answers either normally or with an :class:`~onestop.errors.OnestopError`.
Anything else (``TypeError``, ``AttributeError``, ``KeyError``, ``UnicodeError``,
``RecursionError``, ``OverflowError``, a bare ``ValueError``...) fails the test with the call
that caused it. The error itself must also be usable: its message renders and an
``InvalidInput`` names a field and a rule.

Arguments are drawn per parameter: by the parameter's name from a table of values valid for
the portal under test (so calls get past the first check), or from :func:`hostile_values`.
"""

from __future__ import annotations

import collections
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from onestop.errors import InvalidInput, OnestopError
from tests.strategies.hostile import hostile_values

__all__ = ["CALLS", "Call", "arguments_for", "call_safely"]

#: How many calls each entry point received in this run: the suite prints the totals.
CALLS: collections.Counter[str] = collections.Counter()

_UNTYPED_OK: tuple[type[BaseException], ...] = ()


class Call:
    """One drawn call: the entry point's name, positional and keyword arguments."""

    def __init__(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.name = name
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        def short(v: Any) -> str:
            try:
                text = repr(v)
            except Exception:
                return f"<{type(v).__name__}>"
            return text if len(text) < 120 else text[:117] + "..."

        parts = [short(a) for a in self.args] + [f"{k}={short(v)}" for k, v in self.kwargs.items()]
        return f"{self.name}({', '.join(parts)})"


def arguments_for(
    fn: Callable[..., Any],
    good: Mapping[str, st.SearchStrategy[Any]],
    *,
    skip: frozenset[str] = frozenset(),
) -> st.SearchStrategy[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Draw (args, kwargs) for ``fn``: each parameter good or hostile; optional ones omitted."""
    signature = inspect.signature(fn)

    @st.composite
    def draw(pick: st.DrawFn) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for name, parameter in signature.parameters.items():
            if name in ("self", "cls") or name in skip:
                continue
            if parameter.kind is parameter.VAR_POSITIONAL:
                continue
            if parameter.kind is parameter.VAR_KEYWORD:
                keys = st.one_of(st.sampled_from(sorted(good)), st.text(max_size=12))
                kwargs.update(pick(st.dictionaries(keys, _value(name, good), max_size=3)))
                continue
            optional = parameter.default is not parameter.empty
            if optional and pick(st.booleans()):
                continue
            value = pick(_value(name, good))
            if parameter.kind is parameter.POSITIONAL_ONLY or (
                parameter.kind is parameter.POSITIONAL_OR_KEYWORD and not optional and not kwargs
            ):
                args.append(value)
            else:
                kwargs[name] = value
        return tuple(args), kwargs

    return draw()


def _value(name: str, good: Mapping[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    valid = good.get(name)
    if valid is None:
        return hostile_values()
    # Mostly valid values, so the hostile one in a call is reached past the first check.
    return st.one_of(valid, valid, hostile_values())


def call_safely(call: Call, fn: Callable[..., Any]) -> Any:
    """Call ``fn``; return what it returns, or the OnestopError it raised; fail otherwise."""
    CALLS[call.name] += 1
    try:
        return fn(*call.args, **call.kwargs)
    except OnestopError as e:
        message = str(e)
        assert message, f"{call}: {type(e).__name__} has no message"
        if isinstance(e, InvalidInput):
            assert e.field, f"{call}: {type(e).__name__} names no field"
            assert e.rule, f"{call}: {type(e).__name__} states no rule"
        return e
    except Exception as e:
        raise AssertionError(f"{call} raised the untyped {type(e).__name__}: {str(e)[:300]}") from e
