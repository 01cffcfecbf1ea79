"""One cattrs converter for every domain value, at the edges (JSON files, SQL JSON columns).

Domain classes have no ``to_dict``: this module turns them into JSON-ready data and back.
Codes travel as their canonical text, instants as ISO 8601 with their offset (a naive
datetime is refused), dates as ISO dates, enums by value, sets as sorted lists.

Structuring runs the classes' own validators, and every failure comes out as one
:class:`~onestop.errors.InvalidInput` (or the subclass asked for) whose message lists each
problem with its path, e.g. ``procedures[2].working_days: ...``.

Reading JSON text (:func:`loads`, :func:`parse_json`) is guarded before the parser runs: a
size limit, a nesting limit, strict UTF-8, at most 40 digits in a number and no ``NaN`` or
``Infinity``; each refusal is an :class:`~onestop.errors.InvalidDocument`.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import re
import typing
from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter as _make_json_converter

from onestop.domain.codes import (
    SCHEME_2018,
    SCHEME_2018_LEFT_TO_RIGHT,
    SCHEME_2025_CENTRAL,
    SCHEME_WIDE,
    AgencyCode,
    CodeScheme,
    DossierCode,
)
from onestop.errors import (
    InvalidDocument,
    InvalidDossierCode,
    InvalidInput,
    NaiveDatetime,
    OnestopError,
    show_value,
)

__all__ = [
    "MAX_DOCUMENT_DEPTH",
    "MAX_DOCUMENT_SIZE",
    "converter",
    "dumps",
    "loads",
    "make_converter",
    "parse_json",
    "structure",
    "unstructure",
]

#: The largest JSON document :func:`loads` reads, in characters (text) or bytes: 16 MiB.
MAX_DOCUMENT_SIZE = 16 * 1024 * 1024
#: The deepest nesting of lists and objects a document may have; the library's own documents
#: need fewer than ten levels, and Python's parser and cattrs recurse once per level.
MAX_DOCUMENT_DEPTH = 32
# Far more digits than any amount, size or count: Python refuses over 4,300 anyway.
_MAX_NUMBER_DIGITS = 40
# A document with thousands of broken values still gives a message one can read.
_MAX_PROBLEMS_SHOWN = 50

T = TypeVar("T")


def _parse_instant(value: Any, _: type) -> dt.datetime:
    if isinstance(value, dt.datetime):
        instant = value
    elif isinstance(value, str):
        try:
            instant = dt.datetime.fromisoformat(value)
        except ValueError as e:
            raise InvalidInput("datetime", "must be an ISO 8601 date and time", value) from e
    else:
        raise InvalidInput("datetime", "must be an ISO 8601 text", value)
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise NaiveDatetime("datetime", "must carry its UTC offset", value)
    return instant


def _parse_date(value: Any, _: type) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise InvalidInput("date", "must be an ISO date text (YYYY-MM-DD)", value)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise InvalidInput("date", "must be an ISO date (YYYY-MM-DD)", value) from e


def _parse_time(value: Any, _: type) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str):
        raise InvalidInput("time", "must be a time text (HH:MM)", value)
    try:
        return dt.time.fromisoformat(value)
    except ValueError as e:
        raise InvalidInput("time", "must be a time (HH:MM or HH:MM:SS)", value) from e


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("number", "must be a whole number", value)
    return value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise InvalidInput("text", "must be a text", value)
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("flag", "must be true or false", value)
    return value


def make_converter(
    schemes: Iterable[CodeScheme] = (
        SCHEME_2018,
        SCHEME_WIDE,
        SCHEME_2018_LEFT_TO_RIGHT,
        SCHEME_2025_CENTRAL,
    ),
    *,
    detailed_validation: bool = True,
) -> cattrs.Converter:
    """A converter whose dossier codes may be in any of ``schemes`` (tried in order).

    ``detailed_validation=False`` gives a faster converter that builds the same values but
    reports a failure less precisely (cattrs does not collect every problem with its path):
    use it for a first try, then structure again with a detailed one to report the failure.
    """
    known = tuple(schemes)
    conv = _make_json_converter(forbid_extra_keys=True, detailed_validation=detailed_validation)

    conv.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())
    conv.register_structure_hook(dt.datetime, _parse_instant)
    conv.register_unstructure_hook(dt.date, lambda v: v.isoformat())
    conv.register_structure_hook(dt.date, _parse_date)
    conv.register_unstructure_hook(dt.time, lambda v: v.isoformat())
    conv.register_structure_hook(dt.time, _parse_time)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_unstructure_hook(frozenset, lambda v: sorted(conv.unstructure(x) for x in v))

    conv.register_unstructure_hook(AgencyCode, str)
    conv.register_structure_hook(AgencyCode, lambda v, _: AgencyCode.parse(_strict_str(v, str)))

    def structure_code(value: Any, _: type) -> DossierCode:
        text = _strict_str(value, str)
        first: InvalidDossierCode | None = None
        for scheme in known:
            try:
                return DossierCode.parse(text, scheme)
            except InvalidDossierCode as e:
                first = first or e
        assert first is not None
        raise first

    conv.register_unstructure_hook(DossierCode, str)
    conv.register_structure_hook(DossierCode, structure_code)

    # Aggregates buffer their events in ``_events``: transient, neither stored nor read back.
    def has_event_buffer(cls: Any) -> bool:
        return attrs.has(cls) and any(a.name == "_events" for a in attrs.fields(cls))

    conv.register_unstructure_hook_factory(
        has_event_buffer,
        lambda cls: make_dict_unstructure_fn(cls, conv, _events=override(omit=True)),
    )
    conv.register_structure_hook_factory(
        has_event_buffer,
        lambda cls: make_dict_structure_fn(cls, conv, _events=override(omit=True)),
    )
    return conv


#: The library's converter (dossier codes in any scheme the library ships).
converter = make_converter()


def unstructure(value: object, conv: cattrs.Converter | None = None) -> Any:
    """JSON-ready data (dicts, lists, text, numbers) for any domain value."""
    return (conv or converter).unstructure(value)


def _messages(error: BaseException, path: str = "$", expected: Any = None) -> list[str]:
    """Every leaf problem under ``error`` as ``path: rule``, with JSON paths."""
    if isinstance(error, cattrs.ClassValidationError | cattrs.IterableValidationError):
        out: list[str] = []
        with_notes, without_notes = error.group_exceptions()
        for other in without_notes:
            out.extend(_messages(other, path, expected))
        for sub, note in with_notes:
            where: object = getattr(note, "name", None)
            if where is None:
                where = getattr(note, "index", None)
            if isinstance(where, int):
                child = f"{path}[{where}]"
            elif where is not None:
                child = f"{path}.{where}"
            else:
                child = path
            out.extend(_messages(sub, child, getattr(note, "type", None)))
        return out
    if isinstance(error, cattrs.ForbiddenExtraKeysError):
        keys = sorted(error.extra_fields)
        shown = ", ".join(show_value(key, 40) for key in keys[:10])
        more = f" and {len(keys) - 10} more" if len(keys) > 10 else ""
        return [f"{path}: unexpected keys {shown}{more}"]
    if isinstance(error, KeyError):
        key = str(error.args[0]) if error.args else "?"
        # cattrs names the missing attribute in the note too, so the path may end with it.
        where = path if path.endswith(f".{key}") else f"{path}.{key}"
        return [f"{where}: is required"]
    if isinstance(error, InvalidInput):
        return [
            f"{path}: {error.field}: {error.rule}"
            + (f" (got {show_value(error.value)})" if error.value is not None else "")
        ]
    if isinstance(error, ExceptionGroup):
        return [m for sub in error.exceptions for m in _messages(sub, path, expected)]
    if isinstance(error, AttributeError | TypeError) or (
        isinstance(expected, type) and issubclass(expected, enum.Enum)
    ):
        # cattrs met a value of the wrong JSON type (a list or text where an object belongs),
        # or a value that is not one of an enum's.
        return [f"{path}: must be {_json_shape(expected)}"]
    return [f"{path}: {show_value(str(error), 200)}"]


def _json_shape(expected: Any) -> str:
    """How a message names the JSON a type is read from."""
    if attrs.has(expected):
        return f"a JSON object with the keys {', '.join(attrs.fields_dict(expected))}"
    if typing.get_origin(expected) in (list, tuple, frozenset, set):
        return "a JSON list"
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        return "one of " + ", ".join(repr(member.value) for member in expected)
    return "a JSON value of another type"


# What structuring data of the wrong shape raises, inside cattrs or the classes it builds: a
# list where an object belongs (AttributeError), a dict where text belongs (TypeError)...
_STRUCTURING_ERRORS = (
    cattrs.BaseValidationError,
    OnestopError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    ArithmeticError,
)


def structure(
    data: Any,
    cls: type[T],
    *,
    error: type[InvalidInput] = InvalidInput,
    field: str = "data",
    conv: cattrs.Converter | None = None,
) -> T:
    """Build ``cls`` from JSON-ready data, or raise ``error`` listing every problem by path.

    Data nested deeper than :data:`MAX_DOCUMENT_DEPTH` is refused before structuring.
    """
    try:
        return (conv or converter).structure(data, cls)
    except RecursionError as e:
        raise error(field, f"$: is nested too deeply (at most {MAX_DOCUMENT_DEPTH})") from e
    except _STRUCTURING_ERRORS as e:
        if isinstance(e, error):
            raise
        problems = _messages(e, "$", cls)
        if len(problems) > _MAX_PROBLEMS_SHOWN:
            problems[_MAX_PROBLEMS_SHOWN:] = [
                f"… and {len(problems) - _MAX_PROBLEMS_SHOWN} more problems"
            ]
        raise error(field, "; ".join(problems)) from e


def dumps(value: object, conv: cattrs.Converter | None = None) -> str:
    """The value as compact JSON text (UTF-8 friendly, Vietnamese kept as is).

    InvalidInput for a value the converter cannot write as JSON (an arbitrary object, NaN,
    an integer of thousands of digits, nesting deeper than Python recurses).
    """
    try:
        return json.dumps(
            unstructure(value, conv), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    except (TypeError, ValueError, RecursionError) as e:
        raise InvalidInput(
            "value", f"must be a value onestop can write as JSON ({type(e).__name__})", value
        ) from e


def loads(
    text: str | bytes,
    cls: type[T],
    conv: cattrs.Converter | None = None,
    *,
    max_size: int = MAX_DOCUMENT_SIZE,
) -> T:
    """The value of type ``cls`` read back from :func:`dumps`'s text.

    Every refusal is an InvalidDocument: text that is too large, too deep, not UTF-8 or not
    JSON (see :func:`parse_json`), or JSON of the wrong shape, each problem named by its path.
    """
    data = parse_json(text, max_size=max_size)
    return structure(data, cls, error=InvalidDocument, field="document", conv=conv)


# --- reading JSON text safely --------------------------------------------------------------

# A JSON string, in the unrolled form that never backtracks: what it holds is not structure.
_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER = b"0" * (_MAX_NUMBER_DIGITS + 1)
_BRACKETS_AS_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def parse_json(
    text: str | bytes | bytearray,
    *,
    max_size: int = MAX_DOCUMENT_SIZE,
    max_depth: int = MAX_DOCUMENT_DEPTH,
    error: type[InvalidInput] = InvalidDocument,
    field: str = "document",
) -> Any:
    """Parse JSON text (or UTF-8 bytes) after checking its size, encoding and nesting.

    Refused with ``error`` naming ``field``: anything but text or bytes, more than
    ``max_size`` characters or bytes, bytes that are not UTF-8, nesting deeper than
    ``max_depth``, numbers of more than 40 digits, ``NaN``/``Infinity`` and invalid JSON.
    """
    if isinstance(text, bytes | bytearray):
        if len(text) > max_size:
            _too_large(error, field, max_size)
        raw = bytes(text)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise error(field, f"must be UTF-8 text ({e.reason} at byte {e.start})") from None
    elif isinstance(text, str):
        if len(text) > max_size:
            _too_large(error, field, max_size)
        raw = text.encode("utf-8", "surrogatepass")
    else:
        raise error(field, "must be JSON text (str) or UTF-8 bytes", text)
    problem = _structure_problem(raw, max_depth)
    if problem is not None:
        raise error(field, problem)

    def constant(name: str) -> NoReturn:
        raise error(field, f"is not valid JSON: {name} is not a JSON number")

    def finite(digits: str) -> float:
        number = float(digits)
        if math.isinf(number):
            raise error(field, f"must not hold numbers beyond the range of a float ({digits})")
        return number

    try:
        return json.loads(text, parse_constant=constant, parse_float=finite)
    except InvalidInput:
        raise
    except json.JSONDecodeError as e:
        raise error(
            field, f"is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        ) from None
    except (RecursionError, ValueError):  # unreachable after the checks; a last guard
        raise error(field, "is not JSON that onestop can read") from None


def _too_large(error: type[InvalidInput], field: str, max_size: int) -> NoReturn:
    raise error(field, f"must be at most {max_size} characters (bytes) long")


def _structure_problem(raw: bytes, max_depth: int) -> str | None:
    """Why the text cannot be parsed safely (nesting too deep, a number too long), or None.

    Strings are cut out first; what remains is numbers, words and brackets. Nesting is
    measured by removing innermost bracket pairs, one level per ``bytes.replace``, so the
    whole check runs at C speed and stops after ``max_depth`` passes.
    """
    if len(raw) <= _MAX_NUMBER_DIGITS and raw.count(b"[") + raw.count(b"{") <= max_depth:
        return None  # the usual small value: nothing in it can be too long or too deep
    outside_strings = _JSON_STRING.sub(b'""', raw)
    if _LONG_NUMBER in outside_strings.translate(_DIGITS_AS_ZERO):
        return f"must not hold numbers of more than {_MAX_NUMBER_DIGITS} digits"
    brackets = outside_strings.translate(_BRACKETS_AS_PARENTHESES, _NOT_BRACKETS)
    too_deep = b"(" * (max_depth + 1)
    for _ in range(max_depth):
        if not brackets:
            return None
        if too_deep in brackets:
            break
        shorter = brackets.replace(b"()", b"")
        if len(shorter) == len(brackets):
            # Brackets outside strings that never pair up: not JSON, whatever their depth.
            return "is not valid JSON: its brackets do not pair up"
        brackets = shorter
    if brackets:
        return f"must not nest lists and objects more than {max_depth} deep"
    return None
