"""What both outbox dispatchers (mail, national-portal sync) do the same way, once.

A pass claims a batch in one committed unit of work, sends each entry outside any
transaction, then records each outcome in a unit of work of its own, but only while the
dispatcher's claim still holds: a claim that lapsed belongs to another worker now, and an
entry changed meanwhile is left to whoever changed it. :class:`OutboxDispatcher` is that
pass and the loop around it (:meth:`~OutboxDispatcher.run`); a subclass says which outbox it
reads, how it sends an entry and how an outcome is written on the entry.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
import logging
import threading
from collections.abc import Sequence
from typing import ClassVar, Generic, Protocol, TypeVar

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.retries import RetryPolicy, run_passes
from onestop.domain._leases import LeasedEntry
from onestop.errors import ConcurrentUpdate, NotFound
from onestop.ports.storage import UnitOfWork

__all__ = ["Outbox", "OutboxDispatcher", "Outcome", "Report"]

_E = TypeVar("_E", bound=LeasedEntry)


class Outcome(Protocol):
    """What sending one entry came to: ``kind`` is the subclass's own enum (sent, ...)."""

    @property
    def kind(self) -> enum.Enum: ...


_O = TypeVar("_O", bound=Outcome)


class Report(Protocol):
    """What a pass did; ``handled`` counts the entries it finished with, whatever the outcome."""

    @property
    def handled(self) -> int: ...


class Outbox(Protocol[_E]):
    """The part of an outbox repository (``uow.outbox``, ``uow.sync``) a dispatcher uses."""

    def get(self, entry_id: str) -> _E: ...

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[_E]: ...

    def update(self, entry: _E) -> None: ...


@checked_methods
class OutboxDispatcher(abc.ABC, Generic[_E, _O]):
    """Claims, sends and records; the subclass sets the attributes below in ``__init__``."""

    #: How log lines name the dispatcher and its entries ("mail dispatcher", "outbox entry").
    _WHAT: ClassVar[str]
    _ENTRY: ClassVar[str]
    #: The subclass module's logger.
    _log: ClassVar[logging.Logger]

    worker_id: str
    _ctx: AppContext
    _policy: RetryPolicy

    @abc.abstractmethod
    def dispatch_once(self) -> Report:
        """One pass (:meth:`_dispatch_pass`), told as the subclass's report."""

    @abc.abstractmethod
    def _outbox(self, uow: UnitOfWork) -> Outbox[_E]:
        """The repository of this dispatcher's entries in ``uow``."""

    @abc.abstractmethod
    def _send(self, entry: _E) -> _O:
        """Send one claimed entry, outside any transaction; never raises."""

    @abc.abstractmethod
    def _apply(self, entry: _E, outcome: _O, now: dt.datetime) -> None:
        """Write ``outcome`` on ``entry``, whose claim still holds (stored by the caller)."""

    def run(self, stop: threading.Event, interval: float = 5.0) -> None:
        """Dispatch until ``stop`` is set, pausing ``interval`` seconds when nothing is left.

        A full batch is followed at once by the next one. A storage error is logged and the
        loop carries on after the pause: a dispatcher outlives a database restart.
        ``interval`` is more than 0 and at most a day (``retries.MAX_INTERVAL``).
        """
        run_passes(
            stop,
            interval,
            lambda: self.dispatch_once().handled,
            batch_size=self._policy.batch_size,
            log=self._log,
            name=f"{self._WHAT} {self.worker_id}",
        )

    def _dispatch_pass(self) -> dict[enum.Enum, int]:
        """Claim a batch, send each entry and record each outcome: how many of each kind."""
        with self._ctx.storage.unit_of_work() as uow:
            claimed = list(
                self._outbox(uow).claim_due(
                    worker=self.worker_id,
                    now=self._ctx.clock.now(),
                    lease=self._policy.lease,
                    limit=self._policy.batch_size,
                )
            )
            uow.commit()
        counts: dict[enum.Enum, int] = {}
        for entry in claimed:
            outcome = self._send(entry)
            if self._record(entry, outcome):
                counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
        return counts

    def _record(self, claimed: _E, outcome: _O) -> bool:
        """Store the outcome if the claim still holds; False when another worker took over."""
        now = self._ctx.clock.now()
        try:
            with self._ctx.storage.unit_of_work() as uow:
                outbox = self._outbox(uow)
                entry = outbox.get(claimed.id)
                if not entry.holds_claim(self.worker_id, claimed.claimed_until):
                    self._log.warning(
                        "%s %s: the claim on %s %s lapsed before its outcome (%s) could be "
                        "recorded",
                        self._WHAT,
                        self.worker_id,
                        self._ENTRY,
                        claimed.id,
                        outcome.kind.value,
                    )
                    return False
                self._apply(entry, outcome, now)
                outbox.update(entry)
                uow.commit()
        except (ConcurrentUpdate, NotFound):
            self._log.warning(
                "%s %s: %s %s changed while being sent",
                self._WHAT,
                self.worker_id,
                self._ENTRY,
                claimed.id,
            )
            return False
        return True
