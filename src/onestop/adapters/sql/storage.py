"""SQL storage on SQLAlchemy 2 Core: SQLite (standard library driver) or PostgreSQL (psycopg 3).

:class:`SqlStorage` behaves as :class:`~onestop.adapters.memory.InMemoryStorage` does, with
the same errors, orderings, ``fail_on`` names and unit-of-work session semantics, and with
the database doing the hard parts:

* **Read committed.** Each statement sees what is committed (plus the unit of work's own
  writes). On PostgreSQL that is its default isolation level. On SQLite, reads run outside a
  transaction until the unit of work first writes; the first write opens the transaction
  with ``BEGIN IMMEDIATE``, which takes the database's write lock at once (waiting up to
  ``busy_timeout`` for another writer) instead of failing later with "database is locked".
  SQLite runs in WAL mode, so readers never wait for that writer.
* **Optimistic concurrency.** ``update`` is ``UPDATE ... WHERE id = ? AND version = ?``; no
  row means someone else committed first: :class:`~onestop.errors.ConcurrentUpdate`.
* **Gap-free code numbers.** ``codes.next`` is one statement, ``INSERT INTO
  onestop_code_counters ... ON CONFLICT (agency, day) DO UPDATE SET last =
  onestop_code_counters.last + 1 WHERE onestop_code_counters.last < :maximum RETURNING
  last``, in the unit of work's transaction: the row stays locked until it ends (a second
  submitter waits), and a rollback gives the number back.
* **Skip-locked outbox claims.** On PostgreSQL ``claim_due`` selects with ``FOR UPDATE SKIP
  LOCKED``; on SQLite the write lock already keeps a second claimer out until the first
  commits, and it then finds the entries claimed.

Driver errors become :class:`~onestop.errors.DuplicateError` (unique rules) or
:class:`~onestop.errors.StorageError`, raised ``from`` the driver's error. After an error
other than a failed commit, roll back before going on (PostgreSQL insists).

A unit of work holds one connection from the engine's pool while it is open; use it from
one thread at a time. :meth:`SqlStorage.from_url` creates a new database's tables through
the shipped migrations and refuses a database whose revision is not the code's.
SQLite needs a file (``sqlite:///portal.db``): an in-memory SQLite database lives in one
connection, which units of work cannot share.

Speed: statements are built and compiled once (SQLAlchemy Core) and then run on the
driver's own cursor, which skips SQLAlchemy's per-call work; a unit of work takes the
driver's connection straight from the engine's pool (no SQLAlchemy ``Connection``, so
``Connection``-level events do not fire; pool events do); ``update`` sets only the
columns that changed since the row was read in the same transaction (SQLite then leaves
the other indexes alone); on PostgreSQL the child rows one dossier write brings in step
(history, fee lines, files) go out together in one psycopg pipeline, one round trip, and
the first error among them is raised as it would be one statement at a time; a dossier's
procedure snapshot is stored as its own text and read back through a cache, since many
dossiers share one. Records are read back with cattrs'
fast mode first, and again with its detailed mode only to report one that fails, so the
error is the same; an account read back from a text read before is copied, not rebuilt.
``benchmarks/bench_submissions.py`` compares the full submission with hand-written SQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, Self, TypeVar, cast

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override
from sqlalchemy import (
    Boolean,
    Date,
    Dialect,
    Engine,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import PoolProxiedConnection

from onestop.adapters.memory import OPERATIONS
from onestop.adapters.sql import schema as t
from onestop.adapters.sql.errors import (
    translate_driver_error,
    translate_driver_errors,
    translate_errors,
)
from onestop.adapters.sql.search import SearchCache, bump_revision, candidates, refold
from onestop.domain.accounts import Account, Officer
from onestop.domain.audit import AuditRecord, dossier_stream, history_records
from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode, CodeScheme, DossierCode, require_aware
from onestop.domain.dossier import Attachment, Dossier, HistoryEntry
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.domain.money import FeeLine
from onestop.domain.payments import Payment
from onestop.domain.search import SearchDocument, SearchHits, SearchPlan
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry, SyncState
from onestop.errors import (
    AccountNotFound,
    AgencyNotFound,
    CodeSequenceExhausted,
    ConcurrentUpdate,
    ConfigurationError,
    DossierNotFound,
    FieldNotFound,
    InvalidInput,
    NaiveDatetime,
    NotFound,
    OfficerNotFound,
    OnestopError,
    PaymentNotFound,
    ProcedureNotFound,
    StorageError,
    TransitionNotAllowed,
    UnitOfWorkError,
)
from onestop.serialization import make_converter

if TYPE_CHECKING:
    from onestop.ports.storage import (
        AccountRepository,
        AuditTrail,
        CatalogRepository,
        CodeSequence,
        DossierRepository,
        MailOutbox,
        OfficerRepository,
        PaymentRepository,
        Storage,
        SyncOutbox,
        TokenLedger,
        UnitOfWork,
    )

__all__ = ["SqlStorage", "SqlUnitOfWork"]

_T = TypeVar("_T")
_Row = Mapping[str, Any]

#: Seconds a SQLite writer waits for another one before giving up (StorageError).
DEFAULT_BUSY_TIMEOUT: Final = 30.0


# --- engines -------------------------------------------------------------------------------


def _sqlite_in_memory(engine: Engine) -> bool:
    database = engine.url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(engine.url)


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    """WAL, a busy timeout, foreign keys, and transactions begun by the unit of work."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Driver autocommit: the unit of work emits BEGIN IMMEDIATE itself before writing.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    if not event.contains(engine, "connect", on_connect):
        event.listen(engine, "connect", on_connect)
    engine.pool.dispose()  # connections opened before this point lack the settings


def _normalise_url(url: str) -> str:
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as e:
        raise ConfigurationError(
            f"not a database URL: {url!r}; use sqlite:///portal.db or "
            "postgresql+psycopg://user:password@host/dbname"
        ) from e
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("postgresql", "sqlite"):
        raise ConfigurationError(
            f"the SQL storage supports SQLite and PostgreSQL, not {backend!r} ({url!r})"
        )
    return parsed.render_as_string(hide_password=False)


def _dialect_insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    raise ConfigurationError(f"the SQL storage supports SQLite and PostgreSQL, not {dialect!r}")


# --- rows and documents --------------------------------------------------------------------


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# The storage's converter: the library's rules, except that a dossier's procedure snapshot
# passes through as is. Snapshots are stored as their own text (``procedure_doc``) and read
# back through a cache: many dossiers share one snapshot, and a Procedure is frozen.
converter: Final = make_converter()
_unstructure_procedure: Final = converter.get_unstructure_hook(Procedure)
_structure_procedure: Final = converter.get_structure_hook(Procedure)


def _pass_procedures(conv: cattrs.Converter) -> None:
    conv.register_unstructure_hook(Procedure, lambda p: p)
    conv.register_structure_hook(
        Procedure, lambda v, cls: v if isinstance(v, Procedure) else _structure_procedure(v, cls)
    )


_pass_procedures(converter)
# A dossier's document leaves out the procedure (in procedure_doc) and writes its code as
# null (the code lives in its columns), so neither is turned into data only to be dropped.
converter.register_unstructure_hook(
    Dossier,
    make_dict_unstructure_fn(
        Dossier,
        converter,
        _events=override(omit=True),
        procedure=override(omit=True),
        code=override(unstruct_hook=lambda _: None),
    ),
)
# The same rules without cattrs' detailed validation: it builds the same values faster, and
# only reports a failure less precisely. Records are read with it first; one that fails is
# read again with ``converter``, whose error (every problem, with its path) is the one raised.
_fast: Final = make_converter(detailed_validation=False)
_pass_procedures(_fast)


def _homogeneous_tuple(cls: Any) -> bool:
    args = typing.get_args(cls)
    return (
        typing.get_origin(cls) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and args[0] is not Any
    )


def _optional(cls: Any) -> bool:
    args = typing.get_args(cls)
    return (
        typing.get_origin(cls) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    )


def _structure_homogeneous_tuple(cls: Any) -> Callable[[Any, Any], Any]:
    # What cattrs does for tuple[X, ...] without detailed validation, X's hook found once.
    item = typing.get_args(cls)[0]
    structure_item = _fast.get_structure_hook(item)
    return lambda value, _: tuple([structure_item(v, item) for v in value])


def _structure_optional(cls: Any) -> Callable[[Any, Any], Any]:
    # What cattrs does for X | None, X's hook found once.
    (item,) = (a for a in typing.get_args(cls) if a is not type(None))
    structure_item = _fast.get_structure_hook(item)
    return lambda value, _: None if value is None else structure_item(value, item)


_fast.register_structure_hook_factory(_homogeneous_tuple, _structure_homogeneous_tuple)
_fast.register_structure_hook_factory(_optional, _structure_optional)


def _procedure_text(procedure: Procedure) -> str:
    # By identity first: a dossier read back holds the very snapshot _procedure_of gave,
    # and comparing (or hashing) a whole procedure costs more than this lookup.
    known = _TEXT_OF_PROCEDURE.get(id(procedure))
    if known is not None and known[0] is procedure:
        return known[1]
    text = _procedure_text_of_value(procedure)
    _remember_text(procedure, text)
    return text


@functools.lru_cache(maxsize=256)
def _procedure_text_of_value(procedure: Procedure) -> str:
    return _dumps(_unstructure_procedure(procedure))


@functools.lru_cache(maxsize=256)
def _procedure_of(text: str) -> Procedure:
    procedure = _structure_procedure(json.loads(text), Procedure)
    assert isinstance(procedure, Procedure)
    _remember_text(procedure, text)
    return procedure


# id(procedure) -> (procedure, its text); the procedure is held, so its id is not reused.
_TEXT_OF_PROCEDURE: Final[dict[int, tuple[Procedure, str]]] = {}


def _remember_text(procedure: Procedure, text: str) -> None:
    if len(_TEXT_OF_PROCEDURE) >= 512:
        _TEXT_OF_PROCEDURE.clear()
    _TEXT_OF_PROCEDURE[id(procedure)] = (procedure, text)


def _doc(value: object) -> dict[str, Any]:
    data = converter.unstructure(value)
    assert isinstance(data, dict)
    return data


def _load(cls: type[_T], text: str, **overrides: Any) -> _T:
    try:
        data = json.loads(text)
        data.update(overrides)
        try:
            return _fast.structure(data, cls)
        except Exception:
            pass  # read it again below, for the detailed error
        return converter.structure(data, cls)
    except Exception as e:
        raise StorageError(f"a stored {cls.__name__} cannot be read back: {e}") from e


class _ReadCache:
    """Records read back from their stored text, by (class, text, version), most recent kept.

    Reading the same text always builds the same record (or fails the same way), so a
    record read before is copied instead of built again: each caller gets its own copy
    (``_clone``), and the one kept is never handed out. An account, read by every use case,
    is the record this is for.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._records: dict[tuple[type[Any], str, int], Any] = {}
        self._lock = threading.Lock()

    def load(self, cls: type[_T], text: str, version: int) -> _T:
        key = (cls, text, version)
        found = self._records.get(key)
        if found is None:
            found = _load(cls, text, version=version)
            with self._lock:
                if len(self._records) >= self._size:
                    self._records.pop(next(iter(self._records)))
                self._records[key] = found
        return _clone(found)


def _clone(record: _T) -> _T:
    """A copy of an attrs record whose values are immutable but for lists (the event buffer)."""
    cls = type(record)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(a.name for a in attrs.fields(cast(Any, cls)))
    copy: _T = object.__new__(cls)
    for name in names:
        value = getattr(record, name)
        object.__setattr__(copy, name, list(value) if isinstance(value, list) else value)
    return copy


_FIELD_NAMES: Final[dict[type[Any], tuple[str, ...]]] = {}


_accounts_read: Final = _ReadCache(256)


@functools.lru_cache(maxsize=64)
def _scheme_text(scheme: CodeScheme) -> str:
    return _dumps(converter.unstructure(scheme))


@functools.lru_cache(maxsize=64)
def _scheme_of(text: str) -> CodeScheme:
    return converter.structure(json.loads(text), CodeScheme)


def _account_row(a: Account, version: int) -> dict[str, Any]:
    return {
        "id": a.id,
        "email": a.email,
        "kind": a.kind.value,
        "status": a.status.value,
        "created_at": a.created_at,
        "version": version,
        "doc": _dumps(_doc(a)),
    }


def _account(row: _Row) -> Account:
    return _accounts_read.load(Account, row["doc"], row["version"])


def _officer_row(o: Officer, version: int) -> dict[str, Any]:
    data = _doc(o)
    data["version"] = version
    return {
        "id": o.id,
        "email": o.email,
        "agency": o.agency.key,
        "active": o.active,
        "external_subject": o.external_subject,
        "version": version,
        "doc": _dumps(data),
    }


def _dossier_row(d: Dossier, version: int) -> dict[str, Any]:
    data = _doc(d)  # without the procedure (in procedure_doc) and the code (in its columns)
    data["version"] = version
    code = d.code
    return {
        "id": d.id,
        "owner_id": d.owner_id,
        "agency": d.procedure.agency.key,
        "procedure_code": d.procedure.code,
        "procedure_doc": _procedure_text(d.procedure),
        "status": d.status.value,
        "created_at": d.created_at,
        "submitted_at": d.submitted_at,
        "code": None if code is None else str(code),
        "code_agency": None if code is None else code.agency.key,
        "code_day": None if code is None else code.day,
        "code_seq": None if code is None else code.seq,
        "code_scheme": None if code is None else _scheme_text(code.scheme),
        "idempotency_key": d.idempotency_key,
        "version": version,
        "doc": _dumps(data),
    }


def _dossier(row: _Row) -> Dossier:
    try:
        procedure = _procedure_of(row["procedure_doc"])
    except Exception as e:
        raise StorageError(f"a stored procedure snapshot cannot be read back: {e}") from e
    dossier = _load(Dossier, row["doc"], version=row["version"], procedure=procedure)
    if row["code"] is not None:
        scheme = _scheme_of(row["code_scheme"])
        if scheme.system_width or scheme.agency_style == "any":
            # The system part and the agency's own style live only in the code's text.
            dossier.code = DossierCode.parse(row["code"], scheme)
        else:
            dossier.code = DossierCode(
                AgencyCode.parse(row["code_agency"]), row["code_day"], row["code_seq"], scheme
            )
    return dossier


def _payment_row(p: Payment, version: int) -> dict[str, Any]:
    return {
        "id": p.id,
        "dossier_id": p.dossier_id,
        "gateway": p.gateway,
        "txn_ref": p.txn_ref,
        "state": p.state.value,
        "amount": p.amount,
        "created_at": p.created_at,
        "version": version,
        "doc": _dumps(_doc(p)),
    }


def _outbox_row(e: OutboxEntry, version: int) -> dict[str, Any]:
    return {
        "id": e.id,
        "state": e.state.value,
        "created_at": e.created_at,
        "next_attempt_at": e.next_attempt_at,
        "claimed_until": e.claimed_until,
        "version": version,
        "doc": _dumps(_doc(e)),
    }


def _sync_row(e: SyncEntry, version: int) -> dict[str, Any]:
    return {
        "id": e.id,
        "dossier_id": e.dossier_id,
        "sequence": e.sequence,
        "state": e.state.value,
        "created_at": e.created_at,
        "next_attempt_at": e.next_attempt_at,
        "claimed_until": e.claimed_until,
        "version": version,
        "doc": _dumps(_doc(e)),
    }


def _file_rows(dossier_id: str, start: int, items: Iterable[Attachment]) -> list[dict[str, Any]]:
    return [
        {
            "dossier_id": dossier_id,
            "position": i,
            "component_id": a.component_id,
            "file_key": a.file.key,
            "name": a.file.name,
            "media_type": a.file.media_type,
            "size": a.file.size,
            "sha256": a.file.sha256,
        }
        for i, a in enumerate(items, start)
    ]


def _fee_rows(dossier_id: str, start: int, items: Iterable[FeeLine]) -> list[dict[str, Any]]:
    return [
        {
            "dossier_id": dossier_id,
            "position": i,
            "kind": line.kind.value,
            "quantity": line.quantity,
            "unit_amount": line.unit_amount,
            "amount": line.amount,
            "description": line.description,
        }
        for i, line in enumerate(items, start)
    ]


def _history_rows(
    dossier_id: str, start: int, items: Iterable[HistoryEntry]
) -> list[dict[str, Any]]:
    return [
        {
            "dossier_id": dossier_id,
            "position": i,
            "at": h.at,
            "actor_kind": h.actor.kind.value,
            "actor_id": h.actor.id,
            "actor_name": h.actor.name,
            "action": h.action,
            "from_status": None if h.from_status is None else h.from_status.value,
            "to_status": h.to_status.value,
            "note": h.note,
        }
        for i, h in enumerate(items, start)
    ]


@attrs.frozen
class _Children:
    """A dossier's child rows as this transaction last read or wrote them, at ``version``."""

    version: int
    attachments: tuple[Attachment, ...]
    fee_lines: tuple[FeeLine, ...]
    history: tuple[HistoryEntry, ...]

    @classmethod
    def of(cls, dossier: Dossier, version: int) -> _Children:
        return cls(version, dossier.attachments, dossier.fee_lines, dossier.history)


# --- statements, built once (building one costs far more than running it) -----------------


def _by(table: Table, *columns: str) -> Any:
    """``SELECT * FROM table WHERE column = :p_column AND ...``."""
    return select(table).where(*(table.c[c] == bindparam(f"p_{c}") for c in columns))


def _children_of(table: Table) -> Any:
    return delete(table).where(table.c.dossier_id == bindparam("p_dossier_id"))


_ACCOUNT_BY_ID: Final = _by(t.accounts, "id")
_ACCOUNT_BY_EMAIL: Final = _by(t.accounts, "email")
_OFFICER_BY_ID: Final = _by(t.officers, "id")
_OFFICERS_OF_AGENCY: Final = _by(t.officers, "agency").order_by(t.officers.c.id)
_OFFICER_BY_EMAIL: Final = _by(t.officers, "email")
_OFFICER_BY_SUBJECT: Final = _by(t.officers, "external_subject")
_ALL_OFFICERS: Final = select(t.officers).order_by(t.officers.c.agency, t.officers.c.id)
_AUDIT_HEAD: Final = _by(t.audit_log, "stream").order_by(t.audit_log.c.position.desc()).limit(1)
_AUDIT_OF_STREAM: Final = _by(t.audit_log, "stream").order_by(t.audit_log.c.position)
_AUDIT_STREAMS: Final = select(t.audit_log.c.stream).distinct().order_by(t.audit_log.c.stream)
_AGENCY_BY_CODE: Final = _by(t.agencies, "code")
_AGENCY_EXISTS: Final = select(t.agencies.c.code).where(t.agencies.c.code == bindparam("p_code"))
# A procedure's agency (None if missing) with the names its search text folds.
_SEARCH_NAMES: Final = select(
    t.agencies.c.name.label("agency_name"),
    select(t.fields.c.name)
    .where(t.fields.c.id == bindparam("p_field"))
    .scalar_subquery()
    .label("field_name"),
).where(t.agencies.c.code == bindparam("p_code"))
_AGENCY_NAME: Final = select(t.agencies.c.name).where(t.agencies.c.code == bindparam("p_code"))
_FIELD_NAME: Final = select(t.fields.c.name).where(t.fields.c.id == bindparam("p_code"))
_ALL_AGENCIES: Final = select(t.agencies)
_FIELD_BY_ID: Final = _by(t.fields, "id")
_ALL_FIELDS: Final = select(t.fields).order_by(t.fields.c.id)
_PROCEDURE_BY_CODE: Final = _by(t.procedures, "code")
_DOSSIER_BY_ID: Final = _by(t.dossiers, "id")
_DOSSIER_BY_CODE: Final = _by(t.dossiers, "code_agency", "code_day", "code_seq")
_DOSSIER_BY_KEY: Final = _by(t.dossiers, "owner_id", "idempotency_key")
_DOSSIER_STATE: Final = select(t.dossiers.c.status, t.dossiers.c.version).where(
    t.dossiers.c.id == bindparam("p_id")
)
_DELETE_DRAFT: Final = delete(t.dossiers).where(
    t.dossiers.c.id == bindparam("p_id"),
    t.dossiers.c.version == bindparam("p_version"),
    t.dossiers.c.status == DossierStatus.DRAFT.value,
)
_DOSSIERS_OF_OWNER: Final = _by(t.dossiers, "owner_id").order_by(
    t.dossiers.c.created_at.desc(), t.dossiers.c.id.desc()
)
_DOSSIERS_OF_AGENCY: Final = (
    _by(t.dossiers, "agency")
    .where(t.dossiers.c.status != DossierStatus.DRAFT.value)
    .order_by(func.coalesce(t.dossiers.c.submitted_at, t.dossiers.c.created_at), t.dossiers.c.id)
)
_DOSSIERS_OF_AGENCY_IN: Final = _DOSSIERS_OF_AGENCY.where(
    t.dossiers.c.status.in_(bindparam("p_statuses", expanding=True))
)
_FILE_KEYS_IN_USE: Final = (
    select(t.dossier_files.c.file_key)
    .where(t.dossier_files.c.file_key.in_(bindparam("p_keys", expanding=True)))
    .distinct()
)
_CHILD_TABLES: Final = (t.dossier_files, t.dossier_fee_lines, t.dossier_history)
_DELETE_CHILDREN: Final = {table.name: _children_of(table) for table in _CHILD_TABLES}
_INSERT: Final = {table.name: table.insert() for table in t.metadata.sorted_tables}
_PAYMENT_BY_ID: Final = _by(t.payments, "id")
_PAYMENT_BY_TXN: Final = _by(t.payments, "gateway", "txn_ref")
_PAYMENTS_OF_DOSSIER: Final = _by(t.payments, "dossier_id").order_by(
    t.payments.c.created_at, t.payments.c.id
)
_ENTRY_BY_ID: Final = _by(t.outbox, "id")
_ALL_ENTRIES: Final = select(t.outbox).order_by(t.outbox.c.created_at, t.outbox.c.id)
_ENTRIES_IN_STATE: Final = _by(t.outbox, "state").order_by(t.outbox.c.created_at, t.outbox.c.id)
_SYNC_ORDER: Final = (t.sync_outbox.c.created_at, t.sync_outbox.c.sequence, t.sync_outbox.c.id)
_SYNC_BY_ID: Final = _by(t.sync_outbox, "id")
_SYNC_LAST_FOR: Final = (
    _by(t.sync_outbox, "dossier_id").order_by(t.sync_outbox.c.sequence.desc()).limit(1)
)
_SYNC_ALL: Final = select(t.sync_outbox).order_by(*_SYNC_ORDER)
_SYNC_IN_STATE: Final = _by(t.sync_outbox, "state").order_by(*_SYNC_ORDER)
_SYNC_OF_DOSSIER: Final = _by(t.sync_outbox, "dossier_id").order_by(*_SYNC_ORDER)
_SYNC_OF_DOSSIER_IN_STATE: Final = _by(t.sync_outbox, "dossier_id", "state").order_by(*_SYNC_ORDER)
_SYNC_SENT_AMONG: Final = (
    select(t.sync_outbox.c.dossier_id)
    .where(
        t.sync_outbox.c.state == SyncState.SENT.value,
        t.sync_outbox.c.dossier_id.in_(bindparam("p_ids", expanding=True)),
    )
    .distinct()
)
_LAST_NUMBER: Final = select(t.code_counters.c.last).where(
    t.code_counters.c.agency == bindparam("p_agency"),
    t.code_counters.c.day == bindparam("p_day"),
)
_UPDATES: dict[tuple[str, tuple[str, ...]], Any] = {}


def _update_statement(table: Table, columns: tuple[str, ...]) -> Any:
    """``UPDATE table SET <columns> WHERE id = :b_id AND version = :b_version``, cached.

    Only the columns that changed are set: SQLite then leaves the other indexes alone.
    """
    key = (table.name, columns)
    statement = _UPDATES.get(key)
    if statement is None:
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values({name: bindparam(name) for name in columns})
        )
        _UPDATES[key] = statement
    return statement


_VERSION_OF: Final = {
    table.name: select(table.c.version).where(table.c.id == bindparam("p_id"))
    for table in (t.accounts, t.officers, t.dossiers, t.payments, t.outbox, t.sync_outbox)
}


# --- running statements through the driver ------------------------------------------------
#
# SQLAlchemy builds and compiles each statement once; running it through the DBAPI cursor
# skips SQLAlchemy's per-call work, which costs more than SQLite itself on a small write.
# The few type conversions the schema declares are done here, by column name.

_BEGIN_IMMEDIATE: Final = text("BEGIN IMMEDIATE")
_INSTANT_COLUMNS: Final = frozenset(
    c.name
    for table in t.metadata.tables.values()
    for c in table.c
    if isinstance(c.type, t.UtcDateTime)
)
_DATE_COLUMNS: Final = frozenset(
    c.name for table in t.metadata.tables.values() for c in table.c if isinstance(c.type, Date)
)
_BOOLEAN_COLUMNS: Final = frozenset(
    c.name for table in t.metadata.tables.values() for c in table.c if isinstance(c.type, Boolean)
)


class _Result:
    """What a statement returned: the rows as dicts, and how many rows it changed."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rowcount: int, rows: list[dict[str, Any]]) -> None:
        self.rowcount = rowcount
        self.rows = rows

    def first(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return next(iter(self.rows[0].values())) if self.rows else None


@functools.cache
def _driver_dialect(dialect: str) -> Dialect:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

        return SQLiteDialect_pysqlite(paramstyle="named")
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    return PGDialect_psycopg()  # type: ignore[no-untyped-call]


def _instant_text(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime("datetime", "must carry its UTC offset", value)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime("datetime", "must carry its UTC offset", value)
    return value


def _date_text(value: dt.date) -> str:
    return value.isoformat()


def _utc_text(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


#: Parameters named after an instant or a date column (or ``now``, ``p_day``...).
_INSTANT_PARAMS: Final = _INSTANT_COLUMNS | {"now"}
_DATE_PARAMS: Final = _DATE_COLUMNS | {"p_day", "p_code_day"}

_Converters = tuple[tuple[str, Callable[[Any], Any]], ...]


class _Plan:
    """How to run one statement built once: its SQL text and the conversions it needs."""

    __slots__ = ("binds", "carried", "names", "results", "sql", "statement")

    def __init__(
        self, dialect: str, statement: Any, params: Mapping[str, Any] | None = None
    ) -> None:
        compiled = statement.compile(dialect=_driver_dialect(dialect))
        self.statement = statement  # kept alive, so that its id is never reused
        if params is None:
            self.sql = str(compiled)
            self.carried = {k: v for k, v in compiled.params.items() if v is not None}
        else:
            # A statement built for one call: its values (lists for IN included) go in now.
            expanded = compiled.construct_expanded_state(params)
            self.sql = expanded.statement
            self.carried = dict(expanded.parameters)
        names = set(self.carried) if params is not None else set(compiled.params)
        binds: list[tuple[str, Callable[[Any], Any]]] = []
        for name in sorted(names & _INSTANT_PARAMS):
            binds.append((name, _instant_text if dialect == "sqlite" else _aware))
        if dialect == "sqlite":
            binds.extend((name, _date_text) for name in sorted(names & _DATE_PARAMS))
        self.binds: _Converters = tuple(binds)
        self.results: dict[tuple[str, ...], tuple[tuple[int, Callable[[Any], Any]], ...]] = {}
        # The result's column names, learnt from the first run (() when it returns no rows).
        self.names: tuple[str, ...] | None = None

    def bind(self, params: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if not self.binds and not self.carried:
            return params or {}
        out = {**self.carried, **params} if params else dict(self.carried)
        for name, convert in self.binds:
            value = out.get(name)
            if value is not None:
                out[name] = convert(value)
        return out

    def converters(
        self, dialect: str, names: tuple[str, ...]
    ) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
        found = self.results.get(names)
        if found is None:
            out: list[tuple[int, Callable[[Any], Any]]] = []
            for index, name in enumerate(names):
                if name in _INSTANT_COLUMNS:
                    out.append((index, _utc_text if dialect == "sqlite" else _utc))
                elif dialect == "sqlite" and name in _DATE_COLUMNS:
                    out.append((index, dt.date.fromisoformat))
                elif dialect == "sqlite" and name in _BOOLEAN_COLUMNS:
                    out.append((index, bool))
            found = self.results[names] = tuple(out)
        return found


_PLANS: dict[tuple[str, int], _Plan] = {}


def _plan(dialect: str, statement: Any) -> _Plan:
    plan = _PLANS.get((dialect, id(statement)))
    if plan is None:
        plan = _PLANS[(dialect, id(statement))] = _Plan(dialect, statement)
    return plan


@functools.cache
def _pipelines_supported() -> bool:
    import psycopg

    return bool(psycopg.Pipeline.is_supported())


def _pipelines(driver: Any) -> bool:
    """Whether ``driver`` is a psycopg connection that can send statements in a pipeline."""
    if type(driver).__module__.split(".")[0] != "psycopg":
        return False
    import psycopg

    return isinstance(driver, psycopg.Connection) and _pipelines_supported()


def _run(
    driver: Any,
    dialect: str,
    doing: str,
    plan: _Plan,
    params: Any,
    values: Mapping[str, object] | None,
) -> _Result:
    """Run a planned statement on the driver's connection; driver errors translated."""
    try:
        if isinstance(params, list):
            cursor = driver.cursor()
            cursor.executemany(plan.sql, [plan.bind(p) for p in params])
        else:
            cursor = driver.execute(plan.sql, plan.bind(params))
        try:
            names = plan.names
            if names is None:
                description = cursor.description
                names = plan.names = () if description is None else tuple(d[0] for d in description)
            if not names:
                return _Result(cursor.rowcount, [])
            converters = plan.converters(dialect, names)
            rows: list[dict[str, Any]] = []
            for record in cursor.fetchall():
                if converters:
                    record = list(record)
                    for index, convert in converters:
                        if record[index] is not None:
                            record[index] = convert(record[index])
                rows.append(dict(zip(names, record, strict=True)))
            return _Result(cursor.rowcount, rows)
        finally:
            cursor.close()
    except OnestopError:
        raise
    except Exception as e:
        translated = translate_driver_error(doing, values, e)
        if translated is e:
            raise
        raise translated from e


def _run_together(driver: Any, doing: str, steps: Sequence[tuple[_Plan, Any]]) -> None:
    """Run statements that return no rows, in order, in one psycopg pipeline (one round
    trip); the first driver error is raised, translated, as running them one by one would.
    """
    try:
        cursors: list[Any] = []
        with driver.pipeline():
            for plan, params in steps:
                if isinstance(params, list):
                    cursor = driver.cursor()
                    cursors.append(cursor)
                    cursor.executemany(plan.sql, [plan.bind(p) for p in params])
                else:
                    cursors.append(driver.execute(plan.sql, plan.bind(params)))
        for cursor in cursors:
            cursor.close()
    except OnestopError:
        raise
    except Exception as e:
        translated = translate_driver_error(doing, None, e)
        if translated is e:
            raise
        raise translated from e


# --- storage -------------------------------------------------------------------------------


def _check_operations(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - OPERATIONS)
    if unknown:
        raise ConfigurationError(
            f"fail_on names unknown operations {unknown}; use names like 'outbox.add', "
            "'dossiers.update' or 'commit' (see onestop.adapters.memory.OPERATIONS)"
        )


class SqlStorage:
    """Records in a SQL database (SQLite or PostgreSQL) behind SQLAlchemy Core.

    ``engine`` is used as given, except that a SQLite engine is set up for WAL, a busy
    timeout of ``busy_timeout`` seconds, foreign keys and ``BEGIN IMMEDIATE`` writes.
    ``fail_on`` names operations that raise :class:`StorageError` before doing anything
    (failure injection for tests; the names of :data:`onestop.adapters.memory.OPERATIONS`).
    The tables must exist: see :func:`~onestop.adapters.sql.create_schema`, or use
    :meth:`from_url`, which creates them.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        fail_on: Iterable[str] = (),
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ConfigurationError(
                f"the SQL storage supports SQLite and PostgreSQL, not {dialect!r}"
            )
        if busy_timeout <= 0:
            raise ConfigurationError(
                f"busy_timeout must be a positive number of seconds, not {busy_timeout!r}"
            )
        if dialect == "sqlite" and _sqlite_in_memory(engine):
            raise ConfigurationError(
                "an in-memory SQLite database cannot be shared by units of work; give a file "
                "(sqlite:///portal.db), or use InMemoryStorage for a store that lives in memory"
            )
        self.fail_on: set[str] = set(fail_on)
        _check_operations(self.fail_on)
        self._engine = engine
        self._dialect = dialect
        self._closed = False
        if dialect == "sqlite":
            _configure_sqlite(engine, busy_timeout)
        self._statements = _statements(dialect)
        self._search_cache = SearchCache()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        create: bool = True,
        fail_on: Iterable[str] = (),
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        **engine_options: Any,
    ) -> SqlStorage:
        """Open ``sqlite:///portal.db`` or ``postgresql+psycopg://user:pw@host/db``.

        With ``create`` (the default) a new empty database gets its tables through the
        shipped migrations, and a database whose revision is not the code's is refused with
        a :class:`ConfigurationError` that says what to run (``onestop db upgrade``); with
        ``create=False`` the schema is left alone and not checked.
        ``engine_options`` go to :func:`sqlalchemy.create_engine`.
        """
        with translate_errors("opening the database"):
            engine = create_engine(_normalise_url(url), **engine_options)
        try:
            storage = cls(engine, fail_on=fail_on, busy_timeout=busy_timeout)
            if create:
                t.create_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return storage

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<SqlStorage {self._dialect} {state}>"

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (to share with :class:`SqlFileStore`, or for migrations)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._dialect

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work, to be used once in a ``with`` block."""
        self._require_open()
        return SqlUnitOfWork(self)

    def close(self) -> None:
        """Release pooled connections; the storage is unusable afterwards."""
        self._closed = True
        self._engine.dispose()

    def _require_open(self) -> None:
        if self._closed:
            raise StorageError("this SqlStorage is closed; create a new one")

    def _maybe_fail(self, operation: str) -> None:
        if operation in self.fail_on:
            raise StorageError(f"injected failure in {operation} (SqlStorage.fail_on)")


@functools.cache
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


class _Statements:
    """The statements whose text depends on the database (upserts, row locks), built once."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

        counters = t.code_counters
        upsert = _dialect_insert(dialect, counters).values(
            agency=bindparam("agency"), day=bindparam("day"), last=literal_column("1")
        )
        self.next_number = upsert.on_conflict_do_update(
            index_elements=[counters.c.agency, counters.c.day],
            set_={"last": counters.c.last + literal_column("1")},
            where=counters.c.last < bindparam("maximum"),
        ).returning(counters.c.last)

        def put(table: Table, key: str) -> Any:
            stmt = _dialect_insert(dialect, table)
            columns = [c.name for c in table.columns if c.name != key]
            return stmt.on_conflict_do_update(
                index_elements=[table.c[key]],
                set_={name: stmt.excluded[name] for name in columns},
            )

        self.put_agency = put(t.agencies, "code")
        self.put_field = put(t.fields, "id")
        self.put_procedure = put(t.procedures, "code")

        due = or_(
            and_(
                t.outbox.c.state == OutboxState.PENDING.value,
                or_(
                    t.outbox.c.next_attempt_at.is_(None),
                    t.outbox.c.next_attempt_at <= bindparam("now", type_=t.UtcDateTime()),
                ),
            ),
            and_(
                t.outbox.c.state == OutboxState.CLAIMED.value,
                t.outbox.c.claimed_until.is_not(None),
                t.outbox.c.claimed_until <= bindparam("now", type_=t.UtcDateTime()),
            ),
        )
        claim = (
            select(t.outbox)
            .where(due)
            .order_by(t.outbox.c.created_at, t.outbox.c.id)
            .limit(bindparam("limit"))
        )
        if dialect == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        self.claim_due = claim

        # A dossier's entries go one at a time, in sequence: only an entry with no earlier
        # unsent one of the same dossier may be claimed.
        sync = t.sync_outbox
        earlier = sync.alias("earlier")
        sync_due = or_(
            and_(
                sync.c.state == SyncState.PENDING.value,
                or_(
                    sync.c.next_attempt_at.is_(None),
                    sync.c.next_attempt_at <= bindparam("now", type_=t.UtcDateTime()),
                ),
            ),
            and_(
                sync.c.state == SyncState.CLAIMED.value,
                sync.c.claimed_until.is_not(None),
                sync.c.claimed_until <= bindparam("now", type_=t.UtcDateTime()),
            ),
        )
        first_unsent = ~(
            select(earlier.c.id)
            .where(
                earlier.c.dossier_id == sync.c.dossier_id,
                earlier.c.sequence < sync.c.sequence,
                earlier.c.state != SyncState.SENT.value,
            )
            .exists()
        )
        claim_sync = (
            select(sync)
            .where(sync_due, first_unsent)
            .order_by(sync.c.created_at, sync.c.id)
            .limit(bindparam("limit"))
        )
        if dialect == "postgresql":
            claim_sync = claim_sync.with_for_update(of=sync, skip_locked=True)
        self.claim_sync = claim_sync


# --- unit of work --------------------------------------------------------------------------

_State = Literal["new", "open", "closed"]


class SqlUnitOfWork:
    """One database transaction at a time on one pooled connection; see the module docstring."""

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

    def __init__(self, storage: SqlStorage) -> None:
        self._storage = storage
        self._sql = storage._statements
        self._sqlite = storage.dialect == "sqlite"
        self._state: _State = "new"
        # The pooled connection (no SQLAlchemy Connection: statements run on the driver).
        self._connection: PoolProxiedConnection | None = None
        self._writing = False
        self._catalog_written = False  # whether this transaction changed the catalog
        self._driver: Any = None  # the DBAPI connection under self._connection
        self._pipelines = False  # whether the driver sends statements in pipelines
        self._children: dict[str, _Children] = {}
        # Rows as this transaction last read or wrote them, to update only what changed.
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}
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
        return f"<SqlUnitOfWork {self._state}>"

    def __enter__(self) -> Self:
        if self._state != "new":
            raise UnitOfWorkError(
                "a unit of work is entered once; ask the storage for a new one "
                "(with storage.unit_of_work() as uow: ...)"
            )
        self._storage._require_open()
        # The pool hands out the driver's connection: its errors come as the driver's own
        # (or as SQLAlchemy's, from the pool), and both become StorageError. (The error
        # translators run only on a failure: entering them costs more than connecting.)
        try:
            connection = self._storage.engine.raw_connection()
        except Exception:
            with (
                translate_errors("connecting to the database"),
                translate_driver_errors("connecting to the database"),
            ):
                raise
        self._driver = connection.dbapi_connection
        self._pipelines = not self._sqlite and _pipelines(self._driver)
        self._connection = connection
        self._state = "open"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed, and give the connection back."""
        connection, self._connection = self._connection, None
        self._state = "closed"
        self._end_transaction()
        if connection is not None:
            try:
                self._quiet_rollback(connection)
            finally:
                connection.close()

    def commit(self) -> None:
        """Make every change visible at once, or raise, roll back and change nothing."""
        connection = self._open_connection()
        try:
            self._storage._maybe_fail("commit")
            try:
                self._driver.commit()
            except Exception:
                with translate_driver_errors("committing"):
                    raise
        except BaseException:
            self._quiet_rollback(connection)
            raise
        finally:
            self._end_transaction()

    def rollback(self) -> None:
        """Drop every uncommitted change; the unit of work goes on."""
        self._open_connection()
        try:
            with translate_driver_errors("rolling back"):
                self._driver.rollback()
        finally:
            self._end_transaction()

    # --- helpers for the repositories -------------------------------------------------

    def _open_connection(self) -> PoolProxiedConnection:
        if self._state != "open" or self._connection is None:
            where = "before its with block" if self._state == "new" else "after it ended"
            raise UnitOfWorkError(
                f"this unit of work is used {where}; "
                "use it inside 'with storage.unit_of_work() as uow:'"
            )
        self._storage._require_open()
        return self._connection

    def _begin(self, operation: str) -> PoolProxiedConnection:
        connection = self._open_connection()
        self._storage._maybe_fail(operation)
        return connection

    def _start_writing(self, connection: PoolProxiedConnection) -> None:
        """On SQLite, take the write lock before the transaction's first write."""
        if self._sqlite and not self._writing:
            self._execute(connection, "waiting for the database's write lock", _BEGIN_IMMEDIATE)
            self._writing = True

    def _write(self, operation: str) -> PoolProxiedConnection:
        connection = self._begin(operation)
        self._start_writing(connection)
        return connection

    def _end_transaction(self) -> None:
        self._writing = False
        self._catalog_written = False
        self._children.clear()
        self._rows.clear()

    def _quiet_rollback(self, connection: PoolProxiedConnection) -> None:
        driver = self._driver
        if self._sqlite and not driver.in_transaction:
            return  # nothing to roll back: the driver's rollback would do nothing
        try:
            try:
                driver.rollback()
            except Exception:
                with translate_driver_errors("rolling back"):
                    raise
        except StorageError:  # pragma: no cover - the connection is broken: never reuse it
            connection.invalidate()

    def _execute(
        self,
        connection: PoolProxiedConnection,
        doing: str,
        statement: Any,
        params: Any = None,
        *,
        values: Mapping[str, object] | None = None,
    ) -> _Result:
        """Run a statement built once (module constants): compiled once, run by the driver."""
        dialect = self._storage.dialect
        plan = _plan(dialect, statement)
        return _run(self._driver, dialect, doing, plan, params, values)

    def _execute_built(
        self, connection: PoolProxiedConnection, doing: str, statement: Any, params: Any = None
    ) -> _Result:
        """Run a statement built for this call (or with a list for IN) on the driver."""
        dialect = self._storage.dialect
        with translate_errors(doing):
            plan = _Plan(dialect, statement, params or {})
        return _run(self._driver, dialect, doing, plan, None, None)

    def _execute_together(
        self, connection: PoolProxiedConnection, doing: str, steps: list[tuple[Any, Any]]
    ) -> None:
        """Run statements that return no rows, in order: in one round trip on psycopg."""
        if len(steps) > 1 and self._pipelines:
            dialect = self._storage.dialect
            _run_together(
                self._driver, doing, [(_plan(dialect, stmt), params) for stmt, params in steps]
            )
            return
        for statement, params in steps:
            self._execute(connection, doing, statement, params)

    def _one(
        self,
        operation: str,
        statement: Any,
        params: Mapping[str, Any],
        load: Callable[[_Row], _T],
    ) -> _T | None:
        connection = self._begin(operation)
        row = self._execute(connection, operation, statement, params).first()
        return None if row is None else load(row)

    def _all(
        self,
        operation: str,
        statement: Any,
        params: Mapping[str, Any] | None,
        load: Callable[[_Row], _T],
        *,
        built: bool = False,
    ) -> list[_T]:
        connection = self._begin(operation)
        run = self._execute_built if built else self._execute
        rows = run(connection, operation, statement, params).rows
        return [load(row) for row in rows]

    def _loader(self, table: Table, load: Callable[[_Row], _T]) -> Callable[[_Row], _T]:
        """``load``, remembering each row read so that an update can set only what changed."""

        def remembering(row: _Row) -> _T:
            self._rows[(table.name, row["id"])] = dict(row)
            return load(row)

        return remembering

    def _versioned_update(
        self,
        operation: str,
        what: str,
        table: Table,
        record: Any,
        row: dict[str, Any],
        not_found: Callable[[Any], NotFound],
        values: Mapping[str, object] | None = None,
    ) -> None:
        connection = self._write(operation)
        key = (table.name, record.id)
        known = self._rows.pop(key, None)
        if known is not None and known["version"] == record.version:
            columns = tuple(c for c, v in row.items() if c != "id" and known.get(c) != v)
        else:
            columns = tuple(c for c in row if c != "id")
        statement = _update_statement(table, columns)
        params = {c: row[c] for c in columns}
        params["b_id"], params["b_version"] = record.id, record.version
        result = self._execute(connection, operation, statement, params, values=values)
        if result.rowcount == 1:
            self._rows[key] = row
            return
        exists = self._execute(
            connection, operation, _VERSION_OF[table.name], {"p_id": record.id}
        ).first()
        if exists is None:
            raise not_found(record.id)
        raise ConcurrentUpdate(what, record.id)

    def _load_dossier(self, row: _Row) -> Dossier:
        self._rows[(t.dossiers.name, row["id"])] = dict(row)
        dossier = _dossier(row)
        self._children[dossier.id] = _Children.of(dossier, dossier.version)
        return dossier

    def _write_children(
        self, connection: PoolProxiedConnection, dossier: Dossier, before: int | None
    ) -> None:
        """Bring the dossier's child rows in step, writing only what changed if known."""
        known = self._children.get(dossier.id)
        # The statements to run, in order, all at once (one round trip on psycopg).
        steps: list[tuple[Any, Any]] = []
        if before is not None and (known is None or known.version != before):
            # Not read in this transaction: rewrite every child row.
            for table in _CHILD_TABLES:
                steps.append((_DELETE_CHILDREN[table.name], {"p_dossier_id": dossier.id}))
            known = _Children(before, (), (), ())
        if known is None:
            known = _Children(0, (), (), ())
        plans: list[tuple[Table, tuple[Any, ...], tuple[Any, ...], Callable[..., Any]]] = [
            (t.dossier_files, known.attachments, dossier.attachments, _file_rows),
            (t.dossier_fee_lines, known.fee_lines, dossier.fee_lines, _fee_rows),
            (t.dossier_history, known.history, dossier.history, _history_rows),
        ]
        for table, old, new, rows_of in plans:
            if old == new:
                continue
            if new[: len(old)] == old:
                start, fresh = len(old), new[len(old) :]
            else:
                steps.append((_DELETE_CHILDREN[table.name], {"p_dossier_id": dossier.id}))
                start, fresh = 0, new
            if fresh:
                rows = rows_of(dossier.id, start, fresh)
                steps.append((_INSERT[table.name], rows[0] if len(rows) == 1 else rows))
        if steps:
            self._execute_together(connection, "dossiers.update", steps)


# --- repositories --------------------------------------------------------------------------


class _Repository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow


class _Accounts(_Repository):
    def add(self, account: Account) -> None:
        """Store a new account; a taken id or email raises DuplicateError."""
        uow = self._uow
        connection = uow._write("accounts.add")
        uow._execute(
            connection,
            "accounts.add",
            _INSERT[t.accounts.name],
            _account_row(account, account.version),
            values={"account.id": account.id, "account.email": account.email},
        )

    def get(self, account_id: str) -> Account:
        """The account, or AccountNotFound."""
        found = self._uow._one(
            "accounts.get",
            _ACCOUNT_BY_ID,
            {"p_id": account_id},
            self._uow._loader(t.accounts, _account),
        )
        if found is None:
            raise AccountNotFound(account_id)
        return found

    def find_by_email(self, email: str) -> Account | None:
        """The account registered with this (normalised) email, if any."""
        return self._uow._one(
            "accounts.find_by_email",
            _ACCOUNT_BY_EMAIL,
            {"p_email": email},
            self._uow._loader(t.accounts, _account),
        )

    def update(self, account: Account) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._versioned_update(
            "accounts.update",
            "account",
            t.accounts,
            account,
            _account_row(account, account.version + 1),
            AccountNotFound,
            values={"account.email": account.email},
        )
        account.version += 1


def _officer(row: _Row) -> Officer:
    return _load(Officer, row["doc"], version=row["version"])


class _Officers(_Repository):
    def add(self, officer: Officer) -> None:
        """Store a new officer; a taken id or email raises DuplicateError."""
        uow = self._uow
        connection = uow._write("officers.add")
        uow._execute(
            connection,
            "officers.add",
            _INSERT[t.officers.name],
            _officer_row(officer, officer.version),
            values=_officer_values(officer),
        )

    def get(self, officer_id: str) -> Officer:
        """The officer, or OfficerNotFound."""
        found = self._uow._one(
            "officers.get",
            _OFFICER_BY_ID,
            {"p_id": officer_id},
            self._uow._loader(t.officers, _officer),
        )
        if found is None:
            raise OfficerNotFound(officer_id)
        return found

    def list_by_agency(self, agency: AgencyCode) -> Sequence[Officer]:
        """The officers of one agency, by id."""
        return self._uow._all(
            "officers.list_by_agency",
            _OFFICERS_OF_AGENCY,
            {"p_agency": agency.key},
            _officer,
        )

    def find_by_email(self, email: str) -> Officer | None:
        """The officer with this (normalised) email, if any."""
        return self._uow._one(
            "officers.find_by_email",
            _OFFICER_BY_EMAIL,
            {"p_email": email},
            self._uow._loader(t.officers, _officer),
        )

    def find_by_external_subject(self, subject: str) -> Officer | None:
        """The officer single sign-on knows by ``subject``, if any."""
        return self._uow._one(
            "officers.find_by_external_subject",
            _OFFICER_BY_SUBJECT,
            {"p_external_subject": subject},
            self._uow._loader(t.officers, _officer),
        )

    def update(self, officer: Officer) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._versioned_update(
            "officers.update",
            "officer",
            t.officers,
            officer,
            _officer_row(officer, officer.version + 1),
            OfficerNotFound,
            values=_officer_values(officer),
        )
        officer.version += 1

    def list_all(self) -> Sequence[Officer]:
        """Every officer, by agency then id."""
        return self._uow._all("officers.list_all", _ALL_OFFICERS, None, _officer)


def _officer_values(officer: Officer) -> dict[str, object]:
    return {
        "officer.id": officer.id,
        "officer.email": officer.email,
        "officer.external_subject": officer.external_subject,
    }


def _agency(row: _Row) -> Agency:
    return _load(Agency, row["doc"])


def _field(row: _Row) -> Field:
    return _load(Field, row["doc"])


def _procedure(row: _Row) -> Procedure:
    try:
        return _procedure_of(row["doc"])
    except Exception as e:
        raise StorageError(f"a stored procedure cannot be read back: {e}") from e


class _Catalog(_Repository):
    def put_agency(self, agency: Agency) -> None:
        """Insert or replace an agency (keyed by its code)."""
        uow = self._uow
        connection = uow._write("catalog.put_agency")
        bump_revision(uow, connection, "catalog.put_agency")
        row = {
            "code": agency.code.key,
            "name": agency.name,
            "parent": None if agency.parent is None else agency.parent.key,
            "doc": _dumps(_doc(agency)),
        }
        old = uow._execute(connection, "catalog.put_agency", _AGENCY_NAME, {"p_code": row["code"]})
        uow._execute(connection, "catalog.put_agency", uow._sql.put_agency, row)
        if old.first() not in (None, {"name": agency.name}):
            refold(uow, connection, "catalog.put_agency", t.procedures.c.agency == row["code"])

    def put_field(self, field: Field) -> None:
        """Insert or replace a field (keyed by its id)."""
        uow = self._uow
        connection = uow._write("catalog.put_field")
        bump_revision(uow, connection, "catalog.put_field")
        row = {"id": field.id, "name": field.name, "doc": _dumps(_doc(field))}
        old = uow._execute(connection, "catalog.put_field", _FIELD_NAME, {"p_code": field.id})
        uow._execute(connection, "catalog.put_field", uow._sql.put_field, row)
        if old.first() != {"name": field.name}:  # procedures may name a field before it exists
            refold(uow, connection, "catalog.put_field", t.procedures.c.field == field.id)

    def put_procedure(self, procedure: Procedure) -> None:
        """Insert or replace a procedure (keyed by its code); its agency must exist."""
        uow = self._uow
        connection = uow._begin("catalog.put_procedure")
        agency = procedure.agency.key
        known = uow._execute(
            connection,
            "catalog.put_procedure",
            _SEARCH_NAMES,
            {"p_code": agency, "p_field": procedure.field},
        ).first()
        if known is None:
            raise AgencyNotFound(agency)
        uow._start_writing(connection)
        bump_revision(uow, connection, "catalog.put_procedure")
        row = {
            "code": procedure.code,
            "agency": agency,
            "field": procedure.field,
            "name": procedure.name,
            "doc": _procedure_text(procedure),
            "search_text": SearchDocument.of(
                procedure,
                field_name=known["field_name"] or "",
                agency_name=known["agency_name"],
            ).text,
        }
        uow._execute(connection, "catalog.put_procedure", uow._sql.put_procedure, row)

    def get_agency(self, code: AgencyCode) -> Agency:
        """The agency, or AgencyNotFound."""
        found = self._uow._one(
            "catalog.get_agency",
            _AGENCY_BY_CODE,
            {"p_code": code.key},
            _agency,
        )
        if found is None:
            # An id the agency had before a merger (``former_codes``); catalogs are small.
            found = next((a for a in self.list_agencies() if a.known_as(code)), None)
        if found is None:
            raise AgencyNotFound(code)
        return found

    def get_field(self, field_id: str) -> Field:
        """The field, or FieldNotFound."""
        found = self._uow._one("catalog.get_field", _FIELD_BY_ID, {"p_id": field_id}, _field)
        if found is None:
            raise FieldNotFound(field_id)
        return found

    def get_procedure(self, code: str) -> Procedure:
        """The procedure, or ProcedureNotFound."""
        found = self._uow._one(
            "catalog.get_procedure",
            _PROCEDURE_BY_CODE,
            {"p_code": code},
            _procedure,
        )
        if found is None:
            raise ProcedureNotFound(code)
        return found

    def list_agencies(self) -> Sequence[Agency]:
        """Every agency, ordered by code."""
        found = self._uow._all("catalog.list_agencies", _ALL_AGENCIES, None, _agency)
        return sorted(found, key=lambda a: a.code)

    def list_fields(self) -> Sequence[Field]:
        """Every field, ordered by id."""
        return self._uow._all("catalog.list_fields", _ALL_FIELDS, None, _field)

    def list_procedures(
        self, *, agency: AgencyCode | None = None, field: str | None = None
    ) -> Sequence[Procedure]:
        """Procedures, optionally of one agency and/or field, ordered by code."""
        query = select(t.procedures).order_by(t.procedures.c.code)
        if agency is not None:
            query = query.where(t.procedures.c.agency == agency.key)
        if field is not None:
            query = query.where(t.procedures.c.field == field)
        return self._uow._all("catalog.list_procedures", query, None, _procedure, built=True)

    def search(
        self, plan: SearchPlan, *, agency: AgencyCode | None = None, field: str | None = None
    ) -> SearchHits:
        """Candidates from the index of the folded search text (``sql/search.py``)."""
        connection = self._uow._begin("catalog.search")
        return candidates(self._uow, connection, plan, agency, field)


def _dossier_values(dossier: Dossier) -> dict[str, object]:
    idempotency = (
        None if dossier.idempotency_key is None else (dossier.owner_id, dossier.idempotency_key)
    )
    return {
        "dossier.id": dossier.id,
        "dossier.code": dossier.code,
        "dossier.idempotency_key": idempotency,
    }


class _Dossiers(_Repository):
    def add(self, dossier: Dossier) -> None:
        """Store a new dossier (draft or submitted).

        A taken id, code, or (owner, idempotency key) raises DuplicateError.
        """
        uow = self._uow
        connection = uow._write("dossiers.add")
        uow._execute(
            connection,
            "dossiers.add",
            _INSERT[t.dossiers.name],
            _dossier_row(dossier, dossier.version),
            values=_dossier_values(dossier),
        )
        uow._children.pop(dossier.id, None)
        uow._write_children(connection, dossier, None)
        uow._children[dossier.id] = _Children.of(dossier, dossier.version)
        _record_history(uow.audit, dossier)

    def get(self, dossier_id: str) -> Dossier:
        """The dossier, or DossierNotFound."""
        found = self._uow._one(
            "dossiers.get",
            _DOSSIER_BY_ID,
            {"p_id": dossier_id},
            self._uow._load_dossier,
        )
        if found is None:
            raise DossierNotFound(dossier_id)
        return found

    def get_by_code(self, code: DossierCode) -> Dossier:
        """The dossier with this code, or DossierNotFound."""
        found = self._uow._one(
            "dossiers.get_by_code",
            _DOSSIER_BY_CODE,
            {"p_code_agency": code.agency.key, "p_code_day": code.day, "p_code_seq": code.seq},
            self._uow._load_dossier,
        )
        if found is None or found.code != code:  # a code differing in its system part
            raise DossierNotFound(str(code))
        return found

    def find_by_idempotency_key(self, owner_id: str, key: str) -> Dossier | None:
        """The dossier this owner submitted with this key, if any."""
        return self._uow._one(
            "dossiers.find_by_idempotency_key",
            _DOSSIER_BY_KEY,
            {"p_owner_id": owner_id, "p_idempotency_key": key},
            self._uow._load_dossier,
        )

    def update(self, dossier: Dossier) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``.

        The code, and the (owner, idempotency key) pair, stay unique (DuplicateError).
        """
        uow = self._uow
        before = dossier.version
        uow._versioned_update(
            "dossiers.update",
            "dossier",
            t.dossiers,
            dossier,
            _dossier_row(dossier, before + 1),
            DossierNotFound,
            values=_dossier_values(dossier),
        )
        assert uow._connection is not None
        uow._write_children(uow._connection, dossier, before)
        dossier.version = before + 1
        uow._children[dossier.id] = _Children.of(dossier, dossier.version)
        _record_history(uow.audit, dossier)

    def delete_draft(self, dossier_id: str) -> None:
        """Remove a draft; a submitted dossier is a legal record and is never deleted."""
        uow = self._uow
        connection = uow._begin("dossiers.delete_draft")
        current = uow._execute(
            connection, "dossiers.delete_draft", _DOSSIER_STATE, {"p_id": dossier_id}
        ).first()
        if current is None:
            raise DossierNotFound(dossier_id)
        if current["status"] != DossierStatus.DRAFT.value:
            raise TransitionNotAllowed("delete", current["status"], ("draft",))
        uow._start_writing(connection)
        for table in _CHILD_TABLES:
            uow._execute(
                connection,
                "dossiers.delete_draft",
                _DELETE_CHILDREN[table.name],
                {"p_dossier_id": dossier_id},
            )
        result = uow._execute(
            connection,
            "dossiers.delete_draft",
            _DELETE_DRAFT,
            {"p_id": dossier_id, "p_version": current["version"]},
        )
        uow._children.pop(dossier_id, None)
        if result.rowcount != 1:
            raise ConcurrentUpdate("dossier", dossier_id)

    def list_by_owner(self, owner_id: str) -> Sequence[Dossier]:
        """One owner's dossiers, newest first (by created_at, then id)."""
        return self._uow._all(
            "dossiers.list_by_owner",
            _DOSSIERS_OF_OWNER,
            {"p_owner_id": owner_id},
            self._uow._load_dossier,
        )

    def list_by_agency(
        self,
        agency: AgencyCode,
        *,
        statuses: frozenset[DossierStatus] | None = None,
    ) -> Sequence[Dossier]:
        """One agency's submitted dossiers (never drafts), oldest submission first."""
        params: dict[str, Any] = {"p_agency": agency.key}
        load = self._uow._load_dossier
        if statuses is None:
            return self._uow._all("dossiers.list_by_agency", _DOSSIERS_OF_AGENCY, params, load)
        params["p_statuses"] = sorted(s.value for s in statuses)
        return self._uow._all(
            "dossiers.list_by_agency", _DOSSIERS_OF_AGENCY_IN, params, load, built=True
        )

    def referenced_file_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` any dossier (a draft included) has a file attached under."""
        wanted = sorted(set(keys))
        if not wanted:
            return set()
        found = self._uow._all(
            "dossiers.referenced_file_keys",
            _FILE_KEYS_IN_USE,
            {"p_keys": wanted},
            lambda row: str(row["file_key"]),
            built=True,
        )
        return set(found)


def _payment(row: _Row) -> Payment:
    return _load(Payment, row["doc"], version=row["version"])


class _Payments(_Repository):
    def add(self, payment: Payment) -> None:
        """Store a new payment; a taken id or (gateway, txn_ref) raises DuplicateError."""
        uow = self._uow
        connection = uow._write("payments.add")
        uow._execute(
            connection,
            "payments.add",
            _INSERT[t.payments.name],
            _payment_row(payment, payment.version),
            values={
                "payment.id": payment.id,
                "payment.txn_ref": (payment.gateway, payment.txn_ref),
            },
        )

    def get(self, payment_id: str) -> Payment:
        """The payment, or PaymentNotFound."""
        found = self._uow._one(
            "payments.get",
            _PAYMENT_BY_ID,
            {"p_id": payment_id},
            self._uow._loader(t.payments, _payment),
        )
        if found is None:
            raise PaymentNotFound(payment_id)
        return found

    def find_by_txn_ref(self, gateway: str, txn_ref: str) -> Payment | None:
        """The payment a gateway knows by ``txn_ref``, if any."""
        return self._uow._one(
            "payments.find_by_txn_ref",
            _PAYMENT_BY_TXN,
            {"p_gateway": gateway, "p_txn_ref": txn_ref},
            self._uow._loader(t.payments, _payment),
        )

    def update(self, payment: Payment) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._versioned_update(
            "payments.update",
            "payment",
            t.payments,
            payment,
            _payment_row(payment, payment.version + 1),
            PaymentNotFound,
            values={"payment.txn_ref": (payment.gateway, payment.txn_ref)},
        )
        payment.version += 1

    def list_by_dossier(self, dossier_id: str) -> Sequence[Payment]:
        """A dossier's payments, oldest first."""
        return self._uow._all(
            "payments.list_by_dossier",
            _PAYMENTS_OF_DOSSIER,
            {"p_dossier_id": dossier_id},
            _payment,
        )


def _entry(row: _Row) -> OutboxEntry:
    return _load(OutboxEntry, row["doc"], version=row["version"])


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
        uow = self._uow
        connection = uow._begin("outbox.claim_due")
        require_aware(now, "now")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput("limit", "must be a whole number, 1 or more", limit)
        if lease <= dt.timedelta(0):
            raise InvalidInput("lease", "must be a positive duration", lease)
        uow._start_writing(connection)
        rows = uow._execute(
            connection, "outbox.claim_due", uow._sql.claim_due, {"now": now, "limit": limit}
        ).rows
        claimed: list[OutboxEntry] = []
        remember = uow._loader(t.outbox, _entry)
        for row in rows:
            entry = remember(row)
            entry.claim(worker, now=now, lease=lease)
            uow._versioned_update(
                "outbox.claim_due",
                "outbox_entry",
                t.outbox,
                entry,
                _outbox_row(entry, entry.version + 1),
                NotFound,
            )
            entry.version += 1
            claimed.append(entry)
        return claimed

    def update(self, entry: OutboxEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._versioned_update(
            "outbox.update",
            "outbox_entry",
            t.outbox,
            entry,
            _outbox_row(entry, entry.version + 1),
            NotFound,
        )
        entry.version += 1

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
        uow = self._uow
        connection = uow._begin("sync.claim_due")
        require_aware(now, "now")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput("limit", "must be a whole number, 1 or more", limit)
        if lease <= dt.timedelta(0):
            raise InvalidInput("lease", "must be a positive duration", lease)
        uow._start_writing(connection)
        rows = uow._execute(
            connection, "sync.claim_due", uow._sql.claim_sync, {"now": now, "limit": limit}
        ).rows
        claimed: list[SyncEntry] = []
        remember = uow._loader(t.sync_outbox, _sync_entry)
        for row in rows:
            entry = remember(row)
            entry.claim(worker, now=now, lease=lease)
            self._store("sync.claim_due", entry)
            claimed.append(entry)
        return claimed

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


class _Codes(_Repository):
    def next(self, agency: AgencyCode, day: dt.date, *, maximum: int) -> int:
        """The next sequence number of ``agency`` on local ``day``, from 1.

        Taken inside the unit of work: a rollback gives the number back, so numbers are
        gap-free; concurrent units of work never get the same number (a second one waits
        for the first to end). Past ``maximum`` raises CodeSequenceExhausted.
        """
        uow = self._uow
        connection = uow._begin("codes.next")
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
            raise InvalidInput("maximum", "must be a whole number, 1 or more", maximum)
        uow._start_writing(connection)
        taken = uow._execute(
            connection,
            "codes.next",
            uow._sql.next_number,
            {"agency": agency.key, "day": day, "maximum": maximum},
        ).scalar()
        if taken is None:
            raise CodeSequenceExhausted(str(agency), day, maximum)
        return int(taken)

    def peek(self, agency: AgencyCode, day: dt.date) -> int:
        """The last number given (0 if none), as committed, or as this unit of work took it."""
        found = self._uow._one(
            "codes.peek",
            _LAST_NUMBER,
            {"p_agency": agency.key, "p_day": day},
            lambda row: int(row["last"]),
        )
        return 0 if found is None else found


class _Tokens(_Repository):
    def consume(self, token_id: str, *, now: dt.datetime) -> None:
        """Record that a single-use token was used; a second use raises DuplicateError."""
        require_aware(now, "now")
        uow = self._uow
        connection = uow._write("tokens.consume")
        uow._execute(
            connection,
            "tokens.consume",
            _INSERT[t.tokens.name],
            {"token_id": token_id, "used_at": now},
            values={"token.id": token_id},
        )


def _audit_record(row: _Row) -> AuditRecord:
    return AuditRecord(
        stream=row["stream"],
        position=row["position"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        detail=row["detail"],
        previous_hash=row["previous_hash"],
        hash=row["hash"],
    )


class _Audit(_Repository):
    def head(self, stream: str) -> AuditRecord | None:
        """The last record of ``stream`` (highest position), as this unit of work sees it."""
        return self._uow._one("audit.head", _AUDIT_HEAD, {"p_stream": stream}, _audit_record)

    def append(self, record: AuditRecord) -> None:
        """Store a record; a position its stream already holds raises DuplicateError."""
        if not isinstance(record, AuditRecord):
            raise InvalidInput("record", "must be an AuditRecord", record)
        uow = self._uow
        connection = uow._write("audit.append")
        uow._execute(
            connection,
            "audit.append",
            _INSERT[t.audit_log.name],
            attrs.asdict(record),
            values={"audit.id": (record.stream, record.position)},
        )

    def list(self, stream: str) -> Sequence[AuditRecord]:
        """The records of one stream, by position."""
        return self._uow._all("audit.list", _AUDIT_OF_STREAM, {"p_stream": stream}, _audit_record)

    def streams(self) -> Sequence[str]:
        """Every stream that holds a record, sorted."""
        return self._uow._all("audit.streams", _AUDIT_STREAMS, None, lambda row: row["stream"])


def _record_history(trail: AuditTrail, dossier: Dossier) -> None:
    """Chain the history entries a submitted dossier gained into its audit stream."""
    if dossier.status is DossierStatus.DRAFT:
        return
    for record in history_records(dossier, trail.head(dossier_stream(dossier.id))):
        trail.append(record)


if TYPE_CHECKING:
    # mypy proves here that the classes satisfy the ports they implement.
    def _implements(storage: SqlStorage, uow: SqlUnitOfWork) -> tuple[Storage, UnitOfWork]:
        return storage, uow
