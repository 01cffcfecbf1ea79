"""The storage contract: what every :class:`~onestop.ports.storage.Storage` must do.

Subclass :class:`StorageContract` in a test module, name the subclass ``Test...`` and
implement :meth:`StorageContract.make_storage`; pytest then runs every test below against
your adapter::

    class TestSqliteStorage(StorageContract):
        def make_storage(self) -> Storage:
            return SqlStorage.connect("sqlite://")

The tests use the ports only, never an adapter's internals. Each test gets a fresh, empty
storage from :meth:`~StorageContract.make_storage` and closes it itself. Property tests
(hypothesis) build one storage per example through :meth:`~StorageContract.example_storage`,
which a slow-to-create storage may override (for instance to empty a shared one).

Where an error may come either from the call or from ``commit()`` (a database may only see
a unique violation when it flushes), the tests accept both.

:class:`FailureInjectionContract` is an optional part for storages that, like
:class:`~onestop.adapters.memory.InMemoryStorage`, accept ``fail_on`` operation names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from onestop.errors import (
    DossierNotFound,
    StorageError,
)
from onestop.ports.storage import Storage
from onestop.testing import builders
from onestop.testing.contracts._storage_accounts import AccountStorageContract
from onestop.testing.contracts._storage_base import DAY, LEASE
from onestop.testing.contracts._storage_catalog import CatalogStorageContract
from onestop.testing.contracts._storage_dossiers import DossierStorageContract
from onestop.testing.contracts._storage_feedback import FeedbackStorageContract
from onestop.testing.contracts._storage_outboxes import OutboxStorageContract
from onestop.testing.contracts._storage_paging import PagingStorageContract
from onestop.testing.contracts._storage_records import RecordsStorageContract
from onestop.testing.contracts._storage_reports import ReportStorageContract
from onestop.testing.contracts._storage_units import UnitOfWorkStorageContract

__all__ = ["FailureInjectionContract", "StorageContract"]


class StorageContract(
    AccountStorageContract,
    CatalogStorageContract,
    DossierStorageContract,
    FeedbackStorageContract,
    OutboxStorageContract,
    PagingStorageContract,
    RecordsStorageContract,
    ReportStorageContract,
    UnitOfWorkStorageContract,
):
    """Every test a storage adapter must pass; subclass it and implement :meth:`make_storage`.

    Class attributes a subclass may change:

    * ``threads`` and ``per_thread``: how many threads submit how many dossiers each in
      the concurrency tests (8 x 10).
    * ``interleaved_writers``: set it to False for a storage that lets only one writing
      transaction exist at a time (SQLite); the tests that would keep two writing units of
      work open in one thread then run them one after the other (the threaded tests,
      where the second writer waits for the first, are the same).
    """


class FailureInjectionContract:
    """Optional: for a storage that accepts ``fail_on`` operation names (see
    :data:`onestop.adapters.memory.OPERATIONS`); implement :meth:`make_failing_storage`.
    """

    def make_failing_storage(self, fail_on: frozenset[str]) -> Storage:
        """A new, empty storage whose named operations raise StorageError."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_failing_storage()")

    @contextlib.contextmanager
    def _failing(self, *fail_on: str) -> Iterator[Storage]:
        storage = self.make_failing_storage(frozenset(fail_on))
        try:
            yield storage
        finally:
            storage.close()

    def test_failing_outbox_add_leaves_nothing(self) -> None:
        with self._failing("outbox.add") as storage:
            with pytest.raises(StorageError), storage.unit_of_work() as uow:  # noqa: PT012
                seq = uow.codes.next(builders.AGENCY, DAY, maximum=9999)
                dossier = builders.submitted_dossier(seq=seq)
                uow.dossiers.add(dossier)
                uow.outbox.add(builders.outbox_entry())
                uow.commit()
            with storage.unit_of_work() as uow:
                with pytest.raises(DossierNotFound):
                    uow.dossiers.get(dossier.id)
                assert list(uow.outbox.list()) == []
                assert uow.codes.peek(builders.AGENCY, DAY) == 0
                assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 1

    @pytest.mark.parametrize(
        "operation", ["commit", "dossiers.add", "codes.next", "tokens.consume"]
    )
    def test_failing_operation_leaves_nothing(self, operation: str) -> None:
        with self._failing(operation) as storage:
            with pytest.raises(StorageError), storage.unit_of_work() as uow:  # noqa: PT012
                uow.tokens.consume("jti-1", now=builders.T0)
                seq = uow.codes.next(builders.AGENCY, DAY, maximum=9999)
                uow.dossiers.add(builders.submitted_dossier("dossier-x", seq=seq))
                uow.outbox.add(builders.outbox_entry("mail-x"))
                uow.commit()
            with storage.unit_of_work() as uow:
                with pytest.raises(DossierNotFound):
                    uow.dossiers.get("dossier-x")
                assert list(uow.outbox.list()) == []
                assert uow.codes.peek(builders.AGENCY, DAY) == 0

    def test_failing_read_raises_storage_error(self) -> None:
        with self._failing("dossiers.get", "outbox.claim_due") as storage:
            with storage.unit_of_work() as uow, pytest.raises(StorageError):
                uow.dossiers.get("dossier-x")
            with storage.unit_of_work() as uow, pytest.raises(StorageError):
                uow.outbox.claim_due(worker="w", now=builders.T0, lease=LEASE, limit=1)
