"""Keeping the national portal in step (DOMAIN section 10): enqueue, build, dispatch.

* :func:`queue_dossier_sync` is called by every use case that changes a submitted dossier,
  in the same unit of work as the change: it writes one :class:`~onestop.domain.sync.SyncEntry`
  holding the dossier's ``DongBoHoSoMC`` record as it now stands and the
  ``CapNhatTienDoHoSoMC`` rows of the history entries added since the last entry. A change
  that rolls back leaves no entry; a change that commits always has one.
* The messages are built from our records (:func:`dossier_record`, :func:`progress_rows`,
  in :mod:`onestop.application._sync_records`): channel, applicant type, id kind, fees,
  payment flag, supplements, dates as ``yyyyMMddHHmmss`` in Vietnam time, every value a
  string. ``TaiKhoanDuocXacThucVoiVNeID`` is "1" when the owner's account is linked to a
  national identity (VNeID, :mod:`onestop.application.national_login`) as the record is
  built; a flag we hold no record for (components taken from the national data store) is
  sent as "0", never as a guessed "1".
* :class:`SyncDispatcher` (in :mod:`onestop.application._sync_dispatch`) sends them like the
  mail dispatcher: it claims due entries in a committed unit of work (at most one per
  dossier, the dossier's first unsent one, so a later update never overtakes an earlier one
  and a failing dossier holds back only itself), sends them outside any transaction (record
  first, an insert answered "đã tồn tại" sent again as an update; then the progress in
  batches of at most 10), and records the outcome: sent, a retry with exponential backoff
  and jitter, or, after ``max_attempts`` or a refusal, *needs attention*, which
  :class:`SyncService` lists and retries (``onestop sync status|retry``). A claim lapses
  after ``lease``, so a worker that died is replaced: at least once, in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs

from onestop.application._sync_dispatch import SyncDispatcher, SyncDispatchReport
from onestop.application._sync_records import MAX_SUMMARY as MAX_SUMMARY
from onestop.application._sync_records import (
    carried_supplements,
    channel,
    dossier_record,
    progress_rows,
)
from onestop.application._sync_records import default_file_link as default_file_link
from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.retries import MAX_INTERVAL as MAX_INTERVAL
from onestop.domain.accounts import Account
from onestop.domain.dossier import Dossier
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry, SyncState
from onestop.errors import ConcurrentUpdate, DuplicateError, NotFound
from onestop.ports.storage import UnitOfWork

__all__ = [
    "SyncDispatchReport",
    "SyncDispatcher",
    "SyncService",
    "SyncStatus",
    "channel",
    "dossier_record",
    "progress_rows",
    "queue_dossier_sync",
]


# --- queueing, in the unit of work of the change ----------------------------------------------


def queue_dossier_sync(
    uow: UnitOfWork,
    ctx: AppContext,
    dossier: Dossier,
    *,
    owner: Account | None = None,
    first: bool = False,
) -> SyncEntry | None:
    """Queue what the national portal must learn of this change, in the caller's unit of work.

    Call it after ``uow.dossiers.update(dossier)`` (or ``add``); a draft queues nothing.
    ``owner``: the dossier owner's account, when the caller has read it in this unit of
    work already (it is read otherwise). ``first``: the dossier was a draft when this unit of
    work read it, so it has no entry yet (none is looked up; the storage's unique
    (dossier, sequence) still refuses a second first entry).
    """
    if dossier.code is None or dossier.status is DossierStatus.DRAFT:
        return None
    previous = None if first else uow.sync.last_for(dossier.id)
    upto = previous.history_upto if previous is not None else 0
    new = dossier.history[upto:]
    account: Account | None = owner if owner is not None and owner.id == dossier.owner_id else None
    if account is None:
        try:
            account = uow.accounts.get(dossier.owner_id)
        except NotFound:
            account = None
    try:
        field_name = uow.catalog.get_field(dossier.procedure.field).name
    except NotFound:
        field_name = dossier.procedure.field
    record = dossier_record(
        dossier,
        account=account,
        payments=uow.payments.list_by_dossier(dossier.id),
        field_name=field_name,
        base_url=ctx.settings.base_url,
        supplements=carried_supplements(dossier, previous, new, ctx.deadlines),
        office=ctx.deadlines,
    )
    entry = SyncEntry(
        id=ctx.new_id(),
        dossier_id=dossier.id,
        dossier_code=str(dossier.code),
        sequence=(previous.sequence + 1) if previous is not None else 1,
        created_at=ctx.clock.now(),
        record=record,
        progress=tuple(progress_rows(dossier, new, ctx.deadlines)),
        history_upto=len(dossier.history),
    )
    try:
        uow.sync.add(entry)
    except DuplicateError as e:
        # The dossier's next sequence number was taken by a change committed since this unit
        # of work read the dossier: the same conflict its versioned update will report.
        raise ConcurrentUpdate("dossier", dossier.id) from e
    return entry


# --- what an operator sees and does -------------------------------------------------------


@attrs.frozen
class SyncStatus:
    """How many entries are in each state, and the ones that need attention."""

    counts: Mapping[SyncState, int]
    needs_attention: tuple[SyncEntry, ...]
    oldest_unsent: dt.datetime | None

    @property
    def unsent(self) -> int:
        return sum(n for s, n in self.counts.items() if s is not SyncState.SENT)


@checked_methods
class SyncService:
    """``portal.sync``: the sync outbox's state, and a retry of what needs attention."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def status(self) -> SyncStatus:
        with self._ctx.storage.unit_of_work() as uow:
            entries = list(uow.sync.list())
        counts = dict.fromkeys(SyncState, 0)
        for e in entries:
            counts[e.state] += 1
        unsent = [e.created_at for e in entries if e.state is not SyncState.SENT]
        return SyncStatus(
            counts=counts,
            needs_attention=tuple(e for e in entries if e.state is SyncState.NEEDS_ATTENTION),
            oldest_unsent=min(unsent) if unsent else None,
        )

    def entries(self, dossier_code: str) -> list[SyncEntry]:
        """Every sync entry of one dossier, in order."""
        with self._ctx.storage.unit_of_work() as uow:
            return sorted(
                (e for e in uow.sync.list() if e.dossier_code == dossier_code),
                key=lambda e: e.sequence,
            )

    def retry(self, entry_ids: Sequence[str] | None = None) -> list[SyncEntry]:
        """Send entries that need attention again now (every one of them when None)."""
        now = self._ctx.clock.now()
        with self._ctx.storage.unit_of_work() as uow:
            if entry_ids is None:
                chosen = list(uow.sync.list(state=SyncState.NEEDS_ATTENTION))
            else:
                chosen = [uow.sync.get(i) for i in entry_ids]
            for entry in chosen:
                entry.retry(now=now)
                uow.sync.update(entry)
            uow.commit()
        return chosen
