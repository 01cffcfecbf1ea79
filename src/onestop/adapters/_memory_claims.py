"""Claiming due outbox and sync entries in memory: chosen and locked in one step under the
storage's lock, so two claimers never get the same entry (like ``SKIP LOCKED``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from onestop.adapters._memory_tables import _OUTBOX, _SYNC, _oldest_first
from onestop.adapters._slices import check_claim
from onestop.domain.mail import OutboxEntry
from onestop.domain.sync import SyncEntry, SyncState

if TYPE_CHECKING:
    from onestop.adapters.memory import InMemoryUnitOfWork

__all__ = ["claim_outbox", "claim_sync"]


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
