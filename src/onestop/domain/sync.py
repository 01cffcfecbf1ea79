"""Keeping the national portal in step (DOMAIN section 10): the sync outbox entry.

Every change the national portal must learn is written, in the same unit of work as the
change, as one :class:`SyncEntry`: the dossier's record as it stands after the change
(service ``DongBoHoSoMC``, insert or update by ``MaHoSo``) and the progress rows the change
added (service ``CapNhatTienDoHoSoMC``). Entries of one dossier carry a ``sequence`` from 1;
a dispatcher sends them in that order, one at a time per dossier, and never an entry while an
earlier one of the same dossier is unsent (a later update never overtakes an earlier one).

States::

    PENDING --claim--> CLAIMED --mark_sent--> SENT
       ^                  |  \\--mark_retry--> PENDING (later, with backoff)
       |                  \\--give_up--> NEEDS_ATTENTION --retry (by an operator)--> PENDING

A claim lapses after its lease, so an entry claimed by a worker that died is claimed again.
``progress_sent`` counts the progress rows already acknowledged, so a retry after a partial
success does not send them twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Final

import attrs

from onestop.domain._leases import LeasedEntry
from onestop.domain.codes import VN_TZ, require_aware
from onestop.domain.inputs import require_datetime, require_text
from onestop.errors import InvalidInput, TransitionNotAllowed

__all__ = [
    "MAX_PROGRESS_BATCH",
    "SyncEntry",
    "SyncState",
    "national_timestamp",
]

#: The national portal takes at most this many progress rows per request.
MAX_PROGRESS_BATCH: Final = 10


def national_timestamp(instant: dt.datetime | None) -> str:
    """``yyyyMMddHHmmss`` in Vietnam time, as the national portal reads dates ("" for none)."""
    if instant is None:
        return ""
    require_aware(instant, "instant")
    return instant.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")


class SyncState(enum.Enum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    NEEDS_ATTENTION = "needs_attention"


def _strings(value: object, field: str) -> None:
    """Every leaf of a message is a string (the national portal's rule)."""
    # One pass over a level's values; only containers are visited further (a record holds
    # some thirty strings and a few lists: this is on every change's path).
    if type(value) is str:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(field, "must have text keys", key)
            if type(item) is not str:
                _strings(item, f"{field}.{key}")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if type(item) is not str:
                _strings(item, f"{field}[{i}]")
        return
    if isinstance(value, str):
        return
    raise InvalidInput(field, "must hold only text values", value)


@attrs.define(eq=False)
class SyncEntry(LeasedEntry):
    """One change for the national portal: the record after it and the progress it added.

    Due like any leased entry (:meth:`is_due`); whether an earlier entry of the same dossier
    is unsent is the storage's question.
    """

    _PENDING = SyncState.PENDING
    _CLAIMED = SyncState.CLAIMED
    _NAME = "sync entry"

    id: str
    dossier_id: str
    dossier_code: str
    sequence: int
    created_at: dt.datetime
    #: The ``DongBoHoSoMC`` record (field names of DOMAIN section 10, every value a string).
    record: dict[str, Any]
    #: The ``CapNhatTienDoHoSoMC`` rows this change added, oldest first.
    progress: tuple[dict[str, Any], ...] = ()
    #: How many history entries of the dossier the rows of this and earlier entries cover.
    history_upto: int = 0
    state: SyncState = SyncState.PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    claimed_by: str | None = None
    claimed_until: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str | None = None
    #: Whether the record reached the portal (so a retry sends only the progress left).
    record_sent: bool = False
    progress_sent: int = 0
    version: int = 0

    def __attrs_post_init__(self) -> None:
        require_text(self.id, "sync.id")
        require_text(self.dossier_id, "sync.dossier_id")
        require_text(self.dossier_code, "sync.dossier_code")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int):
            raise InvalidInput("sync.sequence", "must be a whole number", self.sequence)
        if self.sequence < 1:
            raise InvalidInput("sync.sequence", "must be 1 or more", self.sequence)
        require_datetime(self.created_at, "sync.created_at")
        if not isinstance(self.record, dict):
            raise InvalidInput("sync.record", "must be a dict", self.record)
        _strings(self.record, "sync.record")
        self.progress = tuple(self.progress)
        for row in self.progress:
            if not isinstance(row, dict):
                raise InvalidInput("sync.progress", "must be dicts", row)
            _strings(row, "sync.progress")
        if not isinstance(self.state, SyncState):
            raise InvalidInput("sync.state", "must be a SyncState", self.state)

    @property
    def progress_left(self) -> tuple[dict[str, Any], ...]:
        """The progress rows not yet acknowledged by the portal."""
        return self.progress[self.progress_sent :]

    def note_progress(self, *, record_sent: bool, progress_sent: int) -> None:
        """Remember what the portal acknowledged so far (kept across a retry)."""
        if not 0 <= progress_sent <= len(self.progress):
            raise InvalidInput("progress_sent", "must be within the entry's rows", progress_sent)
        self.record_sent = self.record_sent or record_sent
        self.progress_sent = max(self.progress_sent, progress_sent)

    def mark_sent(self, *, now: dt.datetime) -> None:
        require_datetime(now, "now")
        self._end_claim("mark sent", SyncState.SENT, error=None)
        self.sent_at = now
        self.record_sent = True
        self.progress_sent = len(self.progress)

    def mark_retry(self, *, error: str, next_attempt_at: dt.datetime) -> None:
        require_text(error, "error")
        require_datetime(next_attempt_at, "next_attempt_at")
        self._end_claim("retry", SyncState.PENDING, error=error)
        self.next_attempt_at = next_attempt_at

    def give_up(self, *, error: str) -> None:
        """Stop trying until an operator looks: the dossier's later entries wait too."""
        require_text(error, "error")
        self._end_claim("give up on", SyncState.NEEDS_ATTENTION, error=error)

    def retry(self, *, now: dt.datetime) -> None:
        """An operator sends a stuck entry again: pending now, with a fresh count of attempts."""
        require_datetime(now, "now")
        if self.state is not SyncState.NEEDS_ATTENTION:
            raise TransitionNotAllowed("retry", f"sync entry {self.state.value}")
        self.state = SyncState.PENDING
        self.attempts = 0
        self.next_attempt_at = now
