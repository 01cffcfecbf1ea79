"""Send the outbox: claim due mail, send it, record what happened, retry with backoff.

A dispatcher first claims a batch in one committed unit of work, and only then sends: two
dispatchers never claim the same entry, so a mail is not sent twice while its claim holds.
A claim lapses after ``lease``, so the mail of a worker that crashed mid-batch is sent by
another one later; the lease must therefore be longer than a batch takes to send.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from urllib.parse import urlsplit

import attrs

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.retries import MAX_INTERVAL as MAX_INTERVAL
from onestop.application.retries import RetryPolicy, describe, require, run_passes
from onestop.domain.inputs import is_valid_unicode
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.errors import ConcurrentUpdate, MailPermanentFailure, NotFound

__all__ = ["DispatchReport", "MailDispatcher"]

_log = logging.getLogger(__name__)


@attrs.frozen
class DispatchReport:
    """What one pass did: mail sent, mail to be retried later, mail given up on."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        """How many claimed entries this pass finished with, whatever the outcome."""
        return self.sent + self.retried + self.failed


@attrs.frozen
class _Outcome:
    state: OutboxState
    error: str | None = None


@checked_methods
class MailDispatcher:
    """Sends pending outbox mail through ``ctx.mail_transport``, each entry at most once."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        worker_id: str | None = None,
        max_attempts: int = 5,
        backoff: dt.timedelta = dt.timedelta(minutes=1),
        backoff_factor: float = 2.0,
        max_backoff: dt.timedelta = dt.timedelta(hours=1),
        lease: dt.timedelta = dt.timedelta(minutes=5),
        batch_size: int = 50,
    ) -> None:
        require(isinstance(ctx, AppContext), "ctx", "the portal's AppContext", ctx)
        require(
            worker_id is None or _is_worker_id(worker_id),
            "worker_id",
            "None or printable text of 1 to 200 characters",
            worker_id,
        )
        self._policy = RetryPolicy.checked(
            max_attempts=max_attempts,
            backoff=backoff,
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
            lease=lease,
            batch_size=batch_size,
        )
        self._ctx = ctx
        self.worker_id = worker_id or f"dispatcher-{ctx.new_id()}"
        self._domain = urlsplit(ctx.settings.base_url).hostname or "onestop"

    def message_id(self, entry: OutboxEntry) -> str:
        """The Message-ID of an entry's mail, the same on every attempt: ``<id@portal-host>``."""
        return f"<{entry.id}@{self._domain}>"

    def dispatch_once(self) -> DispatchReport:
        """Claim up to ``batch_size`` due entries, send each, and record each outcome."""
        with self._ctx.storage.unit_of_work() as uow:
            claimed = list(
                uow.outbox.claim_due(
                    worker=self.worker_id,
                    now=self._ctx.clock.now(),
                    lease=self._policy.lease,
                    limit=self._policy.batch_size,
                )
            )
            uow.commit()
        counts = {OutboxState.SENT: 0, OutboxState.PENDING: 0, OutboxState.FAILED: 0}
        for entry in claimed:
            outcome = self._send(entry)
            if self._record(entry, outcome):
                counts[outcome.state] += 1
        return DispatchReport(
            sent=counts[OutboxState.SENT],
            retried=counts[OutboxState.PENDING],
            failed=counts[OutboxState.FAILED],
        )

    def run(self, stop: threading.Event, interval: float = 5.0) -> None:
        """Dispatch until ``stop`` is set, pausing ``interval`` seconds when nothing is left.

        A full batch is followed at once by the next one. A storage error is logged and the
        loop carries on after the pause: a dispatcher outlives a database restart.
        ``interval`` is more than 0 and at most :data:`MAX_INTERVAL` (a day).
        """
        run_passes(
            stop,
            interval,
            lambda: self.dispatch_once().handled,
            batch_size=self._policy.batch_size,
            log=_log,
            name=f"mail dispatcher {self.worker_id}",
        )

    def _send(self, entry: OutboxEntry) -> _Outcome:
        try:
            self._ctx.mail_transport.send(entry.message, message_id=self.message_id(entry))
        except MailPermanentFailure as e:
            return _Outcome(OutboxState.FAILED, describe(e))
        except Exception as e:
            # Any other failure (a temporary one, or a bug in a transport) is retried: giving
            # up on a citizen's mail at the first surprise would lose it for good.
            give_up, note = self._policy.after_failure(entry.attempts, e)
            return _Outcome(OutboxState.FAILED if give_up else OutboxState.PENDING, note)
        return _Outcome(OutboxState.SENT)

    def _record(self, claimed: OutboxEntry, outcome: _Outcome) -> bool:
        """Store the outcome if the claim still holds; False when another worker took over."""
        now = self._ctx.clock.now()
        try:
            with self._ctx.storage.unit_of_work() as uow:
                entry = uow.outbox.get(claimed.id)
                if not entry.holds_claim(self.worker_id, claimed.claimed_until):
                    _log.warning(
                        "mail dispatcher %s: the claim on outbox entry %s lapsed before its "
                        "outcome (%s) could be recorded",
                        self.worker_id,
                        claimed.id,
                        outcome.state.value,
                    )
                    return False
                if outcome.state is OutboxState.SENT:
                    entry.mark_sent(now=now)
                elif outcome.state is OutboxState.FAILED:
                    entry.mark_failed(error=outcome.error or "failed")
                else:
                    entry.mark_retry(
                        error=outcome.error or "failed",
                        next_attempt_at=now + self._policy.delay(entry.attempts),
                    )
                uow.outbox.update(entry)
                uow.commit()
        except (ConcurrentUpdate, NotFound):
            _log.warning(
                "mail dispatcher %s: outbox entry %s changed while being sent",
                self.worker_id,
                claimed.id,
            )
            return False
        return True


def _is_worker_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 200
        and value.isprintable()
        and is_valid_unicode(value)
    )
