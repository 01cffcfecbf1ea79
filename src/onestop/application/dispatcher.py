"""Send the outbox: claim due mail, send it, record what happened, retry with backoff.

A dispatcher first claims a batch in one committed unit of work, and only then sends: two
dispatchers never claim the same entry, so a mail is not sent twice while its claim holds.
A claim lapses after ``lease``, so the mail of a worker that crashed mid-batch is sent by
another one later; the lease must therefore be longer than a batch takes to send. The
national-portal sync dispatcher works the same way
(:class:`~onestop.application._outbox_dispatch.OutboxDispatcher`).
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlsplit

import attrs

from onestop.application._outbox_dispatch import OutboxDispatcher
from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.retries import MAX_INTERVAL as MAX_INTERVAL
from onestop.application.retries import RetryPolicy, describe, require
from onestop.domain.inputs import is_valid_unicode
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.errors import MailPermanentFailure
from onestop.ports.storage import MailOutbox, UnitOfWork

__all__ = ["DispatchReport", "MailDispatcher"]


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
    kind: OutboxState
    error: str | None = None


@checked_methods
class MailDispatcher(OutboxDispatcher[OutboxEntry, _Outcome]):
    """Sends pending outbox mail through ``ctx.mail_transport``, each entry at most once."""

    _WHAT = "mail dispatcher"
    _ENTRY = "outbox entry"
    _log = logging.getLogger(__name__)

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
        counts = self._dispatch_pass()
        return DispatchReport(
            sent=counts.get(OutboxState.SENT, 0),
            retried=counts.get(OutboxState.PENDING, 0),
            failed=counts.get(OutboxState.FAILED, 0),
        )

    def _outbox(self, uow: UnitOfWork) -> MailOutbox:
        return uow.outbox

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

    def _apply(self, entry: OutboxEntry, outcome: _Outcome, now: dt.datetime) -> None:
        if outcome.kind is OutboxState.SENT:
            entry.mark_sent(now=now)
        elif outcome.kind is OutboxState.FAILED:
            entry.mark_failed(error=outcome.error or "failed")
        else:
            entry.mark_retry(
                error=outcome.error or "failed",
                next_attempt_at=now + self._policy.delay(entry.attempts),
            )


def _is_worker_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 200
        and value.isprintable()
        and is_valid_unicode(value)
    )
