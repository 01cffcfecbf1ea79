"""Engines for the SQL storage: a URL read and checked, SQLite's connection settings."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from onestop.errors import ConfigurationError

__all__ = ["SQLITE_SYNCHRONOUS", "configure_sqlite", "normalise_url", "sqlite_in_memory"]


def sqlite_in_memory(engine: Engine) -> bool:
    database = engine.url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(engine.url)


#: ``PRAGMA synchronous`` values :class:`SqlStorage` accepts for SQLite.
SQLITE_SYNCHRONOUS: Final = ("full", "normal")


def configure_sqlite(engine: Engine, busy_timeout: float, synchronous: str = "full") -> None:
    """WAL, a busy timeout, foreign keys, ``synchronous``, and transactions begun by the
    unit of work."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Driver autocommit: the unit of work emits BEGIN IMMEDIATE itself before writing.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        finally:
            cursor.close()

    if not event.contains(engine, "connect", on_connect):
        event.listen(engine, "connect", on_connect)
    engine.pool.dispose()  # connections opened before this point lack the settings


def normalise_url(url: str) -> str:
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
