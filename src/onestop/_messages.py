"""Render an error's sentence for a citizen from the catalog files in ``onestop/messages``.

One TOML file per locale (``vi.toml``, ``en.toml``), keyed by the error's stable code, so a
translator edits text, never code. A message names its parameters in braces (``{min_length}``);
a message whose parameters are not all known gives way to the entry's ``fallback``, then to the
entry of the parent class, so that rendering never fails and never shows a placeholder.

Values are shown for people: numbers with thousands separators, dates as dd/mm/yyyy, instants
in Vietnam time, lists joined; anything that would only show as a Python ``repr`` is left out.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onestop.errors import OnestopError

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "catalog",
    "field_label",
    "normalize_locale",
    "render_message",
    "render_title",
]

DEFAULT_LOCALE = "vi"
LOCALES = ("vi", "en")

#: Vietnam has kept UTC+7 without daylight saving since 1975; no tz database needed.
VIETNAM_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")

#: Longest text shown from a parameter (a name, a code); the rest becomes "…".
MAX_SHOWN_TEXT = 120

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_INDEX = re.compile(r"\[[^\]]*\]")


def normalize_locale(locale: object) -> str:
    """``"vi"`` or ``"en"`` from ``"vi"``, ``"en-US"``, ``"EN_gb"``; anything else is ``"vi"``."""
    if isinstance(locale, str):
        language = locale.replace("_", "-").split("-", 1)[0].strip().lower()
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE


@functools.cache
def catalog(locale: str) -> Mapping[str, Any]:
    """The parsed catalog file of ``locale`` (``"vi"`` or ``"en"``), read once."""
    text = resources.files("onestop").joinpath("messages", f"{locale}.toml").read_text("utf-8")
    return tomllib.loads(text)


def _table(locale: str, name: str) -> Mapping[str, Any]:
    found = catalog(locale).get(name, {})
    return found if isinstance(found, Mapping) else {}


def field_label(field: object, locale: str = DEFAULT_LOCALE) -> str | None:
    """The label people know a field by (``"applicant.phone"`` -> ``"Số điện thoại"``), or None.

    Tried in turn: the whole name, the name without indices (``fee_lines[2].quantity`` ->
    ``fee_lines.quantity``), then its last part (``quantity``).
    """
    if not isinstance(field, str):
        return None
    labels = _table(normalize_locale(locale), "fields")
    plain = _INDEX.sub("", field)
    for candidate in (field, plain, plain.rsplit(".", 1)[-1]):
        label = labels.get(candidate)
        if isinstance(label, str) and label:
            return label
    return None


def _codes(error: OnestopError) -> Iterator[str]:
    """The codes of the error's class and of its ancestors, nearest first."""
    seen: set[str] = set()
    for cls in type(error).__mro__:
        code = cls.__dict__.get("code")
        if isinstance(code, str) and code not in seen:
            seen.add(code)
            yield code


def _candidates(error: OnestopError, locale: str) -> Iterator[object]:
    errors = _table(locale, "errors")
    rules = _table(locale, "rules")
    rule_code = getattr(error, "rule_code", None)
    entries: list[object] = []
    if isinstance(rule_code, str):
        entries.append(rules.get(rule_code))
    entries.extend(errors.get(code) for code in _codes(error))
    entries.append(errors.get("error"))
    for entry in entries:
        if isinstance(entry, Mapping):
            yield entry.get("message")
            yield entry.get("fallback")


def render_message(error: OnestopError, locale: object = DEFAULT_LOCALE) -> str:
    """The error's sentence in ``locale``; never raises, never shows a placeholder."""
    try:
        language = normalize_locale(locale)
        shown = _shown_params(error, language)
        for template in _candidates(error, language):
            if isinstance(template, str):
                text = _fill(template, shown)
                if text is not None:
                    return text
    except Exception:  # a message must never turn one error into two
        pass
    return _last_resort(normalize_locale(locale))


def render_title(error: OnestopError, locale: object = DEFAULT_LOCALE) -> str:
    """The short title of the error's code (the same for every occurrence); never raises."""
    try:
        language = normalize_locale(locale)
        errors = _table(language, "errors")
        for code in (*_codes(error), "error"):
            entry = errors.get(code)
            if isinstance(entry, Mapping) and isinstance(entry.get("title"), str):
                return str(entry["title"])
    except Exception:  # same as above
        pass
    return _last_resort(normalize_locale(locale))


def _last_resort(locale: str) -> str:
    # Used only when the catalog itself is broken or missing.
    if locale == "en":
        return "Something went wrong. Please try again later."
    return "Đã có lỗi xảy ra. Vui lòng thử lại sau."


def _fill(template: str, shown: Mapping[str, str]) -> str | None:
    """``template`` with its placeholders filled, or None if one of them is not known."""
    names = _PLACEHOLDER.findall(template)
    if any(name not in shown for name in names):
        return None
    return _PLACEHOLDER.sub(lambda m: shown[m.group(1)], template)


def _shown_params(error: OnestopError, locale: str) -> dict[str, str]:
    """The error's params as people read them, plus the labels the catalog gives them."""
    params = error.params
    shown: dict[str, str] = {}
    for name, value in params.items():
        text = show(value, locale)
        if text:
            shown[str(name)] = text
    label = field_label(params.get("field"), locale)
    if label is not None:
        shown["field_label"] = label
    max_bytes = params.get("max_bytes")
    if isinstance(max_bytes, int) and not isinstance(max_bytes, bool) and max_bytes > 0:
        shown["max_size"] = _megabytes(max_bytes, locale)
    status = params.get("status")
    if isinstance(status, str):
        status_label = _table(locale, "statuses").get(status)
        if isinstance(status_label, str):
            shown["status_label"] = status_label
    return shown


def show(value: object, locale: str = DEFAULT_LOCALE) -> str | None:
    """``value`` as a person reads it in ``locale``, or None if it has no such form."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = " ".join(value.split())
        if len(text) > MAX_SHOWN_TEXT:
            text = text[: MAX_SHOWN_TEXT - 1] + "…"
        return text or None
    if isinstance(value, int):
        if value.bit_length() > 64:
            return None
        grouped = f"{value:,}"
        return grouped.replace(",", ".") if locale == "vi" else grouped
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return None
        return value.astimezone(VIETNAM_TIME).strftime("%H:%M %d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, frozenset | set):
        return _joined(sorted(value, key=str), locale)
    if isinstance(value, list | tuple):
        return _joined(value, locale)
    if type(value).__str__ is object.__str__:
        return None  # it would show as a repr
    text = str(value)
    return show(text, locale) if text else None


def _joined(values: Iterable[object], locale: str) -> str | None:
    parts = [s for s in (show(v, locale) for v in values) if s]
    if not parts:
        return None
    # A component's name may itself hold commas: a semicolon keeps the list readable.
    return "; ".join(parts)


def _megabytes(size: int, locale: str) -> str:
    """``size`` bytes as MB with up to three significant digits (``2 MB``, ``0,5 MB``)."""
    if size.bit_length() > 64:
        return "∞"
    text = f"{size / (1024 * 1024):.3g}"
    if "e" in text:
        text = f"{size / (1024 * 1024):.0f}"
    return (text.replace(".", ",") if locale == "vi" else text) + " MB"
