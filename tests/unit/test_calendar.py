"""Working days, due dates and the Vietnamese calendar."""

from __future__ import annotations

import datetime as dt
import sys

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.calendars import fixed_vietnam_holidays, vietnam_calendar
from onestop.domain.calendar import MAX_DAYS_WITHOUT_WORK, MAX_WORKING_DAYS, WorkingCalendar
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


# --- the fast index against a slow reference -------------------------------------------------


def reference_add(calendar: WorkingCalendar, start: dt.date, n: int) -> dt.date | None:
    """The n-th working day after ``start``, walking day by day; None where the calendar fails.

    It fails like the original implementation did: after MAX_DAYS_WITHOUT_WORK days in a row
    without work, or on running off the last date.
    """
    day = start
    for _ in range(n):
        for _ in range(MAX_DAYS_WITHOUT_WORK):
            if day == dt.date.max:
                return None
            day += dt.timedelta(days=1)
            if calendar.is_working_day(day):
                break
        else:
            return None
    return day


def reference_between(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> int:
    """Working days d with start < d <= end, one by one."""
    return sum(
        calendar.is_working_day(start + dt.timedelta(days=i))
        for i in range(1, (end - start).days + 1)
    )


def fast_add(calendar: WorkingCalendar, start: dt.date, n: int) -> dt.date | None:
    try:
        return calendar.add_working_days(start, n)
    except InvalidCalendar:
        return None


@given(working_calendars(max_weekend=7), dates(), st.integers(min_value=0, max_value=400))
def test_adding_equals_the_day_by_day_reference(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    """Any weekend (all seven days too), holidays and make-up days: the same day or failure."""
    assert fast_add(calendar, start, n) == reference_add(calendar, start, n)


@given(working_calendars(max_weekend=7), dates(), dates())
def test_counting_equals_the_day_by_day_reference(
    calendar: WorkingCalendar, start: dt.date, end: dt.date
) -> None:
    """working_days_between counts what the walk counts."""
    assert calendar.working_days_between(start, end) == reference_between(calendar, start, end)


@st.composite
def calendars_with_long_closures(draw: st.DrawFn) -> WorkingCalendar:
    """Calendars closed for years at a stretch, with a few make-up days inside the closure."""
    first = draw(dates(dt.date(2000, 1, 1), dt.date(2010, 1, 1)))
    length = draw(st.integers(min_value=3600, max_value=3700))
    closed = frozenset(first + dt.timedelta(days=i) for i in range(length))
    inside = draw(st.frozensets(st.integers(0, length - 1), max_size=2))
    weekend = draw(st.frozensets(st.integers(0, 6), max_size=6))
    return WorkingCalendar(
        weekend=weekend,
        holidays=closed,
        makeup_days={first + dt.timedelta(days=i) for i in inside},
    )


@given(
    calendars_with_long_closures(),
    dates(dt.date(1995, 1, 1), dt.date(2022, 1, 1)),
    st.integers(min_value=0, max_value=20),
)
def test_a_closure_longer_than_the_limit_fails_as_the_walk_does(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    """Ten years without work is a broken calendar, with the index as with the walk."""
    assert fast_add(calendar, start, n) == reference_add(calendar, start, n)


@given(
    working_calendars(max_weekend=7).map(
        lambda c: c.with_holidays(dt.date(9999, 12, 31), dt.date(9999, 12, 27))
    ),
    dates(dt.date(9999, 11, 1), dt.date.max),
    st.integers(min_value=0, max_value=60),
)
def test_the_end_of_the_calendar_equals_the_reference(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    """Near 9999-12-31 the index fails exactly where the walk runs off the last date."""
    calendar = attrs.evolve(
        calendar, makeup_days={start + dt.timedelta(days=1)} if start < dt.date.max else set()
    )
    assert fast_add(calendar, start, n) == reference_add(calendar, start, n)


def test_adding_many_working_days_is_fast_and_exact() -> None:
    """A thousand working days take as long as one, and match the walk."""
    import timeit

    calendar = vietnam_like_calendar()
    assert calendar.add_working_days(FRIDAY, 1000) == reference_add(calendar, FRIDAY, 1000)
    one = min(timeit.repeat(lambda: calendar.add_working_days(FRIDAY, 1), number=200, repeat=3))
    many = min(timeit.repeat(lambda: calendar.add_working_days(FRIDAY, 3000), number=200, repeat=3))
    assert many < 5 * one + 0.001


def vietnam_like_calendar() -> WorkingCalendar:
    """Fixed holidays for 2024 to 2040 and a make-up Saturday each year."""
    days = set().union(*(fixed_vietnam_holidays(year) for year in range(2024, 2041)))
    return WorkingCalendar(
        holidays=days, makeup_days={dt.date(year, 4, 26) for year in range(2024, 2041)}
    )


def test_an_absurd_count_is_refused_at_once() -> None:
    """add_working_days(d, 10**9) used to walk for seconds: now InvalidCalendar naming n."""
    import time

    began = time.perf_counter()
    for count in (10**9, 10**5000, MAX_WORKING_DAYS + 1):
        with pytest.raises(InvalidCalendar) as caught:
            PLAIN.add_working_days(FRIDAY, count)
        assert caught.value.field == "n"
        assert str(MAX_WORKING_DAYS) in caught.value.rule
        with pytest.raises(InvalidCalendar) as caught:
            PLAIN.extend(FRIDAY, count)
        assert caught.value.field == "working_days"
        with pytest.raises(InvalidCalendar) as caught:
            PLAIN.due_date(local(FRIDAY, 9), count)
        assert caught.value.field == "working_days"
    assert time.perf_counter() - began < 0.1


def test_the_largest_count_is_accepted() -> None:
    """MAX_WORKING_DAYS itself works, about fourteen years on with weekends."""
    assert PLAIN.add_working_days(FRIDAY, MAX_WORKING_DAYS) == reference_add(
        PLAIN, FRIDAY, MAX_WORKING_DAYS
    )


def test_a_due_date_at_the_last_instant_is_an_invalid_calendar() -> None:
    """due_date(datetime.max in UTC) used to raise OverflowError: now InvalidCalendar."""
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.due_date(dt.datetime.max.replace(tzinfo=dt.UTC), 3)
    assert caught.value.field == "received_at"
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.due_date(dt.datetime.max.replace(tzinfo=ICT), 3)
    assert caught.value.field == "working_days"
    assert "9999-12-31" in caught.value.rule
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.due_date(dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=14))), 3)
    assert caught.value.field == "received_at"


def test_results_past_the_last_date_name_the_count() -> None:
    """Running off 9999-12-31 names the count that did it."""
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.add_working_days(dt.date(9999, 12, 1), 100)
    assert caught.value.field == "n"
    with pytest.raises(InvalidCalendar) as caught:
        PLAIN.extend(dt.date(9999, 12, 1), 100)
    assert caught.value.field == "working_days"


@pytest.mark.parametrize(
    "values",
    [None, 5, "56", b"\x05", {5: 6}, [[5]], [5.0], [dt.date(2025, 1, 1)], [10**5000]],
)
def test_a_weekend_of_the_wrong_kind_is_an_invalid_calendar(values: object) -> None:
    """Weekend must be a collection of weekday numbers; anything else names the field."""
    with pytest.raises(InvalidCalendar) as caught:
        WorkingCalendar(weekend=values)  # type: ignore[arg-type]
    assert caught.value.field == "weekend"


@pytest.mark.parametrize(
    "values",
    [None, 5, "2025-01-01", [[FRIDAY]], [{}], [dt.datetime(2025, 1, 3)], ["2025-01-03"]],
)
def test_holidays_of_the_wrong_kind_are_an_invalid_calendar(values: object) -> None:
    """Holidays and make-up days must be collections of dates, also through with_..."""
    for build in (
        lambda: WorkingCalendar(holidays=values),  # type: ignore[arg-type]
        lambda: WorkingCalendar(makeup_days=values),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidCalendar):
            build()
    if isinstance(values, list):
        with pytest.raises(InvalidCalendar) as caught:
            PLAIN.with_holidays(*values)
        assert caught.value.field == "holidays"
        with pytest.raises(InvalidCalendar) as caught:
            PLAIN.with_makeup_days(*values)
        assert caught.value.field == "makeup_days"


def test_an_endless_weekend_fails_at_its_first_bad_value() -> None:
    """Values are checked while they are read, so an absurd iterable does not hang."""
    with pytest.raises(InvalidCalendar):
        WorkingCalendar(weekend=range(10**18))
