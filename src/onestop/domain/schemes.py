"""The code schemes a portal has used: the current one and the former ones, with their dates.

A code stays valid for tracking forever (Circular 03/2025): a portal that changes its scheme
keeps reading the codes it issued before. :class:`SchemeHistory` reads a code under any
scheme the portal has used, and issues under the current one only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from onestop import errors
from onestop.domain.codes import SCHEME_2018, CodeScheme, DossierCode

__all__ = ["FormerScheme", "SchemeHistory"]


def _check_scheme(_instance: object, _attribute: object, value: CodeScheme) -> None:
    if not isinstance(value, CodeScheme):
        raise errors.ConfigurationError(
            f"a former scheme must be a CodeScheme, not {errors.show_value(value)}"
        )


def _check_day(_instance: object, attribute: attrs.Attribute[dt.date], value: dt.date) -> None:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise errors.ConfigurationError(
            f"{attribute.name} of a former scheme must be a date, not {errors.show_value(value)}"
        )


def _as_tuple(values: Iterable[FormerScheme]) -> tuple[FormerScheme, ...]:
    return tuple(values)


@attrs.frozen
class FormerScheme:
    """A scheme the portal used from ``since`` until the day before ``until`` (local days)."""

    scheme: CodeScheme = attrs.field(validator=_check_scheme)
    since: dt.date = attrs.field(validator=_check_day)
    until: dt.date = attrs.field(validator=_check_day)

    def __attrs_post_init__(self) -> None:
        if self.until <= self.since:
            raise errors.ConfigurationError(
                f"former scheme {self.scheme.name} must end ({self.until}) after it began "
                f"({self.since})"
            )

    def covers(self, day: dt.date) -> bool:
        """Whether the portal issued codes under this scheme on local ``day``."""
        return self.since <= day < self.until


@attrs.frozen
class SchemeHistory:
    """The current scheme and the former ones, newest first; parsing accepts all of them."""

    current: CodeScheme = attrs.field(default=SCHEME_2018, validator=_check_scheme)
    former: tuple[FormerScheme, ...] = attrs.field(default=(), converter=_as_tuple)

    def __attrs_post_init__(self) -> None:
        for entry in self.former:
            if not isinstance(entry, FormerScheme):
                raise errors.ConfigurationError(
                    f"former schemes must be FormerScheme values, not {errors.show_value(entry)}"
                )
        # Newest first: a text two schemes can read is read as the later one meant it.
        object.__setattr__(
            self, "former", tuple(sorted(self.former, key=lambda f: f.since, reverse=True))
        )

    @classmethod
    def of(cls, current: CodeScheme, former: Iterable[FormerScheme] = ()) -> SchemeHistory:
        """The history of a portal issuing under ``current`` that used ``former`` before."""
        return cls(current, tuple(former))

    @property
    def schemes(self) -> tuple[CodeScheme, ...]:
        """Every scheme, the current one first, then the former ones newest first."""
        seen: list[CodeScheme] = [self.current]
        for entry in self.former:
            if entry.scheme not in seen:
                seen.append(entry.scheme)
        return tuple(seen)

    def parse(self, text: str, *, province: bool | str = False) -> DossierCode:
        """Read a code issued under any of the portal's schemes.

        Where two schemes read the same text, the one in use on the code's day wins (the
        current one for days after every former scheme). ``province=True`` also asks that the
        prefix carry a province id (the national portal's rule), ``province="H56"`` that one.
        InvalidDossierCode from the current scheme when none reads it.
        """
        readings: list[DossierCode] = []
        first: errors.InvalidDossierCode | None = None
        for scheme in self.schemes:
            try:
                readings.append(DossierCode.parse(text, scheme))
            except errors.InvalidDossierCode as e:
                first = first or e
        if not readings:
            assert first is not None
            raise first
        code = next((c for c in readings if self._in_use(c.scheme, c.day)), readings[0])
        if province:
            code.in_province(province if isinstance(province, str) else None)
        return code

    def _in_use(self, scheme: CodeScheme, day: dt.date) -> bool:
        periods = [f for f in self.former if f.scheme == scheme]
        if scheme == self.current:
            latest = max((f.until for f in self.former), default=dt.date.min)
            return day >= latest or any(f.covers(day) for f in periods)
        return any(f.covers(day) for f in periods)
