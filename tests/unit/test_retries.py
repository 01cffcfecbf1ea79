"""The dispatchers' backoff: grows by its factor, never passes the cap, jitter only shortens."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.application.retries import RetryPolicy, backoff_delay
from onestop.errors import InvalidInput

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


@given(max_attempts=st.integers(min_value=1, max_value=20), attempts=st.integers(0, 40))
def test_a_failure_gives_up_exactly_from_max_attempts_on(max_attempts: int, attempts: int) -> None:
    """Both dispatchers retry a failure until the entry has had ``max_attempts`` tries."""
    policy = RetryPolicy.checked(
        max_attempts=max_attempts,
        backoff=BASE,
        backoff_factor=2.0,
        max_backoff=CAP,
        lease=dt.timedelta(minutes=5),
        batch_size=10,
    )
    give_up, note = policy.after_failure(attempts, TimeoutError("no answer"))
    assert give_up is (attempts >= max_attempts)
    assert note.endswith("TimeoutError: no answer")
    assert note.startswith("gave up after") is give_up


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("max_attempts", 0),
        ("max_attempts", True),
        ("backoff", -BASE),
        ("backoff_factor", float("nan")),
        ("max_backoff", BASE / 2),
        ("lease", dt.timedelta(0)),
        ("batch_size", "20"),
    ],
)
def test_a_wrong_setting_is_refused_by_name(setting: str, value: object) -> None:
    """InvalidInput names the setting, whichever is wrong (never a TypeError)."""
    settings: dict[str, object] = {
        "max_attempts": 5,
        "backoff": BASE,
        "backoff_factor": 2.0,
        "max_backoff": CAP,
        "lease": dt.timedelta(minutes=5),
        "batch_size": 10,
    }
    settings[setting] = value
    with pytest.raises(InvalidInput) as caught:
        RetryPolicy.checked(**settings)  # type: ignore[arg-type]
    assert caught.value.field == setting
