"""SQL storage on SQLAlchemy 2 Core: SQLite (standard library driver) or PostgreSQL (psycopg 3).

:class:`SqlStorage` behaves as :class:`~onestop.adapters.memory.InMemoryStorage` does, with
the same errors, orderings, ``fail_on`` names and unit-of-work session semantics, and with
the database doing the hard parts:

* **Read committed.** Each statement sees what is committed (plus the unit of work's own
  writes). Reads run outside a transaction until the unit of work first writes (a unit of
  work that only reads costs no BEGIN and ROLLBACK round trips); the first write opens the
  transaction: ``BEGIN`` on PostgreSQL (read committed, its default), ``BEGIN IMMEDIATE``
  on SQLite, which takes the database's write lock at once (waiting up to
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

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, Self

from sqlalchemy import (
    Engine,
    Table,
    create_engine,
    text,
)
from sqlalchemy.pool import PoolProxiedConnection

from onestop.adapters.memory import OPERATIONS
from onestop.adapters.sql import schema as t
from onestop.adapters.sql._dossiers import _Dossiers, _Payments
from onestop.adapters.sql._engines import (
    SQLITE_SYNCHRONOUS,
    configure_sqlite,
    normalise_url,
    sqlite_in_memory,
)
from onestop.adapters.sql._execute import (
    _BEGIN_IMMEDIATE,
    _pipelines,
    _Plan,
    _plan,
    _Result,
    _run,
    _run_together,
)
from onestop.adapters.sql._feedback import _Feedback
from onestop.adapters.sql._outboxes import _Outbox, _Sync
from onestop.adapters.sql._reports import _Reports
from onestop.adapters.sql._repositories import (
    _Accounts,
    _Audit,
    _Catalog,
    _Codes,
    _Officers,
    _Tokens,
)
from onestop.adapters.sql._rows import (
    _T,
    _Children,
    _Row,
)
from onestop.adapters.sql._statements import (
    _VERSION_OF,
    _statements,
    _update_statement,
)
from onestop.adapters.sql._statements import _dialect_insert as _dialect_insert
from onestop.adapters.sql.errors import (
    translate_driver_errors,
    translate_errors,
)
from onestop.adapters.sql.search import SearchCache
from onestop.errors import (
    ConcurrentUpdate,
    ConfigurationError,
    NotFound,
    StorageError,
    UnitOfWorkError,
)

if TYPE_CHECKING:
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
        Storage,
        SyncOutbox,
        TokenLedger,
        UnitOfWork,
    )


__all__ = ["SqlStorage", "SqlUnitOfWork"]


#: Seconds a SQLite writer waits for another one before giving up (StorageError).
DEFAULT_BUSY_TIMEOUT: Final = 30.0


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
    ``sqlite_synchronous`` is SQLite's ``PRAGMA synchronous``: ``"full"`` (the default) syncs
    the WAL at every commit, so a committed submission survives a power loss; ``"normal"``
    syncs only at checkpoints, which makes commits cheaper but can lose the last commits
    (and with them dossier codes already shown to citizens) when the machine loses power or
    crashes (not when only the application does). Choose it knowingly.
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
        sqlite_synchronous: str = "full",
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
        if sqlite_synchronous not in SQLITE_SYNCHRONOUS:
            raise ConfigurationError(
                f"sqlite_synchronous must be 'full' (durable, the default) or 'normal', "
                f"not {sqlite_synchronous!r}"
            )
        if dialect == "sqlite" and sqlite_in_memory(engine):
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
            configure_sqlite(engine, busy_timeout, sqlite_synchronous)
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
        sqlite_synchronous: str = "full",
        **engine_options: Any,
    ) -> SqlStorage:
        """Open ``sqlite:///portal.db`` or ``postgresql+psycopg://user:pw@host/db``.

        With ``create`` (the default) a new empty database gets its tables through the
        shipped migrations, and a database whose revision is not the code's is refused with
        a :class:`ConfigurationError` that says what to run (``onestop db upgrade``); with
        ``create=False`` the schema is left alone and not checked. ``sqlite_synchronous``:
        see the class (``"normal"`` trades the last commits on power loss for speed).
        ``engine_options`` go to :func:`sqlalchemy.create_engine`.
        """
        with translate_errors("opening the database"):
            engine = create_engine(normalise_url(url), **engine_options)
        try:
            storage = cls(
                engine,
                fail_on=fail_on,
                busy_timeout=busy_timeout,
                sqlite_synchronous=sqlite_synchronous,
            )
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


# --- unit of work --------------------------------------------------------------------------

_State = Literal["new", "open", "closed"]
_BEGIN: Final = text("BEGIN")


class SqlUnitOfWork:
    """One database transaction at a time on one pooled connection; see the module docstring."""

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

    def __init__(self, storage: SqlStorage) -> None:
        self._storage = storage
        self._sql = storage._statements
        self._sqlite = storage.dialect == "sqlite"
        self._state: _State = "new"
        # The pooled connection (no SQLAlchemy Connection: statements run on the driver).
        self._connection: PoolProxiedConnection | None = None
        self._writing = False
        self._catalog_written = False  # whether this transaction changed the catalog
        # The catalog revision a search of this transaction read (see search.cached_procedure).
        self._search_revision: int | None = None
        self._driver: Any = None  # the DBAPI connection under self._connection
        self._pipelines = False  # whether the driver sends statements in pipelines
        # On psycopg, one cursor for every statement of the unit of work (None: on SQLite,
        # whose connection makes cursors cheaply, or before the first statement).
        self._cursor: Any = None
        self._children: dict[str, _Children] = {}
        # Rows as this transaction last read or wrote them, to update only what changed.
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}
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
        if not self._sqlite:
            # Reads run outside a transaction, as on SQLite: no BEGIN and ROLLBACK round
            # trips for a unit of work that only reads (read committed either way); the
            # first write sends BEGIN (see _start_writing).
            try:
                self._driver.autocommit = True
            except Exception:
                connection.invalidate()
                connection.close()
                with translate_driver_errors("connecting to the database"):
                    raise
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
        cursor, self._cursor = self._cursor, None
        self._state = "closed"
        self._end_transaction()
        if connection is not None:
            try:
                if cursor is not None:
                    cursor.close()
                self._quiet_rollback(connection)
                if not self._sqlite:
                    self._driver.autocommit = False  # as the pool handed it out
            except Exception:  # pragma: no cover - a broken connection: never reuse it
                connection.invalidate()
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
        """Open the transaction before its first write: on SQLite taking the write lock."""
        if not self._writing:
            if self._sqlite:
                doing = "waiting for the database's write lock"
                self._execute(connection, doing, _BEGIN_IMMEDIATE)
            else:
                self._execute(connection, "beginning a transaction", _BEGIN)
            self._writing = True

    def _write(self, operation: str) -> PoolProxiedConnection:
        connection = self._begin(operation)
        self._start_writing(connection)
        return connection

    def _end_transaction(self) -> None:
        self._writing = False
        self._catalog_written = False
        self._search_revision = None
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
        return _run(self._driver, dialect, doing, plan, params, values, self._statement_cursor())

    def _execute_built(
        self, connection: PoolProxiedConnection, doing: str, statement: Any, params: Any = None
    ) -> _Result:
        """Run a statement built for this call (or with a list for IN) on the driver."""
        dialect = self._storage.dialect
        with translate_errors(doing):
            plan = _Plan(dialect, statement, params or {})
        return _run(self._driver, dialect, doing, plan, None, None, self._statement_cursor())

    def _statement_cursor(self) -> Any:
        if self._cursor is None and not self._sqlite:
            self._cursor = self._driver.cursor()
        return self._cursor

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


if TYPE_CHECKING:
    # mypy proves here that the classes satisfy the ports they implement.
    def _implements(storage: SqlStorage, uow: SqlUnitOfWork) -> tuple[Storage, UnitOfWork]:
        return storage, uow
