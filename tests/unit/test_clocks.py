"""The clocks: system, fixed and manual (the shared behaviour is in the contract)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.adapters.clocks import FixedClock, ManualClock, SystemClock
from onestop.domain.codes import VN_TZ
from onestop.errors import InvalidInput, NaiveDatetime

T0 = dt.datetime(2022, 6, 22, 9, 30, tzinfo=VN_TZ)
NAIVE = dt.datetime(2022, 6, 22, 9, 30)


def test_system_clock_is_utc_and_close_to_the_real_time() -> None:
    before = dt.datetime.now(dt.UTC)
    now = SystemClock().now()
    after = dt.datetime.now(dt.UTC)
    assert now.utcoffset() == dt.timedelta(0)
    assert before <= now <= after
    assert repr(SystemClock()) == "SystemClock()"


def test_fixed_clock_never_moves() -> None:
    clock = FixedClock(T0)
    assert clock.now() is T0
    assert clock.now() == clock.now() == T0


def test_fixed_clock_refuses_a_naive_datetime() -> None:
    with pytest.raises(NaiveDatetime) as caught:
        FixedClock(NAIVE)
    assert caught.value.field == "at"


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(T0)
    assert clock.now() == T0
    assert clock.advance(dt.timedelta(hours=2)) == T0 + dt.timedelta(hours=2)
    assert clock.now() == T0 + dt.timedelta(hours=2)
    assert clock.advance(dt.timedelta(0)) == T0 + dt.timedelta(hours=2)
    earlier = T0 - dt.timedelta(days=1)
    clock.set(earlier)
    assert clock.now() == earlier
    assert "2022-06-21T09:30:00+07:00" in repr(clock)


@pytest.mark.parametrize(
    "delta", [dt.timedelta(seconds=-1), dt.timedelta(days=-3), 5, None], ids=repr
)
def test_manual_clock_refuses_going_back_by_advance(delta: object) -> None:
    clock = ManualClock(T0)
    with pytest.raises(InvalidInput) as caught:
        clock.advance(delta)  # type: ignore[arg-type]
    assert caught.value.field == "delta"
    assert clock.now() == T0


def test_manual_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(NaiveDatetime):
        ManualClock(NAIVE)
    clock = ManualClock(T0)
    with pytest.raises(NaiveDatetime):
        clock.set(NAIVE)
    assert clock.now() == T0


@given(steps=st.lists(st.timedeltas(dt.timedelta(0), dt.timedelta(days=400)), max_size=20))
def test_manual_clock_adds_up_its_steps(steps: list[dt.timedelta]) -> None:
    clock = ManualClock(T0)
    readings = [clock.advance(step) for step in steps]
    assert clock.now() == T0 + sum(steps, dt.timedelta(0))
    assert readings == sorted(readings)


def test_manual_clock_is_thread_safe() -> None:
    clock = ManualClock(T0)
    threads, each = 8, 500
    start = threading.Barrier(threads, timeout=60)

    def tick() -> None:
        start.wait()
        for _ in range(each):
            clock.advance(dt.timedelta(microseconds=1))

    workers = [threading.Thread(target=tick) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert clock.now() == T0 + dt.timedelta(microseconds=threads * each)
