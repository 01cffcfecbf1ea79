"""Checks of the plain values callers hand us: text, whole numbers, flags, days and instants.

A portal passes the library what strangers typed and what JSON bodies held, so a value may be
of any type. Each check returns the value when it is of the expected kind and raises
:class:`~onestop.errors.InvalidInput` naming the field and the rule otherwise; none of them
lets a ``TypeError``, ``UnicodeError`` or ``OverflowError`` through.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from onestop.errors import InvalidInput, NaiveDatetime

__all__ = [
    "is_valid_unicode",
    "require_bool",
    "require_date",
    "require_datetime",
    "require_int",
    "require_text",
]


def is_valid_unicode(text: str) -> bool:
    """True if ``text`` can be written as UTF-8: no lone surrogates (``"\\ud800"``)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require_text(value: Any, field: str, *, error: type[InvalidInput] = InvalidInput) -> str:
    """Return ``value`` if it is text that UTF-8 can hold; refuse other types and lone surrogates.

    ``error`` lets a caller raise its own subclass (``InvalidIdentity`` for a name).
    """
    if not isinstance(value, str):
        raise error(field, f"must be text, not {_kind(value)}", value, rule_code="wrong_type")
    if not is_valid_unicode(value):
        raise error(
            field,
            "must be valid Unicode text (it holds a lone surrogate)",
            value,
            rule_code="invalid_text",
        )
    return value


def require_int(
    value: Any,
    field: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    error: type[InvalidInput] = InvalidInput,
) -> int:
    """Return ``value`` if it is a whole number (not a bool) within the bounds given."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise error(
            field, f"must be a whole number, not {_kind(value)}", value, rule_code="wrong_type"
        )
    if minimum is not None and value < minimum:
        raise error(
            field,
            f"must be at least {minimum}",
            value,
            rule_code="at_least",
            limits={"minimum": minimum},
        )
    if maximum is not None and value > maximum:
        raise error(
            field,
            f"must be at most {maximum}",
            value,
            rule_code="at_most",
            limits={"maximum": maximum},
        )
    return value


def require_bool(value: Any, field: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False``; a truthy string is not a yes."""
    if not isinstance(value, bool):
        raise InvalidInput(
            field, f"must be true or false, not {_kind(value)}", value, rule_code="wrong_type"
        )
    return value


def require_date(value: Any, field: str) -> dt.date:
    """Return ``value`` if it is a calendar day (a ``date``, not a ``datetime``)."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInput(
            field,
            f"must be a date (a calendar day), not {_kind(value)}",
            value,
            rule_code="wrong_type",
        )
    return value


def require_datetime(value: Any, field: str) -> dt.datetime:
    """Return ``value`` if it is an aware ``datetime`` (an instant with a time zone)."""
    if not isinstance(value, dt.datetime):
        raise InvalidInput(
            field, f"must be a datetime, not {_kind(value)}", value, rule_code="wrong_type"
        )
    try:
        offset = value.utcoffset()
    except Exception:  # a foreign tzinfo may raise anything
        offset = None
    if offset is None:
        raise NaiveDatetime(
            field,
            "must be an aware datetime (with a time zone), "
            "e.g. datetime(2022, 6, 22, 9, 30, tzinfo=timezone.utc)",
            value,
        )
    return value


def _kind(value: object) -> str:
    """How an error names the type it got: ``None``, ``int``, ``list``..."""
    return "None" if value is None else type(value).__name__
