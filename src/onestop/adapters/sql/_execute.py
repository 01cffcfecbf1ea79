"""Running the SQL storage's compiled statements on the driver's own cursor."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    Date,
    Dialect,
    text,
)

from onestop.adapters.sql import schema as t
from onestop.adapters.sql.errors import (
    translate_driver_error,
)
from onestop.errors import (
    NaiveDatetime,
    OnestopError,
)

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
_INSTANT_PARAMS: Final = _INSTANT_COLUMNS | {"now", "p_created_before"}
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
    cursor: Any = None,
) -> _Result:
    """Run a planned statement on the driver's connection; driver errors translated.

    ``cursor``: one the caller keeps for its transaction (psycopg makes a new one per
    ``connection.execute``, which costs more than a small statement); else one is made and
    closed here.
    """
    own = cursor is None
    try:
        if own:
            cursor = driver.cursor()
        if isinstance(params, list):
            cursor.executemany(plan.sql, [plan.bind(p) for p in params])
        else:
            cursor.execute(plan.sql, plan.bind(params))
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
            if own:
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
