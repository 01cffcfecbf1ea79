"""Due dates per second: the indexed arithmetic next to walking day by day.

Usage::

    .venv/bin/python benchmarks/bench_due_dates.py [-n 20000] [--rounds 3]

What is measured, on Vietnam's calendar of 2024-2031 (the ``holidays`` package, or the
fixed holidays without it) with the usual office hours (07:00-11:30, 13:30-17:00):

* **index**: ``Deadlines.due(received_at, policy)`` for ``n`` receipt instants drawn over
  2025-2029 (a seeded random draw), the per-year indexes already built (a portal builds
  each year's once; the cold build of one year is printed apart).
* **walking**: the method it replaced, on the same instants: a limit in days counted one
  day at a time (``is_working_day`` on each day), a limit in hours walked one working day
  at a time through the sessions.
* **same**: whether both gave the same due instant for every receipt.

Rows: 1 working day, 30 working days, 40 working hours (each with the 15:00 cutoff). Each
rate is the best of ``--rounds`` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import random
import time
from collections.abc import Callable

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import VN_TZ
from onestop.domain.deadlines import DeadlinePolicy, Deadlines, TimeLimit

CUTOFF = dt.time(15, 0)
CASES = (
    ("1 working day", DeadlinePolicy(TimeLimit(1), CUTOFF)),
    ("30 working days", DeadlinePolicy(TimeLimit(30), CUTOFF)),
    ("40 working hours", DeadlinePolicy(TimeLimit(40, "hours"), CUTOFF)),
)


def _calendar() -> tuple[WorkingCalendar, str]:
    years = range(2024, 2032)
    try:
        from onestop.calendars import vietnam_calendar

        return vietnam_calendar(years), "holidays package"
    except Exception:  # the package is optional: fall back to the solar holidays
        from onestop.calendars import fixed_vietnam_holidays

        days = {d for year in years for d in fixed_vietnam_holidays(year)}
        return WorkingCalendar(holidays=days), "fixed holidays"


# --- the walking method, as it was --------------------------------------------------------


def _at(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=VN_TZ) + dt.timedelta(minutes=minute)


def walking_due(office: Deadlines, received: dt.datetime, policy: DeadlinePolicy) -> dt.datetime:
    """The due instant found by walking: days one at a time, hours session by session."""
    calendar = office.calendar
    if policy.limit.unit == "days":
        local = received.astimezone(VN_TZ)
        day, left = local.date(), policy.limit.amount
        late = policy.cutoff is not None and local.time() >= policy.cutoff
        if late or not calendar.is_working_day(day):
            left += 1
        while left:
            day += dt.timedelta(days=1)
            if calendar.is_working_day(day):
                left -= 1
        return office.due_on(day)
    local = received.astimezone(VN_TZ)
    day, minute = local.date(), local.hour * 60 + local.minute + (local.second > 0)
    if policy.cutoff is not None and local.time() >= policy.cutoff:
        day, minute = day + dt.timedelta(days=1), 0
    left = policy.limit.amount * 60
    while True:
        for begin, end in office.hours.on(calendar, day):
            begin = max(begin, minute)
            if begin >= end:
                continue
            if left <= end - begin:
                return _at(day, begin + left)
            left -= end - begin
        day += dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day += dt.timedelta(days=1)
        minute = 0


# --- measuring ----------------------------------------------------------------------------


def _rate(
    compute: Callable[[dt.datetime], dt.datetime], instants: list[dt.datetime], rounds: int
) -> tuple[float, list[dt.datetime]]:
    best = float("inf")
    results: list[dt.datetime] = []
    for _ in range(rounds):
        started = time.perf_counter()
        results = [compute(t) for t in instants]
        best = min(best, time.perf_counter() - started)
    return len(instants) / best, results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="receipts per case")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    calendar, source = _calendar()
    rng = random.Random(11)
    first = dt.datetime(2025, 1, 1, tzinfo=VN_TZ)
    span = int((dt.datetime(2030, 1, 1, tzinfo=VN_TZ) - first).total_seconds() // 60)
    instants = [first + dt.timedelta(minutes=rng.randrange(span)) for _ in range(args.n)]

    cold = Deadlines(calendar)
    started = time.perf_counter()
    cold.add_working_minutes(dt.datetime(2027, 3, 1, 9, tzinfo=VN_TZ), 60)
    build_ms = (time.perf_counter() - started) * 1000

    office = Deadlines(calendar)
    for year in range(2025, 2031):  # a running portal has built these already
        office.add_working_minutes(dt.datetime(year, 6, 1, 9, tzinfo=VN_TZ), 60)

    print(f"Due dates per second: {args.n} receipts over 2025-2029, {source}, cutoff 15:00")
    print(f"(one year's minute index, built cold: {build_ms:.2f} ms)")
    print()
    print(f"{'limit':<18} {'index /s':>12} {'walking /s':>12} {'ratio':>7}  same")
    for name, policy in CASES:
        fast, fast_results = _rate(
            functools.partial(office.due, policy=policy), instants, args.rounds
        )
        slow, slow_results = _rate(
            functools.partial(walking_due, office, policy=policy), instants, args.rounds
        )
        same = "yes" if fast_results == slow_results else "NO"
        print(f"{name:<18} {fast:>12,.0f} {slow:>12,.0f} {fast / slow:>6.1f}x  {same}")


if __name__ == "__main__":
    main()
