"""Hypothesis strategies for working calendars, dates and instants."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from onestop.domain.calendar import WorkingCalendar

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "aware_datetimes",
    "cutoffs",
    "dates",
    "working_calendars",
]

# A narrow window, so generated holidays and make-up days land near the generated dates.
FIRST_DAY = dt.date(2024, 1, 1)
LAST_DAY = dt.date(2026, 12, 31)


def dates(
    min_value: dt.date = FIRST_DAY, max_value: dt.date = LAST_DAY
) -> st.SearchStrategy[dt.date]:
    """Days in the test window."""
    return st.dates(min_value=min_value, max_value=max_value)


@st.composite
def working_calendars(draw: st.DrawFn, max_weekend: int = 6) -> WorkingCalendar:
    """Calendars with a random weekend (keeping a working weekday), holidays and make-up days."""
    weekend = draw(st.frozensets(st.integers(0, 6), max_size=max_weekend))
    holidays = draw(st.frozensets(dates(), max_size=60))
    makeup_days = draw(st.frozensets(dates(), max_size=10))
    return WorkingCalendar(weekend=weekend, holidays=holidays, makeup_days=makeup_days)


def aware_datetimes() -> st.SearchStrategy[dt.datetime]:
    """Instants in the test window, in UTC, UTC+7 or another fixed offset."""
    zones = st.sampled_from(
        [
            dt.UTC,
            dt.timezone(dt.timedelta(hours=7)),
            dt.timezone(dt.timedelta(hours=-5)),
            dt.timezone(dt.timedelta(hours=13)),
        ]
    )
    return st.datetimes(
        min_value=dt.datetime.combine(FIRST_DAY, dt.time()),
        max_value=dt.datetime.combine(LAST_DAY, dt.time()),
        timezones=zones,
    )


def cutoffs() -> st.SearchStrategy[dt.time | None]:
    """No cutoff, or a whole-minute local cutoff during the day."""
    return st.none() | st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))
