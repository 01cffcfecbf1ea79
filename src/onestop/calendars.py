"""Vietnamese working calendars, built from the optional ``holidays`` package.

This module lives outside the domain because it imports a third-party data package. The
package knows the statutory holidays, lunar ones included (Tết Nguyên đán, Giỗ Tổ Hùng
Vương), and the swaps it has been told about; the government announces each year's plan
(nghỉ bù, hoán đổi, make-up Saturdays), and the host must add whatever the package lacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from onestop.domain.calendar import WorkingCalendar
from onestop.errors import ConfigurationError, InvalidCalendar

__all__ = ["fixed_vietnam_holidays", "vietnam_calendar"]

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
