"""What the storage contract's parts share: helpers, settings and the base class with
the factory method and the ``storage`` fixture (see :mod:`onestop.testing.contracts.storage`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings

from onestop.domain.accounts import Account, Officer
from onestop.domain.codes import AgencyCode
from onestop.domain.dossier import Dossier
from onestop.domain.mail import OutboxEntry
from onestop.domain.payments import Payment
from onestop.domain.sync import SyncEntry
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders

_T = TypeVar("_T")

#: Few examples per property: a SQL storage is slow to create.
# Every subclass runs the same property test with another ``self`` (another adapter), which
# is the point of a contract: hypothesis's differing_executors check does not apply.
_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.differing_executors]
_PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=_SUPPRESSED,
)

DAY: dt.date = builders.T0.date()
OTHER_AGENCY = AgencyCode("H34", 5)
LEASE = dt.timedelta(minutes=5)


def _in_unit(storage: Storage, read: Callable[[UnitOfWork], _T]) -> _T:
    """Run ``read`` in a unit of work of its own (which is left without committing)."""
    with storage.unit_of_work() as uow:
        return read(uow)


def _commit(storage: Storage, write: Callable[[UnitOfWork], object]) -> None:
    """Run ``write`` in a unit of work of its own and commit it."""
    with storage.unit_of_work() as uow:
        write(uow)
        uow.commit()


def _refused(
    storage: Storage, error: type[BaseException], write: Callable[[UnitOfWork], object]
) -> pytest.ExceptionInfo[BaseException]:
    """``write`` then ``commit`` raise ``error``, at the call or at the commit."""
    # The error may come from the call or from the commit: both are in the block on purpose.
    with storage.unit_of_work() as uow, pytest.raises(error) as caught:  # noqa: PT012
        write(uow)
        uow.commit()
    return caught


_Record = Account | Officer | Dossier | Payment | OutboxEntry


def _adding(*records: _Record) -> Callable[[UnitOfWork], None]:
    """A write that adds every record to its repository."""

    def write(uow: UnitOfWork) -> None:
        for record in records:
            if isinstance(record, Account):
                uow.accounts.add(record)
            elif isinstance(record, Officer):
                uow.officers.add(record)
            elif isinstance(record, Dossier):
                uow.dossiers.add(record)
            elif isinstance(record, Payment):
                uow.payments.add(record)
            else:
                uow.outbox.add(record)

    return write


def _ids(
    records: Sequence[Account | Officer | Dossier | Payment | OutboxEntry | SyncEntry],
) -> list[str]:
    return [r.id for r in records]


def _sync_entry(entry_id: str, dossier_id: str, sequence: int, *, minutes: int = 0) -> SyncEntry:
    """A sync entry with a record and two progress rows, every value a string."""
    code = f"CODE-{dossier_id}"
    return SyncEntry(
        id=entry_id,
        dossier_id=dossier_id,
        dossier_code=code,
        sequence=sequence,
        created_at=builders.T0 + dt.timedelta(minutes=minutes),
        record={"MaHoSo": code, "TrangThaiHoSo": "2", "DanhSachLePhi": [{"Gia": "15000"}]},
        progress=(
            {"MaHoSo": code, "NoiDungXuLy": "Tiếp nhận", "TrangThai": "2"},
            {"MaHoSo": code, "NoiDungXuLy": f"bước {sequence}", "TrangThai": "4"},
        ),
        history_upto=2 * sequence,
    )


def _adding_sync(*entries: SyncEntry) -> Callable[[UnitOfWork], None]:
    def add(uow: UnitOfWork) -> None:
        for entry in entries:
            uow.sync.add(entry)

    return add


def _submitted(
    storage: Storage,
    *,
    agency: AgencyCode = builders.AGENCY,
    now: dt.datetime = builders.T0,
    owner_id: str | None = None,
    idempotency_key: str | None = None,
) -> Dossier:
    """A dossier submitted under the next number of its agency, committed."""
    procedure = builders.procedure(agency=agency)
    with storage.unit_of_work() as uow:
        day = builders.dossier_code(1, agency=agency, now=now).day
        seq = uow.codes.next(agency, day, maximum=9999)
        dossier = builders.submitted_dossier(
            procedure=procedure,
            now=now,
            seq=seq,
            owner_id=owner_id,
            idempotency_key=idempotency_key,
        )
        uow.dossiers.add(dossier)
        uow.commit()
    return dossier


class StorageContractBase:
    """The factory method, fixtures and class attributes every part of
    :class:`~onestop.testing.contracts.storage.StorageContract` uses."""

    threads: ClassVar[int] = 8
    per_thread: ClassVar[int] = 10
    interleaved_writers: ClassVar[bool] = True

    # --- what a subclass provides ------------------------------------------------------

    def make_storage(self) -> Storage:
        """A new, empty storage; the contract closes it."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_storage()")

    @contextlib.contextmanager
    def example_storage(self) -> Iterator[Storage]:
        """An empty storage for one hypothesis example (by default a new one, closed after)."""
        storage = self.make_storage()
        try:
            yield storage
        finally:
            storage.close()

    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        storage = self.make_storage()
        try:
            yield storage
        finally:
            storage.close()
