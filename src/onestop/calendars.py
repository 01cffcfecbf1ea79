"""Vietnamese working calendars, built from the optional ``holidays`` package and the host's
yearly plan.

This module lives outside the domain because it imports a third-party data package and reads
files. The package knows the statutory holidays, lunar ones included (Tết Nguyên đán, Giỗ Tổ
Hùng Vương), and the swaps it has been told about; the government announces each year's plan
(nghỉ bù, hoán đổi, make-up Saturdays), and the host adds whatever the package lacks, in code
or as a :class:`HolidayPlan` file (TOML or JSON, see :func:`load_holiday_plan`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.deadlines import Deadlines, OfficeHours, SupplementRule
from onestop.errors import ConfigurationError, InvalidCalendar

__all__ = [
    "HolidayPlan",
    "fixed_vietnam_holidays",
    "load_holiday_plan",
    "vietnam_calendar",
    "vietnam_deadlines",
]

_INSTALL_HINT = (
    "vietnam_calendar needs the 'holidays' package: pip install 'onestop[holidays]'; "
    "without it, build a WorkingCalendar from fixed_vietnam_holidays() and the year's plan"
)

# Since 2021 (Labor Code 2019, art. 112) National Day is 2/9 plus one adjacent day the
# government picks each year; this is the pick the holidays package encodes, matching the
# plans of 2021 to 2026: offset from 2/9, by 2/9's weekday (Monday = 0).
_NATIONAL_DAY_EXTRA = {0: +1, 1: -1, 2: -1, 3: +1, 4: -1, 5: -1, 6: +1}


# The holidays package computes every year asked for; a century is more than any host needs.
_MAX_YEARS = 100


def _check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not dt.MINYEAR < year < dt.MAXYEAR:
        raise InvalidCalendar("year", "must be a year as an int, like 2025", year)
    return year


def fixed_vietnam_holidays(year: int) -> set[dt.date]:
    """The solar public holidays of ``year``: 1/1, 30/4, 1/5, 2/9 and, since 2021, 1/9 or 3/9.

    For hosts without the ``holidays`` package. It leaves out everything that needs the
    lunar calendar or a yearly decision: Tết, Giỗ Tổ Hùng Vương, days off in lieu of holidays
    on a weekend (nghỉ bù), swapped days and make-up Saturdays, and Vietnam Culture Day (24/11),
    which the ``holidays`` package lists from 2026. The host must add them from the year's
    official plan (``WorkingCalendar.with_holidays`` / ``with_makeup_days``).
    """
    _check_year(year)
    national_day = dt.date(year, 9, 2)
    days = {dt.date(year, 1, 1), dt.date(year, 4, 30), dt.date(year, 5, 1), national_day}
    if year >= 2021:
        days.add(national_day + dt.timedelta(days=_NATIONAL_DAY_EXTRA[national_day.weekday()]))
    return days


def vietnam_calendar(
    years: Iterable[int],
    *,
    extra_holidays: Iterable[dt.date] = (),
    makeup_days: Iterable[dt.date] = (),
    extra_days_off: Iterable[dt.date] = (),
) -> WorkingCalendar:
    """A Monday-to-Friday calendar with Vietnam's public holidays of ``years``.

    Holidays and make-up working days come from the ``holidays`` package (install
    ``onestop[holidays]``), which knows the lunar holidays, days off in lieu and the swaps
    of past plans. It covers only the years asked for, so ask for next year too when due
    dates may run into it. The host must add the year's official plan where the package
    lacks it: ``extra_holidays`` (holidays it does not know), ``extra_days_off`` (swapped
    days off, hoán đổi) and ``makeup_days`` (the weekend days worked in exchange, làm bù).
    """
    if isinstance(years, str | bytes | dict) or not isinstance(years, Iterable):
        raise InvalidCalendar(
            "years", "must be a collection of years, like range(2025, 2027)", years
        )
    wanted: set[int] = set()
    for year in years:  # checked while reading: range(1, 10**9) stops at the limit
        wanted.add(_check_year(year))
        if len(wanted) > _MAX_YEARS:
            raise InvalidCalendar("years", f"must name at most {_MAX_YEARS} years")
    chosen = sorted(wanted)
    if not chosen:
        raise InvalidCalendar("years", "must name at least one year")
    try:
        import holidays
    except ImportError as e:
        raise ConfigurationError(_INSTALL_HINT) from e
    # The host's days go through the calendar's own checks first, named by their argument.
    extra_holidays = _host_days(extra_holidays, "extra_holidays")
    extra_days_off = _host_days(extra_days_off, "extra_days_off")
    makeup_days = _host_days(makeup_days, "makeup_days")
    public = holidays.country_holidays("VN", years=chosen)
    # weekend_workdays (the make-up Saturdays of past plans) came in a later release.
    known_makeup_days = getattr(public, "weekend_workdays", ())
    return WorkingCalendar(
        holidays=frozenset(public) | extra_holidays | extra_days_off,
        makeup_days=frozenset(known_makeup_days) | makeup_days,
    )


def _host_days(days: Iterable[dt.date], field: str) -> frozenset[dt.date]:
    try:
        return WorkingCalendar(holidays=days).holidays
    except InvalidCalendar as e:
        raise InvalidCalendar(field, e.rule, e.value) from None


# --- the host's yearly plan ------------------------------------------------------------------

#: The largest plan file read: a plan is a few dozen dates.
MAX_PLAN_FILE_SIZE: Final = 1024 * 1024
_PLAN_KEYS: Final = frozenset({"years", "days_off", "makeup_days", "saturday_sessions"})

Session = tuple[dt.time, dt.time]


def _sessions(value: Iterable[Session]) -> tuple[Session, ...]:
    try:
        return OfficeHours(sessions=value).sessions
    except InvalidCalendar as e:
        raise InvalidCalendar("saturday_sessions", e.rule, e.value) from None


def _days_off(value: Iterable[dt.date]) -> frozenset[dt.date]:
    return _host_days(value, "days_off")


def _makeup_days(value: Iterable[dt.date]) -> frozenset[dt.date]:
    return _host_days(value, "makeup_days")


def _years(value: Iterable[int]) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidCalendar("years", "must be a list of years, like [2026]", value)
    return tuple(sorted({_check_year(year) for year in value}))


@attrs.frozen
class HolidayPlan:
    """The year's official plan as the host publishes it (kế hoạch nghỉ lễ, làm bù).

    ``days_off``: holidays the ``holidays`` package does not know and swapped days off;
    ``makeup_days``: weekend days worked in exchange (a make-up day keeps the usual
    sessions); ``saturday_sessions``: the Saturday-morning sessions of an office that works
    on Saturdays (empty: Saturday is a day off); ``years``: the years the calendar covers.
    """

    days_off: frozenset[dt.date] = attrs.field(default=frozenset(), converter=_days_off)
    makeup_days: frozenset[dt.date] = attrs.field(default=frozenset(), converter=_makeup_days)
    saturday_sessions: tuple[Session, ...] = attrs.field(default=(), converter=_sessions)
    years: tuple[int, ...] = attrs.field(default=(), converter=_years)

    def covered_years(self) -> tuple[int, ...]:
        """``years``, else the years the plan's dates fall in."""
        if self.years:
            return self.years
        return tuple(sorted({d.year for d in self.days_off | self.makeup_days}))

    def calendar(self, years: Iterable[int] | None = None) -> WorkingCalendar:
        """Vietnam's calendar of ``years`` (the plan's own by default) from the ``holidays``
        package, merged with the plan: its days off, its make-up days, and Saturdays worked
        when the office has Saturday sessions."""
        chosen = self.covered_years() if years is None else years
        base = vietnam_calendar(chosen, extra_days_off=self.days_off, makeup_days=self.makeup_days)
        if self.saturday_sessions:
            return attrs.evolve(base, weekend=base.weekend - {5})
        return base

    def office_hours(self, hours: OfficeHours | None = None) -> OfficeHours:
        """``hours`` (the usual ones by default) with the plan's Saturday sessions."""
        base = OfficeHours() if hours is None else hours
        if not self.saturday_sessions:
            return base
        return attrs.evolve(base, by_weekday={**base.by_weekday, 5: self.saturday_sessions})

    def deadlines(
        self, years: Iterable[int] | None = None, *, supplement: SupplementRule = "exclude_wait"
    ) -> Deadlines:
        """The portal's deadline arithmetic under this plan (calendar and office hours)."""
        return Deadlines(self.calendar(years), self.office_hours(), supplement)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> HolidayPlan:
        """A plan from a parsed TOML or JSON document (dates as ``YYYY-MM-DD``, times as
        ``HH:MM``); InvalidCalendar names the key and the rule."""
        if not isinstance(data, Mapping):
            raise InvalidCalendar("plan", "must be a table (TOML) or an object (JSON)", data)
        unknown = sorted(str(k) for k in set(data) - _PLAN_KEYS)
        if unknown:
            raise InvalidCalendar(
                "plan", f"has unknown keys {', '.join(unknown)}; known: {sorted(_PLAN_KEYS)}"
            )
        return cls(
            days_off=_read_dates(data.get("days_off", []), "days_off"),
            makeup_days=_read_dates(data.get("makeup_days", []), "makeup_days"),
            saturday_sessions=_read_sessions(data.get("saturday_sessions", [])),
            years=_read_list(data.get("years", []), "years"),
        )


def _read_list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidCalendar(field, "must be a list", value)
    return value


def _read_dates(value: object, field: str) -> list[dt.date]:
    days = []
    for i, item in enumerate(_read_list(value, field)):
        if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
            days.append(item)  # TOML dates arrive as dates
            continue
        try:
            days.append(dt.date.fromisoformat(item))
        except (TypeError, ValueError):
            raise InvalidCalendar(f"{field}[{i}]", "must be a date, YYYY-MM-DD", item) from None
    return days


def _read_time(value: object, field: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidCalendar(field, "must be a local time, HH:MM", value) from None


def _read_sessions(value: object) -> list[Session]:
    sessions = []
    for i, item in enumerate(_read_list(value, "saturday_sessions")):
        field = f"saturday_sessions[{i}]"
        if not isinstance(item, list) or len(item) != 2:
            raise InvalidCalendar(
                field, "must be a pair [start, end] like ['07:30', '11:30']", item
            )
        sessions.append((_read_time(item[0], field), _read_time(item[1], field)))
    return sessions


def load_holiday_plan(path: str | os.PathLike[str]) -> HolidayPlan:
    """The host's yearly plan from a TOML (``.toml``) or JSON file (any other name)::

        years = [2026]
        days_off = [2026-01-02, 2026-02-13]      # or "2026-01-02" text
        makeup_days = [2026-01-03]
        saturday_sessions = [["07:30", "11:30"]]

    ConfigurationError when the file cannot be read or parsed; InvalidCalendar names the
    key whose value breaks a rule.
    """
    file = Path(os.fspath(path))
    try:
        with file.open("rb") as handle:
            content = handle.read(MAX_PLAN_FILE_SIZE + 1)
    except OSError as e:
        raise ConfigurationError(f"cannot read the holiday plan {file}: {e.strerror}") from e
    if len(content) > MAX_PLAN_FILE_SIZE:
        raise ConfigurationError(f"the holiday plan {file} is larger than 1 MiB")
    try:
        text = content.decode("utf-8")
        data = tomllib.loads(text) if file.suffix.lower() == ".toml" else json.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        raise ConfigurationError(f"the holiday plan {file} is not valid: {e}") from e
    return HolidayPlan.from_mapping(data)


def vietnam_deadlines(
    years: Iterable[int],
    *,
    plan: HolidayPlan | None = None,
    supplement: SupplementRule = "exclude_wait",
) -> Deadlines:
    """Deadlines on Vietnam's calendar of ``years``, with the host's ``plan`` if any."""
    if plan is None:
        return Deadlines(vietnam_calendar(years), OfficeHours(), supplement)
    return plan.deadlines(years, supplement=supplement)
