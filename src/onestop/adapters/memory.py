"""In-memory storage that behaves like a database, not like a dict.

:class:`InMemoryStorage` keeps committed records in plain dictionaries behind one lock.
Each :class:`InMemoryUnitOfWork` is a transaction with read-committed isolation:

* **Private staging.** Writes are staged in the unit of work and applied by ``commit()``
  all at once, under the lock, after checking versions (:class:`ConcurrentUpdate`, the
  first committer wins) and unique rules (:class:`DuplicateError`). A rollback, leaving the
  ``with`` block without committing, or an exception leaves no trace.
* **Copies, not references.** Stored records are shallow clones without pending domain
  events, sharing their immutable values (a procedure is kept once, not once per dossier);
  every read returns a fresh clone, so changing a returned object changes nothing until it
  is passed to ``update`` and committed. A unit of work sees its own staged writes.
* **Session semantics.** ``commit()`` and ``rollback()`` end the current transaction and
  the unit of work may go on with a new one inside the same ``with`` block. A unit of work
  is entered once; using it before ``with``, after it, or entering it twice raises
  :class:`UnitOfWorkError`. A failed commit rolls the transaction back, as a database does;
  after any other error, roll back before going on (PostgreSQL would insist).
* **Row locks for code sequences.** ``codes.next(agency, day)`` takes a per-(agency, day)
  lock held until the transaction ends, like ``SELECT ... FOR UPDATE``: a second unit of
  work asking for the same key waits, then continues from the committed value, so numbers
  are gap-free whatever the threads do. A submission takes exactly one such lock, so
  submissions cannot deadlock each other; a unit of work that takes two keys in a different
  order than another one could, and ``lock_timeout`` turns that (or two units of work opened
  in one thread) into a :class:`StorageError` instead of a hang.
* **Skip-locked outbox claims.** ``outbox.claim_due`` skips entries another live unit of
  work has claimed or updated (``FOR UPDATE SKIP LOCKED``) rather than waiting for them.
* **Inserted keys wait, as in a database.** ``tokens.consume`` of a token id another live
  unit of work has consumed but not committed waits for it to end, then raises
  :class:`DuplicateError` if it committed (a unique index does this in PostgreSQL): a second
  use of a token is refused by ``consume`` itself, never later by ``commit``.

A unit of work belongs to one thread at a time, like a database session; the storage is
shared by any number of threads.

Failure injection for tests: ``InMemoryStorage(fail_on={"outbox.add"})`` (or adding names
to ``storage.fail_on`` later) makes that operation raise :class:`StorageError` before it
does anything. Names are ``"<repository>.<method>"`` as on the unit of work
(``"dossiers.update"``, ``"codes.next"``, ``"tokens.consume"``) or ``"commit"``; see
:data:`OPERATIONS`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, cast

from onestop.adapters._memory_operations import OPERATIONS
from onestop.adapters._memory_reports import _Reports
from onestop.adapters._memory_repositories import (
    _Accounts,
    _Audit,
    _Catalog,
    _Codes,
    _Dossiers,
    _Feedback,
    _Officers,
    _Outbox,
    _Payments,
    _Sync,
    _Tokens,
)
from onestop.adapters._memory_tables import (
    _AGENCIES,
    _AUDIT,
    _FIELDS,
    _PROCEDURES,
    _SPECS,
    _T,
    _V,
    _SeqKey,
    _Spec,
    _Staged,
    _Table,
    _Write,
)
from onestop.adapters._memory_tables import WriteKind as WriteKind  # re-exported, as before
from onestop.adapters._search_index import SearchIndex
from onestop.domain.catalog import Procedure
from onestop.errors import (
    ConcurrentUpdate,
    ConfigurationError,
    DuplicateError,
    StorageError,
    UnitOfWorkError,
)
from onestop.ports.storage import (
    AccountRepository,
    AuditTrail,
    CatalogRepository,
    CodeSequence,
    DossierRepository,
    FeedbackRepository,
    MailOutbox,
    OfficerRepository,
    PaymentRepository,
    ReportQueries,
    SyncOutbox,
    TokenLedger,
)

if TYPE_CHECKING:
    from onestop.ports.storage import Storage, UnitOfWork

__all__ = ["OPERATIONS", "InMemoryStorage", "InMemoryUnitOfWork"]

# --- storage -------------------------------------------------------------------------------


class InMemoryStorage:
    """Records in memory, with transactions, unique rules, versions and row locks.

    ``lock_timeout`` (seconds, ``None`` to wait forever) bounds the wait for a code
    sequence another unit of work holds; ``fail_on`` names operations that raise
    :class:`StorageError` (failure injection for tests, see the module docstring).
    """

    def __init__(self, *, lock_timeout: float | None = 30.0, fail_on: Iterable[str] = ()) -> None:
        if lock_timeout is not None and lock_timeout <= 0:
            raise ConfigurationError(
                f"lock_timeout must be a positive number of seconds or None, not {lock_timeout!r}"
            )
        self.lock_timeout = lock_timeout
        self.fail_on: set[str] = set(fail_on)
        _check_operations(self.fail_on)
        self._lock = threading.RLock()
        self._closed = False
        self._tables = {name: _Table(spec) for name, spec in _SPECS.items()}
        self._sequences: dict[_SeqKey, int] = {}
        self._sequence_locks: dict[_SeqKey, threading.Lock] = {}
        # Outbox entries a live unit of work has claimed or updated: its "row locks".
        self._outbox_locks: dict[Hashable, InMemoryUnitOfWork] = {}
        # Token ids consumed by a live unit of work, not yet committed: the "index locks"
        # a second consume of the same id waits on, notified when a transaction ends.
        self._pending_tokens: dict[str, InMemoryUnitOfWork] = {}
        self._token_released = threading.Condition(self._lock)
        # The highest committed position of each audit stream: where ``head`` starts probing.
        self._audit_heads: dict[str, int] = {}
        # Built from the committed catalog when first searched; kept up to date by commits
        # of procedures, dropped by commits of agencies or fields (their names are searched).
        self._search_index: SearchIndex | None = None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<InMemoryStorage {state}>"

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A new unit of work, to be used once in a ``with`` block."""
        self._require_open()
        return InMemoryUnitOfWork(self)

    def close(self) -> None:
        """Make the storage unusable; units of work still open fail on their next call."""
        with self._lock:
            self._closed = True

    # --- internals used by units of work ----------------------------------------------

    def _require_open(self) -> None:
        if self._closed:
            raise StorageError("this InMemoryStorage is closed; create a new one")

    def _maybe_fail(self, operation: str) -> None:
        if operation in self.fail_on:
            raise StorageError(f"injected failure in {operation} (InMemoryStorage.fail_on)")

    def _sequence_lock(self, key: _SeqKey) -> threading.Lock:
        with self._lock:
            return self._sequence_locks.setdefault(key, threading.Lock())

    def _apply(self, staged: _Staged, sequences: dict[_SeqKey, int]) -> None:
        """Check every staged write against what is committed, then apply all or none."""
        with self._lock:
            self._require_open()
            for name, writes in staged.items():
                self._check_writes(self._tables[name], writes)
            for name, writes in staged.items():
                table = self._tables[name]
                for key, write in writes.items():
                    if write.row is None:
                        table.remove(key)
                    else:
                        table.put(key, write.row)
            for key in staged.get(_AUDIT.name, {}):
                stream, position = cast(tuple[str, int], key)
                if position > self._audit_heads.get(stream, 0):
                    self._audit_heads[stream] = position
            self._sequences.update(sequences)
            self._update_search_index(staged)

    def _update_search_index(self, staged: _Staged) -> None:
        index = self._search_index
        if index is None:
            return
        if staged.get(_AGENCIES.name) or staged.get(_FIELDS.name):
            self._search_index = None
            return
        agencies, fields = self._tables[_AGENCIES.name].rows, self._tables[_FIELDS.name].rows
        for code, write in staged.get(_PROCEDURES.name, {}).items():
            if write.row is None:
                index.remove(cast(str, code))
                continue
            procedure: Procedure = write.row
            field, agency = fields.get(procedure.field), agencies.get(procedure.agency)
            index.put(
                procedure,
                field_name="" if field is None else field.name,
                agency_name="" if agency is None else agency.name,
            )

    def _committed_search_index(self) -> SearchIndex:
        """The index of the committed catalog; call with the lock held."""
        if self._search_index is None:
            tables = self._tables
            self._search_index = SearchIndex.of(
                tables[_PROCEDURES.name].rows.values(),
                tables[_AGENCIES.name].rows.values(),
                tables[_FIELDS.name].rows.values(),
            )
        return self._search_index

    @staticmethod
    def _check_writes(table: _Table, writes: dict[Hashable, _Write]) -> None:
        spec = table.spec
        for key, write in writes.items():
            current = table.rows.get(key)
            if write.kind == "insert" and current is not None:
                raise DuplicateError(f"{spec.name}.id", key)
            if write.kind in ("update", "delete") and (
                current is None or current.version != write.base
            ):
                raise ConcurrentUpdate(spec.name, key)
        for key, write in writes.items():
            if write.row is None:
                continue
            for unique in spec.uniques:
                value = unique.value(write.row)
                if value is None:
                    continue
                owner = table.owner(unique.what, value)
                # A row changed in this same commit frees its old value (checked at staging).
                if owner is not None and owner != key and owner not in writes:
                    raise DuplicateError(unique.what, value)


def _check_operations(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - OPERATIONS)
    if unknown:
        raise ConfigurationError(
            f"fail_on names unknown operations {unknown}; use names like 'outbox.add', "
            "'dossiers.update' or 'commit' (see onestop.adapters.memory.OPERATIONS)"
        )


# --- unit of work --------------------------------------------------------------------------

_State = Literal["new", "open", "closed"]


class InMemoryUnitOfWork:
    """One transaction at a time over an :class:`InMemoryStorage`; see the module docstring."""

    accounts: AccountRepository
    officers: OfficerRepository
    catalog: CatalogRepository
    dossiers: DossierRepository
    payments: PaymentRepository
    feedback: FeedbackRepository
    reports: ReportQueries
    outbox: MailOutbox
    sync: SyncOutbox
    codes: CodeSequence
    tokens: TokenLedger
    audit: AuditTrail

    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage
        self._state: _State = "new"
        self._staged: _Staged = {}
        self._sequences: dict[_SeqKey, int] = {}
        self.accounts = _Accounts(self)
        self.officers = _Officers(self)
        self.catalog = _Catalog(self)
        self.dossiers = _Dossiers(self)
        self.payments = _Payments(self)
        self.feedback = _Feedback(self)
        self.reports = _Reports(self)
        self.outbox = _Outbox(self)
        self.sync = _Sync(self)
        self.codes = _Codes(self)
        self.tokens = _Tokens(self)
        self.audit = _Audit(self)

    def __repr__(self) -> str:
        return f"<InMemoryUnitOfWork {self._state}>"

    def __enter__(self) -> Self:
        if self._state != "new":
            raise UnitOfWorkError(
                "a unit of work is entered once; ask the storage for a new one "
                "(with storage.unit_of_work() as uow: ...)"
            )
        self._storage._require_open()
        self._state = "open"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed, and release the unit of work."""
        if self._state == "open":
            self._end_transaction()
        self._state = "closed"

    def commit(self) -> None:
        """Apply every staged change at once, or raise, roll back and change nothing."""
        self._require_open()
        try:
            self._storage._maybe_fail("commit")
            self._storage._apply(self._staged, self._sequences)
        finally:
            self._end_transaction()

    def rollback(self) -> None:
        """Drop every staged change and release the locks; the unit of work goes on."""
        self._require_open()
        self._end_transaction()

    # --- helpers for the repositories -------------------------------------------------

    def _require_open(self) -> None:
        if self._state != "open":
            where = "before its with block" if self._state == "new" else "after it ended"
            raise UnitOfWorkError(
                f"this unit of work is used {where}; "
                "use it inside 'with storage.unit_of_work() as uow:'"
            )
        self._storage._require_open()

    def _begin(self, operation: str) -> None:
        self._require_open()
        self._storage._maybe_fail(operation)

    def _end_transaction(self) -> None:
        self._staged = {}
        held, self._sequences = self._sequences, {}
        storage = self._storage
        with storage._lock:
            for key in [k for k, owner in storage._outbox_locks.items() if owner is self]:
                del storage._outbox_locks[key]
            for key in held:
                storage._sequence_locks[key].release()
            mine = [k for k, owner in storage._pending_tokens.items() if owner is self]
            for token_id in mine:
                del storage._pending_tokens[token_id]
            if mine:
                storage._token_released.notify_all()

    def _writes(self, spec: _Spec[Any]) -> dict[Hashable, _Write]:
        return self._staged.setdefault(spec.name, {})

    def _visible(self, spec: _Spec[Any], key: Hashable) -> Any | None:
        """The row as this unit of work sees it: its own staged write, else the committed one."""
        write = self._staged.get(spec.name, {}).get(key)
        if write is not None:
            return write.row
        with self._storage._lock:
            return self._storage._tables[spec.name].rows.get(key)

    def _visible_rows(self, spec: _Spec[Any]) -> list[Any]:
        with self._storage._lock:
            rows = dict(self._storage._tables[spec.name].rows)
        for key, write in self._staged.get(spec.name, {}).items():
            if write.row is None:
                rows.pop(key, None)
            else:
                rows[key] = write.row
        return list(rows.values())

    def _find_unique(self, spec: _Spec[_T], what: str, value: Hashable) -> _T | None:
        unique = next(u for u in spec.uniques if u.what == what)
        writes = self._staged.get(spec.name, {})
        for write in writes.values():
            if write.row is not None and unique.value(write.row) == value:
                return spec.copy(write.row)
        with self._storage._lock:
            table = self._storage._tables[spec.name]
            owner = table.owner(what, value)
            row = None if owner is None or owner in writes else table.rows[owner]
        return None if row is None else spec.copy(row)

    def _check_unique(self, spec: _Spec[Any], key: Hashable, row: Any) -> None:
        writes = self._staged.get(spec.name, {})
        for unique in spec.uniques:
            value = unique.value(row)
            if value is None:
                continue
            for other_key, write in writes.items():
                if other_key != key and write.row is not None and unique.value(write.row) == value:
                    raise DuplicateError(unique.what, value)
            with self._storage._lock:
                owner = self._storage._tables[spec.name].owner(unique.what, value)
            if owner is not None and owner != key and owner not in writes:
                raise DuplicateError(unique.what, value)

    def _get(self, operation: str, spec: _Spec[_T], key: Hashable) -> _T:
        self._begin(operation)
        row = self._visible(spec, key)
        if row is None:
            raise spec.not_found(key)
        return spec.copy(row)

    def _group_rows(self, spec: _Spec[Any], group: str, value: Hashable) -> list[Any]:
        """The visible rows whose ``group`` is ``value``, from the index, not a scan."""
        value_of = spec.groups[group]
        with self._storage._lock:
            table = self._storage._tables[spec.name]
            rows = {k: table.rows[k] for k in table.groups[group].get(value, ())}
        for key, write in self._staged.get(spec.name, {}).items():
            if write.row is not None and value_of(write.row) == value:
                rows[key] = write.row
            else:
                rows.pop(key, None)
        return list(rows.values())

    def _list(
        self,
        operation: str,
        spec: _Spec[_T],
        keep: Callable[[_T], bool],
        order: Callable[[_T], Any],
        *,
        newest_first: bool = False,
        group: tuple[str, Hashable] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[_T]:
        """Rows ``keep`` accepts, sorted; ``group`` (name, value) narrows them by an index;
        ``offset`` and ``limit`` take one slice (only its rows are copied)."""
        self._begin(operation)
        source = self._visible_rows(spec) if group is None else self._group_rows(spec, *group)
        rows = sorted((r for r in source if keep(r)), key=order, reverse=newest_first)
        chosen = rows[offset:] if limit is None else rows[offset : offset + limit]
        return [spec.copy(r) for r in chosen]

    def _count(
        self,
        operation: str,
        spec: _Spec[Any],
        keep: Callable[[Any], bool],
        group: tuple[str, Hashable],
    ) -> int:
        """How many rows of the ``group`` (name, value) ``keep`` accepts."""
        self._begin(operation)
        return sum(1 for r in self._group_rows(spec, *group) if keep(r))

    def _insert(self, operation: str, spec: _Spec[_T], record: _T) -> None:
        self._begin(operation)
        key = spec.key(record)
        if self._visible(spec, key) is not None:
            raise DuplicateError(f"{spec.name}.id", key)
        self._check_unique(spec, key, record)
        earlier = self._writes(spec).get(key)
        if earlier is not None and earlier.kind == "delete":
            # Deleted then added again in one transaction: the committed row is replaced.
            self._writes(spec)[key] = _Write("update", spec.copy(record), base=earlier.base)
            return
        self._writes(spec)[key] = _Write("insert", spec.copy(record))

    def _upsert(self, operation: str, spec: _Spec[_T], record: _T) -> None:
        self._begin(operation)
        self._writes(spec)[spec.key(record)] = _Write("upsert", spec.copy(record))

    def _update(self, operation: str, spec: _Spec[_V], record: _V) -> None:
        self._begin(operation)
        key = spec.key(record)
        current = self._visible(spec, key)
        if current is None:
            raise spec.not_found(key)
        if current.version != record.version:
            raise ConcurrentUpdate(spec.name, key)
        self._check_unique(spec, key, record)
        writes = self._writes(spec)
        earlier = writes.get(key)
        if earlier is None:
            write = _Write("update", None, base=current.version)
        else:
            write = _Write(earlier.kind, None, base=earlier.base)
        record.version += 1
        write.row = spec.copy(record)
        writes[key] = write

    def _delete(self, spec: _Spec[Any], key: Hashable) -> None:
        writes = self._writes(spec)
        earlier = writes.get(key)
        if earlier is not None and earlier.kind == "insert":
            del writes[key]
            return
        if earlier is not None:
            writes[key] = _Write("delete", None, base=earlier.base)
            return
        with self._storage._lock:
            current = self._storage._tables[spec.name].rows.get(key)
        if current is None:  # deleted by another unit of work since this one looked
            raise spec.not_found(key)
        writes[key] = _Write("delete", None, base=current.version)


if TYPE_CHECKING:
    # mypy proves here that the classes satisfy the ports they implement.
    def _implements(
        storage: InMemoryStorage, uow: InMemoryUnitOfWork
    ) -> tuple[Storage, UnitOfWork]:
        return storage, uow
