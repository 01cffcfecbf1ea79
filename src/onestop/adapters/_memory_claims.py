"""What a unit of work takes and holds in memory until it ends.

* Due outbox and sync entries, claimed: chosen and locked in one step under the storage's
  lock, so two claimers never get the same entry (like ``SKIP LOCKED``).
* Code numbers: a unit of work that takes one locks its agency's and day's sequence until
  it ends (like the row lock of the SQL counter), so numbers are gap-free and never shared.
* Single-use tokens: a second use waits for the first one's unit of work to end, as a
  unique index does.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING

from onestop.adapters._memory_tables import (
    _OUTBOX,
    _SYNC,
    _TOKENS,
    _ConsumedToken,
    _oldest_first,
    _SeqKey,
)
from onestop.adapters._slices import check_claim
from onestop.domain.codes import AgencyCode, require_aware
from onestop.domain.mail import OutboxEntry
from onestop.domain.sync import SyncEntry, SyncState
from onestop.errors import CodeSequenceExhausted, InvalidInput, StorageError

if TYPE_CHECKING:
    from onestop.adapters.memory import InMemoryUnitOfWork

__all__ = [
    "claim_outbox",
    "claim_sync",
    "consume_token",
    "lock_outbox_entry",
    "next_number",
    "peek_number",
]


def claim_outbox(
    uow: InMemoryUnitOfWork, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
) -> list[OutboxEntry]:
    """Claim up to ``limit`` due mail entries for ``worker``, oldest first."""
    check_claim(now, lease, limit)
    storage = uow._storage
    claimed: list[OutboxEntry] = []
    # Choosing and locking the entries is one step, so two claimers never pick the same.
    with storage._lock:
        candidates = sorted(
            (
                e
                for e in uow._visible_rows(_OUTBOX)
                if storage._outbox_locks.get(e.id, uow) is uow and e.is_due(now)
            ),
            key=_oldest_first,
        )
        for entry in candidates[:limit]:
            storage._outbox_locks[entry.id] = uow
            mine = _OUTBOX.copy(entry)
            mine.claim(worker, now=now, lease=lease)
            uow._update("outbox.claim_due", _OUTBOX, mine)
            claimed.append(mine)
    return claimed


def claim_sync(
    uow: InMemoryUnitOfWork, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
) -> list[SyncEntry]:
    """Claim up to ``limit`` due sync entries for ``worker``: at most one per dossier, its
    first entry not sent, oldest first."""
    check_claim(now, lease, limit)
    storage = uow._storage
    claimed: list[SyncEntry] = []
    with storage._lock:
        # Each dossier's first entry not sent: the only one of that dossier that may go.
        heads: dict[str, SyncEntry] = {}
        for e in sorted(uow._visible_rows(_SYNC), key=lambda e: (e.dossier_id, e.sequence)):
            if e.state is not SyncState.SENT:
                heads.setdefault(e.dossier_id, e)
        candidates = sorted(
            (
                e
                for e in heads.values()
                if storage._outbox_locks.get(("sync", e.id), uow) is uow and e.is_due(now)
            ),
            key=lambda e: (e.created_at, e.id),
        )
        for entry in candidates[:limit]:
            storage._outbox_locks[("sync", entry.id)] = uow
            mine = _SYNC.copy(entry)
            mine.claim(worker, now=now, lease=lease)
            uow._update("sync.claim_due", _SYNC, mine)
            claimed.append(_SYNC.copy(mine))
    return claimed


def lock_outbox_entry(uow: InMemoryUnitOfWork, key: Hashable) -> None:
    """An updated entry (``key``: a mail entry's id, ``("sync", id)`` for a sync entry)
    stays locked until ``uow`` ends, so claimers skip it."""
    with uow._storage._lock:
        uow._storage._outbox_locks.setdefault(key, uow)


# --- code sequences ------------------------------------------------------------------------


def next_number(uow: InMemoryUnitOfWork, agency: AgencyCode, day: dt.date, maximum: int) -> int:
    """The next code number of ``agency`` on ``day``; its sequence locked until ``uow`` ends."""
    uow._begin("codes.next")
    if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
        raise InvalidInput("maximum", "must be a whole number, 1 or more", maximum)
    key = (agency, day)
    if key not in uow._sequences:
        _lock_sequence(uow, key)
    last = uow._sequences[key]
    if last >= maximum:
        raise CodeSequenceExhausted(str(agency), day, maximum)
    uow._sequences[key] = last + 1
    return last + 1


def _lock_sequence(uow: InMemoryUnitOfWork, key: _SeqKey) -> None:
    storage = uow._storage
    lock = storage._sequence_lock(key)
    # Never wait while holding the storage lock: the holder needs it to commit.
    timeout = -1 if storage.lock_timeout is None else storage.lock_timeout
    if not lock.acquire(timeout=timeout):
        raise StorageError(
            f"waited {storage.lock_timeout}s for the code sequence of {key[0]} on "
            f"{key[1].isoformat()}, held by another unit of work; is a unit of work left "
            "open, or are two open in one thread?"
        )
    with storage._lock:
        uow._sequences[key] = storage._sequences.get(key, 0)


def peek_number(uow: InMemoryUnitOfWork, agency: AgencyCode, day: dt.date) -> int:
    """The last number given, as committed or as ``uow`` took it."""
    uow._begin("codes.peek")
    key = (agency, day)
    if key in uow._sequences:
        return uow._sequences[key]
    with uow._storage._lock:
        return uow._storage._sequences.get(key, 0)


# --- tokens --------------------------------------------------------------------------------


def consume_token(uow: InMemoryUnitOfWork, token_id: str, now: dt.datetime) -> None:
    """Record a token's single use, waiting for another live unit of work that used it."""
    uow._begin("tokens.consume")
    if not isinstance(token_id, str) or not token_id:
        raise InvalidInput("token_id", "must be non-empty text", token_id)
    require_aware(now, "now")
    storage = uow._storage
    wait_until = None if storage.lock_timeout is None else time.monotonic() + storage.lock_timeout
    with storage._token_released:
        # Another live unit of work consumed it: wait for its end, as a unique index does.
        while storage._pending_tokens.get(token_id, uow) is not uow:
            left = None if wait_until is None else wait_until - time.monotonic()
            if left is not None and left <= 0:
                raise StorageError(
                    f"waited {storage.lock_timeout}s for token {token_id!r}, consumed by "
                    "another unit of work that has not ended; is a unit of work left open, "
                    "or are two open in one thread?"
                )
            storage._token_released.wait(left)
        uow._insert("tokens.consume", _TOKENS, _ConsumedToken(token_id, now))
        storage._pending_tokens[token_id] = uow
