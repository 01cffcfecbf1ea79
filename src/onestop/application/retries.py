"""What both outbox dispatchers (mail and national-portal sync) share: how they retry.

:class:`RetryPolicy` holds a dispatcher's settings (attempts, backoff, lease, batch size),
checked like request data when the dispatcher is built; it says how long to wait before the
next try (:func:`backoff_delay`) and when a failure ends the tries. :func:`run_passes` is
the loop both run in a worker thread, and :func:`describe` the text an error is recorded as.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Callable

import attrs

from onestop.errors import InvalidInput

__all__ = [
    "MAX_INTERVAL",
    "RetryPolicy",
    "backoff_delay",
    "describe",
    "require",
    "run_passes",
]

#: Longest pause ``run`` accepts between passes: a day (``Event.wait`` overflows on more).
MAX_INTERVAL = 86_400.0


def backoff_delay(
    attempts: int,
    *,
    base: dt.timedelta,
    factor: float,
    cap: dt.timedelta,
    jitter: float = 0.0,
) -> dt.timedelta:
    """Wait ``base``, then ``factor`` times longer after each further failure, at most ``cap``.

    ``jitter`` (0 to 1) takes up to half of the wait off, so workers that failed together do
    not all retry at the same moment; the caller draws it (the domain stays free of chance).
    """
    limit = cap.total_seconds()
    try:
        seconds = base.total_seconds() * factor ** max(attempts - 1, 0)
    except OverflowError:
        seconds = limit
    seconds = min(seconds, limit)
    return dt.timedelta(seconds=seconds * (1.0 - 0.5 * jitter))


@attrs.frozen
class RetryPolicy:
    """A dispatcher's settings: build it with :meth:`checked`, which refuses bad values.

    ``jitter`` draws a number from 0 to 1 for each wait (see :func:`backoff_delay`); None
    waits the full backoff every time.
    """

    max_attempts: int
    backoff: dt.timedelta
    backoff_factor: float
    max_backoff: dt.timedelta
    lease: dt.timedelta
    batch_size: int
    jitter: Callable[[], float] | None = None

    @classmethod
    def checked(
        cls,
        *,
        max_attempts: int,
        backoff: dt.timedelta,
        backoff_factor: float,
        max_backoff: dt.timedelta,
        lease: dt.timedelta,
        batch_size: int,
        jitter: Callable[[], float] | None = None,
    ) -> RetryPolicy:
        """The policy, or InvalidInput naming the first setting that is wrong.

        Host settings, but checked like request data: a wrong type is InvalidInput naming
        the setting, never a TypeError from a comparison.
        """
        require(
            _whole(max_attempts) and max_attempts >= 1, "max_attempts", "1 or more", max_attempts
        )
        require(_duration(backoff), "backoff", "a duration (timedelta), 0 or more", backoff)
        require(
            _number(backoff_factor) and backoff_factor >= 1.0,
            "backoff_factor",
            "a number, 1.0 or more",
            backoff_factor,
        )
        require(
            _duration(max_backoff) and max_backoff >= backoff,
            "max_backoff",
            "a duration at least as long as backoff",
            max_backoff,
        )
        require(_duration(lease) and lease > dt.timedelta(0), "lease", "a positive duration", lease)
        require(_whole(batch_size) and batch_size >= 1, "batch_size", "1 or more", batch_size)
        return cls(max_attempts, backoff, backoff_factor, max_backoff, lease, batch_size, jitter)

    def delay(self, attempts: int) -> dt.timedelta:
        """How long to wait after ``attempts`` failed tries: exponential, capped, jittered."""
        return backoff_delay(
            attempts,
            base=self.backoff,
            factor=self.backoff_factor,
            cap=self.max_backoff,
            jitter=self.jitter() if self.jitter is not None else 0.0,
        )

    def after_failure(self, attempts: int, error: BaseException) -> tuple[bool, str]:
        """Whether to give up after the ``attempts``-th try failed with ``error``, and why.

        Any failure is retried until ``max_attempts``: giving up at the first surprise (a
        timeout, a bug in an adapter) would lose the message for good.
        """
        if attempts >= self.max_attempts:
            return True, f"gave up after {attempts} attempts; last: {describe(error)}"
        return False, describe(error)


def run_passes(
    stop: threading.Event,
    interval: float,
    dispatch_once: Callable[[], int],
    *,
    batch_size: int,
    log: logging.Logger,
    name: str,
) -> None:
    """Call ``dispatch_once`` (it returns how many entries it handled) until ``stop`` is set.

    A full batch is followed at once by the next one; otherwise the loop pauses ``interval``
    seconds. An error is logged on ``log`` as ``"{name}: dispatch failed"`` and the loop
    carries on after the pause: a dispatcher outlives a database restart.
    """
    require(
        _number(interval) and 0 < interval <= MAX_INTERVAL,
        "interval",
        f"a number of seconds above 0 and at most {MAX_INTERVAL:g}",
        interval,
    )
    while not stop.is_set():
        try:
            handled = dispatch_once()
        except Exception:
            log.exception("%s: dispatch failed; retrying", name)
            handled = 0
        if handled < batch_size:
            stop.wait(interval)


def describe(error: BaseException) -> str:
    """An error as it is recorded on its entry: ``Type: text``, or the type alone."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def require(ok: bool, field: str, rule: str, value: object = None) -> None:
    """InvalidInput ``field: must be {rule}`` unless ``ok``."""
    if not ok:
        raise InvalidInput(field, f"must be {rule}", value)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> bool:
    """A finite int or float (not a bool, not nan or infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _duration(value: object) -> bool:
    return isinstance(value, dt.timedelta) and value >= dt.timedelta(0)
