"""Making SQL storages for the tests: a SQLite file each, or an emptied PostgreSQL database."""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from onestop.adapters.sql import SqlStorage, metadata


def sqlite_url(directory: Path) -> str:
    """The URL of a new SQLite file in ``directory`` (a file: WAL needs one)."""
    return f"sqlite:///{directory / f'{uuid.uuid4().hex[:12]}.db'}"


def sqlite_storage(directory: Path, **options: object) -> SqlStorage:
    """A new SQLite storage in its own file, tables created."""
    return SqlStorage.from_url(sqlite_url(directory), **options)  # type: ignore[arg-type]


@functools.cache
def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.NullPool)


def empty_postgres(url: str) -> None:
    """Delete every row of the test database (the tables exist: see the postgres_url fixture).

    DELETE, not TRUNCATE: on a few rows it is much faster.
    """
    with _engine(url).begin() as connection:
        connection.exec_driver_sql("SET lock_timeout = '10s'")
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def postgres_storage(url: str, **options: object) -> SqlStorage:
    """A storage on the emptied test database (tables made by the postgres_url fixture)."""
    empty_postgres(url)
    return SqlStorage.from_url(url, create=False, **options)  # type: ignore[arg-type]


@contextlib.contextmanager
def new_postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards; its URL."""
    base = sa.make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
