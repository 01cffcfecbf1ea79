"""Fixtures shared by every test directory: the PostgreSQL server the SQL tests run against.

``postgres_url`` reads ``ONESTOP_TEST_POSTGRES_URL`` (``scripts/setup-postgres.sh`` prints
one). When it is missing or the server does not answer, the PostgreSQL tests are skipped,
or fail when ``CI`` is set: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
from typing import Final

import pytest

POSTGRES_URL_ENV: Final = "ONESTOP_TEST_POSTGRES_URL"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required when CI is set: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of an empty test database holding the SQL storage's tables (created afresh)."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not url:
        _unavailable(f"{POSTGRES_URL_ENV} is not set (run scripts/setup-postgres.sh)")
    try:
        import sqlalchemy as sa

        from onestop.adapters.sql import metadata
    except ImportError as e:  # pragma: no cover - the test extra installs both
        _unavailable(f"SQLAlchemy or psycopg is not installed: {e}")
        raise
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET lock_timeout = '10s'")
            metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS onestop_alembic_version")
            # Left by test runs of onestop 0.1, whose tables had no prefix.
            for table in metadata.sorted_tables:
                old = table.name.removeprefix("onestop_")
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS {old} CASCADE")
    except sa.exc.OperationalError as e:
        engine.dispose()
        _unavailable(f"PostgreSQL at {POSTGRES_URL_ENV} does not answer: {e.orig}")
    from onestop.adapters.sql.migrations import upgrade

    upgrade(engine)  # the shipped migrations, as a real database gets them
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an empty SQL database: a new SQLite file, then the emptied PostgreSQL one.

    The tables exist on PostgreSQL; on SQLite ``SqlStorage.from_url`` creates them.
    """
    from tests.adapters.sql_support import empty_postgres, sqlite_url

    if request.param == "sqlite":
        return sqlite_url(tmp_path_factory.mktemp("sqlite"))
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url
