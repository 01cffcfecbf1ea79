"""Every public use case checks its arguments against its own type hints before it runs.

Hosts pass the use cases request data: form fields, query strings, JSON bodies. A ``None``
where text belongs, a list where an id belongs, ``"no"`` where a flag belongs or a lone
surrogate in a password must not reach ``.strip()``, a dict lookup or ``.encode()`` and come
out as a ``TypeError`` or ``UnicodeEncodeError``; worse, an error raised only after a lookup
tells a stranger whether the record exists. :func:`checked_methods` wraps each public method
of a service so that its arguments are checked *first*, by the annotations the method already
declares, and refused with :class:`~onestop.errors.InvalidInput` naming the argument
(``track.id_number_or_phone: must be text, not None``).

The checker understands the annotations the services use: ``str`` (valid Unicode), ``int``
(not ``bool``), ``bool``, ``float``, ``bytes``, ``date`` (not ``datetime``), ``datetime``
(aware), ``None``, unions, ``Literal``, enums, ``Mapping``, ``Sequence``, ``Iterable``,
``frozenset``/``set``, ``tuple``, ``list``, ``os.PathLike``, ``Callable``, binary streams and
classes (by ``isinstance``). ``Any`` and ``object`` accept everything.
"""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import enum
import functools
import inspect
import io
import os
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from onestop.domain.inputs import require_date, require_datetime
from onestop.errors import InvalidInput, show_value

__all__ = ["answers_any_input", "checked_methods", "checker_for", "checks_arguments"]

_F = TypeVar("_F", bound=Callable[..., Any])
_C = TypeVar("_C", bound=type)

#: Deepest nesting of containers the checker walks; deeper input is refused, not recursed.
MAX_DEPTH = 20

# A check takes the value and the field path, and raises InvalidInput or returns None.
_Check = Callable[[Any, str, int], None]


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _fail(field: str, expected: str, value: object) -> typing.NoReturn:
    raise InvalidInput(
        field, f"must be {expected}, not {_kind(value)}", value, rule_code="wrong_type"
    )


def _deep(field: str, depth: int, value: object) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput(
            field,
            f"must not be nested more than {MAX_DEPTH} levels deep",
            value,
            rule_code="too_deep",
            limits={"max_depth": MAX_DEPTH},
        )


def _accept(value: Any, field: str, depth: int) -> None:
    return None


def _text(value: Any, field: str, depth: int) -> None:
    if not isinstance(value, str):
        _fail(field, "text", value)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(
                field,
                "must be valid Unicode text (it holds a lone surrogate)",
                value,
                rule_code="invalid_text",
            ) from None


def _integer(value: Any, field: str, depth: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        _fail(field, "a whole number", value)


def _number(value: Any, field: str, depth: int) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        _fail(field, "a number", value)


def _flag(value: Any, field: str, depth: int) -> None:
    if not isinstance(value, bool):
        _fail(field, "true or false", value)


def _bytes(value: Any, field: str, depth: int) -> None:
    if not isinstance(value, bytes | bytearray | memoryview):
        _fail(field, "bytes", value)


def _none(value: Any, field: str, depth: int) -> None:
    if value is not None:
        _fail(field, "None", value)


def _day(value: Any, field: str, depth: int) -> None:
    require_date(value, field)


def _instant(value: Any, field: str, depth: int) -> None:
    require_datetime(value, field)


def _stream(value: Any, field: str, depth: int) -> None:
    if not callable(getattr(value, "read", None)):
        _fail(field, "a readable binary stream (with a read() method)", value)


def _callable(value: Any, field: str, depth: int) -> None:
    if not callable(value):
        _fail(field, "callable", value)


def _path(value: Any, field: str, depth: int) -> None:
    if not isinstance(value, os.PathLike):
        _fail(field, "a file path", value)


def _instance_of(cls: type) -> _Check:
    name = cls.__name__

    def check(value: Any, field: str, depth: int) -> None:
        if not isinstance(value, cls):
            _fail(field, f"a {name}", value)

    return check


def _enum(cls: type[enum.Enum]) -> _Check:
    names = ", ".join(repr(m.value) for m in cls)

    def check(value: Any, field: str, depth: int) -> None:
        if not isinstance(value, cls):
            raise InvalidInput(
                field,
                f"must be a {cls.__name__} ({names})",
                value,
                rule_code="one_of",
                limits={"allowed": ", ".join(str(m.value) for m in cls)},
            )

    return check


def _literal(options: tuple[Any, ...]) -> _Check:
    shown = ", ".join(repr(o) for o in options)

    def check(value: Any, field: str, depth: int) -> None:
        # Compare by type too: True == 1 must not pass for Literal[1].
        if not any(type(value) is type(o) and value == o for o in options):
            raise InvalidInput(
                field,
                f"must be one of {shown}",
                value,
                rule_code="one_of",
                limits={"allowed": ", ".join(str(o) for o in options)},
            )

    return check


def _union(options: list[_Check], described: str) -> _Check:
    def check(value: Any, field: str, depth: int) -> None:
        first: InvalidInput | None = None
        for option in options:
            try:
                option(value, field, depth)
            except InvalidInput as e:
                first = first or e
            else:
                return
        if len(options) == 2 and first is not None and value is not None:
            # Optional[X]: the error of X says more than "one of X, None".
            raise first
        raise InvalidInput(
            field, f"must be {described}, not {_kind(value)}", value, rule_code="wrong_type"
        )

    return check


def _mapping(key: _Check, item: _Check) -> _Check:
    def check(value: Any, field: str, depth: int) -> None:
        if not isinstance(value, cabc.Mapping):
            _fail(field, "a mapping (a dict)", value)
        _deep(field, depth, value)
        for k, v in value.items():
            key(k, f"{field}[key]", depth + 1)
            item(v, f"{field}[{k!r}]" if isinstance(k, str) and len(k) < 40 else field, depth + 1)

    return check


def _collection(
    outer: type | tuple[type, ...], described: str, item: _Check, *, text_ok: bool = False
) -> _Check:
    def check(value: Any, field: str, depth: int) -> None:
        if not isinstance(value, outer) or (
            not text_ok and isinstance(value, str | bytes | bytearray)
        ):
            _fail(field, described, value)
        _deep(field, depth, value)
        elements = typing.cast(cabc.Iterable[Any], value)
        for i, element in enumerate(elements):
            item(element, f"{field}[{i}]", depth + 1)

    return check


def _iterable(item: _Check) -> _Check:
    # An iterator would be consumed by checking it: only its kind is checked, and
    # a materialised collection is checked element by element.
    def check(value: Any, field: str, depth: int) -> None:
        if isinstance(value, str | bytes | bytearray) or not isinstance(value, cabc.Iterable):
            _fail(field, "a collection of values", value)
        if isinstance(value, cabc.Collection):
            _deep(field, depth, value)
            for i, element in enumerate(value):
                item(element, f"{field}[{i}]", depth + 1)

    return check


def _fixed_tuple(items: list[_Check]) -> _Check:
    def check(value: Any, field: str, depth: int) -> None:
        if not isinstance(value, tuple) or len(value) != len(items):
            _fail(field, f"a tuple of {len(items)} values", value)
        for i, (element, item) in enumerate(zip(value, items, strict=True)):
            item(element, f"{field}[{i}]", depth + 1)

    return check


_SIMPLE: dict[Any, _Check] = {
    str: _text,
    int: _integer,
    float: _number,
    bool: _flag,
    bytes: _bytes,
    type(None): _none,
    None: _none,
    dt.date: _day,
    dt.datetime: _instant,
    Any: _accept,
    object: _accept,
    os.PathLike: _path,
    typing.BinaryIO: _stream,
    typing.IO: _stream,
    io.IOBase: _stream,
    io.BufferedIOBase: _stream,
}


def checker_for(annotation: Any) -> _Check:
    """The check for one resolved annotation (``str | None``, ``Mapping[str, str]``...)."""
    simple = _SIMPLE.get(annotation) if _hashable(annotation) else None
    if simple is not None:
        return simple
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return _union([checker_for(a) for a in args], " or ".join(_describe(a) for a in args))
    if origin is typing.Literal:
        return _literal(args)
    if origin in (typing.Annotated,):
        return checker_for(args[0])
    if origin is type:
        return _callable
    if origin in (cabc.Mapping, dict, cabc.MutableMapping):
        key, item = (checker_for(args[0]), checker_for(args[1])) if args else (_accept, _accept)
        return _mapping(key, item)
    if origin in (list, cabc.Sequence, cabc.MutableSequence):
        outer: tuple[type, ...] = (list,) if origin is list else (cabc.Sequence,)
        return _collection(outer, "a list", checker_for(args[0]) if args else _accept)
    if origin in (frozenset, set, cabc.Set, cabc.MutableSet, cabc.Collection):
        return _collection(
            (cabc.Set, list, tuple) if origin is not cabc.Collection else (cabc.Collection,),
            "a set or list of values",
            checker_for(args[0]) if args else _accept,
        )
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _collection((tuple,), "a tuple", checker_for(args[0]))
        return _fixed_tuple([checker_for(a) for a in args])
    if origin in (cabc.Iterable, cabc.Iterator):
        return _iterable(checker_for(args[0]) if args else _accept)
    if origin is cabc.Callable or annotation is cabc.Callable:
        return _callable
    if origin is os.PathLike:
        return _path
    if origin in (typing.IO, typing.BinaryIO):
        return _stream
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return _enum(annotation)
        if annotation in (cabc.Mapping, dict):
            return _mapping(_accept, _accept)
        return _instance_of(annotation)
    if isinstance(annotation, TypeVar):
        return _accept
    # A protocol or a construct we do not know: accept rather than refuse good input.
    return _accept


def _hashable(annotation: Any) -> bool:
    try:
        hash(annotation)
    except TypeError:
        return False
    return True


def _describe(annotation: Any) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", type(None): "None"}
    if _hashable(annotation) and annotation in names:
        return names[annotation]
    name = getattr(annotation, "__name__", None)
    return f"a {name}" if name else str(annotation)


def _argument_error(fn: Callable[..., Any], error: TypeError, args: Any, kwargs: Any) -> None:
    """Turn ``bind``'s TypeError into InvalidInput naming the argument at fault."""
    message = str(error)
    signature = inspect.signature(fn)
    for name in kwargs:
        if name not in signature.parameters and not any(
            p.kind is p.VAR_KEYWORD for p in signature.parameters.values()
        ):
            raise InvalidInput(
                name, f"is not an argument of {fn.__name__}", rule_code="unknown_argument"
            ) from None
    raise InvalidInput(fn.__name__, f"wrong arguments: {message}") from None


def checks_arguments(fn: _F) -> _F:
    """Wrap ``fn`` so that every argument is checked against its annotation before the call."""
    signature = inspect.signature(fn)
    checks: dict[str, tuple[_Check, inspect.Parameter]] | None = None

    def resolve() -> dict[str, tuple[_Check, inspect.Parameter]]:
        hints = typing.get_type_hints(fn, include_extras=True)
        found: dict[str, tuple[_Check, inspect.Parameter]] = {}
        for name, parameter in signature.parameters.items():
            if name in ("self", "cls") or name not in hints:
                continue
            found[name] = (checker_for(hints[name]), parameter)
        return found

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal checks
        if checks is None:
            checks = resolve()
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            _argument_error(fn, e, args, kwargs)
            raise  # pragma: no cover - _argument_error always raises
        for name, value in bound.arguments.items():
            entry = checks.get(name)
            if entry is None:
                continue
            check, parameter = entry
            if parameter.kind is parameter.VAR_POSITIONAL:
                for i, element in enumerate(value):
                    check(element, f"{name}[{i}]", 0)
            elif parameter.kind is parameter.VAR_KEYWORD:
                for key, element in value.items():
                    named = key.isidentifier() and len(key) <= 60
                    check(element, key if named else f"{name}[{show_value(key)}]", 0)
            else:
                check(value, name, 0)
        return fn(*args, **kwargs)

    return typing.cast(_F, wrapper)


def answers_any_input(fn: _F) -> _F:
    """Mark a method that answers bad input itself (a gateway callback), so it is not wrapped."""
    fn.__onestop_answers_any_input__ = True  # type: ignore[attr-defined]
    return fn


def checked_methods(cls: _C) -> _C:
    """Class decorator: every public method of ``cls`` checks its arguments first.

    Methods marked with :func:`answers_any_input` are left as they are.
    """
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        if getattr(member, "__onestop_answers_any_input__", False):
            continue
        setattr(cls, name, checks_arguments(member))
    return cls
