"""Mail as the workflow sees it: a rendered message and its outbox entry.

Mail is written to the outbox in the same unit of work as the change it announces; a
dispatcher later claims pending entries, sends them and marks each sent exactly once.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from onestop.domain.codes import require_aware
from onestop.errors import InvalidIdentity, TransitionNotAllowed

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
        if "@" not in self.to or any(c in self.to for c in "\r\n"):
            raise InvalidIdentity("mail.to", "must be one email address", self.to)
        if any(c in self.subject for c in "\r\n"):
            raise InvalidIdentity("mail.subject", "must be one line", self.subject)


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

    def claim(self, worker: str, *, now: dt.datetime, lease: dt.timedelta) -> None:
        """Take the entry for ``worker`` until ``now + lease``."""
        if not self.is_due(now):
            raise TransitionNotAllowed("claim", f"outbox entry {self.state.value}")
        self.state = OutboxState.CLAIMED
        self.claimed_by = worker
        self.claimed_until = now + lease
        self.attempts += 1

    def mark_sent(self, *, now: dt.datetime) -> None:
        if self.state is not OutboxState.CLAIMED:
            raise TransitionNotAllowed("mark sent", f"outbox entry {self.state.value}")
        self.state = OutboxState.SENT
        self.sent_at = now
        self.claimed_by = None
        self.claimed_until = None
        self.last_error = None

    def mark_retry(self, *, error: str, next_attempt_at: dt.datetime) -> None:
        if self.state is not OutboxState.CLAIMED:
            raise TransitionNotAllowed("retry", f"outbox entry {self.state.value}")
        self.state = OutboxState.PENDING
        self.next_attempt_at = next_attempt_at
        self.claimed_by = None
        self.claimed_until = None
        self.last_error = error

    def mark_failed(self, *, error: str) -> None:
        if self.state is not OutboxState.CLAIMED:
            raise TransitionNotAllowed("give up on", f"outbox entry {self.state.value}")
        self.state = OutboxState.FAILED
        self.claimed_by = None
        self.claimed_until = None
        self.last_error = error
