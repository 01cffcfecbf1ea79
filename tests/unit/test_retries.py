"""The dispatchers' backoff: grows by its factor, never passes the cap, jitter only shortens."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from onestop.application.retries import backoff_delay

BASE = dt.timedelta(seconds=30)
CAP = dt.timedelta(hours=1)


def test_the_wait_doubles_until_the_cap() -> None:
    waits = [backoff_delay(n, base=BASE, factor=2, cap=CAP).total_seconds() for n in (1, 2, 3)]
    assert waits == [30, 60, 120]
    assert backoff_delay(50, base=BASE, factor=2, cap=CAP) == CAP


@given(
    attempts=st.integers(min_value=0, max_value=10**6),
    factor=st.floats(min_value=1, max_value=10),
    jitter=st.floats(min_value=0, max_value=1),
)
def test_any_attempt_waits_between_half_the_undisturbed_wait_and_the_cap(
    attempts: int, factor: float, jitter: float
) -> None:
    plain = backoff_delay(attempts, base=BASE, factor=factor, cap=CAP)
    jittered = backoff_delay(attempts, base=BASE, factor=factor, cap=CAP, jitter=jitter)
    assert BASE <= plain <= CAP
    assert plain / 2 <= jittered <= plain
