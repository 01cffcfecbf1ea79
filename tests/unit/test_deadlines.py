"""Deadline policies: working hours as data, cutoffs, both supplement rules, against a slow
reference that walks through time minute by minute."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop import errors
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import VN_TZ
from onestop.domain.deadlines import DeadlinePolicy, Deadlines, OfficeHours, TimeLimit

#: National Day 2025 (Monday 1 and Tuesday 2 September), and a make-up Saturday.
CALENDAR = WorkingCalendar(
    holidays={dt.date(2025, 9, 1), dt.date(2025, 9, 2)}, makeup_days={dt.date(2025, 9, 6)}
)
SATURDAY_MORNINGS = Deadlines(
    WorkingCalendar(weekend={6}, holidays=CALENDAR.holidays),
    OfficeHours(by_weekday={5: ((dt.time(7, 0), dt.time(11, 30)),)}),
)
OFFICES = (Deadlines(CALENDAR), SATURDAY_MORNINGS)
MINUTE = dt.timedelta(minutes=1)


def vn(day: int, hour: int = 9, minute: int = 0, month: int = 8) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=VN_TZ)


# --- the slow, obviously right reference -----------------------------------------------------


def _working(office: Deadlines, minute: dt.datetime) -> bool:
    """Whether the minute starting at ``minute`` is working time."""
    local = minute.astimezone(VN_TZ)
    of_day = local.hour * 60 + local.minute
    return any(a <= of_day < b for a, b in office.hours.on(office.calendar, local.date()))


def _ceil_minute(instant: dt.datetime) -> dt.datetime:
    local = instant.astimezone(VN_TZ)
    floor = local.replace(second=0, microsecond=0)
    return floor if floor == local else floor + MINUTE


def _reference_start(
    office: Deadlines, received: dt.datetime, cutoff: dt.time | None
) -> dt.datetime:
    t = _ceil_minute(received)
    if cutoff is not None and t.time() >= cutoff:
        t = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time(0), tzinfo=VN_TZ)
    while not _working(office, t):
        t += MINUTE
    return t


def _reference_walk(office: Deadlines, start: dt.datetime, minutes: int) -> dt.datetime:
    t = start
    while minutes:
        if _working(office, t):
            minutes -= 1
        t += MINUTE
    return t


def _reference_waited(office: Deadlines, start: dt.datetime, end: dt.datetime) -> int:
    t, n = _ceil_minute(start), 0
    while t < _ceil_minute(end):
        n += _working(office, t)
        t += MINUTE
    return n


def _reference_due(office: Deadlines, received: dt.datetime, policy: DeadlinePolicy) -> dt.datetime:
    start = _reference_start(office, received, policy.cutoff)
    return _reference_walk(office, start, policy.limit.amount * 60)


instants = st.datetimes(min_value=dt.datetime(2025, 8, 25), max_value=dt.datetime(2025, 9, 12)).map(
    lambda t: t.replace(tzinfo=VN_TZ)
)
hour_policies = st.builds(
    DeadlinePolicy,
    limit=st.builds(TimeLimit, st.integers(1, 24), st.just("hours")),
    cutoff=st.none() | st.sampled_from([dt.time(15, 0), dt.time(16, 30)]),
    supplement=st.sampled_from(["restart", "exclude_wait"]),
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(OFFICES), instants, hour_policies)
def test_hour_limits_match_the_minute_walk(
    office: Deadlines, received: dt.datetime, policy: DeadlinePolicy
) -> None:
    """A limit in working hours ends where walking minute by minute through working time does."""
    assert office.due(received, policy) == _reference_due(office, received, policy)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(OFFICES),
    instants,
    hour_policies,
    st.integers(0, 3 * 24 * 60),
    st.integers(0, 4 * 24 * 60),
)
def test_both_supplement_rules_match_the_minute_walk(
    office: Deadlines, received: dt.datetime, policy: DeadlinePolicy, ask_after: int, wait: int
) -> None:
    """restart: the whole limit from the complete dossier; exclude_wait: the due moment moves
    by exactly the working minutes spent waiting."""
    due = office.due(received, policy)
    asked = received + dt.timedelta(minutes=ask_after)
    complete = asked + dt.timedelta(minutes=wait)
    moved = office.after_supplement(policy, due, asked, complete)
    if policy.supplement == "restart":
        assert moved == _reference_due(office, complete, policy)
    else:
        waited = _reference_waited(office, asked, complete)
        assert office.working_minutes_between(asked, complete) == waited
        expected = due if waited == 0 else _reference_walk(office, due, waited)
        assert moved == expected


def test_a_friday_afternoon_dossier_with_a_cutoff() -> None:
    """Received Friday 15:20 with a 15:00 cutoff and 4 working hours: due Monday 11:00."""
    policy = DeadlinePolicy(TimeLimit(4, "hours"), cutoff=dt.time(15, 0))
    assert Deadlines(CALENDAR).due(vn(29, 15, 20), policy) == vn(3, 11, 0, month=9)


def test_same_day_or_next_working_day_after_the_cutoff() -> None:
    """Certified copies: 0 working days, so the same day before 15:00, else the next one."""
    policy = DeadlinePolicy(TimeLimit(0), cutoff=dt.time(15, 0))
    office = Deadlines(CALENDAR)
    assert office.due(vn(27, 14, 59), policy) == vn(27, 17, 0)
    assert office.due(vn(27, 15, 0), policy) == vn(28, 17, 0)


def test_a_saturday_morning_session_counts() -> None:
    """With Saturday mornings, 8 working hours from Friday 13:30 end Saturday 11:30."""
    policy = DeadlinePolicy(TimeLimit(8, "hours"))
    assert SATURDAY_MORNINGS.due(vn(29, 13, 30), policy) == dt.datetime(
        2025, 8, 30, 11, 30, tzinfo=VN_TZ
    )


def test_day_limits_keep_the_calendar_rule_and_end_with_the_office_day() -> None:
    """3 working days from Friday 29 August skip the weekend and National Day: 5 September."""
    policy = DeadlinePolicy(TimeLimit(3))
    assert Deadlines(CALENDAR).due(vn(29), policy) == vn(5, 17, 0, month=9)


def test_exclude_wait_in_days_moves_by_the_working_days_waited() -> None:
    """Asked Wednesday, complete Friday of the same week: two working days later."""
    policy = DeadlinePolicy(TimeLimit(3))
    office = Deadlines(CALENDAR)
    due = office.due(vn(25), policy)
    assert due == vn(28, 17, 0)
    assert office.after_supplement(policy, due, vn(26), vn(28)) == vn(3, 17, 0, month=9)


@pytest.mark.parametrize(
    "build",
    [
        lambda: TimeLimit(-1),
        lambda: TimeLimit(1, "weeks"),  # type: ignore[arg-type]
        lambda: TimeLimit(10_000, "hours"),
        lambda: OfficeHours(((dt.time(13, 0), dt.time(11, 0)),)),
        lambda: OfficeHours(((dt.time(7, 0), dt.time(12, 0)), (dt.time(11, 0), dt.time(17, 0)))),
        lambda: DeadlinePolicy(TimeLimit(1), supplement="pause"),  # type: ignore[arg-type]
    ],
)
def test_bad_policies_are_refused(build: object) -> None:
    """Negative or huge limits, unknown units, crossed or overlapping sessions, unknown rules."""
    with pytest.raises(errors.InvalidCalendar):
        build()  # type: ignore[operator]
