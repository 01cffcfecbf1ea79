"""Clocks: the system's, and ones tests and examples set by hand.

The domain never reads a clock; the application asks a :class:`~onestop.ports.edges.Clock`.
Every clock here returns aware datetimes and refuses naive ones.
"""

from __future__ import annotations

import datetime as dt
import threading

import attrs

from onestop.domain.codes import require_aware
from onestop.errors import InvalidInput

__all__ = ["FixedClock", "ManualClock", "SystemClock"]


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> dt.datetime:
        """The current instant, aware, in UTC."""
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


def _aware(_: object, attribute: attrs.Attribute[dt.datetime], value: dt.datetime) -> None:
    require_aware(value, attribute.name)


@attrs.frozen
class FixedClock:
    """A clock stopped at ``at``: every call to :meth:`now` returns the same instant."""

    at: dt.datetime = attrs.field(validator=_aware)

    def now(self) -> dt.datetime:
        """The instant the clock is stopped at."""
        return self.at


class ManualClock:
    """A clock that moves only when told to (:meth:`set`, :meth:`advance`); thread-safe."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = require_aware(start, "start")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"

    def now(self) -> dt.datetime:
        """The instant the clock shows."""
        with self._lock:
            return self._now

    def set(self, instant: dt.datetime) -> None:
        """Show ``instant`` from now on (it may be earlier: a test may need to go back)."""
        require_aware(instant, "instant")
        with self._lock:
            self._now = instant

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move forward by ``delta`` (0 or more) and return the new instant."""
        if not isinstance(delta, dt.timedelta) or delta < dt.timedelta(0):
            raise InvalidInput(
                "delta", "must be a timedelta of 0 or more; use set() to go back", delta
            )
        with self._lock:
            self._now += delta
            return self._now
