"""One cattrs converter for every domain value, at the edges (JSON files, SQL JSON columns).

Domain classes have no ``to_dict``: this module turns them into JSON-ready data and back.
Codes travel as their canonical text, instants as ISO 8601 with their offset (a naive
datetime is refused), dates as ISO dates, enums by value, sets as sorted lists.

Structuring runs the classes' own validators, and every failure comes out as one
:class:`~onestop.errors.InvalidInput` (or the subclass asked for) whose message lists each
problem with its path, e.g. ``procedures[2].working_days: ...``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter as _make_json_converter

from onestop.domain.codes import SCHEME_2018, SCHEME_WIDE, AgencyCode, CodeScheme, DossierCode
from onestop.errors import InvalidDossierCode, InvalidInput, NaiveDatetime

__all__ = ["converter", "dumps", "loads", "make_converter", "structure", "unstructure"]

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
    schemes: Iterable[CodeScheme] = (SCHEME_2018, SCHEME_WIDE),
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


#: The library's converter (dossier codes in the 2018 scheme or the wide example scheme).
converter = make_converter()


def unstructure(value: object, conv: cattrs.Converter | None = None) -> Any:
    """JSON-ready data (dicts, lists, text, numbers) for any domain value."""
    return (conv or converter).unstructure(value)


def _messages(error: BaseException, path: str = "$") -> list[str]:
    if isinstance(error, cattrs.ClassValidationError | cattrs.IterableValidationError):
        out: list[str] = []
        with_notes, without_notes = error.group_exceptions()
        for other in without_notes:
            out.extend(_messages(other, path))
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
            out.extend(_messages(sub, child))
        return out
    if isinstance(error, cattrs.ForbiddenExtraKeysError):
        return [f"{path}: unexpected keys {sorted(error.extra_fields)}"]
    if isinstance(error, KeyError):
        return [f"{path}.{error.args[0]}: is required"]
    if isinstance(error, InvalidInput):
        return [
            f"{path}: {error.field}: {error.rule}"
            + (f" (got {error.value!r})" if error.value is not None else "")
        ]
    if isinstance(error, ExceptionGroup):
        return [m for sub in error.exceptions for m in _messages(sub, path)]
    return [f"{path}: {error}"]


def structure(
    data: Any,
    cls: type[T],
    *,
    error: type[InvalidInput] = InvalidInput,
    field: str = "data",
    conv: cattrs.Converter | None = None,
) -> T:
    """Build ``cls`` from JSON-ready data, or raise ``error`` listing every problem by path."""
    try:
        return (conv or converter).structure(data, cls)
    except (cattrs.BaseValidationError, InvalidInput, KeyError, TypeError, ValueError) as e:
        if isinstance(e, error):
            raise
        problems = _messages(e)
        raise error(field, "; ".join(problems)) from e


def dumps(value: object, conv: cattrs.Converter | None = None) -> str:
    """The value as compact JSON text (UTF-8 friendly, Vietnamese kept as is)."""
    return json.dumps(unstructure(value, conv), ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes, cls: type[T], conv: cattrs.Converter | None = None) -> T:
    """The value of type ``cls`` read back from :func:`dumps`'s text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInput("json", f"is not valid JSON: {e.msg} at line {e.lineno}") from e
    return structure(data, cls, conv=conv)
