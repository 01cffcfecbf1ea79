"""Working days, due dates and the Vietnamese calendar."""

from __future__ import annotations

import datetime as dt
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.calendars import fixed_vietnam_holidays, vietnam_calendar
from onestop.domain.calendar import MAX_DAYS_WITHOUT_WORK, WorkingCalendar
from onestop.errors import ConfigurationError, InvalidCalendar, NaiveDatetime
from tests.strategies.calendar import aware_datetimes, cutoffs, dates, working_calendars
from tests.support import require_module

ICT = dt.timezone(dt.timedelta(hours=7))
PLAIN = WorkingCalendar()
# 2025-01-03 is a Friday.
FRIDAY = dt.date(2025, 1, 3)
SATURDAY, SUNDAY, MONDAY, TUESDAY = (FRIDAY + dt.timedelta(days=i) for i in range(1, 5))
working_counts = st.integers(min_value=0, max_value=40)


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """An instant at a wall-clock time in Vietnam."""
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=ICT)


# --- the calendar itself --------------------------------------------------------------------


def test_default_calendar_works_monday_to_friday() -> None:
    """Saturday and Sunday are the default weekend."""
    assert PLAIN.weekend == frozenset({5, 6})
    assert [PLAIN.is_working_day(FRIDAY + dt.timedelta(days=i)) for i in range(7)] == [
        True,
        False,
        False,
        True,
        True,
        True,
        True,
    ]


def test_any_iterable_converts_to_frozensets() -> None:
    """Lists, tuples and generators all work and the calendar stays hashable."""
    calendar = WorkingCalendar(weekend=[6], holidays=(MONDAY,), makeup_days=iter([SUNDAY]))
    assert calendar.weekend == frozenset({6})
    assert calendar.holidays == frozenset({MONDAY})
    assert calendar.makeup_days == frozenset({SUNDAY})
    assert hash(calendar) == hash(
        WorkingCalendar(weekend={6}, holidays={MONDAY}, makeup_days={SUNDAY})
    )


@pytest.mark.parametrize("weekend", [[7], [-1], [True], ["sat"]])
def test_weekend_must_be_weekday_numbers(weekend: list[object]) -> None:
    """Weekend days are Python weekday numbers 0 to 6."""
    with pytest.raises(InvalidCalendar) as caught:
        WorkingCalendar(weekend=weekend)  # type: ignore[arg-type]
    assert caught.value.field == "weekend"


def test_holidays_must_be_dates_not_datetimes() -> None:
    """A datetime never equals a date, so it is refused rather than silently ignored."""
    with pytest.raises(InvalidCalendar) as caught:
        WorkingCalendar(holidays=[dt.datetime(2025, 1, 1)])
    assert caught.value.field == "holidays"
    with pytest.raises(InvalidCalendar) as caught:
        WorkingCalendar(makeup_days=["2025-01-04"])  # type: ignore[list-item]
    assert caught.value.field == "makeup_days"


def test_datetimes_are_refused_where_a_day_is_expected() -> None:
    """Day arithmetic takes dates; instants go through due_date."""
    with pytest.raises(InvalidCalendar):
        PLAIN.is_working_day(dt.datetime(2025, 1, 3, 10))
    with pytest.raises(InvalidCalendar):
        PLAIN.add_working_days(dt.datetime(2025, 1, 3, 10), 1)


def test_holiday_is_not_a_working_day_and_makeup_day_is() -> None:
    """A weekday holiday is off; a make-up Saturday is worked."""
    calendar = PLAIN.with_holidays(MONDAY).with_makeup_days(SATURDAY)
    assert not calendar.is_working_day(MONDAY)
    assert calendar.is_working_day(SATURDAY)
    assert calendar.add_working_days(FRIDAY, 1) == SATURDAY
    assert calendar.add_working_days(FRIDAY, 2) == TUESDAY


def test_makeup_day_wins_over_a_holiday() -> None:
    """The official plan overrides the defaults: a make-up day is worked even if listed off."""
    calendar = WorkingCalendar(holidays={MONDAY}, makeup_days={MONDAY})
    assert calendar.is_working_day(MONDAY)


def test_with_holidays_and_makeup_days_return_copies() -> None:
    """The original calendar is unchanged."""
    changed = PLAIN.with_holidays(MONDAY, TUESDAY).with_makeup_days(SUNDAY)
    assert changed.holidays == {MONDAY, TUESDAY}
    assert changed.makeup_days == {SUNDAY}
    assert (PLAIN.holidays, PLAIN.makeup_days) == (frozenset(), frozenset())


def test_add_working_days_examples() -> None:
    """Counting starts the day after; weekends are skipped."""
    assert PLAIN.add_working_days(FRIDAY, 0) == FRIDAY
    assert PLAIN.add_working_days(SATURDAY, 0) == SATURDAY
    assert PLAIN.add_working_days(FRIDAY, 1) == MONDAY
    assert PLAIN.add_working_days(SATURDAY, 1) == MONDAY
    assert PLAIN.add_working_days(FRIDAY, 5) == FRIDAY + dt.timedelta(days=7)
    assert PLAIN.next_working_day(FRIDAY) == MONDAY
    assert PLAIN.next_working_day(MONDAY) == TUESDAY


def test_negative_counts_are_refused() -> None:
    """Working days run forward only."""
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.add_working_days(FRIDAY, -1)
    assert caught.value.field == "n"
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.extend(FRIDAY, -1)
    assert caught.value.field == "working_days"
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.due_date(local(FRIDAY, 9), -1)
    assert caught.value.field == "working_days"


def test_all_weekend_calendar_raises_instead_of_looping() -> None:
    """A calendar without working days is an error, not a hang."""
    never = WorkingCalendar(weekend=range(7))
    assert never.add_working_days(FRIDAY, 0) == FRIDAY
    with pytest.raises(InvalidCalendar) as caught:
        never.add_working_days(FRIDAY, 1)
    assert str(MAX_DAYS_WITHOUT_WORK) in caught.value.rule
    with pytest.raises(InvalidCalendar):
        never.next_working_day(FRIDAY)
    with pytest.raises(InvalidCalendar):
        never.due_date(local(FRIDAY, 9), 1)


def test_all_weekend_calendar_still_works_its_makeup_days() -> None:
    """Make-up days are the only working days of an all-weekend calendar."""
    only = WorkingCalendar(weekend=range(7), makeup_days={TUESDAY})
    assert only.add_working_days(FRIDAY, 1) == TUESDAY
    with pytest.raises(InvalidCalendar):
        only.add_working_days(FRIDAY, 2)


def test_running_past_the_last_date_is_an_invalid_calendar() -> None:
    """Overflowing the date range is reported as a calendar error."""
    with pytest.raises(InvalidCalendar):
        PLAIN.add_working_days(dt.date.max - dt.timedelta(days=3), 10)


def test_adding_thirty_working_days_is_fast() -> None:
    """A typical processing time is computed in well under a millisecond."""
    import timeit

    calendar = PLAIN.with_holidays(*(FRIDAY + dt.timedelta(days=i) for i in range(0, 400, 3)))
    per_call = min(timeit.repeat(lambda: calendar.add_working_days(FRIDAY, 30), number=100))
    assert per_call / 100 < 0.001


@given(working_calendars(), dates(), working_counts)
def test_counting_what_was_added_gives_n(calendar: WorkingCalendar, start: dt.date, n: int) -> None:
    """working_days_between(d, add_working_days(d, n)) == n."""
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n


@given(working_calendars(), dates(), st.integers(min_value=1, max_value=40))
def test_result_is_a_working_day_after_start(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    """For n >= 1 the result is a working day strictly after the start."""
    end = calendar.add_working_days(start, n)
    assert end > start
    assert calendar.is_working_day(end)
    assert end.weekday() not in calendar.weekend or end in calendar.makeup_days
    assert end not in calendar.holidays or end in calendar.makeup_days


@given(working_calendars(), dates(), st.integers(min_value=1, max_value=40))
def test_no_working_day_is_skipped(calendar: WorkingCalendar, start: dt.date, n: int) -> None:
    """Every working day between start and the result is counted: n-1 then the n-th."""
    end = calendar.add_working_days(start, n)
    assert calendar.add_working_days(start, n - 1) < end
    assert calendar.working_days_between(start, end - dt.timedelta(days=1)) == n - 1


@given(working_calendars(), dates(), working_counts, working_counts)
def test_adding_is_additive(calendar: WorkingCalendar, start: dt.date, a: int, b: int) -> None:
    """Adding a then b working days is adding a + b."""
    assert calendar.add_working_days(
        calendar.add_working_days(start, a), b
    ) == calendar.add_working_days(start, a + b)


@given(working_calendars(), dates(), dates(), working_counts)
def test_adding_is_monotonic(calendar: WorkingCalendar, a: dt.date, b: dt.date, n: int) -> None:
    """A later start never gives an earlier result."""
    a, b = max(a, b), min(a, b)
    assert calendar.add_working_days(a, n) >= calendar.add_working_days(b, n)


@given(working_calendars(), dates(), dates())
def test_between_counts_working_days_one_by_one(
    calendar: WorkingCalendar, start: dt.date, end: dt.date
) -> None:
    """working_days_between agrees with is_working_day day by day, and is 0 backwards."""
    expected = sum(
        calendar.is_working_day(start + dt.timedelta(days=i))
        for i in range(1, (end - start).days + 1)
    )
    assert calendar.working_days_between(start, end) == expected
    if end <= start:
        assert calendar.working_days_between(start, end) == 0


@given(dates(), st.frozensets(dates(), max_size=40), working_counts)
def test_holidays_only_push_results_later(
    start: dt.date, holidays: frozenset[dt.date], n: int
) -> None:
    """Adding holidays never makes a due date earlier; adding make-up days never later."""
    with_holidays = WorkingCalendar(holidays=holidays)
    assert with_holidays.add_working_days(start, n) >= PLAIN.add_working_days(start, n)
    with_makeups = WorkingCalendar(makeup_days=holidays)
    assert with_makeups.add_working_days(start, n) <= PLAIN.add_working_days(start, n)


# --- due dates ------------------------------------------------------------------------------


def test_due_date_friday_after_cutoff_counts_from_monday() -> None:
    """Received Friday 16:00 with cutoff 15:00 and 1 working day: due Tuesday."""
    assert PLAIN.due_date(local(FRIDAY, 16), 1, cutoff=dt.time(15)) == TUESDAY


def test_due_date_friday_before_cutoff_counts_from_friday() -> None:
    """Received Friday 14:59 with cutoff 15:00 and 1 working day: due Monday."""
    assert PLAIN.due_date(local(FRIDAY, 14, 59, 59), 1, cutoff=dt.time(15)) == MONDAY


def test_due_date_at_the_cutoff_counts_as_late() -> None:
    """Exactly at the cutoff is already after it."""
    assert PLAIN.due_date(local(FRIDAY, 15), 1, cutoff=dt.time(15)) == TUESDAY


def test_due_date_without_cutoff_counts_from_the_local_day() -> None:
    """Without a cutoff even 23:59 counts from that day."""
    assert PLAIN.due_date(local(FRIDAY, 23, 59), 1) == MONDAY


def test_due_date_on_a_weekend_counts_from_the_next_working_day() -> None:
    """Received Saturday: counts from Monday, so 1 working day is Tuesday."""
    assert PLAIN.due_date(local(SATURDAY, 9), 1) == TUESDAY
    assert PLAIN.due_date(local(SUNDAY, 9), 0) == MONDAY
    assert PLAIN.due_date(local(FRIDAY, 9), 0) == FRIDAY


def test_due_date_on_a_holiday_counts_from_the_next_working_day() -> None:
    """Received on a holiday Monday: counts from Tuesday."""
    calendar = PLAIN.with_holidays(MONDAY)
    assert calendar.due_date(local(MONDAY, 9), 1) == TUESDAY + dt.timedelta(days=1)


def test_due_date_reads_the_day_in_vietnam_time() -> None:
    """Friday 20:00 UTC is Saturday 03:00 in Vietnam, so it counts from Monday."""
    received = dt.datetime(2025, 1, 3, 20, tzinfo=dt.UTC)
    assert PLAIN.due_date(received, 1) == TUESDAY
    # Friday 07:00 UTC is 14:00 local: before a 15:00 cutoff.
    assert PLAIN.due_date(dt.datetime(2025, 1, 3, 7, tzinfo=dt.UTC), 1, dt.time(15)) == MONDAY


def test_due_date_refuses_naive_datetimes() -> None:
    """An instant without a time zone is ambiguous."""
    with pytest.raises(NaiveDatetime) as caught:
        PLAIN.due_date(dt.datetime(2025, 1, 3, 9), 1)
    assert caught.value.field == "received_at"


def test_due_date_refuses_an_aware_cutoff() -> None:
    """The cutoff is a local wall-clock time."""
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.due_date(local(FRIDAY, 9), 1, cutoff=dt.time(15, tzinfo=dt.UTC))
    assert caught.value.field == "cutoff"


@given(working_calendars(), dates(), working_counts, cutoffs())
def test_due_date_across_local_midnight_never_goes_backwards(
    calendar: WorkingCalendar, day: dt.date, n: int, cutoff: dt.time | None
) -> None:
    """One second before local midnight is never due later than one second after."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ICT)
    before = calendar.due_date(midnight - dt.timedelta(seconds=1), n, cutoff)
    after = calendar.due_date(midnight + dt.timedelta(seconds=1), n, cutoff)
    assert before <= after


@given(working_calendars(), aware_datetimes(), aware_datetimes(), working_counts, cutoffs())
def test_due_date_is_monotonic_in_reception_time(
    calendar: WorkingCalendar,
    a: dt.datetime,
    b: dt.datetime,
    n: int,
    cutoff: dt.time | None,
) -> None:
    """A dossier received later is never due earlier."""
    early, late = min(a, b), max(a, b)
    assert calendar.due_date(early, n, cutoff) <= calendar.due_date(late, n, cutoff)


@given(working_calendars(), aware_datetimes(), working_counts, cutoffs())
def test_due_date_counts_from_the_reception_day_or_the_next_working_day(
    calendar: WorkingCalendar, received: dt.datetime, n: int, cutoff: dt.time | None
) -> None:
    """Due n working days after the local reception day, or after the next working day."""
    due = calendar.due_date(received, n, cutoff)
    day = received.astimezone(ICT).date()
    counted = calendar.working_days_between(day, due)
    assert counted in (n, n + 1)
    if not calendar.is_working_day(day):
        assert counted == n + 1
    elif cutoff is None:
        assert counted == n


@given(working_calendars(), dates(), working_counts, working_counts)
def test_extend_moves_by_working_days(
    calendar: WorkingCalendar, due: dt.date, n: int, paused: int
) -> None:
    """Extending a due date by the paused working days adds exactly that many."""
    moved = calendar.extend(due, paused)
    assert calendar.working_days_between(due, moved) == paused
    assert moved >= due


# --- Vietnam --------------------------------------------------------------------------------


def test_vietnam_2025_knows_tet_national_day_and_the_makeup_saturday() -> None:
    """Tết 2025 (29 Jan is day 1), Hùng Kings' day and 2 Sep are off; 26 Apr 2025 is worked."""
    require_module("holidays")
    calendar = vietnam_calendar([2025])
    for day in [
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 29),
        dt.date(2025, 1, 30),
        dt.date(2025, 4, 7),
        dt.date(2025, 4, 30),
        dt.date(2025, 5, 1),
        dt.date(2025, 9, 1),
        dt.date(2025, 9, 2),
    ]:
        assert day in calendar.holidays
        assert not calendar.is_working_day(day)
    assert calendar.is_working_day(dt.date(2025, 4, 26))  # a Saturday worked for 2 May
    # Received Friday 24 Jan 2025 with 3 working days: Tết runs 27 Jan to 2 Feb.
    assert calendar.due_date(local(dt.date(2025, 1, 24), 9), 3) == dt.date(2025, 2, 5)


def test_vietnam_calendar_takes_the_hosts_plan() -> None:
    """Extra holidays, swapped days off and make-up days are added to the package's."""
    require_module("holidays")
    extra, off, worked = dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 8)
    calendar = vietnam_calendar(
        [2025], extra_holidays=[extra], extra_days_off=[off], makeup_days=[worked]
    )
    assert not calendar.is_working_day(extra)
    assert not calendar.is_working_day(off)
    assert calendar.is_working_day(worked)


@pytest.mark.parametrize("years", [[], [True], ["2025"], [0]])
def test_vietnam_calendar_refuses_bad_years(years: list[object]) -> None:
    """Years are ints and at least one is needed."""
    with pytest.raises(InvalidCalendar):
        vietnam_calendar(years)  # type: ignore[arg-type]


def test_vietnam_calendar_without_the_package_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A missing optional dependency is a configuration error with an install hint."""
    monkeypatch.setitem(sys.modules, "holidays", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'onestop\[holidays\]'"):
        vietnam_calendar([2025])


def test_fixed_vietnam_holidays_examples() -> None:
    """The solar holidays, with National Day's extra day since 2021."""
    assert fixed_vietnam_holidays(2020) == {
        dt.date(2020, 1, 1),
        dt.date(2020, 4, 30),
        dt.date(2020, 5, 1),
        dt.date(2020, 9, 2),
    }
    assert dt.date(2024, 9, 3) in fixed_vietnam_holidays(2024)
    assert dt.date(2025, 9, 1) in fixed_vietnam_holidays(2025)
    assert len(fixed_vietnam_holidays(2025)) == 5


@given(st.integers(min_value=1995, max_value=2040))
def test_fixed_holidays_agree_with_the_holidays_package(year: int) -> None:
    """Every fixed holiday is one the holidays package lists too."""
    require_module("holidays")
    assert fixed_vietnam_holidays(year) <= vietnam_calendar([year]).holidays


def test_fixed_vietnam_holidays_refuses_bad_years() -> None:
    """A year must be an int a date can carry."""
    with pytest.raises(InvalidCalendar):
        fixed_vietnam_holidays(0)
