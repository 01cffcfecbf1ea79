"""The file store contract suite, unchanged, against SqlFileStore on SQLite and PostgreSQL."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from onestop.adapters.sql import SqlFileStore, SqlStorage
from onestop.adapters.sql import schema as t
from onestop.ports.edges import Clock, FileStore
from onestop.testing.contracts.edges import FileStoreContract
from tests.adapters.sql_support import postgres_storage, sqlite_storage


def _count(store: FileStore) -> int:
    assert isinstance(store, SqlFileStore)
    with store._engine.connect() as connection:
        found = connection.execute(sa.select(sa.func.count()).select_from(t.file_blobs)).scalar()
    return int(found or 0)


class TestSqliteFileStore(FileStoreContract):
    """A SQLite file per store, read in small chunks to cross chunk boundaries."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> Iterator[None]:
        self.directory = tmp_path
        self.storages: list[SqlStorage] = []
        yield
        for storage in self.storages:
            storage.close()

    def _storage(self) -> SqlStorage:
        storage = sqlite_storage(Path(tempfile.mkdtemp(dir=self.directory)))
        self.storages.append(storage)
        return storage

    def make_store(self) -> FileStore:
        return SqlFileStore(self._storage().engine, chunk_size=1000)

    def make_timed_store(self, clock: Clock) -> FileStore:
        return SqlFileStore(self._storage().engine, chunk_size=1000, clock=clock)

    def count_files(self, store: FileStore) -> int | None:
        return _count(store)


@pytest.mark.postgres
class TestPostgresFileStore(FileStoreContract):
    """The emptied test database for each store."""

    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str) -> Iterator[None]:
        self.url = postgres_url
        self.storages: list[SqlStorage] = []
        yield
        for storage in self.storages:
            storage.close()

    def _storage(self) -> SqlStorage:
        storage = postgres_storage(self.url)
        self.storages.append(storage)
        return storage

    def make_store(self) -> FileStore:
        return SqlFileStore(self._storage().engine, chunk_size=1000)

    def make_timed_store(self, clock: Clock) -> FileStore:
        return SqlFileStore(self._storage().engine, chunk_size=1000, clock=clock)

    def count_files(self, store: FileStore) -> int | None:
        return _count(store)
