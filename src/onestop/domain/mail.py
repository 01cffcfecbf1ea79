"""Mail as the workflow sees it: a rendered message and its outbox entry.

Mail is written to the outbox in the same unit of work as the change it announces; a
dispatcher later claims pending entries, sends them and marks each sent exactly once.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from onestop.domain._leases import LeasedEntry
from onestop.domain.inputs import require_datetime, require_text
from onestop.errors import InvalidIdentity, InvalidInput

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
class OutboxEntry(LeasedEntry):
    """A message waiting to be sent, being sent, sent or given up on."""

    _PENDING = OutboxState.PENDING
    _CLAIMED = OutboxState.CLAIMED
    _NAME = "outbox entry"

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

    def __attrs_post_init__(self) -> None:
        require_text(self.id, "outbox.id")
        if not isinstance(self.message, MailMessage):
            raise InvalidInput("outbox.message", "must be a MailMessage", self.message)
        require_datetime(self.created_at, "outbox.created_at")
        if not isinstance(self.state, OutboxState):
            raise InvalidInput("outbox.state", "must be an OutboxState", self.state)

    def mark_sent(self, *, now: dt.datetime) -> None:
        require_datetime(now, "now")
        self._end_claim("mark sent", OutboxState.SENT, error=None)
        self.sent_at = now

    def mark_retry(self, *, error: str, next_attempt_at: dt.datetime) -> None:
        _check_error(error)
        require_datetime(next_attempt_at, "next_attempt_at")
        self._end_claim("retry", OutboxState.PENDING, error=error)
        self.next_attempt_at = next_attempt_at

    def mark_failed(self, *, error: str) -> None:
        _check_error(error)
        self._end_claim("give up on", OutboxState.FAILED, error=error)
