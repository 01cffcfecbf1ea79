"""Working days and due dates (DOMAIN section 4).

A working day is a make-up working day the government announced, or else a day that is
neither a weekend day nor a holiday. Processing times count working days strictly after
the day a dossier is received.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from typing import Any

import attrs

from onestop.domain.codes import VN_TZ
from onestop.domain.inputs import require_datetime
from onestop.errors import InvalidCalendar

__all__ = ["MAX_DAYS_WITHOUT_WORK", "MAX_WORKING_DAYS", "WorkingCalendar"]

#: The longest run of non-working days before the calendar is taken to be wrong: ten years
#: without a working day means the calendar is wrong, not the dossier.
MAX_DAYS_WITHOUT_WORK = 3660

#: The most working days one call adds: ten years' worth of days, far beyond any processing
#: time or extension, and small enough that no result runs off the calendar by accident.
MAX_WORKING_DAYS = 3660

_LAST_ORDINAL = dt.date.max.toordinal()


# --- checks ----------------------------------------------------------------------------------


def _collection(values: Any, field: str, what: str) -> Iterable[Any]:
    if isinstance(values, frozenset | set | list | tuple | range):
        return values
    if isinstance(values, str | bytes | bytearray | dict) or not isinstance(values, Iterable):
        raise InvalidCalendar(field, f"must be a collection of {what}", values)
    return values


def _to_weekdays(values: Iterable[int]) -> frozenset[int]:
    days = set()
    # Checked while reading, so an endless or absurd iterable fails at its first bad value.
    for day in _collection(values, "weekend", "weekday numbers"):
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise InvalidCalendar(
                "weekend", "must hold Python weekday numbers, 0 (Monday) to 6 (Sunday)", day
            )
        days.add(day)
    return frozenset(days)


def _to_dates(values: Iterable[dt.date], field: str) -> frozenset[dt.date]:
    days = set()
    for day in _collection(values, field, "dates"):
        # A datetime is a date subclass that never equals a date, so it would silently
        # fail every membership test.
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise InvalidCalendar(field, "must hold dates (not datetimes)", day)
        days.add(day)
    return frozenset(days)


def _to_holidays(values: Iterable[dt.date]) -> frozenset[dt.date]:
    return _to_dates(values, "holidays")


def _to_makeup_days(values: Iterable[dt.date]) -> frozenset[dt.date]:
    return _to_dates(values, "makeup_days")


def _check_date(value: object, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidCalendar(field, "must be a date (not a datetime)", value)
    return value


def _check_count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCalendar(field, "must be a whole number of working days (an int)", value)
    if not 0 <= value <= MAX_WORKING_DAYS:
        raise InvalidCalendar(
            field, f"must be from 0 to {MAX_WORKING_DAYS} working days (about ten years)", value
        )
    return value


# --- the working-day index -------------------------------------------------------------------


class _Index:
    """Working days counted in O(log n): the weekly pattern plus a sorted list of exceptions.

    Days are ordinals (``date.toordinal()``; ordinal 1 is Monday 0001-01-01). A weekly
    pattern day is one whose weekday is not in the weekend. The calendar differs from the
    pattern only on its exceptions: holidays on pattern days (off) and make-up days on
    weekend days (worked). ``count(o)``, the number of working days on or before ``o``, is
    the pattern's count (whole weeks times working weekdays, plus a partial week) corrected
    by the exceptions up to ``o``; the n-th working day after a day is found by bisecting the
    exceptions' counts, then solving the pattern between two exceptions.
    """

    __slots__ = (
        "before",
        "counts",
        "exceptions",
        "long_runs",
        "offsets",
        "per_week",
        "weekdays",
    )

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.weekdays = tuple(d for d in range(7) if d not in calendar.weekend)
        self.per_week = len(self.weekdays)
        self.before = tuple(sum(1 for d in self.weekdays if d < r) for r in range(8))
        off = {h.toordinal() for h in calendar.holidays if self._on_pattern(h)}
        off -= {m.toordinal() for m in calendar.makeup_days}
        worked = {m.toordinal() for m in calendar.makeup_days if not self._on_pattern(m)}
        self.exceptions = sorted(off | worked)
        self.counts: list[int] = []
        self.long_runs: list[tuple[int, int | None]] = []
        previous = 0
        count = 0
        last_worked = 0  # the last working day seen, 0 before the first
        for day in self.exceptions:
            between = self.pattern_count(day - 1) - self.pattern_count(previous)
            if between:
                self._note_run(last_worked, self.nth_pattern_day(self.pattern_count(previous) + 1))
                last_worked = self.nth_pattern_day(self.pattern_count(day - 1))
            count += between
            if day in worked:
                count += 1
                self._note_run(last_worked, day)
                last_worked = day
            self.counts.append(count)
            previous = day
        if self.per_week:
            self._note_run(last_worked, self.nth_pattern_day(self.pattern_count(previous) + 1))
        else:
            self.long_runs.append((last_worked, None))
        # offsets[k]: what the count differs from the pattern's once k exceptions have passed.
        self.offsets = [0] + [
            count - self.pattern_count(day)
            for day, count in zip(self.exceptions, self.counts, strict=True)
        ]

    def _on_pattern(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays

    def _note_run(self, last_worked: int, next_worked: int) -> None:
        if next_worked - last_worked > MAX_DAYS_WITHOUT_WORK:
            self.long_runs.append((last_worked, next_worked))

    def pattern_count(self, ordinal: int) -> int:
        """Pattern days among ordinals 1 to ``ordinal``."""
        weeks, rest = divmod(ordinal, 7)
        return weeks * self.per_week + self.before[rest]

    def nth_pattern_day(self, n: int) -> int:
        """The ordinal of the n-th pattern day (n >= 1); needs a pattern day in the week."""
        weeks, k = divmod(n - 1, self.per_week)
        return weeks * 7 + self.weekdays[k] + 1

    def count(self, ordinal: int) -> int:
        """Working days among ordinals 1 to ``ordinal``."""
        weeks, rest = divmod(ordinal, 7)
        return (
            weeks * self.per_week
            + self.before[rest]
            + self.offsets[bisect.bisect_right(self.exceptions, ordinal)]
        )

    def add(self, start: int, n: int) -> int | None:
        """The ordinal of the n-th working day after ``start`` (n >= 1), or None if none."""
        target = self.count(start) + n
        i = bisect.bisect_left(self.counts, target)  # the first exception counting >= target
        found = self.exceptions[i] if i < len(self.exceptions) else None
        if self.per_week:
            # Between exception i - 1 and exception i the count grows as the pattern's does.
            weeks, k = divmod(target - self.offsets[i] - 1, self.per_week)
            candidate = weeks * 7 + self.weekdays[k] + 1
            if found is None or candidate < found:
                return candidate
        return found

    def long_run_crossed(self, start: int, end: int) -> int | None:
        """The day a run of non-working days too long to cross starts, in (start, end]."""
        for last_worked, next_worked in self.long_runs:
            if next_worked is not None and start < next_worked <= end:
                run_start = max(last_worked, start)
                if next_worked - run_start > MAX_DAYS_WITHOUT_WORK:
                    return run_start
        return None


# --- the calendar ----------------------------------------------------------------------------


@attrs.frozen
class WorkingCalendar:
    """Which days an office works: Monday to Friday by default, minus holidays, plus make-up days.

    A make-up day (ngày làm bù) is a working day whatever else the calendar says, even on a
    weekend or a listed holiday: the government's yearly plan overrides the defaults.
    Adding and counting working days takes about the same time for 1 day or 3,000: the
    calendar keeps an index of its exceptions to the weekly pattern, built on first use.
    """

    weekend: frozenset[int] = attrs.field(default=frozenset({5, 6}), converter=_to_weekdays)
    holidays: frozenset[dt.date] = attrs.field(default=frozenset(), converter=_to_holidays)
    makeup_days: frozenset[dt.date] = attrs.field(default=frozenset(), converter=_to_makeup_days)
    _index_cache: _Index | None = attrs.field(
        init=False, default=None, eq=False, hash=False, repr=False
    )

    def with_holidays(self, *days: dt.date) -> WorkingCalendar:
        """A copy with ``days`` added to the holidays."""
        return attrs.evolve(self, holidays=self.holidays | _to_holidays(days))

    def with_makeup_days(self, *days: dt.date) -> WorkingCalendar:
        """A copy with ``days`` added to the make-up working days."""
        return attrs.evolve(self, makeup_days=self.makeup_days | _to_makeup_days(days))

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the office works on ``day``."""
        _check_date(day, "day")
        return self._works(day)

    def _works(self, day: dt.date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        _check_date(day, "day")
        return self._add(day, 1, "day")

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after ``start``; ``start`` itself when n is 0.

        ``n`` is at most :data:`MAX_WORKING_DAYS`; InvalidCalendar when the result would fall
        after 9999-12-31 or behind a run of more than :data:`MAX_DAYS_WITHOUT_WORK` days
        without work.
        """
        _check_date(start, "start")
        _check_count(n, "n")
        return self._add(start, n, "n")

    def _index(self) -> _Index:
        index = self._index_cache
        if index is None:
            index = _Index(self)
            # A cache, not state: two threads may both build it, and either copy is right.
            object.__setattr__(self, "_index_cache", index)
        return index

    def _add(self, start: dt.date, n: int, field: str, value: object = None) -> dt.date:
        """The n-th working day after ``start``; errors name ``field`` (given ``value``)."""
        if not n:
            return start
        index = self._index()
        begin = start.toordinal()
        end = index.add(begin, n)
        if end is None:
            raise InvalidCalendar(
                "calendar",
                f"has no working day in the {MAX_DAYS_WITHOUT_WORK} days after "
                f"{start.isoformat()}, nor any later; check its weekend, holidays and make-up days",
            )
        if index.long_runs:
            run_start = index.long_run_crossed(begin, end)
            if run_start is not None:
                raise InvalidCalendar(
                    "calendar",
                    f"has no working day in the {MAX_DAYS_WITHOUT_WORK} days after "
                    f"{dt.date.fromordinal(run_start).isoformat()}; "
                    "check its weekend, holidays and make-up days",
                )
        if end > _LAST_ORDINAL:
            raise InvalidCalendar(
                field,
                f"must not take the result past {dt.date.max.isoformat()}, the last date "
                f"there is (counting {n} working days from {start.isoformat()})",
                n if value is None else value,
            )
        return dt.date.fromordinal(end)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days d have start < d <= end (0 when end <= start)."""
        _check_date(start, "start")
        _check_date(end, "end")
        if end <= start:
            return 0
        index = self._index()
        return index.count(end.toordinal()) - index.count(start.toordinal())

    def due_date(
        self, received_at: dt.datetime, working_days: int, cutoff: dt.time | None = None
    ) -> dt.date:
        """The appointment date for a dossier received at ``received_at``.

        ``received_at`` is read in Vietnam's local time (UTC+7). Reception counts from the
        local day, unless that day is not a working day, or ``cutoff`` (a local wall-clock
        time) is given and the local time is at or after it: then it counts from the next
        working day. The due date is that many working days after it, so a dossier received
        on Friday after the cutoff with 1 working day is due on Tuesday.
        """
        if not isinstance(received_at, dt.datetime):
            raise InvalidCalendar("received_at", "must be a datetime", received_at)
        require_datetime(received_at, "received_at")  # NaiveDatetime without a time zone
        _check_count(working_days, "working_days")
        if cutoff is not None and (not isinstance(cutoff, dt.time) or cutoff.tzinfo is not None):
            raise InvalidCalendar(
                "cutoff", "must be a local wall-clock time (a time without tzinfo)", cutoff
            )
        try:
            local = received_at.astimezone(VN_TZ)
        except (OverflowError, ValueError):
            # Only instants within hours of year 1 or year 9999 get here.
            raise InvalidCalendar(
                "received_at",
                "must fall within the years 1 to 9999 in Vietnam's local time",
                received_at,
            ) from None
        day = local.date()
        late = cutoff is not None and local.time() >= cutoff
        if late or not self._works(day):
            # Counting from the next working day is counting one more from the day itself.
            return self._add(day, working_days + 1, "working_days", working_days)
        return self._add(day, working_days, "working_days")

    def extend(self, due: dt.date, working_days: int) -> dt.date:
        """``due`` moved ``working_days`` working days later: the clock stopped for a supplement."""
        _check_date(due, "due")
        _check_count(working_days, "working_days")
        return self._add(due, working_days, "working_days")
