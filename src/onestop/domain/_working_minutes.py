"""Working minutes counted in logarithmic time: one cumulative index per calendar year.

A position is a number of working minutes since the local midnight starting 1 January of
a year. Each year's index holds, for every day, the working minutes before it and the day's
sessions, so finding the instant ``n`` working minutes after another is a bisection in one
or two years' index (a limit in working hours spans at most a few hundred days), never a
walk day by day. Indexes are built on first use and kept: a year is a few hundred entries.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from typing import Final

import attrs

from onestop.errors import InvalidCalendar

__all__ = ["MAX_YEARS_SPANNED", "MinuteIndex", "YearIndex"]

#: The most calendar years one computation may cross: ten years without enough working time
#: means the calendar is wrong, not the dossier.
MAX_YEARS_SPANNED: Final = 10

#: A day's sessions as (start, end) minutes after local midnight.
DaySessions = tuple[tuple[int, int], ...]


@attrs.frozen
class YearIndex:
    """One year's working minutes: ``before[i]`` minutes precede day ``i`` (0 is 1 January);
    ``before[-1]`` is the year's total."""

    year: int
    before: tuple[int, ...]
    sessions: tuple[DaySessions, ...]
    #: The ordinal of 1 January (``date.toordinal``).
    first: int

    @classmethod
    def build(cls, year: int, sessions_on: Callable[[dt.date], DaySessions]) -> YearIndex:
        first = dt.date(year, 1, 1)
        days = (dt.date(year + 1, 1, 1) - first).days if year < dt.MAXYEAR else 365
        before = [0]
        sessions = []
        for i in range(days):
            today = sessions_on(first + dt.timedelta(days=i))
            sessions.append(today)
            before.append(before[-1] + sum(end - start for start, end in today))
        return cls(year, tuple(before), tuple(sessions), first.toordinal())

    @property
    def total(self) -> int:
        return self.before[-1]

    def position(self, day: dt.date, minute: int) -> int:
        """Working minutes from 1 January to ``minute`` (after midnight) of ``day``."""
        i = day.toordinal() - self.first
        worked = 0
        for start, end in self.sessions[i]:
            worked += max(0, min(end, minute) - start)
        return self.before[i] + worked

    def instant(self, position: int, *, first_after: bool) -> tuple[dt.date, int]:
        """Where the year's working minutes reach ``position`` (0 < position <= total, or 0 with
        ``first_after``): at the end of the position-th working minute, or with
        ``first_after`` at the start of the next one."""
        if first_after:
            i = bisect.bisect_right(self.before, position) - 1
        else:
            i = bisect.bisect_left(self.before, position) - 1
        left = position - self.before[i]
        for start, end in self.sessions[i]:
            length = end - start
            if left < length or (left == length and not first_after):
                return dt.date.fromordinal(self.first + i), start + left
            left -= length
        raise AssertionError("a position inside the year lies inside one of its days")


class MinuteIndex:
    """The working minutes of every year asked about, from ``sessions_on`` (a day's sessions)."""

    __slots__ = ("_sessions_on", "_years")

    def __init__(self, sessions_on: Callable[[dt.date], DaySessions]) -> None:
        self._sessions_on = sessions_on
        self._years: dict[int, YearIndex] = {}

    def year(self, year: int) -> YearIndex:
        index = self._years.get(year)
        if index is None:
            index = YearIndex.build(year, self._sessions_on)
            self._years[year] = index
        return index

    def add(self, day: dt.date, minute: int, minutes: int) -> tuple[dt.date, int]:
        """The (day, minute) at which ``minutes`` working minutes after ``minute`` of ``day``
        have passed; with ``minutes`` 0, the first working moment at or after it."""
        year = self.year(day.year)
        target = year.position(day, minute) + minutes
        first_after = minutes == 0
        for _ in range(MAX_YEARS_SPANNED + 1):
            if target < year.total or (target == year.total and not first_after and target):
                return year.instant(target, first_after=first_after)
            target -= year.total
            if year.year >= dt.MAXYEAR:
                raise InvalidCalendar(
                    "calendar", "has too little working time left before the year 9999 ends"
                )
            year = self.year(year.year + 1)
        raise InvalidCalendar(
            "calendar",
            f"has too little working time in the {MAX_YEARS_SPANNED} years after "
            f"{day.isoformat()}; check its weekend, holidays, make-up days and office hours",
        )

    def between(self, start: tuple[dt.date, int], end: tuple[dt.date, int]) -> int:
        """Working minutes from ``start`` to ``end`` (each a (day, minute)); 0 if end <= start."""
        if end <= start:
            return 0
        if end[0].year - start[0].year > MAX_YEARS_SPANNED:
            raise InvalidCalendar(
                "end",
                f"must be within {MAX_YEARS_SPANNED} years of the start to count working time",
                end[0],
            )
        total = -self.year(start[0].year).position(*start)
        for year in range(start[0].year, end[0].year):
            total += self.year(year).total
        return total + self.year(end[0].year).position(*end)
