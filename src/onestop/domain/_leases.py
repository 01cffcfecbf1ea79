"""What the two outboxes' entries share: a claim for a lease, released by its outcome.

:class:`~onestop.domain.mail.OutboxEntry` (mail) and :class:`~onestop.domain.sync.SyncEntry`
(the national portal) are both claimed by one dispatcher at a time, until ``now + lease``; a
claim that lapses lets another worker take the entry. :class:`LeasedEntry` holds those rules
once; each entry names its own states (``PENDING``, ``CLAIMED``) and what comes after a claim.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, ClassVar

from onestop.domain.codes import require_aware
from onestop.domain.inputs import require_text
from onestop.errors import InvalidInput, TransitionNotAllowed

__all__ = ["LeasedEntry"]


class LeasedEntry:
    """Mixin of an attrs entry class with the fields below; compared and hashed by ``id``.

    The subclass sets ``_PENDING`` and ``_CLAIMED`` to its own states and ``_NAME`` to how
    an error names it ("outbox entry", "sync entry").
    """

    if not TYPE_CHECKING:
        # No instance dict of its own, so the slotted attrs subclass stays slotted (mypy
        # would check the assignments below against these empty slots).
        __slots__ = ()

    _PENDING: ClassVar[enum.Enum]
    _CLAIMED: ClassVar[enum.Enum]
    _NAME: ClassVar[str]

    id: str
    state: enum.Enum
    attempts: int
    next_attempt_at: dt.datetime | None
    claimed_by: str | None
    claimed_until: dt.datetime | None
    last_error: str | None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def is_due(self, now: dt.datetime) -> bool:
        """True when a dispatcher may claim it now (pending and due, or its claim lapsed)."""
        require_aware(now, "now")
        if self.state is self._PENDING:
            return self.next_attempt_at is None or self.next_attempt_at <= now
        if self.state is self._CLAIMED:
            return self.claimed_until is not None and self.claimed_until <= now
        return False

    def claim(self, worker: str, *, now: dt.datetime, lease: dt.timedelta) -> None:
        """Take the entry for ``worker`` until ``now + lease``; counts an attempt."""
        require_text(worker, "worker")
        if not isinstance(lease, dt.timedelta) or lease <= dt.timedelta(0):
            raise InvalidInput("lease", "must be a positive timedelta", lease)
        if not self.is_due(now):
            raise TransitionNotAllowed("claim", f"{self._NAME} {self.state.value}")
        try:
            until = now + lease
        except OverflowError:
            raise InvalidInput("lease", "must end before the year 10000", lease) from None
        self.state = self._CLAIMED
        self.claimed_by = worker
        self.claimed_until = until
        self.attempts += 1

    def holds_claim(self, worker: str, until: dt.datetime | None) -> bool:
        """True while ``worker``'s claim ending at ``until`` is still this entry's claim."""
        return (
            self.state is self._CLAIMED
            and self.claimed_by == worker
            and self.claimed_until == until
        )

    def _end_claim(self, action: str, state: enum.Enum, *, error: str | None) -> None:
        """Leave the claim for ``state`` with ``error`` noted; only a claimed entry may."""
        if self.state is not self._CLAIMED:
            raise TransitionNotAllowed(action, f"{self._NAME} {self.state.value}")
        self.state = state
        self.last_error = error
        self.claimed_by = None
        self.claimed_until = None
