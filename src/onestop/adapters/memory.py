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

import copy
import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, Protocol, Self, TypeVar, cast

import attrs

from onestop.adapters._search_index import SearchIndex
from onestop.domain.accounts import Account, Officer
from onestop.domain.audit import AuditRecord, dossier_stream, history_records
from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode, DossierCode, require_aware
from onestop.domain.dossier import Dossier
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.domain.payments import Payment
from onestop.domain.search import SearchHits, SearchPlan
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry, SyncState
from onestop.errors import (
    AccountNotFound,
    AgencyNotFound,
    CodeSequenceExhausted,
    ConcurrentUpdate,
    ConfigurationError,
    DossierNotFound,
    DuplicateError,
    FieldNotFound,
    InvalidInput,
    NotFound,
    OfficerNotFound,
    PaymentNotFound,
    ProcedureNotFound,
    StorageError,
    TransitionNotAllowed,
    UnitOfWorkError,
)
from onestop.ports.storage import (
    AccountRepository,
    AuditTrail,
    CatalogRepository,
    CodeSequence,
    DossierRepository,
    MailOutbox,
    OfficerRepository,
    PaymentRepository,
    SyncOutbox,
    TokenLedger,
)

if TYPE_CHECKING:
    from onestop.ports.storage import Storage, UnitOfWork

__all__ = ["OPERATIONS", "InMemoryStorage", "InMemoryUnitOfWork"]

#: Every operation name ``fail_on`` accepts.
OPERATIONS: Final = frozenset(
    {
        "accounts.add",
        "accounts.get",
        "accounts.find_by_email",
        "accounts.update",
        "officers.add",
        "officers.get",
        "officers.list_by_agency",
        "officers.find_by_email",
        "officers.find_by_external_subject",
        "officers.update",
        "officers.list_all",
        "catalog.put_agency",
        "catalog.put_field",
        "catalog.put_procedure",
        "catalog.get_agency",
        "catalog.get_field",
        "catalog.get_procedure",
        "catalog.list_agencies",
        "catalog.list_fields",
        "catalog.list_procedures",
        "catalog.search",
        "dossiers.add",
        "dossiers.get",
        "dossiers.get_by_code",
        "dossiers.find_by_idempotency_key",
        "dossiers.update",
        "dossiers.delete_draft",
        "dossiers.list_by_owner",
        "dossiers.list_by_agency",
        "payments.add",
        "payments.get",
        "payments.find_by_txn_ref",
        "payments.update",
        "payments.list_by_dossier",
        "outbox.add",
        "outbox.get",
        "outbox.claim_due",
        "outbox.update",
        "outbox.list",
        "sync.add",
        "sync.get",
        "sync.last_for",
        "sync.claim_due",
        "sync.update",
        "sync.list",
        "sync.sent_dossier_ids",
        "codes.next",
        "codes.peek",
        "tokens.consume",
        "audit.head",
        "audit.append",
        "audit.list",
        "audit.streams",
        "commit",
    }
)

_T = TypeVar("_T")


class _Versioned(Protocol):
    id: str
    version: int


_V = TypeVar("_V", bound=_Versioned)

_SeqKey = tuple[AgencyCode, dt.date]


# --- tables --------------------------------------------------------------------------------


def _entity_copy(record: _T) -> _T:
    """A shallow clone without pending domain events: a stored or loaded record has none.

    An entity's values are immutable (frozen attrs values, tuples, frozensets, enums, dates),
    so the clone shares them: a procedure is held once, however many dossiers name it.
    Only the entity itself, whose attributes may be reassigned, is new; the event buffer is
    a fresh empty list, and any other mutable container a caller put in is copied.
    """
    cls = type(record)
    clone = _CLONERS.get(cls)
    if clone is None:
        clone = _CLONERS[cls] = _cloner(cls)
    return cast(_T, clone(record))


_CLONERS: Final[dict[type[Any], Callable[[Any], Any]]] = {}
_MUTABLE: Final = frozenset({list, dict, set})


def _cloner(cls: type[Any]) -> Callable[[Any], Any]:
    """A function cloning ``cls`` field by field, written out once: 5-8x a generic loop.

    Values are assigned through the slots' descriptors, bypassing validators and
    ``__init__`` as a copy should (the record was valid when it was made).
    """
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_cls": cls,
        "_copy": copy.copy,
        "_MUTABLE": _MUTABLE,
    }
    lines = ["def clone(record):", "    duplicate = _new(_cls)"]
    for i, attribute in enumerate(attrs.fields(cls)):
        namespace[f"_set{i}"] = getattr(cls, attribute.name).__set__
        if attribute.name == "_events":
            lines.append(f"    _set{i}(duplicate, [])")
        else:
            lines.append(f"    value = record.{attribute.name}")
            lines.append(
                f"    _set{i}(duplicate, _copy(value) if value.__class__ in _MUTABLE else value)"
            )
    lines.append("    return duplicate")
    exec("\n".join(lines), namespace)  # the text holds attrs field names only, never input
    return cast(Callable[[Any], Any], namespace["clone"])


def _same(record: _T) -> _T:
    """Frozen values cannot be changed, so sharing them is as safe as copying."""
    return record


@attrs.frozen
class _Unique(Generic[_T]):
    """A unique rule: ``what`` names it in DuplicateError; ``value`` None means exempt."""

    what: str
    value: Callable[[_T], Hashable | None]


_Mode = Literal["insert", "update", "upsert"]


@attrs.frozen
class _Spec(Generic[_T]):
    """How one kind of record is keyed, checked and copied."""

    name: str
    key: Callable[[_T], Hashable]
    not_found: Callable[[Hashable], NotFound]
    mode: _Mode
    uniques: tuple[_Unique[_T], ...] = ()
    copy: Callable[[_T], _T] = _entity_copy
    #: Values rows are listed by (a dossier's payments, an owner's dossiers): indexed, so
    #: that listing them does not scan the whole table.
    groups: dict[str, Callable[[_T], Hashable]] = attrs.field(factory=dict)


@attrs.frozen
class _ConsumedToken:
    token_id: str
    at: dt.datetime


def _dossier_code(dossier: Dossier) -> Hashable | None:
    return dossier.code


def _idempotency(dossier: Dossier) -> Hashable | None:
    if dossier.idempotency_key is None:
        return None
    return (dossier.owner_id, dossier.idempotency_key)


_ACCOUNTS: Final = _Spec[Account](
    "account",
    key=lambda a: a.id,
    not_found=AccountNotFound,
    mode="update",
    uniques=(_Unique("account.email", lambda a: a.email),),
)
_OFFICERS: Final = _Spec[Officer](
    "officer",
    key=lambda o: o.id,
    not_found=OfficerNotFound,
    mode="update",
    uniques=(
        _Unique("officer.email", lambda o: o.email),
        _Unique("officer.external_subject", lambda o: o.external_subject),
    ),
)
_AGENCIES: Final = _Spec[Agency](
    "agency", key=lambda a: a.code, not_found=AgencyNotFound, mode="upsert", copy=_same
)
_FIELDS: Final = _Spec[Field](
    "field", key=lambda f: f.id, not_found=FieldNotFound, mode="upsert", copy=_same
)
_PROCEDURES: Final = _Spec[Procedure](
    "procedure", key=lambda p: p.code, not_found=ProcedureNotFound, mode="upsert", copy=_same
)
_DOSSIERS: Final = _Spec[Dossier](
    "dossier",
    key=lambda d: d.id,
    not_found=DossierNotFound,
    mode="update",
    uniques=(
        _Unique("dossier.code", _dossier_code),
        _Unique("dossier.idempotency_key", _idempotency),
    ),
    groups={"owner_id": lambda d: d.owner_id},
)
_PAYMENTS: Final = _Spec[Payment](
    "payment",
    key=lambda p: p.id,
    not_found=PaymentNotFound,
    mode="update",
    uniques=(_Unique("payment.txn_ref", lambda p: (p.gateway, p.txn_ref)),),
    groups={"dossier_id": lambda p: p.dossier_id},
)
_OUTBOX: Final = _Spec[OutboxEntry](
    "outbox_entry", key=lambda e: e.id, not_found=NotFound, mode="update"
)
_SYNC: Final = _Spec[SyncEntry](
    "sync_entry",
    key=lambda e: e.id,
    not_found=NotFound,
    mode="update",
    uniques=(_Unique("sync_entry.sequence", lambda e: (e.dossier_id, e.sequence)),),
    groups={"dossier_id": lambda e: e.dossier_id},
)
_TOKENS: Final = _Spec[_ConsumedToken](
    "token", key=lambda t: t.token_id, not_found=NotFound, mode="insert", copy=_same
)

_AUDIT: Final = _Spec[AuditRecord](
    "audit",
    key=lambda r: (r.stream, r.position),
    not_found=NotFound,
    mode="insert",
    copy=_same,
)

_SPECS: Final[dict[str, _Spec[Any]]] = {
    spec.name: spec
    for spec in (
        _ACCOUNTS,
        _OFFICERS,
        _AGENCIES,
        _FIELDS,
        _PROCEDURES,
        _DOSSIERS,
        _PAYMENTS,
        _OUTBOX,
        _SYNC,
        _TOKENS,
        _AUDIT,
    )
}


class _Table:
    """Committed rows of one kind, with an index per unique rule."""

    def __init__(self, spec: _Spec[Any]) -> None:
        self.spec = spec
        self.rows: dict[Hashable, Any] = {}
        self.index: dict[str, dict[Hashable, Hashable]] = {u.what: {} for u in spec.uniques}
        self.groups: dict[str, dict[Hashable, set[Hashable]]] = {g: {} for g in spec.groups}

    def owner(self, what: str, value: Hashable) -> Hashable | None:
        """The key of the committed row holding ``value`` under rule ``what``, if any."""
        return self.index[what].get(value)

    def put(self, key: Hashable, row: Any) -> None:
        self.remove(key)
        self.rows[key] = row
        for group, value_of in self.spec.groups.items():
            self.groups[group].setdefault(value_of(row), set()).add(key)
        for unique in self.spec.uniques:
            value = unique.value(row)
            if value is not None:
                self.index[unique.what][value] = key

    def remove(self, key: Hashable) -> None:
        old = self.rows.pop(key, None)
        if old is None:
            return
        for group, value_of in self.spec.groups.items():
            members = self.groups[group][value_of(old)]
            members.discard(key)
            if not members:
                del self.groups[group][value_of(old)]
        for unique in self.spec.uniques:
            value = unique.value(old)
            # Another row may already have taken this value in the same commit (a swap).
            if value is not None and self.index[unique.what].get(value) == key:
                del self.index[unique.what][value]


WriteKind = Literal["insert", "update", "upsert", "delete"]


@attrs.define
class _Write:
    """One staged change: ``row`` None deletes; ``base`` is the version it was made against."""

    kind: WriteKind
    row: Any | None
    base: int | None = None


_Staged = dict[str, dict[Hashable, _Write]]


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
    ) -> list[_T]:
        """Rows ``keep`` accepts, sorted; ``group`` (name, value) narrows them by an index."""
        self._begin(operation)
        source = self._visible_rows(spec) if group is None else self._group_rows(spec, *group)
        rows = sorted((r for r in source if keep(r)), key=order, reverse=newest_first)
        return [spec.copy(r) for r in rows]

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

    # --- code sequences ----------------------------------------------------------------

    def _next_number(self, agency: AgencyCode, day: dt.date, maximum: int) -> int:
        self._begin("codes.next")
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
            raise InvalidInput("maximum", "must be a whole number, 1 or more", maximum)
        key = (agency, day)
        if key not in self._sequences:
            self._lock_sequence(key)
        last = self._sequences[key]
        if last >= maximum:
            raise CodeSequenceExhausted(str(agency), day, maximum)
        self._sequences[key] = last + 1
        return last + 1

    def _lock_sequence(self, key: _SeqKey) -> None:
        storage = self._storage
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
            self._sequences[key] = storage._sequences.get(key, 0)

    def _peek_number(self, agency: AgencyCode, day: dt.date) -> int:
        self._begin("codes.peek")
        key = (agency, day)
        if key in self._sequences:
            return self._sequences[key]
        with self._storage._lock:
            return self._storage._sequences.get(key, 0)

    # --- tokens --------------------------------------------------------------------------

    def _consume_token(self, token_id: str, now: dt.datetime) -> None:
        self._begin("tokens.consume")
        if not isinstance(token_id, str) or not token_id:
            raise InvalidInput("token_id", "must be non-empty text", token_id)
        require_aware(now, "now")
        storage = self._storage
        wait_until = (
            None if storage.lock_timeout is None else time.monotonic() + storage.lock_timeout
        )
        with storage._token_released:
            # Another live unit of work consumed it: wait for its end, as a unique index does.
            while storage._pending_tokens.get(token_id, self) is not self:
                left = None if wait_until is None else wait_until - time.monotonic()
                if left is not None and left <= 0:
                    raise StorageError(
                        f"waited {storage.lock_timeout}s for token {token_id!r}, consumed by "
                        "another unit of work that has not ended; is a unit of work left open, "
                        "or are two open in one thread?"
                    )
                storage._token_released.wait(left)
            self._insert("tokens.consume", _TOKENS, _ConsumedToken(token_id, now))
            storage._pending_tokens[token_id] = self

    # --- outbox claims -----------------------------------------------------------------

    def _claim_due(
        self, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[OutboxEntry]:
        self._begin("outbox.claim_due")
        require_aware(now, "now")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput("limit", "must be a whole number, 1 or more", limit)
        if lease <= dt.timedelta(0):
            raise InvalidInput("lease", "must be a positive duration", lease)
        storage = self._storage
        claimed: list[OutboxEntry] = []
        # Choosing and locking the entries is one step, so two claimers never pick the same.
        with storage._lock:
            candidates = sorted(
                (
                    e
                    for e in self._visible_rows(_OUTBOX)
                    if storage._outbox_locks.get(e.id, self) is self and e.is_due(now)
                ),
                key=_oldest_first,
            )
            for entry in candidates[:limit]:
                storage._outbox_locks[entry.id] = self
                mine = _OUTBOX.copy(entry)
                mine.claim(worker, now=now, lease=lease)
                self._update("outbox.claim_due", _OUTBOX, mine)
                claimed.append(mine)
        return claimed

    def _claim_sync(
        self, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[SyncEntry]:
        self._begin("sync.claim_due")
        require_aware(now, "now")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput("limit", "must be a whole number, 1 or more", limit)
        if lease <= dt.timedelta(0):
            raise InvalidInput("lease", "must be a positive duration", lease)
        storage = self._storage
        claimed: list[SyncEntry] = []
        with storage._lock:
            # Each dossier's first entry not sent: the only one of that dossier that may go.
            heads: dict[str, SyncEntry] = {}
            for e in sorted(self._visible_rows(_SYNC), key=lambda e: (e.dossier_id, e.sequence)):
                if e.state is not SyncState.SENT:
                    heads.setdefault(e.dossier_id, e)
            candidates = sorted(
                (
                    e
                    for e in heads.values()
                    if storage._outbox_locks.get(("sync", e.id), self) is self and e.is_due(now)
                ),
                key=lambda e: (e.created_at, e.id),
            )
            for entry in candidates[:limit]:
                storage._outbox_locks[("sync", entry.id)] = self
                mine = _SYNC.copy(entry)
                mine.claim(worker, now=now, lease=lease)
                self._update("sync.claim_due", _SYNC, mine)
                claimed.append(_SYNC.copy(mine))
        return claimed

    def _lock_outbox_entry(self, entry_id: str) -> None:
        with self._storage._lock:
            self._storage._outbox_locks.setdefault(entry_id, self)


def _oldest_first(record: Dossier | Payment | OutboxEntry) -> tuple[dt.datetime, str]:
    return (record.created_at, record.id)


# --- repositories --------------------------------------------------------------------------


class _Repository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow


class _Accounts(_Repository):
    def add(self, account: Account) -> None:
        """Store a new account; a taken id or email raises DuplicateError."""
        self._uow._insert("accounts.add", _ACCOUNTS, account)

    def get(self, account_id: str) -> Account:
        """The account, or AccountNotFound."""
        return self._uow._get("accounts.get", _ACCOUNTS, account_id)

    def find_by_email(self, email: str) -> Account | None:
        """The account registered with this (normalised) email, if any."""
        self._uow._begin("accounts.find_by_email")
        return self._uow._find_unique(_ACCOUNTS, "account.email", email)

    def update(self, account: Account) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("accounts.update", _ACCOUNTS, account)


class _Officers(_Repository):
    def add(self, officer: Officer) -> None:
        """Store a new officer; a taken id or email raises DuplicateError."""
        self._uow._insert("officers.add", _OFFICERS, officer)

    def get(self, officer_id: str) -> Officer:
        """The officer, or OfficerNotFound."""
        return self._uow._get("officers.get", _OFFICERS, officer_id)

    def list_by_agency(self, agency: AgencyCode) -> Sequence[Officer]:
        """The officers of one agency, by id."""
        return self._uow._list(
            "officers.list_by_agency", _OFFICERS, lambda o: o.agency == agency, lambda o: o.id
        )

    def find_by_email(self, email: str) -> Officer | None:
        """The officer with this (normalised) email, if any."""
        self._uow._begin("officers.find_by_email")
        return self._uow._find_unique(_OFFICERS, "officer.email", email)

    def find_by_external_subject(self, subject: str) -> Officer | None:
        """The officer single sign-on knows by ``subject``, if any."""
        self._uow._begin("officers.find_by_external_subject")
        return self._uow._find_unique(_OFFICERS, "officer.external_subject", subject)

    def update(self, officer: Officer) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("officers.update", _OFFICERS, officer)

    def list_all(self) -> Sequence[Officer]:
        """Every officer, by agency then id."""
        return self._uow._list(
            "officers.list_all", _OFFICERS, lambda o: True, lambda o: (str(o.agency), o.id)
        )


class _Catalog(_Repository):
    def put_agency(self, agency: Agency) -> None:
        """Insert or replace an agency (keyed by its code)."""
        self._uow._upsert("catalog.put_agency", _AGENCIES, agency)

    def put_field(self, field: Field) -> None:
        """Insert or replace a field (keyed by its id)."""
        self._uow._upsert("catalog.put_field", _FIELDS, field)

    def put_procedure(self, procedure: Procedure) -> None:
        """Insert or replace a procedure (keyed by its code); its agency must exist."""
        self._uow._begin("catalog.put_procedure")
        if self._uow._visible(_AGENCIES, procedure.agency) is None:
            raise AgencyNotFound(str(procedure.agency))
        self._uow._upsert("catalog.put_procedure", _PROCEDURES, procedure)

    def get_agency(self, code: AgencyCode) -> Agency:
        """The agency, or AgencyNotFound; an id it had before (``former_codes``) finds it too."""
        try:
            return self._uow._get("catalog.get_agency", _AGENCIES, code)
        except AgencyNotFound:
            renamed = [a for a in self.list_agencies() if a.known_as(code)]
            if not renamed:
                raise
            return renamed[0]

    def get_field(self, field_id: str) -> Field:
        """The field, or FieldNotFound."""
        return self._uow._get("catalog.get_field", _FIELDS, field_id)

    def get_procedure(self, code: str) -> Procedure:
        """The procedure, or ProcedureNotFound."""
        return self._uow._get("catalog.get_procedure", _PROCEDURES, code)

    def list_agencies(self) -> Sequence[Agency]:
        """Every agency, ordered by code."""
        return self._uow._list("catalog.list_agencies", _AGENCIES, _everything, lambda a: a.code)

    def list_fields(self) -> Sequence[Field]:
        """Every field, ordered by id."""
        return self._uow._list("catalog.list_fields", _FIELDS, _everything, lambda f: f.id)

    def list_procedures(
        self, *, agency: AgencyCode | None = None, field: str | None = None
    ) -> Sequence[Procedure]:
        """Procedures, optionally of one agency and/or field, ordered by code."""

        def keep(p: Procedure) -> bool:
            return (agency is None or p.agency == agency) and (field is None or p.field == field)

        return self._uow._list("catalog.list_procedures", _PROCEDURES, keep, lambda p: p.code)

    def search(
        self, plan: SearchPlan, *, agency: AgencyCode | None = None, field: str | None = None
    ) -> SearchHits:
        """Candidates from the inverted index (a scan if this unit of work changed the catalog)."""
        uow = self._uow
        uow._begin("catalog.search")
        staged = uow._staged
        if any(staged.get(spec.name) for spec in (_AGENCIES, _FIELDS, _PROCEDURES)):
            index = SearchIndex.of(
                uow._visible_rows(_PROCEDURES),
                uow._visible_rows(_AGENCIES),
                uow._visible_rows(_FIELDS),
            )
            return index.search(plan, agency=agency, field=field)
        storage = uow._storage
        with storage._lock:
            return storage._committed_search_index().search(plan, agency=agency, field=field)


def _everything(_: object) -> bool:
    return True


class _Dossiers(_Repository):
    def add(self, dossier: Dossier) -> None:
        """Store a new dossier (draft or submitted).

        A taken id, code, or (owner, idempotency key) raises DuplicateError.
        """
        self._uow._insert("dossiers.add", _DOSSIERS, dossier)
        _record_history(self._uow.audit, dossier)

    def get(self, dossier_id: str) -> Dossier:
        """The dossier, or DossierNotFound."""
        return self._uow._get("dossiers.get", _DOSSIERS, dossier_id)

    def get_by_code(self, code: DossierCode) -> Dossier:
        """The dossier with this code, or DossierNotFound."""
        self._uow._begin("dossiers.get_by_code")
        found = self._uow._find_unique(_DOSSIERS, "dossier.code", code)
        if found is None:
            raise DossierNotFound(str(code))
        return found

    def find_by_idempotency_key(self, owner_id: str, key: str) -> Dossier | None:
        """The dossier this owner submitted with this key, if any."""
        self._uow._begin("dossiers.find_by_idempotency_key")
        return self._uow._find_unique(_DOSSIERS, "dossier.idempotency_key", (owner_id, key))

    def update(self, dossier: Dossier) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``.

        The code, and the (owner, idempotency key) pair, stay unique (DuplicateError).
        """
        self._uow._update("dossiers.update", _DOSSIERS, dossier)
        _record_history(self._uow.audit, dossier)

    def delete_draft(self, dossier_id: str) -> None:
        """Remove a draft; a submitted dossier is a legal record and is never deleted."""
        self._uow._begin("dossiers.delete_draft")
        current: Dossier | None = self._uow._visible(_DOSSIERS, dossier_id)
        if current is None:
            raise DossierNotFound(dossier_id)
        if current.status is not DossierStatus.DRAFT:
            raise TransitionNotAllowed("delete", current.status.value, ("draft",))
        self._uow._delete(_DOSSIERS, dossier_id)

    def list_by_owner(self, owner_id: str) -> Sequence[Dossier]:
        """One owner's dossiers, newest first (by created_at, then id)."""
        return self._uow._list(
            "dossiers.list_by_owner",
            _DOSSIERS,
            lambda d: d.owner_id == owner_id,
            _oldest_first,
            newest_first=True,
            group=("owner_id", owner_id),
        )

    def list_by_agency(
        self,
        agency: AgencyCode,
        *,
        statuses: frozenset[DossierStatus] | None = None,
    ) -> Sequence[Dossier]:
        """One agency's submitted dossiers (never drafts), oldest submission first."""

        def keep(d: Dossier) -> bool:
            return (
                d.status is not DossierStatus.DRAFT
                and d.procedure.agency == agency
                and (statuses is None or d.status in statuses)
            )

        def submission(d: Dossier) -> tuple[dt.datetime, str]:
            # Every non-draft has been submitted; created_at only keeps the type checker calm.
            return (d.submitted_at or d.created_at, d.id)

        return self._uow._list("dossiers.list_by_agency", _DOSSIERS, keep, submission)

    def referenced_file_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` any dossier (a draft included) has a file attached under."""
        self._uow._begin("dossiers.referenced_file_keys")
        wanted = set(keys)
        return {
            a.file.key
            for d in self._uow._visible_rows(_DOSSIERS)
            for a in d.attachments
            if a.file.key in wanted
        }


class _Payments(_Repository):
    def add(self, payment: Payment) -> None:
        """Store a new payment; a taken id or (gateway, txn_ref) raises DuplicateError."""
        self._uow._insert("payments.add", _PAYMENTS, payment)

    def get(self, payment_id: str) -> Payment:
        """The payment, or PaymentNotFound."""
        return self._uow._get("payments.get", _PAYMENTS, payment_id)

    def find_by_txn_ref(self, gateway: str, txn_ref: str) -> Payment | None:
        """The payment a gateway knows by ``txn_ref``, if any."""
        self._uow._begin("payments.find_by_txn_ref")
        return self._uow._find_unique(_PAYMENTS, "payment.txn_ref", (gateway, txn_ref))

    def update(self, payment: Payment) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("payments.update", _PAYMENTS, payment)

    def list_by_dossier(self, dossier_id: str) -> Sequence[Payment]:
        """A dossier's payments, oldest first."""
        return self._uow._list(
            "payments.list_by_dossier",
            _PAYMENTS,
            lambda p: p.dossier_id == dossier_id,
            _oldest_first,
            group=("dossier_id", dossier_id),
        )


class _Outbox(_Repository):
    def add(self, entry: OutboxEntry) -> None:
        """Queue a message; a taken id raises DuplicateError."""
        self._uow._insert("outbox.add", _OUTBOX, entry)

    def get(self, entry_id: str) -> OutboxEntry:
        """The entry, or NotFound."""
        return self._uow._get("outbox.get", _OUTBOX, entry_id)

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[OutboxEntry]:
        """Claim up to ``limit`` due entries for ``worker``, oldest first.

        Two units of work claiming at once never get the same entry: an entry another
        (uncommitted) unit of work is claiming is skipped, not waited for.
        """
        return self._uow._claim_due(worker, now, lease, limit)

    def update(self, entry: OutboxEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("outbox.update", _OUTBOX, entry)
        # An updated row is locked until the transaction ends, so claimers skip it.
        self._uow._lock_outbox_entry(entry.id)

    def list(self, *, state: OutboxState | None = None) -> Sequence[OutboxEntry]:
        """Entries, optionally in one state, oldest first."""
        return self._uow._list(
            "outbox.list", _OUTBOX, lambda e: state is None or e.state is state, _oldest_first
        )


class _Sync(_Repository):
    def add(self, entry: SyncEntry) -> None:
        """Queue an entry; a taken id or (dossier, sequence) raises DuplicateError."""
        if not isinstance(entry, SyncEntry):
            raise InvalidInput("entry", "must be a SyncEntry", entry)
        self._uow._insert("sync.add", _SYNC, entry)

    def get(self, entry_id: str) -> SyncEntry:
        """The entry, or NotFound."""
        return self._uow._get("sync.get", _SYNC, entry_id)

    def last_for(self, dossier_id: str) -> SyncEntry | None:
        """The dossier's entry with the highest sequence, as this unit of work sees it."""
        found = self._uow._list(
            "sync.last_for",
            _SYNC,
            lambda e: e.dossier_id == dossier_id,
            lambda e: e.sequence,
            group=("dossier_id", dossier_id),
        )
        return found[-1] if found else None

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[SyncEntry]:
        """Claim up to ``limit`` due entries, one per dossier, each its dossier's first unsent."""
        return self._uow._claim_sync(worker, now, lease, limit)

    def update(self, entry: SyncEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("sync.update", _SYNC, entry)
        with self._uow._storage._lock:
            self._uow._storage._outbox_locks.setdefault(("sync", entry.id), self._uow)

    def list(
        self, *, state: SyncState | None = None, dossier_id: str | None = None
    ) -> Sequence[SyncEntry]:
        """Entries, optionally in one state and/or of one dossier, oldest first."""
        return self._uow._list(
            "sync.list",
            _SYNC,
            lambda e: (
                (state is None or e.state is state)
                and (dossier_id is None or e.dossier_id == dossier_id)
            ),
            lambda e: (e.created_at, e.sequence, e.id),
        )

    def sent_dossier_ids(self, dossier_ids: Iterable[str]) -> set[str]:
        """Which of ``dossier_ids`` have an entry the national portal acknowledged."""
        wanted = set(dossier_ids)
        self._uow._begin("sync.sent_dossier_ids")
        return {
            e.dossier_id
            for e in self._uow._visible_rows(_SYNC)
            if e.dossier_id in wanted and e.state is SyncState.SENT
        }


class _Codes(_Repository):
    def next(self, agency: AgencyCode, day: dt.date, *, maximum: int) -> int:
        """The next sequence number of ``agency`` on local ``day``, from 1.

        Taken inside the unit of work: a rollback gives the number back, so numbers are
        gap-free; concurrent units of work never get the same number (a second one waits
        for the first to end). Past ``maximum`` raises CodeSequenceExhausted.
        """
        return self._uow._next_number(agency, day, maximum)

    def peek(self, agency: AgencyCode, day: dt.date) -> int:
        """The last number given (0 if none), as committed, or as this unit of work took it."""
        return self._uow._peek_number(agency, day)


class _Tokens(_Repository):
    def consume(self, token_id: str, *, now: dt.datetime) -> None:
        """Record that a single-use token was used; a second use raises DuplicateError.

        A second use while the first one's unit of work is still open waits for it to end.
        """
        self._uow._consume_token(token_id, now)


class _Audit(_Repository):
    def head(self, stream: str) -> AuditRecord | None:
        """The last record of ``stream`` (highest position), as this unit of work sees it."""
        uow = self._uow
        uow._begin("audit.head")
        # Streams are append-only from position 1: probe upwards, from the committed count.
        with uow._storage._lock:
            position = uow._storage._audit_heads.get(stream, 0)
        head: AuditRecord | None = uow._visible(_AUDIT, (stream, position)) if position else None
        while True:
            following: AuditRecord | None = uow._visible(_AUDIT, (stream, position + 1))
            if following is None:
                return head
            head, position = following, position + 1

    def append(self, record: AuditRecord) -> None:
        """Store a record; a position its stream already holds raises DuplicateError."""
        if not isinstance(record, AuditRecord):
            raise InvalidInput("record", "must be an AuditRecord", record)
        self._uow._insert("audit.append", _AUDIT, record)

    def list(self, stream: str) -> Sequence[AuditRecord]:
        """The records of one stream, by position."""
        return self._uow._list(
            "audit.list", _AUDIT, lambda r: r.stream == stream, lambda r: r.position
        )

    def streams(self) -> Sequence[str]:
        """Every stream that holds a record, sorted."""
        self._uow._begin("audit.streams")
        return sorted({r.stream for r in self._uow._visible_rows(_AUDIT)})


def _record_history(trail: AuditTrail, dossier: Dossier) -> None:
    """Chain the history entries a submitted dossier gained into its audit stream."""
    if dossier.status is DossierStatus.DRAFT:
        return
    for record in history_records(dossier, trail.head(dossier_stream(dossier.id))):
        trail.append(record)


if TYPE_CHECKING:
    # mypy proves here that the classes satisfy the ports they implement.
    def _implements(
        storage: InMemoryStorage, uow: InMemoryUnitOfWork
    ) -> tuple[Storage, UnitOfWork]:
        return storage, uow
