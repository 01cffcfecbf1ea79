"""The SQL storage's mail and sync outbox repositories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table

from onestop.adapters._slices import check_claim
from onestop.adapters.sql import schema as t
from onestop.adapters.sql._repositories import _Repository
from onestop.adapters.sql._rows import _load, _outbox_row, _Row, _sync_row
from onestop.adapters.sql._statements import (
    _ALL_ENTRIES,
    _ENTRIES_IN_STATE,
    _ENTRY_BY_ID,
    _INSERT,
    _SYNC_ALL,
    _SYNC_BY_ID,
    _SYNC_IN_STATE,
    _SYNC_LAST_FOR,
    _SYNC_OF_DOSSIER,
    _SYNC_OF_DOSSIER_IN_STATE,
    _SYNC_SENT_AMONG,
)
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.domain.sync import SyncEntry, SyncState
from onestop.errors import (
    InvalidInput,
    NotFound,
)

if TYPE_CHECKING:
    from onestop.adapters.sql.storage import SqlUnitOfWork


def _entry(row: _Row) -> OutboxEntry:
    return _load(OutboxEntry, row["doc"], version=row["version"])


_E = TypeVar("_E", OutboxEntry, SyncEntry)


def _claim(
    uow: SqlUnitOfWork,
    operation: str,
    statement: Any,
    table: Table,
    load: Callable[[_Row], _E],
    store: Callable[[str, _E], None],
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
) -> list[_E]:
    """Claim the entries ``statement`` selects (due, not locked by another claimer) for
    ``worker``: each read, claimed and stored with its version bumped."""
    connection = uow._begin(operation)
    check_claim(now, lease, limit)
    uow._start_writing(connection)
    rows = uow._execute(connection, operation, statement, {"now": now, "limit": limit}).rows
    remember = uow._loader(table, load)
    claimed: list[_E] = []
    for row in rows:
        entry = remember(row)
        entry.claim(worker, now=now, lease=lease)
        store(operation, entry)
        claimed.append(entry)
    return claimed


class _Outbox(_Repository):
    def add(self, entry: OutboxEntry) -> None:
        """Queue a message; a taken id raises DuplicateError."""
        uow = self._uow
        connection = uow._write("outbox.add")
        uow._execute(
            connection,
            "outbox.add",
            _INSERT[t.outbox.name],
            _outbox_row(entry, entry.version),
            values={"outbox_entry.id": entry.id},
        )

    def get(self, entry_id: str) -> OutboxEntry:
        """The entry, or NotFound."""
        found = self._uow._one(
            "outbox.get",
            _ENTRY_BY_ID,
            {"p_id": entry_id},
            self._uow._loader(t.outbox, _entry),
        )
        if found is None:
            raise NotFound(entry_id)
        return found

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[OutboxEntry]:
        """Claim up to ``limit`` due entries for ``worker``, oldest first.

        Two units of work claiming at once never get the same entry: an entry another
        (uncommitted) unit of work is claiming is skipped, not waited for.
        """
        return _claim(
            self._uow,
            "outbox.claim_due",
            self._uow._sql.claim_due,
            t.outbox,
            _entry,
            self._store,
            worker,
            now,
            lease,
            limit,
        )

    def _store(self, operation: str, entry: OutboxEntry) -> None:
        self._uow._versioned_update(
            operation,
            "outbox_entry",
            t.outbox,
            entry,
            _outbox_row(entry, entry.version + 1),
            NotFound,
        )
        entry.version += 1

    def update(self, entry: OutboxEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._store("outbox.update", entry)

    def list(self, *, state: OutboxState | None = None) -> Sequence[OutboxEntry]:
        """Entries, optionally in one state, oldest first."""
        if state is None:
            return self._uow._all("outbox.list", _ALL_ENTRIES, None, _entry)
        return self._uow._all("outbox.list", _ENTRIES_IN_STATE, {"p_state": state.value}, _entry)


def _sync_entry(row: _Row) -> SyncEntry:
    return _load(SyncEntry, row["doc"], version=row["version"])


class _Sync(_Repository):
    def add(self, entry: SyncEntry) -> None:
        """Queue an entry; a taken id or (dossier, sequence) raises DuplicateError."""
        if not isinstance(entry, SyncEntry):
            raise InvalidInput("entry", "must be a SyncEntry", entry)
        uow = self._uow
        connection = uow._write("sync.add")
        uow._execute(
            connection,
            "sync.add",
            _INSERT[t.sync_outbox.name],
            _sync_row(entry, entry.version),
            values={
                "sync_entry.id": entry.id,
                "sync_entry.sequence": (entry.dossier_id, entry.sequence),
            },
        )

    def get(self, entry_id: str) -> SyncEntry:
        """The entry, or NotFound."""
        found = self._uow._one(
            "sync.get",
            _SYNC_BY_ID,
            {"p_id": entry_id},
            self._uow._loader(t.sync_outbox, _sync_entry),
        )
        if found is None:
            raise NotFound(entry_id)
        return found

    def last_for(self, dossier_id: str) -> SyncEntry | None:
        """The dossier's entry with the highest sequence, as this unit of work sees it."""
        return self._uow._one(
            "sync.last_for",
            _SYNC_LAST_FOR,
            {"p_dossier_id": dossier_id},
            self._uow._loader(t.sync_outbox, _sync_entry),
        )

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[SyncEntry]:
        """Claim up to ``limit`` due entries, one per dossier, each its dossier's first unsent."""
        return _claim(
            self._uow,
            "sync.claim_due",
            self._uow._sql.claim_sync,
            t.sync_outbox,
            _sync_entry,
            self._store,
            worker,
            now,
            lease,
            limit,
        )

    def _store(self, operation: str, entry: SyncEntry) -> None:
        self._uow._versioned_update(
            operation,
            "sync_entry",
            t.sync_outbox,
            entry,
            _sync_row(entry, entry.version + 1),
            NotFound,
        )
        entry.version += 1

    def update(self, entry: SyncEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._store("sync.update", entry)

    def list(
        self, *, state: SyncState | None = None, dossier_id: str | None = None
    ) -> Sequence[SyncEntry]:
        """Entries, optionally in one state and/or of one dossier, oldest first."""
        uow = self._uow
        if state is None and dossier_id is None:
            return uow._all("sync.list", _SYNC_ALL, None, _sync_entry)
        if dossier_id is None:
            assert state is not None
            return uow._all("sync.list", _SYNC_IN_STATE, {"p_state": state.value}, _sync_entry)
        if state is None:
            return uow._all(
                "sync.list", _SYNC_OF_DOSSIER, {"p_dossier_id": dossier_id}, _sync_entry
            )
        return uow._all(
            "sync.list",
            _SYNC_OF_DOSSIER_IN_STATE,
            {"p_dossier_id": dossier_id, "p_state": state.value},
            _sync_entry,
        )

    def sent_dossier_ids(self, dossier_ids: Iterable[str]) -> set[str]:
        """Which of ``dossier_ids`` have an entry the national portal acknowledged."""
        wanted = sorted(set(dossier_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(
                self._uow._all(
                    "sync.sent_dossier_ids",
                    _SYNC_SENT_AMONG,
                    {"p_ids": chunk},
                    lambda row: str(row["dossier_id"]),
                    built=True,
                )
            )
        return found
