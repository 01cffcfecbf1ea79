"""Deadline policies: time limits in working days or hours, the office's hours, supplements.

Decree 118/2025 and the one-stop practice (DOMAIN section 9): a procedure's time limit is in
working days or in working hours; the office's working time is data (07:00-11:30 and
13:30-17:00 by default, a Saturday-morning session where a province has one); a cutoff
(after 15:00 counting starts on the next working day) is per procedure and optional; after a
supplement the limit either restarts from the complete dossier or the due date moves by the
working time spent waiting. Instants are read in Vietnam's local time (UTC+7).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, Literal

import attrs

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import VN_TZ, local_time
from onestop.errors import InvalidCalendar

__all__ = [
    "DEFAULT_SESSIONS",
    "MAX_WORKING_HOURS",
    "DeadlinePolicy",
    "Deadlines",
    "OfficeHours",
    "SupplementRule",
    "TimeLimit",
]

Session = tuple[dt.time, dt.time]

#: The usual office day: 07:00-11:30 and 13:30-17:00, eight working hours.
DEFAULT_SESSIONS: Final[tuple[Session, ...]] = (
    (dt.time(7, 0), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(17, 0)),
)

#: The longest limit in working hours: a limit longer than a year's working hours is a
#: limit in days written wrongly, and hour arithmetic walks the days it spans.
MAX_WORKING_HOURS: Final = 2000

SupplementRule = Literal["restart", "exclude_wait"]
"""After a supplement: ``restart`` the whole limit from the complete dossier (Decree 61 art.
19(4)), or ``exclude_wait``: the due date moves by the working time spent waiting."""


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _to_sessions(value: object) -> tuple[Session, ...]:
    if not isinstance(value, tuple | list):
        raise InvalidCalendar("sessions", "must be a list of (start, end) local times", value)
    sessions = tuple((start, end) for start, end in value)
    previous_end = -1
    for start, end in sessions:
        if not all(isinstance(t, dt.time) and t.tzinfo is None for t in (start, end)):
            raise InvalidCalendar("sessions", "must hold local times without tzinfo", value)
        if t_bad := (start.second or start.microsecond or end.second or end.microsecond):
            raise InvalidCalendar("sessions", "must be whole minutes", t_bad)
        if not previous_end <= _minutes(start) < _minutes(end):
            raise InvalidCalendar(
                "sessions", "must be in order, each ending after it starts, none overlapping", value
            )
        previous_end = _minutes(end)
    return sessions


def _to_weekday_sessions(value: object) -> Mapping[int, tuple[Session, ...]]:
    if not isinstance(value, Mapping):
        raise InvalidCalendar("by_weekday", "must map weekday numbers to sessions", value)
    out: dict[int, tuple[Session, ...]] = {}
    for day, sessions in value.items():
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise InvalidCalendar("by_weekday", "must use weekday numbers 0 to 6", day)
        out[day] = _to_sessions(sessions)
    return out


@attrs.frozen
class OfficeHours:
    """When the office works on a working day: ``sessions``, or ``by_weekday`` for a weekday
    with other hours (``{5: ((7:00, 11:30),)}`` for Saturday mornings; the calendar must count
    Saturday as a working day then). A make-up day keeps the usual sessions."""

    sessions: tuple[Session, ...] = attrs.field(default=DEFAULT_SESSIONS, converter=_to_sessions)
    by_weekday: Mapping[int, tuple[Session, ...]] = attrs.field(
        factory=dict, converter=_to_weekday_sessions, hash=False
    )

    def on(self, calendar: WorkingCalendar, day: dt.date) -> tuple[tuple[int, int], ...]:
        """The day's sessions as (start, end) minutes after local midnight; () if no work."""
        if not calendar.is_working_day(day):
            return ()
        if day in calendar.makeup_days:
            sessions = self.sessions
        else:
            sessions = self.by_weekday.get(day.weekday(), self.sessions)
        return tuple((_minutes(a), _minutes(b)) for a, b in sessions)


@attrs.frozen
class TimeLimit:
    """A processing time: ``amount`` working days or working hours."""

    amount: int
    unit: Literal["days", "hours"] = "days"

    def __attrs_post_init__(self) -> None:
        top = MAX_WORKING_HOURS if self.unit == "hours" else 3660
        if self.unit not in ("days", "hours"):
            raise InvalidCalendar("time_limit.unit", "must be 'days' or 'hours'", self.unit)
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidCalendar("time_limit.amount", "must be a whole number", self.amount)
        if not 0 <= self.amount <= top:
            raise InvalidCalendar(
                "time_limit.amount", f"must be from 0 to {top} {self.unit}", self.amount
            )


@attrs.frozen
class DeadlinePolicy:
    """A procedure's deadline rules: its time limit, optional cutoff and supplement rule."""

    limit: TimeLimit
    cutoff: dt.time | None = None
    supplement: SupplementRule = "exclude_wait"

    def __attrs_post_init__(self) -> None:
        if self.cutoff is not None and (
            not isinstance(self.cutoff, dt.time) or self.cutoff.tzinfo is not None
        ):
            raise InvalidCalendar("cutoff", "must be a local time without tzinfo", self.cutoff)
        if self.supplement not in ("restart", "exclude_wait"):
            raise InvalidCalendar(
                "supplement", "must be 'restart' or 'exclude_wait'", self.supplement
            )


def _whole_minute(instant: dt.datetime) -> dt.datetime:
    """``instant`` in local time, rounded up to a whole minute: a part-minute does not count."""
    local = local_time(instant)
    floor = local.replace(second=0, microsecond=0)
    return floor if floor == local else floor + dt.timedelta(minutes=1)


def _at(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=VN_TZ) + dt.timedelta(minutes=minute)


@attrs.frozen
class Deadlines:
    """Due instants under a calendar and office hours (all results in Vietnam's local time)."""

    calendar: WorkingCalendar = attrs.field(factory=WorkingCalendar)
    hours: OfficeHours = attrs.field(factory=OfficeHours)

    def counting_starts(
        self, received_at: dt.datetime, cutoff: dt.time | None = None
    ) -> dt.datetime:
        """The first working moment that counts: ``received_at`` if the office is working
        then and it is before ``cutoff``; else the start of the next session that does."""
        local = _whole_minute(received_at)
        day, minute = local.date(), local.hour * 60 + local.minute
        if cutoff is not None and minute >= _minutes(cutoff):
            return self._first_moment_after(day)
        for start, end in self.hours.on(self.calendar, day):
            if minute < end:
                return _at(day, max(minute, start))
        return self._first_moment_after(day)

    def _first_moment_after(self, day: dt.date) -> dt.datetime:
        following = self.calendar.next_working_day(day)
        sessions = self.hours.on(self.calendar, following)
        if not sessions:
            raise InvalidCalendar("hours", "has no session on the working day", following)
        return _at(following, sessions[0][0])

    def due(self, received_at: dt.datetime, policy: DeadlinePolicy) -> dt.datetime:
        """When the result is due: the end of the last working minute (hours) or the end of
        the last session of the due date (days, as :meth:`WorkingCalendar.due_date`)."""
        if policy.limit.unit == "days":
            day = self.calendar.due_date(received_at, policy.limit.amount, policy.cutoff)
            sessions = self.hours.on(self.calendar, day)
            return _at(day, sessions[-1][1] if sessions else 24 * 60)
        start = self.counting_starts(received_at, policy.cutoff)
        return self.add_working_minutes(start, policy.limit.amount * 60)

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The instant at which ``minutes`` working minutes after ``start`` have passed."""
        local = _whole_minute(start)
        day = local.date()
        minute = local.hour * 60 + local.minute
        left = minutes
        while True:
            for begin, end in self.hours.on(self.calendar, day):
                begin = max(begin, minute)
                if begin >= end:
                    continue
                if left <= end - begin:
                    return _at(day, begin + left)
                left -= end - begin
            day, minute = self.calendar.next_working_day(day), 0

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working minutes in [start, end), both read to the next whole minute."""
        a, b = _whole_minute(start), _whole_minute(end)
        if b <= a:
            return 0
        total = 0
        day = a.date()
        while day <= b.date():
            lo = a.hour * 60 + a.minute if day == a.date() else 0
            hi = b.hour * 60 + b.minute if day == b.date() else 24 * 60
            for begin, finish in self.hours.on(self.calendar, day):
                total += max(0, min(finish, hi) - max(begin, lo))
            day = self.calendar.next_working_day(day)
        return total

    def after_supplement(
        self,
        policy: DeadlinePolicy,
        due: dt.datetime,
        asked_at: dt.datetime,
        complete_at: dt.datetime,
    ) -> dt.datetime:
        """The new due instant once the complete dossier arrives at ``complete_at``.

        ``restart``: the full limit again from the complete dossier. ``exclude_wait``: the old
        due instant moved by the working time from the request to the complete dossier.
        """
        if policy.supplement == "restart":
            return self.due(complete_at, policy)
        waited = self.working_minutes_between(asked_at, complete_at)
        if policy.limit.unit == "days":
            days = self.calendar.working_days_between(
                local_time(asked_at).date(), local_time(complete_at).date()
            )
            return self.due_on(self.calendar.extend(local_time(due).date(), days))
        if waited == 0:
            return due
        return self.add_working_minutes(due, waited)

    def due_on(self, day: dt.date) -> dt.datetime:
        """The end of the last session of ``day``."""
        sessions = self.hours.on(self.calendar, day)
        return _at(day, sessions[-1][1] if sessions else 24 * 60)
