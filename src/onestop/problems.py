"""Turn any exception into an HTTP status and an RFC 9457 problem details object.

A host's error handler needs three lines::

    status = http_status(error)
    body = problem_details(error, locale="vi")
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)

An :class:`~onestop.errors.OnestopError` gives its own status, code, params and a message
for citizens; anything else (a bug, a host's own exception) is a 500 with a generic message
and nothing of the exception's text, which may hold internals: log it yourself.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

from onestop._messages import DEFAULT_LOCALE, LOCALES, normalize_locale, render_title
from onestop.errors import OnestopError

__all__ = [
    "INTERNAL_CODE",
    "LOCALES",
    "PROBLEM_MEDIA_TYPE",
    "TYPE_PREFIX",
    "http_status",
    "problem_details",
    "problem_type",
]

#: The media type of a problem details body (RFC 9457 section 3).
PROBLEM_MEDIA_TYPE = "application/problem+json"

#: ``type`` is this prefix and the error's code: a URN, stable, never dereferenced.
TYPE_PREFIX = "urn:onestop:problem:"

#: The code of an exception that is not an OnestopError.
INTERNAL_CODE = "internal"

_MAX_DEPTH = 4


def http_status(error: BaseException) -> int:
    """The HTTP status for ``error``: its class's ``http_status``, 500 for anything else."""
    if isinstance(error, OnestopError):
        status = getattr(type(error), "http_status", 500)
        if isinstance(status, int) and 400 <= status <= 599:
            return status
    return 500


def problem_type(code: str) -> str:
    """The problem ``type`` URI of an error code (``urn:onestop:problem:account.locked``)."""
    return TYPE_PREFIX + code


def problem_details(error: BaseException, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """``error`` as an RFC 9457 problem details object, ready for ``json.dumps``.

    Members: ``type`` (a URN with the code), ``title`` (the same for every occurrence of the
    code), ``status``, ``detail`` (a sentence for the citizen in ``locale``), and the
    extensions ``code`` and ``params`` (JSON values only, never a password or a refused value).
    """
    language = normalize_locale(locale)
    if not isinstance(error, OnestopError):
        return _internal(language)
    code = type(error).code
    return {
        "type": problem_type(code),
        "title": render_title(error, language),
        "status": http_status(error),
        "detail": error.message(language),
        "code": code,
        "params": _json_params(error),
    }


def _internal(locale: str) -> dict[str, Any]:
    internal = _Internal()
    return {
        "type": problem_type(INTERNAL_CODE),
        "title": render_title(internal, locale),
        "status": 500,
        "detail": internal.message(locale),
        "code": INTERNAL_CODE,
        "params": {},
    }


class _Internal(OnestopError):
    """Stands for an unexpected exception, so its texts come from the same catalog."""

    code = INTERNAL_CODE


def _json_params(error: OnestopError) -> dict[str, Any]:
    try:
        params = error.params
        return {str(k): _json_value(v, 0) for k, v in params.items()}
    except Exception:  # a broken params must not turn one error into two
        return {}


def _json_value(value: object, depth: int) -> Any:
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        if abs(value) < 2**53:
            return value
        # JSON readers lose precision past 2**53: a big number travels as text, a huge one
        # (which Python refuses to turn into text) not at all.
        return str(value) if value.bit_length() < 4000 else None
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return _json_value(value.value, depth + 1)
    if depth >= _MAX_DEPTH:
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return [_json_value(v, depth + 1) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple):
        return [_json_value(v, depth + 1) for v in value]
    if type(value).__str__ is not object.__str__:
        return str(value)
    return None
