"""Mail as the workflow sees it: a rendered message and its outbox entry.

Mail is written to the outbox in the same unit of work as the change it announces; a
dispatcher later claims pending entries, sends them and marks each sent exactly once.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from onestop.domain.codes import require_aware
from onestop.domain.inputs import require_datetime, require_text
from onestop.errors import InvalidIdentity, InvalidInput, TransitionNotAllowed

__all__ = ["MailMessage", "OutboxEntry", "OutboxState"]


@attrs.frozen
class MailMessage:
    """A rendered message: plain text always, HTML as an alternative when the template has one."""

    to: str
    subject: str
    text: str
    html: str | None = None
    template: str = ""
    locale: str = "vi"

    def __attrs_post_init__(self) -> None:
        require_text(self.to, "mail.to", error=InvalidIdentity)
        require_text(self.subject, "mail.subject", error=InvalidIdentity)
        if "@" not in self.to or any(c in self.to for c in "\r\n\x00"):
            raise InvalidIdentity("mail.to", "must be one email address", self.to)
        if any(c in self.subject for c in "\r\n\x00"):
            raise InvalidIdentity("mail.subject", "must be one line", self.subject)
        require_text(self.text, "mail.text")
        if self.html is not None:
            require_text(self.html, "mail.html")
        require_text(self.template, "mail.template")
        require_text(self.locale, "mail.locale")


def _check_error(error: object) -> None:
    # Only the type: the text of a mail server's error is kept as it came, for the record.
    if not isinstance(error, str):
        raise InvalidInput("error", "must be text", error)


class OutboxState(enum.Enum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"


@attrs.define(eq=False)
class OutboxEntry:
    """A message waiting to be sent, being sent, sent or given up on."""

    id: str
    message: MailMessage
    created_at: dt.datetime
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    claimed_by: str | None = None
    claimed_until: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str | None = None
    version: int = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OutboxEntry) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def is_due(self, now: dt.datetime) -> bool:
        """True when a dispatcher may claim it now (pending and due, or its claim lapsed)."""
        require_aware(now, "now")
        if self.state is OutboxState.PENDING:
            return self.next_attempt_at is None or self.next_attempt_at <= now
        if self.state is OutboxState.CLAIMED:
            return self.claimed_until is not None and self.claimed_until <= now
        return False

    def __attrs_post_init__(self) -> None:
        require_text(self.id, "outbox.id")
        if not isinstance(self.message, MailMessage):
            raise InvalidInput("outbox.message", "must be a MailMessage", self.message)
        require_datetime(self.created_at, "outbox.created_at")
        if not isinstance(self.state, OutboxState):
            raise InvalidInput("outbox.state", "must be an OutboxState", self.state)

    def claim(self, worker: str, *, now: dt.datetime, lease: dt.timedelta) -> None:
        """Take the entry for ``worker`` until ``now + lease``."""
        require_text(worker, "worker")
        if not isinstance(lease, dt.timedelta) or lease <= dt.timedelta(0):
            raise InvalidInput("lease", "must be a positive timedelta", lease)
        if not self.is_due(now):
            raise TransitionNotAllowed("claim", f"outbox entry {self.state.value}")
        try:
            until = now + lease
        except OverflowError:
            raise InvalidInput("lease", "must end before the year 10000", lease) from None
        self.state = OutboxState.CLAIMED
        self.claimed_by = worker
        self.claimed_until = until
        self.attempts += 1

    def mark_sent(self, *, now: dt.datetime) -> None:
        require_datetime(now, "now")
        if self.state is not OutboxState.CLAIMED:
            raise TransitionNotAllowed("mark sent", f"outbox entry {self.state.value}")
        self.state = OutboxState.SENT
        self.sent_at = now
        self.claimed_by = None
        self.claimed_until = None
        self.last_error = None

    def mark_retry(self, *, error: str, next_attempt_at: dt.datetime) -> None:
        _check_error(error)
        require_datetime(next_attempt_at, "next_attempt_at")
        if self.state is not OutboxState.CLAIMED:
            raise TransitionNotAllowed("retry", f"outbox entry {self.state.value}")
        self.state = OutboxState.PENDING
        self.next_attempt_at = next_attempt_at
        self.claimed_by = None
        self.claimed_until = None
        self.last_error = error

    def mark_failed(self, *, error: str) -> None:
        _check_error(error)
        if self.state is not OutboxState.CLAIMED:
            raise TransitionNotAllowed("give up on", f"outbox entry {self.state.value}")
        self.state = OutboxState.FAILED
        self.claimed_by = None
        self.claimed_until = None
        self.last_error = error
