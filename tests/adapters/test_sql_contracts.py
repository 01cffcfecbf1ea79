"""The storage contract suites, unchanged, against SQLite (a file) and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from onestop.ports.storage import Storage
from onestop.testing.contracts.storage import FailureInjectionContract, StorageContract
from tests.adapters.sql_support import postgres_storage, sqlite_storage


class TestSqliteStorage(StorageContract, FailureInjectionContract):
    # SQLite has one writer at a time: a second writing unit of work in the same thread
    # would wait for the first one forever (then time out).
    interleaved_writers = False
    threads = 4
    per_thread = 8

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_storage(self) -> Storage:
        return sqlite_storage(self.directory, busy_timeout=10.0)

    def make_failing_storage(self, fail_on: frozenset[str]) -> Storage:
        return sqlite_storage(self.directory, busy_timeout=10.0, fail_on=fail_on)


@pytest.mark.postgres
class TestPostgresStorage(StorageContract, FailureInjectionContract):
    threads = 4
    per_thread = 8

    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str) -> None:
        self.url = postgres_url

    def make_storage(self) -> Storage:
        return postgres_storage(self.url)

    @contextlib.contextmanager
    def example_storage(self) -> Iterator[Storage]:
        storage = postgres_storage(self.url)
        try:
            yield storage
        finally:
            storage.close()

    def make_failing_storage(self, fail_on: frozenset[str]) -> Storage:
        return postgres_storage(self.url, fail_on=fail_on)
