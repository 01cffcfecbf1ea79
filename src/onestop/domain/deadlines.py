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
from typing import Final, Literal, cast

import attrs

from onestop.domain._working_minutes import MinuteIndex
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.inputs import require_datetime
from onestop.domain.vn_time import VN_TZ, local_time
from onestop.errors import InvalidCalendar, InvalidInput

__all__ = [
    "DEFAULT_SESSIONS",
    "MAX_WORKING_HOURS",
    "SUPPLEMENT_RULES",
    "DeadlinePolicy",
    "Deadlines",
    "OfficeHours",
    "SupplementRule",
    "TimeLimit",
]

Session = tuple[dt.time, dt.time]
#: A day's sessions as (start, end) minutes after local midnight.
DaySessions = tuple[tuple[int, int], ...]

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


#: The supplement rules there are.
SUPPLEMENT_RULES: Final = ("restart", "exclude_wait")


def _one_of(value: object, choices: tuple[str, ...]) -> bool:
    """Whether ``value`` is one of ``choices``; only text is compared (a hostile ``__eq__``
    never runs)."""
    return type(value) is str and value in choices


# More sessions in one day than any office has: a longer list is not a timetable.
_MAX_SESSIONS: Final = 24


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _to_sessions(value: object) -> tuple[Session, ...]:
    if not isinstance(value, tuple | list) or len(value) > _MAX_SESSIONS:
        raise InvalidCalendar(
            "sessions", f"must be a list of at most {_MAX_SESSIONS} (start, end) local times", value
        )
    if not all(isinstance(pair, tuple | list) and len(pair) == 2 for pair in value):
        raise InvalidCalendar("sessions", "must hold (start, end) pairs of local times", value)
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
    # The sessions in minutes: the usual ones, then one entry per weekday (computed once).
    _usual: DaySessions = attrs.field(init=False, eq=False, hash=False, repr=False)
    _weekly: tuple[DaySessions, ...] = attrs.field(init=False, eq=False, hash=False, repr=False)

    @_usual.default
    def _usual_minutes(self) -> DaySessions:
        return tuple((_minutes(a), _minutes(b)) for a, b in self.sessions)

    @_weekly.default
    def _weekly_minutes(self) -> tuple[DaySessions, ...]:
        return tuple(
            tuple((_minutes(a), _minutes(b)) for a, b in self.by_weekday[day])
            if day in self.by_weekday
            else self._usual
            for day in range(7)
        )

    def on(self, calendar: WorkingCalendar, day: dt.date) -> DaySessions:
        """The day's sessions as (start, end) minutes after local midnight; () if no work."""
        if not calendar.is_working_day(day):
            return ()
        if day in calendar.makeup_days:
            return self._usual
        return self._weekly[day.weekday()]


@attrs.frozen
class TimeLimit:
    """A processing time: ``amount`` working days or working hours."""

    amount: int
    unit: Literal["days", "hours"] = "days"

    def __attrs_post_init__(self) -> None:
        if not _one_of(self.unit, ("days", "hours")):
            raise InvalidCalendar("time_limit.unit", "must be 'days' or 'hours'", self.unit)
        top = MAX_WORKING_HOURS if self.unit == "hours" else 3660
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidCalendar("time_limit.amount", "must be a whole number", self.amount)
        if not 0 <= self.amount <= top:
            raise InvalidCalendar(
                "time_limit.amount", f"must be from 0 to {top} {self.unit}", self.amount
            )


@attrs.frozen
class DeadlinePolicy:
    """A procedure's deadline rules: its time limit, optional cutoff and supplement rule
    (None: the portal's, :attr:`Deadlines.supplement`)."""

    limit: TimeLimit
    cutoff: dt.time | None = None
    supplement: SupplementRule | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.limit, TimeLimit):
            raise InvalidCalendar("limit", "must be a TimeLimit", self.limit)
        if self.cutoff is not None and (
            not isinstance(self.cutoff, dt.time) or self.cutoff.tzinfo is not None
        ):
            raise InvalidCalendar("cutoff", "must be a local time without tzinfo", self.cutoff)
        if self.supplement is not None and not _one_of(self.supplement, SUPPLEMENT_RULES):
            raise InvalidCalendar(
                "supplement", "must be 'restart', 'exclude_wait' or None", self.supplement
            )

    @classmethod
    def in_days(
        cls,
        days: int,
        *,
        cutoff: dt.time | None = None,
        supplement: SupplementRule | None = None,
    ) -> DeadlinePolicy:
        """A limit of ``days`` working days."""
        return cls(TimeLimit(days, "days"), cutoff, supplement)

    @classmethod
    def in_hours(
        cls,
        hours: int,
        *,
        cutoff: dt.time | None = None,
        supplement: SupplementRule | None = None,
    ) -> DeadlinePolicy:
        """A limit of ``hours`` working hours."""
        return cls(TimeLimit(hours, "hours"), cutoff, supplement)


def _whole_minute(instant: dt.datetime, field: str) -> dt.datetime:
    """``instant`` in local time, rounded up to a whole minute: a part-minute does not count."""
    require_datetime(instant, field)
    try:
        local = local_time(instant)
        floor = local.replace(second=0, microsecond=0)
        return floor if floor == local else floor + dt.timedelta(minutes=1)
    except (InvalidInput, OverflowError):
        raise InvalidCalendar(
            field, "must fall within the years 1 to 9999 in Vietnam's local time", instant
        ) from None


def _day_minute(local: dt.datetime) -> tuple[dt.date, int]:
    return local.date(), local.hour * 60 + local.minute


def _at(day: dt.date, minute: int) -> dt.datetime:
    if minute >= 24 * 60:
        return dt.datetime.combine(day, dt.time(0), tzinfo=VN_TZ) + dt.timedelta(minutes=minute)
    hour, rest = divmod(minute, 60)
    return dt.datetime(day.year, day.month, day.day, hour, rest, tzinfo=VN_TZ)


def _policy(value: object) -> DeadlinePolicy:
    if not isinstance(value, DeadlinePolicy):
        raise InvalidCalendar("policy", "must be a DeadlinePolicy", value)
    return value


def _to_calendar(value: object) -> WorkingCalendar:
    if not isinstance(value, WorkingCalendar):
        raise InvalidCalendar("calendar", "must be a WorkingCalendar", value)
    return value


def _to_hours(value: object) -> OfficeHours:
    if not isinstance(value, OfficeHours):
        raise InvalidCalendar("hours", "must be OfficeHours", value)
    return value


def _to_rule(value: object) -> SupplementRule:
    if not _one_of(value, SUPPLEMENT_RULES):
        raise InvalidCalendar("supplement", "must be 'restart' or 'exclude_wait'", value)
    return cast(SupplementRule, value)


@attrs.frozen
class Deadlines:
    """The portal's deadline arithmetic: its working calendar, its office hours and the
    supplement rule of procedures that do not choose one (results in Vietnam's local time).

    Every call takes about the same time for 1 working day or 30, for 1 working hour or 2000:
    working days are counted by the calendar's index, working minutes by a cumulative index
    per year (built on first use), both searched by bisection.
    """

    calendar: WorkingCalendar = attrs.field(factory=WorkingCalendar, converter=_to_calendar)
    hours: OfficeHours = attrs.field(factory=OfficeHours, converter=_to_hours)
    supplement: SupplementRule = attrs.field(default="exclude_wait", converter=_to_rule)
    _minutes: MinuteIndex = attrs.field(init=False, eq=False, hash=False, repr=False)

    @_minutes.default
    def _minute_index(self) -> MinuteIndex:
        return MinuteIndex(lambda day: self.hours.on(self.calendar, day))

    def rule_for(self, policy: DeadlinePolicy) -> SupplementRule:
        """The supplement rule ``policy`` follows: its own, else the portal's."""
        return _policy(policy).supplement or self.supplement

    def _start(self, received_at: dt.datetime, cutoff: dt.time | None) -> tuple[dt.date, int]:
        """(day, minute) counting starts from, before moving to a working moment: the next
        day's midnight once ``cutoff`` has passed."""
        if cutoff is not None and (not isinstance(cutoff, dt.time) or cutoff.tzinfo is not None):
            raise InvalidCalendar("cutoff", "must be a local time without tzinfo", cutoff)
        day, minute = _day_minute(_whole_minute(received_at, "received_at"))
        if cutoff is not None and minute >= _minutes(cutoff):
            if day == dt.date.max:
                raise InvalidCalendar("received_at", "must leave a day after it", received_at)
            return day + dt.timedelta(days=1), 0
        return day, minute

    def counting_starts(
        self, received_at: dt.datetime, cutoff: dt.time | None = None
    ) -> dt.datetime:
        """The first working moment that counts: ``received_at`` if the office is working
        then and it is before ``cutoff``; else the start of the next session that does."""
        return _at(*self._minutes.add(*self._start(received_at, cutoff), 0))

    def due(self, received_at: dt.datetime, policy: DeadlinePolicy) -> dt.datetime:
        """When the result is due: the end of the last working minute (hours) or the end of
        the last session of the due date (days, as :meth:`WorkingCalendar.due_date`)."""
        _policy(policy)
        if policy.limit.unit == "days":
            day = self.calendar.due_date(received_at, policy.limit.amount, policy.cutoff)
            return self.due_on(day)
        start = self._start(received_at, policy.cutoff)
        return _at(*self._minutes.add(*start, policy.limit.amount * 60))

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The instant at which ``minutes`` working minutes after ``start`` have passed (with
        0, the first working moment at or after ``start``)."""
        local = _whole_minute(start, "start")
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise InvalidCalendar("minutes", "must be a whole number of minutes", minutes)
        if not 0 <= minutes <= MAX_WORKING_HOURS * 60:
            raise InvalidCalendar(
                "minutes", f"must be from 0 to {MAX_WORKING_HOURS * 60} working minutes", minutes
            )
        return _at(*self._minutes.add(*_day_minute(local), minutes))

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working minutes in [start, end), both read to the next whole minute."""
        a = _day_minute(_whole_minute(start, "start"))
        b = _day_minute(_whole_minute(end, "end"))
        return self._minutes.between(a, b)

    def after_supplement(
        self,
        policy: DeadlinePolicy,
        due: dt.datetime,
        asked_at: dt.datetime,
        complete_at: dt.datetime,
    ) -> dt.datetime:
        """The new due instant once the complete dossier arrives at ``complete_at``.

        ``restart``: the full limit again from the complete dossier. ``exclude_wait``: the old
        due instant moved by the working time from the request to the complete dossier (in
        working days for a limit in days: the working days d with asked < d <= complete).
        """
        if self.rule_for(policy) == "restart":
            _whole_minute(due, "due")
            _whole_minute(asked_at, "asked_at")
            return self.due(complete_at, policy)
        return self.after_wait(policy, due, asked_at, complete_at)

    def after_wait(
        self,
        policy: DeadlinePolicy,
        due: dt.datetime,
        stopped_at: dt.datetime,
        resumed_at: dt.datetime,
    ) -> dt.datetime:
        """The due instant moved by the working time the clock stood still (a pause, a wait
        for payment, a supplement under ``exclude_wait``)."""
        _policy(policy)
        due_local = _whole_minute(due, "due")
        if policy.limit.unit == "days":
            asked = _whole_minute(stopped_at, "stopped_at").date()
            complete = _whole_minute(resumed_at, "resumed_at").date()
            days = self.calendar.working_days_between(asked, complete)
            return self.due_on(self.calendar.extend(due_local.date(), days))
        waited = self.working_minutes_between(stopped_at, resumed_at)
        if waited == 0:
            return due_local
        return self.add_working_minutes(due_local, min(waited, MAX_WORKING_HOURS * 60))

    def due_on(self, day: dt.date) -> dt.datetime:
        """The end of the last session of ``day`` (its midnight if the office does not work)."""
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise InvalidCalendar("day", "must be a date (not a datetime)", day)
        sessions = self.hours.on(self.calendar, day)
        if day == dt.date.max:
            return _at(day, sessions[-1][1] if sessions else 0)
        return _at(day, sessions[-1][1] if sessions else 24 * 60)
