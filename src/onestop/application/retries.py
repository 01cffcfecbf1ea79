"""The backoff both outbox dispatchers (mail and national-portal sync) wait between tries."""

from __future__ import annotations

import datetime as dt

__all__ = ["backoff_delay"]


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
