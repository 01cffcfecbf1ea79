"""Sending the sync outbox to the national portal: :class:`SyncDispatcher`.

Private to :mod:`onestop.application.sync`, which re-exports :class:`SyncDispatcher` and
:class:`SyncDispatchReport` and tells the whole story (claims, order per dossier, outcomes).
Per claimed entry: the record first (an insert answered "đã tồn tại" is sent again as an
update), then the progress rows left, in batches of at most 10; what the portal acknowledged
is kept on the entry, so a retry sends only the rest. The pass itself (claim, send, record
while the claim holds) and the retries are the mail dispatcher's too
(:class:`~onestop.application._outbox_dispatch.OutboxDispatcher`,
:class:`~onestop.application.retries.RetryPolicy`).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
from collections.abc import Callable

import attrs

from onestop.application._outbox_dispatch import OutboxDispatcher
from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.retries import RetryPolicy, describe, require
from onestop.domain.sync import MAX_PROGRESS_BATCH, SyncEntry
from onestop.errors import NationalPortalRejected
from onestop.ports.national import NationalPortal
from onestop.ports.storage import SyncOutbox, UnitOfWork

__all__ = ["SyncDispatchReport", "SyncDispatcher"]


@attrs.frozen
class SyncDispatchReport:
    """What one pass did: entries sent, to be retried later, and given up on."""

    sent: int = 0
    retried: int = 0
    needs_attention: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.needs_attention


class _Result(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    GIVE_UP = "give_up"


@attrs.frozen
class _Outcome:
    kind: _Result
    record_sent: bool
    progress_sent: int
    error: str | None = None


@checked_methods
class SyncDispatcher(OutboxDispatcher[SyncEntry, _Outcome]):
    """Sends the sync outbox to ``portal``: at least once, in order per dossier."""

    _WHAT = "sync dispatcher"
    _ENTRY = "sync entry"
    # The public module's name: hosts configure (and tests capture) this log there.
    _log = logging.getLogger("onestop.application.sync")

    def __init__(
        self,
        ctx: AppContext,
        portal: NationalPortal,
        *,
        worker_id: str | None = None,
        max_attempts: int = 10,
        backoff: dt.timedelta = dt.timedelta(seconds=30),
        backoff_factor: float = 2.0,
        max_backoff: dt.timedelta = dt.timedelta(hours=1),
        lease: dt.timedelta = dt.timedelta(minutes=5),
        batch_size: int = 20,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        require(isinstance(ctx, AppContext), "ctx", "the portal's AppContext", ctx)
        self._policy = RetryPolicy.checked(
            max_attempts=max_attempts,
            backoff=backoff,
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
            lease=lease,
            batch_size=batch_size,
            jitter=jitter,
        )
        self._ctx = ctx
        self._portal = portal
        self.worker_id = worker_id or f"sync-{ctx.new_id()}"

    def dispatch_once(self) -> SyncDispatchReport:
        """Claim due entries (one per dossier), send each, and record each outcome."""
        counts = self._dispatch_pass()
        return SyncDispatchReport(
            sent=counts.get(_Result.SENT, 0),
            retried=counts.get(_Result.RETRY, 0),
            needs_attention=counts.get(_Result.GIVE_UP, 0),
        )

    def dispatch_until_idle(self, *, max_passes: int = 1000) -> SyncDispatchReport:
        """Pass after pass until a pass handles nothing (what is due now is sent or waits)."""
        sent = retried = stuck = 0
        for _ in range(max_passes):
            report = self.dispatch_once()
            sent, retried, stuck = (
                sent + report.sent,
                retried + report.retried,
                stuck + report.needs_attention,
            )
            if report.handled == 0:
                break
        return SyncDispatchReport(sent, retried, stuck)

    def _outbox(self, uow: UnitOfWork) -> SyncOutbox:
        return uow.sync

    def _send(self, entry: SyncEntry) -> _Outcome:
        record_sent = entry.record_sent
        progress_sent = entry.progress_sent
        try:
            if not record_sent:
                self._send_record(entry)
                record_sent = True
            left = entry.progress_left
            for start in range(0, len(left), MAX_PROGRESS_BATCH):
                batch = left[start : start + MAX_PROGRESS_BATCH]
                self._portal.update_progress(batch)
                progress_sent += len(batch)
        except NationalPortalRejected as e:
            return _Outcome(_Result.GIVE_UP, record_sent, progress_sent, describe(e))
        except Exception as e:
            # Anything else (no answer, a timeout, a bug in an adapter) is retried: giving up
            # at the first surprise would leave the national portal behind for good.
            give_up, note = self._policy.after_failure(entry.attempts, e)
            result = _Result.GIVE_UP if give_up else _Result.RETRY
            return _Outcome(result, record_sent, progress_sent, note)
        return _Outcome(_Result.SENT, record_sent, progress_sent)

    def _send_record(self, entry: SyncEntry) -> None:
        if entry.sequence > 1:
            self._portal.update_dossier(entry.record)
            return
        try:
            self._portal.insert_dossier(entry.record)
        except NationalPortalRejected as e:
            if not e.already_exists:
                raise
            # Inserted before (a reply lost on the way back, or another system): update it.
            self._portal.update_dossier(entry.record)

    def _apply(self, entry: SyncEntry, outcome: _Outcome, now: dt.datetime) -> None:
        entry.note_progress(record_sent=outcome.record_sent, progress_sent=outcome.progress_sent)
        error = outcome.error or "failed"
        if outcome.kind is _Result.SENT:
            entry.mark_sent(now=now)
        elif outcome.kind is _Result.GIVE_UP:
            entry.give_up(error=error)
            self._log.error(
                "sync entry %s of dossier %s needs attention: %s",
                entry.id,
                entry.dossier_code,
                error,
            )
        else:
            entry.mark_retry(error=error, next_attempt_at=now + self._policy.delay(entry.attempts))
