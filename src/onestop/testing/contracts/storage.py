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
import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar, Literal, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.domain.accounts import Account, AccountStatus, Officer, OfficerRole
from onestop.domain.audit import (
    ADMIN_STREAM,
    AuditEvent,
    AuditRecord,
    compare_history,
    dossier_stream,
    verify_stream,
)
from onestop.domain.catalog import FeesDue
from onestop.domain.codes import SCHEME_2025_CENTRAL, SCHEME_WIDE, AgencyCode, DossierCode
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.domain.money import FeeItem, FeeKind
from onestop.domain.payments import Payment, PaymentOutcome, PaymentState
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry, SyncState
from onestop.errors import (
    AccountNotFound,
    AgencyNotFound,
    CodeSequenceExhausted,
    ConcurrentUpdate,
    DossierNotFound,
    DuplicateError,
    FieldNotFound,
    NotFound,
    OfficerNotFound,
    PaymentNotFound,
    ProcedureNotFound,
    StorageError,
    TransitionNotAllowed,
)
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._support import (
    accounts,
    assert_same_fields,
    dossiers,
    outbox_entries,
    payments,
)

__all__ = ["FailureInjectionContract", "StorageContract"]

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


# --- a model of accounts, tokens and code numbers, for random units of work -------------------

_Op = tuple[Literal["account", "login", "token", "code"], int]
_Ending = Literal["commit", "rollback", "leave", "raise"]
_Unit = tuple[list[_Op], _Ending]
_MODEL_AGENCIES = (builders.AGENCY, OTHER_AGENCY)
_MODEL_MAXIMUM = 4

_OPS: st.SearchStrategy[_Op] = st.tuples(
    st.sampled_from(("account", "login", "token", "code")), st.integers(0, 2)
)
_UNITS: st.SearchStrategy[_Unit] = st.tuples(
    st.lists(_OPS, min_size=1, max_size=5),
    st.sampled_from(("commit", "rollback", "leave", "raise")),
)


class _Abandon(Exception):
    """Raised inside a unit of work to leave it with an exception."""


@attrs.define
class _Model:
    """What the storage should hold: accounts by email (failed logins, version), used
    tokens and the last number per agency."""

    accounts: dict[str, tuple[int, int]] = attrs.field(factory=dict)
    tokens: set[str] = attrs.field(factory=set)
    codes: dict[AgencyCode, int] = attrs.field(factory=dict)

    def run(self, storage: Storage, ops: list[_Op], ending: _Ending) -> None:
        staged = _Model(dict(self.accounts), set(self.tokens), dict(self.codes))
        with contextlib.suppress(_Abandon), storage.unit_of_work() as uow:
            for op, n in ops:
                error = staged.apply(uow, op, n)
                if error is not None:
                    with pytest.raises(error):  # noqa: PT012 - at the call or at the commit
                        staged.do(uow, op, n)
                        uow.commit()
                    return
                staged.do(uow, op, n)
            if ending == "commit":
                uow.commit()
                self.accounts, self.tokens, self.codes = (
                    staged.accounts,
                    staged.tokens,
                    staged.codes,
                )
            elif ending == "rollback":
                uow.rollback()
            elif ending == "raise":
                raise _Abandon

    def apply(self, uow: UnitOfWork, op: str, n: int) -> type[Exception] | None:
        """The error ``op`` must raise, or None after changing the model as it will."""
        if op == "account":
            if f"user{n}@example.vn" in self.accounts:
                return DuplicateError
            self.accounts[f"user{n}@example.vn"] = (0, 0)
        elif op == "login":
            email = f"user{n}@example.vn"
            if email in self.accounts:
                failed, version = self.accounts[email]
                self.accounts[email] = (failed + 1, version + 1)
        elif op == "token":
            if f"jti-{n}" in self.tokens:
                return DuplicateError
            self.tokens.add(f"jti-{n}")
        else:
            agency = _MODEL_AGENCIES[n % 2]
            if self.codes.get(agency, 0) >= _MODEL_MAXIMUM:
                return CodeSequenceExhausted
            self.codes[agency] = self.codes.get(agency, 0) + 1
        return None

    def do(self, uow: UnitOfWork, op: str, n: int) -> None:
        """Do ``op`` on the storage, checking what it answers against the model."""
        if op == "account":
            uow.accounts.add(builders.account(email=f"user{n}@example.vn"))
        elif op == "login":
            account = uow.accounts.find_by_email(f"user{n}@example.vn")
            if account is not None:
                account.failed_logins += 1
                uow.accounts.update(account)
        elif op == "token":
            uow.tokens.consume(f"jti-{n}", now=builders.T0)
        else:
            agency = _MODEL_AGENCIES[n % 2]
            number = uow.codes.next(agency, DAY, maximum=_MODEL_MAXIMUM)
            assert number == self.codes.get(agency, 0)

    def check(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            for n in range(3):
                email = f"user{n}@example.vn"
                account = uow.accounts.find_by_email(email)
                if email not in self.accounts:
                    assert account is None, f"{email} was not committed"
                    continue
                assert account is not None, f"{email} was committed"
                assert (account.failed_logins, account.version) == self.accounts[email]
            for agency in _MODEL_AGENCIES:
                assert uow.codes.peek(agency, DAY) == self.codes.get(agency, 0)


class StorageContract:
    """Every test a storage adapter must pass; subclass it and implement :meth:`make_storage`.

    Class attributes a subclass may change:

    * ``threads`` and ``per_thread``: how many threads submit how many dossiers each in
      the concurrency tests (8 x 10).
    * ``interleaved_writers``: set it to False for a storage that lets only one writing
      transaction exist at a time (SQLite); the tests that would keep two writing units of
      work open in one thread then run them one after the other (the threaded tests,
      where the second writer waits for the first, are the same).
    """

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

    # --- accounts ------------------------------------------------------------------------

    def test_account_round_trip(self, storage: Storage) -> None:
        account = builders.account(verified=False)
        _commit(storage, lambda uow: uow.accounts.add(account))
        loaded = _in_unit(storage, lambda uow: uow.accounts.get(account.id))
        assert_same_fields(loaded, account)
        assert loaded.version == 0

    @given(account=accounts())
    @_PROPERTY
    def test_account_round_trip_generated(self, account: Account) -> None:
        with self.example_storage() as storage:
            _commit(storage, lambda uow: uow.accounts.add(account))
            loaded = _in_unit(storage, lambda uow: uow.accounts.get(account.id))
            assert_same_fields(loaded, account)
            by_email = _in_unit(storage, lambda uow: uow.accounts.find_by_email(account.email))
            assert by_email is not None
            assert by_email.id == account.id

    def test_account_get_unknown(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow, pytest.raises(AccountNotFound):
            uow.accounts.get("account-missing")

    def test_account_find_by_email(self, storage: Storage) -> None:
        account = builders.account(email="nguyen.van.an@example.vn")
        _commit(storage, lambda uow: uow.accounts.add(account))
        with storage.unit_of_work() as uow:
            found = uow.accounts.find_by_email("nguyen.van.an@example.vn")
            assert found is not None
            assert found.id == account.id
            assert uow.accounts.find_by_email("someone.else@example.vn") is None

    def test_account_duplicate_id(self, storage: Storage) -> None:
        first = builders.account()
        _commit(storage, lambda uow: uow.accounts.add(first))
        again = builders.account(first.id, email="other@example.vn")
        _refused(storage, DuplicateError, lambda uow: uow.accounts.add(again))
        loaded = _in_unit(storage, lambda uow: uow.accounts.get(first.id))
        assert loaded.email == first.email
        assert _in_unit(storage, lambda uow: uow.accounts.find_by_email("other@example.vn")) is None

    def test_account_duplicate_email(self, storage: Storage) -> None:
        first = builders.account(email="an@example.vn")
        _commit(storage, lambda uow: uow.accounts.add(first))
        second = builders.account(email="an@example.vn")
        _refused(storage, DuplicateError, lambda uow: uow.accounts.add(second))
        with storage.unit_of_work() as uow, pytest.raises(AccountNotFound):
            uow.accounts.get(second.id)

    def test_account_duplicate_in_one_unit_of_work(self, storage: Storage) -> None:
        first = builders.account(email="an@example.vn")
        second = builders.account(email="an@example.vn")

        def add_both(uow: UnitOfWork) -> None:
            uow.accounts.add(first)
            uow.accounts.add(second)

        _refused(storage, DuplicateError, add_both)
        assert _in_unit(storage, lambda uow: uow.accounts.find_by_email("an@example.vn")) is None

    def test_account_update_bumps_version(self, storage: Storage) -> None:
        account = builders.account(verified=False)
        _commit(storage, lambda uow: uow.accounts.add(account))
        with storage.unit_of_work() as uow:
            loaded = uow.accounts.get(account.id)
            loaded.verify(builders.T0 + dt.timedelta(hours=1))
            loaded.record_failed_login(builders.T0 + dt.timedelta(hours=2))
            uow.accounts.update(loaded)
            assert loaded.version == 1
            uow.commit()
        stored = _in_unit(storage, lambda uow: uow.accounts.get(account.id))
        assert_same_fields(stored, loaded)
        assert stored.version == 1
        assert stored.status is AccountStatus.ACTIVE
        assert stored.failed_logins == 1

    def test_account_update_unknown(self, storage: Storage) -> None:
        _refused(storage, AccountNotFound, lambda uow: uow.accounts.update(builders.account()))

    def test_account_stale_update(self, storage: Storage) -> None:
        account = builders.account()
        _commit(storage, lambda uow: uow.accounts.add(account))
        first = _in_unit(storage, lambda uow: uow.accounts.get(account.id))
        second = _in_unit(storage, lambda uow: uow.accounts.get(account.id))
        first.lock()
        _commit(storage, lambda uow: uow.accounts.update(first))
        second.change_password_hash("scrypt$other")
        _refused(storage, ConcurrentUpdate, lambda uow: uow.accounts.update(second))
        stored = _in_unit(storage, lambda uow: uow.accounts.get(account.id))
        assert stored.status is AccountStatus.LOCKED
        assert stored.password_hash == account.password_hash
        assert stored.version == 1

    def test_account_stale_update_in_one_unit_of_work(self, storage: Storage) -> None:
        account = builders.account()
        _commit(storage, lambda uow: uow.accounts.add(account))

        def update_twice(uow: UnitOfWork) -> None:
            first = uow.accounts.get(account.id)
            second = uow.accounts.get(account.id)
            first.lock()
            uow.accounts.update(first)
            uow.accounts.update(second)

        _refused(storage, ConcurrentUpdate, update_twice)
        assert _in_unit(storage, lambda uow: uow.accounts.get(account.id)).version == 0

    def test_returned_objects_are_copies(self, storage: Storage) -> None:
        account = builders.account()
        _commit(storage, lambda uow: uow.accounts.add(account))
        with storage.unit_of_work() as uow:
            loaded = uow.accounts.get(account.id)
            loaded.lock()
            loaded.failed_logins = 3
            uow.commit()
        stored = _in_unit(storage, lambda uow: uow.accounts.get(account.id))
        assert stored.status is AccountStatus.ACTIVE
        assert stored.failed_logins == 0

    # --- officers ------------------------------------------------------------------------

    def test_officer_round_trip(self, storage: Storage) -> None:
        officer = builders.officer(full_name="Đặng Thị Ngọc Ánh", active=False)
        _commit(storage, lambda uow: uow.officers.add(officer))
        assert_same_fields(_in_unit(storage, lambda uow: uow.officers.get(officer.id)), officer)

    def test_officer_get_unknown(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow, pytest.raises(OfficerNotFound):
            uow.officers.get("officer-missing")

    def test_officer_duplicate_id_and_email(self, storage: Storage) -> None:
        officer = builders.officer(email="binh@kontum.gov.vn")
        _commit(storage, lambda uow: uow.officers.add(officer))
        same_id = builders.officer(officer.id)
        same_email = builders.officer(email="binh@kontum.gov.vn")
        _refused(storage, DuplicateError, lambda uow: uow.officers.add(same_id))
        _refused(storage, DuplicateError, lambda uow: uow.officers.add(same_email))
        listed = _in_unit(storage, lambda uow: uow.officers.list_by_agency(builders.AGENCY))
        assert _ids(listed) == [officer.id]

    def test_officers_list_by_agency_ordered_by_id(self, storage: Storage) -> None:
        mine = [builders.officer(f"officer-{n}") for n in ("c", "a", "b")]
        other = builders.officer("officer-0", agency=OTHER_AGENCY)

        def add_all(uow: UnitOfWork) -> None:
            for officer in [*mine, other]:
                uow.officers.add(officer)

        _commit(storage, add_all)
        with storage.unit_of_work() as uow:
            assert _ids(uow.officers.list_by_agency(builders.AGENCY)) == [
                "officer-a",
                "officer-b",
                "officer-c",
            ]
            assert _ids(uow.officers.list_by_agency(OTHER_AGENCY)) == ["officer-0"]
            assert list(uow.officers.list_by_agency(AgencyCode("H34", 9))) == []

    def test_officer_with_credentials_round_trip(self, storage: Storage) -> None:
        officer = builders.officer()
        officer.change_roles(frozenset({OfficerRole.APPROVAL, OfficerRole.RETURN}))
        officer.change_password_hash("scrypt$salt$hash")
        officer.link_external_subject("sso|12345")
        officer.record_failed_login(builders.T0)
        _commit(storage, lambda uow: uow.officers.add(officer))
        assert_same_fields(_in_unit(storage, lambda uow: uow.officers.get(officer.id)), officer)

    def test_officer_find_by_email_and_subject(self, storage: Storage) -> None:
        officer = builders.officer(email="anh@kontum.gov.vn")
        officer.link_external_subject("sso|anh")
        _commit(storage, _adding(officer, builders.officer()))
        with storage.unit_of_work() as uow:
            by_email = uow.officers.find_by_email("anh@kontum.gov.vn")
            by_subject = uow.officers.find_by_external_subject("sso|anh")
            assert by_email is not None
            assert by_email.id == officer.id
            assert by_subject is not None
            assert by_subject.id == officer.id
            assert uow.officers.find_by_email("nobody@kontum.gov.vn") is None
            assert uow.officers.find_by_external_subject("sso|nobody") is None

    def test_officer_update_bumps_version_and_refuses_a_stale_one(self, storage: Storage) -> None:
        officer = builders.officer()
        _commit(storage, lambda uow: uow.officers.add(officer))
        first = _in_unit(storage, lambda uow: uow.officers.get(officer.id))
        second = _in_unit(storage, lambda uow: uow.officers.get(officer.id))
        first.deactivate()
        _commit(storage, lambda uow: uow.officers.update(first))
        assert first.version == 1
        stored = _in_unit(storage, lambda uow: uow.officers.get(officer.id))
        assert stored.version == 1
        assert not stored.active
        second.change_roles(frozenset({OfficerRole.RECEPTION}))
        _refused(storage, ConcurrentUpdate, lambda uow: uow.officers.update(second))
        _refused(storage, OfficerNotFound, lambda uow: uow.officers.update(builders.officer()))

    def test_officer_external_subject_is_unique(self, storage: Storage) -> None:
        first, second = builders.officer(), builders.officer()
        first.link_external_subject("sso|same")
        _commit(storage, _adding(first, second))  # None subjects never clash
        twin = builders.officer()
        twin.link_external_subject("sso|same")
        _refused(storage, DuplicateError, lambda uow: uow.officers.add(twin))
        loaded = _in_unit(storage, lambda uow: uow.officers.get(second.id))
        loaded.link_external_subject("sso|same")
        _refused(storage, DuplicateError, lambda uow: uow.officers.update(loaded))

    def test_officers_list_all_by_agency_then_id(self, storage: Storage) -> None:
        officers = [
            builders.officer("officer-b"),
            builders.officer("officer-a", agency=OTHER_AGENCY),
            builders.officer("officer-c"),
        ]
        _commit(storage, _adding(*officers))
        listed = _in_unit(storage, lambda uow: uow.officers.list_all())
        assert _ids(listed) == ["officer-b", "officer-c", "officer-a"]

    # --- audit trail ---------------------------------------------------------------------

    def test_audit_append_head_list_and_streams(self, storage: Storage) -> None:
        first = AuditRecord.following(
            None, ADMIN_STREAM, AuditEvent.of(builders.T0, "operator", "x.done", "s", n=1)
        )
        second = AuditRecord.following(
            first, ADMIN_STREAM, AuditEvent.of(builders.T0, "operator", "x.done", "s", n=2)
        )
        with storage.unit_of_work() as uow:
            assert uow.audit.head(ADMIN_STREAM) is None
            uow.audit.append(first)
            uow.audit.append(second)
            assert uow.audit.head(ADMIN_STREAM) == second  # its own writes
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.audit.head(ADMIN_STREAM) == second
            assert list(uow.audit.list(ADMIN_STREAM)) == [first, second]
            assert list(uow.audit.streams()) == [ADMIN_STREAM]
            assert list(uow.audit.list("elsewhere")) == []
        assert verify_stream(ADMIN_STREAM, [first, second]) == []

    def test_audit_position_is_unique_per_stream(self, storage: Storage) -> None:
        event = AuditEvent.of(builders.T0, "operator", "x.done", "s")
        record = AuditRecord.following(None, ADMIN_STREAM, event)
        _commit(storage, lambda uow: uow.audit.append(record))
        caught = _refused(storage, DuplicateError, lambda uow: uow.audit.append(record))
        assert isinstance(caught.value, DuplicateError)
        assert caught.value.field == "audit.id"
        other = AuditRecord.following(None, "other", event)
        _commit(storage, lambda uow: uow.audit.append(other))  # same position, other stream

    def test_audit_rolled_back_with_its_unit_of_work(self, storage: Storage) -> None:
        record = AuditRecord.following(
            None, ADMIN_STREAM, AuditEvent.of(builders.T0, "operator", "x.done", "s")
        )
        with storage.unit_of_work() as uow:
            uow.audit.append(record)
        assert _in_unit(storage, lambda uow: list(uow.audit.streams())) == []

    def test_submitted_dossier_history_is_chained_as_it_is_written(self, storage: Storage) -> None:
        dossier = _submitted(storage)
        stream = dossier_stream(dossier.id)
        records = _in_unit(storage, lambda uow: list(uow.audit.list(stream)))
        assert len(records) == len(dossier.history)
        assert compare_history(dossier, records) == []
        with storage.unit_of_work() as uow:
            loaded = uow.dossiers.get(dossier.id)
            loaded.receive(
                officer=Actor.officer("officer-1", "Trần Thị Bình"),
                now=builders.T0 + dt.timedelta(hours=1),
                calendar=builders._CALENDAR,
            )
            uow.dossiers.update(loaded)
            uow.commit()
        records = _in_unit(storage, lambda uow: list(uow.audit.list(stream)))
        assert [r.action for r in records][-1] == "received"
        assert verify_stream(stream, records) == []
        assert compare_history(loaded, records) == []

    def test_a_draft_has_no_audit_stream_and_a_rollback_writes_none(self, storage: Storage) -> None:
        draft = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(draft))
        with storage.unit_of_work() as uow:
            uow.dossiers.add(builders.submitted_dossier(seq=7))
        assert _in_unit(storage, lambda uow: list(uow.audit.streams())) == []

    # --- catalog -------------------------------------------------------------------------

    def test_catalog_round_trip(self, storage: Storage) -> None:
        top = builders.agency(AgencyCode("H34"), name="Ủy ban nhân dân tỉnh Kon Tum")
        unit = builders.agency(parent=AgencyCode("H34"))
        field = builders.field()
        procedure = builders.procedure(
            fees=(
                FeeItem(FeeKind.LE_PHI, 50_000, "Lệ phí đăng ký doanh nghiệp"),
                FeeItem(FeeKind.PHI, 100_000, "Phí công bố thông tin", quantity=2),
            ),
            fees_due=FeesDue.AT_RESULT,
        )

        def put_all(uow: UnitOfWork) -> None:
            uow.catalog.put_agency(top)
            uow.catalog.put_agency(unit)
            uow.catalog.put_field(field)
            uow.catalog.put_procedure(procedure)

        _commit(storage, put_all)
        with storage.unit_of_work() as uow:
            assert_same_fields(uow.catalog.get_agency(top.code), top)
            assert_same_fields(uow.catalog.get_agency(unit.code), unit)
            assert_same_fields(uow.catalog.get_field(field.id), field)
            loaded = uow.catalog.get_procedure(procedure.code)
            assert_same_fields(loaded, procedure)
            assert loaded == procedure

    def test_catalog_get_unknown(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            with pytest.raises(AgencyNotFound):
                uow.catalog.get_agency(AgencyCode("H99", 1))
            with pytest.raises(FieldNotFound):
                uow.catalog.get_field("khong-co")
            with pytest.raises(ProcedureNotFound):
                uow.catalog.get_procedure("9.999999")

    def test_catalog_put_replaces(self, storage: Storage) -> None:
        _commit(storage, lambda uow: uow.catalog.put_agency(builders.agency(name="Tên cũ")))
        _commit(storage, lambda uow: uow.catalog.put_agency(builders.agency(name="Tên mới")))
        procedure = builders.procedure(name="Thủ tục cũ")
        _commit(storage, lambda uow: uow.catalog.put_procedure(procedure))
        renamed = builders.procedure(name="Thủ tục mới", working_days=10, home_pickup=False)
        _commit(storage, lambda uow: uow.catalog.put_procedure(renamed))
        _commit(storage, lambda uow: uow.catalog.put_field(builders.field(name="Lĩnh vực cũ")))
        _commit(storage, lambda uow: uow.catalog.put_field(builders.field(name="Lĩnh vực mới")))
        with storage.unit_of_work() as uow:
            assert [a.name for a in uow.catalog.list_agencies()] == ["Tên mới"]
            assert [f.name for f in uow.catalog.list_fields()] == ["Lĩnh vực mới"]
            assert list(uow.catalog.list_procedures()) == [renamed]
            assert_same_fields(uow.catalog.get_procedure(renamed.code), renamed)

    def test_catalog_procedure_needs_its_agency(self, storage: Storage) -> None:
        procedure = builders.procedure(agency=AgencyCode("H99", 1))
        _refused(storage, AgencyNotFound, lambda uow: uow.catalog.put_procedure(procedure))
        with storage.unit_of_work() as uow, pytest.raises(ProcedureNotFound):
            uow.catalog.get_procedure(procedure.code)

    def test_catalog_lists_ordered_and_filtered(self, storage: Storage) -> None:
        agencies = [builders.agency(code) for code in (OTHER_AGENCY, builders.AGENCY)]
        # Codes sort as (level1, level2, ...), not as their text: A01 comes before H34.
        agencies.append(builders.agency(AgencyCode("A01", 9)))
        fields = [builders.field(f) for f in ("y-te", "dat-dai", "giao-duc")]
        procedures = [
            builders.procedure("1.000003", agency=OTHER_AGENCY, field="y-te"),
            builders.procedure("1.000001", field="dat-dai"),
            builders.procedure("1.000002", field="y-te"),
            builders.procedure("2.000001", agency=OTHER_AGENCY, field="dat-dai"),
        ]

        def put_all(uow: UnitOfWork) -> None:
            for agency in agencies:
                uow.catalog.put_agency(agency)
            for field in fields:
                uow.catalog.put_field(field)
            for procedure in procedures:
                uow.catalog.put_procedure(procedure)

        _commit(storage, put_all)
        with storage.unit_of_work() as uow:
            assert [a.code for a in uow.catalog.list_agencies()] == sorted(a.code for a in agencies)
            assert [f.id for f in uow.catalog.list_fields()] == ["dat-dai", "giao-duc", "y-te"]

            def codes(agency: AgencyCode | None = None, field: str | None = None) -> list[str]:
                return [p.code for p in uow.catalog.list_procedures(agency=agency, field=field)]

            assert codes() == ["1.000001", "1.000002", "1.000003", "2.000001"]
            assert codes(agency=OTHER_AGENCY) == ["1.000003", "2.000001"]
            assert codes(field="y-te") == ["1.000002", "1.000003"]
            assert codes(agency=builders.AGENCY, field="dat-dai") == ["1.000001"]
            assert codes(field="giao-duc") == []

    # --- dossiers ------------------------------------------------------------------------

    @pytest.mark.parametrize("kind", ["draft", "submitted", "decided"])
    def test_dossier_round_trip(self, storage: Storage, kind: str) -> None:
        build: Callable[[], Dossier] = {
            "draft": builders.draft_dossier,
            "submitted": lambda: builders.submitted_dossier(idempotency_key="submit-1"),
            "decided": builders.decided_dossier,
        }[kind]
        dossier = build()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        loaded = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert_same_fields(loaded, dossier)
        assert loaded.peek_events() == ()
        code = dossier.code
        if code is not None:
            by_code = _in_unit(storage, lambda uow: uow.dossiers.get_by_code(code))
            assert_same_fields(by_code, dossier)
            assert str(by_code.code) == str(dossier.code)

    @given(dossier=dossiers())
    @_PROPERTY
    def test_dossier_round_trip_generated(self, dossier: Dossier) -> None:
        with self.example_storage() as storage:
            _commit(storage, lambda uow: uow.dossiers.add(dossier))
            assert_same_fields(_in_unit(storage, lambda uow: uow.dossiers.get(dossier.id)), dossier)

    def test_dossier_code_keeps_its_scheme(self, storage: Storage) -> None:
        dossier = builders.draft_dossier()
        code = DossierCode.for_submission(builders.AGENCY, builders.T0, 123_456, SCHEME_WIDE)
        dossier.submit(code=code, now=builders.T0)
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        with storage.unit_of_work() as uow:
            loaded = uow.dossiers.get_by_code(code)
            assert str(loaded.code) == "000.00.03.H34-20220622-123456"

    def test_dossier_code_keeps_its_system_part_and_style(self, storage: Storage) -> None:
        """A centralised-scheme code (TT 04/2025) comes back with its system part; a code
        differing only in the system part is another code."""
        dossier = builders.draft_dossier()
        scheme = SCHEME_2025_CENTRAL.issued_by("07")
        code = DossierCode.for_submission(builders.AGENCY, builders.T0, 10_000, scheme)
        dossier.submit(code=code, now=builders.T0)
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        other_system = attrs.evolve(code, system="05")
        fixed_style = DossierCode(
            builders.AGENCY.written("fixed"), code.day, code.seq, scheme, system="07"
        )
        with storage.unit_of_work() as uow:
            assert str(uow.dossiers.get_by_code(code).code) == "H34.03-220622-0710000"
            assert uow.dossiers.get_by_code(fixed_style).id == dossier.id
            with pytest.raises(DossierNotFound):
                uow.dossiers.get_by_code(other_system)

    def test_code_counter_is_the_same_for_both_id_styles(self, storage: Storage) -> None:
        """The day's counter of a unit continues whichever style its id is written in."""
        fixed = builders.AGENCY.written("fixed")
        left_to_right = builders.AGENCY.written("left_to_right")
        with storage.unit_of_work() as uow:
            assert uow.codes.next(fixed, DAY, maximum=9999) == 1
            assert uow.codes.next(left_to_right, DAY, maximum=9999) == 2
            assert uow.codes.peek(fixed, DAY) == 2
            uow.commit()

    def test_agency_found_by_its_former_id_or_other_style(self, storage: Storage) -> None:
        """An agency that recorded its ids from before a merger is found by any of them."""
        merged = attrs.evolve(
            builders.agency(AgencyCode.parse("H56.14")),
            former_codes=(AgencyCode.parse("000.00.14.H41"),),
        )
        _commit(storage, lambda uow: uow.catalog.put_agency(merged))
        with storage.unit_of_work() as uow:
            for known in ("H56.14", "000.00.14.H56", "H41.14", "000.00.14.H41"):
                assert uow.catalog.get_agency(AgencyCode.parse(known)) == merged
            with pytest.raises(AgencyNotFound):
                uow.catalog.get_agency(AgencyCode.parse("H41.15"))

    def test_dossier_unknown(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            with pytest.raises(DossierNotFound):
                uow.dossiers.get("dossier-missing")
            with pytest.raises(DossierNotFound):
                uow.dossiers.get_by_code(builders.dossier_code(7))
            assert uow.dossiers.find_by_idempotency_key("account-x", "key") is None
            with pytest.raises(DossierNotFound):
                uow.dossiers.delete_draft("dossier-missing")
        _refused(
            storage, DossierNotFound, lambda uow: uow.dossiers.update(builders.draft_dossier())
        )

    def test_dossier_find_by_idempotency_key(self, storage: Storage) -> None:
        dossier = builders.submitted_dossier(idempotency_key="nộp-lần-1")
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        with storage.unit_of_work() as uow:
            found = uow.dossiers.find_by_idempotency_key(dossier.owner_id, "nộp-lần-1")
            assert found is not None
            assert found.id == dossier.id
            assert uow.dossiers.find_by_idempotency_key(dossier.owner_id, "nộp-lần-2") is None
            assert uow.dossiers.find_by_idempotency_key("account-other", "nộp-lần-1") is None

    def test_dossier_duplicate_id(self, storage: Storage) -> None:
        dossier = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        again = builders.draft_dossier(dossier.id)
        _refused(storage, DuplicateError, lambda uow: uow.dossiers.add(again))
        assert _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id)).owner_id == (
            dossier.owner_id
        )

    def test_dossier_duplicate_code(self, storage: Storage) -> None:
        first = builders.submitted_dossier(seq=5)
        _commit(storage, lambda uow: uow.dossiers.add(first))
        second = builders.submitted_dossier(seq=5)
        _refused(storage, DuplicateError, lambda uow: uow.dossiers.add(second))
        with storage.unit_of_work() as uow, pytest.raises(DossierNotFound):
            uow.dossiers.get(second.id)

    def test_dossier_duplicate_code_on_update(self, storage: Storage) -> None:
        first = builders.submitted_dossier(seq=5)
        draft = builders.draft_dossier()

        def add_both(uow: UnitOfWork) -> None:
            uow.dossiers.add(first)
            uow.dossiers.add(draft)

        _commit(storage, add_both)
        loaded = _in_unit(storage, lambda uow: uow.dossiers.get(draft.id))
        loaded.submit(code=builders.dossier_code(5), now=builders.T0)
        _refused(storage, DuplicateError, lambda uow: uow.dossiers.update(loaded))
        assert _in_unit(storage, lambda uow: uow.dossiers.get(draft.id)).code is None

    def test_dossier_duplicate_idempotency_key(self, storage: Storage) -> None:
        first = builders.submitted_dossier(idempotency_key="k-1", seq=1)
        _commit(storage, lambda uow: uow.dossiers.add(first))
        same_owner = builders.submitted_dossier(
            owner_id=first.owner_id, idempotency_key="k-1", seq=2
        )
        _refused(storage, DuplicateError, lambda uow: uow.dossiers.add(same_owner))
        # Another owner may use the same key, and dossiers without a key never collide.
        other_owner = builders.submitted_dossier(idempotency_key="k-1", seq=3)
        no_key = [builders.draft_dossier(owner_id=first.owner_id) for _ in range(2)]

        def add_others(uow: UnitOfWork) -> None:
            uow.dossiers.add(other_owner)
            for draft in no_key:
                uow.dossiers.add(draft)

        _commit(storage, add_others)
        owned = _in_unit(storage, lambda uow: uow.dossiers.list_by_owner(first.owner_id))
        assert sorted(_ids(owned)) == sorted([first.id, *(d.id for d in no_key)])

    def test_dossier_update_bumps_version(self, storage: Storage) -> None:
        dossier = builders.submitted_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
        with storage.unit_of_work() as uow:
            loaded = uow.dossiers.get(dossier.id)
            loaded.request_supplement(
                officer=clerk, now=builders.T0 + dt.timedelta(hours=3), note="Bổ sung bản sao"
            )
            loaded.pull_events()
            uow.dossiers.update(loaded)
            assert loaded.version == 1
            # A unit of work sees its own changes.
            assert uow.dossiers.get(dossier.id).status is DossierStatus.SUPPLEMENT_REQUESTED
            uow.commit()
        stored = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert_same_fields(stored, loaded)
        assert stored.version == 1

    def test_dossier_stale_update(self, storage: Storage) -> None:
        dossier = builders.submitted_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
        later = builders.T0 + dt.timedelta(hours=1)
        first = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        second = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        first.refuse_reception(officer=clerk, now=later, reason="Sai thủ tục")
        _commit(storage, lambda uow: uow.dossiers.update(first))
        second.withdraw(actor=Actor.applicant(dossier.owner_id), now=later, reason="Không cần nữa")
        _refused(storage, ConcurrentUpdate, lambda uow: uow.dossiers.update(second))
        stored = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert stored.status is DossierStatus.RECEPTION_REFUSED
        assert stored.version == 1

    def test_dossier_stale_update_in_one_unit_of_work(self, storage: Storage) -> None:
        dossier = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))

        def update_twice(uow: UnitOfWork) -> None:
            first = uow.dossiers.get(dossier.id)
            second = uow.dossiers.get(dossier.id)
            first.choose_home_pickup("1 Lê Lợi")
            uow.dossiers.update(first)
            second.choose_home_pickup("2 Lê Lợi")
            uow.dossiers.update(second)

        _refused(storage, ConcurrentUpdate, update_twice)
        stored = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert stored.home_pickup_address is None

    def test_delete_draft(self, storage: Storage) -> None:
        draft = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(draft))
        _commit(storage, lambda uow: uow.dossiers.delete_draft(draft.id))
        with storage.unit_of_work() as uow:
            with pytest.raises(DossierNotFound):
                uow.dossiers.get(draft.id)
            assert list(uow.dossiers.list_by_owner(draft.owner_id)) == []

    def test_delete_draft_rolled_back(self, storage: Storage) -> None:
        draft = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(draft))
        with storage.unit_of_work() as uow:
            uow.dossiers.delete_draft(draft.id)
        assert _in_unit(storage, lambda uow: uow.dossiers.get(draft.id)).id == draft.id

    def test_delete_draft_refuses_a_submitted_dossier(self, storage: Storage) -> None:
        dossier = builders.submitted_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        _refused(storage, TransitionNotAllowed, lambda uow: uow.dossiers.delete_draft(dossier.id))
        assert _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id)).code == dossier.code

    def test_referenced_file_keys_sees_drafts_and_submitted_dossiers(
        self, storage: Storage
    ) -> None:
        """Which stored files a dossier references: drafts count, detached files do not."""
        draft = builders.draft_dossier()
        component = draft.procedure.mandatory_components()[0].id
        only_in_draft = builders.file_ref(f"%PDF-1.4 {draft.id}".encode())
        draft.attach(component, only_in_draft)
        submitted = builders.submitted_dossier()
        with storage.unit_of_work() as uow:
            uow.dossiers.add(draft)
            uow.dossiers.add(submitted)
            uow.commit()
        in_draft = {a.file.key for a in draft.attachments}
        in_submitted = {a.file.key for a in submitted.attachments}
        unknown = builders.file_ref(b"never attached").key
        asked = sorted(in_draft | in_submitted | {unknown})

        def referenced(uow: UnitOfWork) -> set[str]:
            return set(uow.dossiers.referenced_file_keys(asked))

        assert only_in_draft.key not in in_submitted
        assert _in_unit(storage, referenced) == in_draft | in_submitted
        assert _in_unit(storage, lambda uow: set(uow.dossiers.referenced_file_keys([]))) == set()

        def detach(uow: UnitOfWork) -> None:
            loaded = uow.dossiers.get(draft.id)
            loaded.detach(component, only_in_draft.key)
            uow.dossiers.update(loaded)

        _commit(storage, detach)
        assert _in_unit(storage, referenced) == (in_draft - {only_in_draft.key}) | in_submitted
        _commit(storage, lambda uow: uow.dossiers.delete_draft(draft.id))
        assert _in_unit(storage, referenced) == in_submitted

    def test_list_by_owner_newest_first(self, storage: Storage) -> None:
        owner = builders.new_id("account")
        times = [builders.T0 + dt.timedelta(hours=h) for h in (2, 0, 5, 2)]
        owned = [
            builders.draft_dossier(f"dossier-{n}", owner_id=owner, now=at)
            for n, at in zip("dbca", times, strict=True)
        ]
        # The same instant in another time zone sorts as that instant.
        owned.append(
            builders.draft_dossier(
                "dossier-e",
                owner_id=owner,
                now=(builders.T0 + dt.timedelta(hours=3)).astimezone(dt.UTC),
            )
        )
        others = builders.draft_dossier()

        def add_all(uow: UnitOfWork) -> None:
            for dossier in [*owned, others]:
                uow.dossiers.add(dossier)

        _commit(storage, add_all)
        listed = _in_unit(storage, lambda uow: uow.dossiers.list_by_owner(owner))
        assert _ids(listed) == ["dossier-c", "dossier-e", "dossier-d", "dossier-a", "dossier-b"]
        assert list(_in_unit(storage, lambda uow: uow.dossiers.list_by_owner("nobody"))) == []

    def test_list_by_agency(self, storage: Storage) -> None:
        clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
        at = [builders.T0 + dt.timedelta(minutes=m) for m in (30, 10, 20)]
        mine = [
            builders.submitted_dossier(f"dossier-{n}", now=when, seq=seq)
            for seq, (n, when) in enumerate(zip("abc", at, strict=True), start=1)
        ]
        mine[2].refuse_reception(officer=clerk, now=at[2] + dt.timedelta(hours=1), reason="Sai")
        draft = builders.draft_dossier("dossier-draft")
        elsewhere = builders.submitted_dossier(
            "dossier-other", procedure=builders.procedure(agency=OTHER_AGENCY)
        )

        def add_all(uow: UnitOfWork) -> None:
            for dossier in [*mine, draft, elsewhere]:
                uow.dossiers.add(dossier)

        _commit(storage, add_all)
        with storage.unit_of_work() as uow:
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY)) == [
                "dossier-b",
                "dossier-c",
                "dossier-a",
            ]
            waiting = frozenset({DossierStatus.AWAITING_RECEPTION})
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY, statuses=waiting)) == [
                "dossier-b",
                "dossier-a",
            ]
            refused = frozenset({DossierStatus.RECEPTION_REFUSED, DossierStatus.DRAFT})
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY, statuses=refused)) == [
                "dossier-c"
            ]
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY, statuses=frozenset())) == []
            assert _ids(uow.dossiers.list_by_agency(OTHER_AGENCY)) == ["dossier-other"]

    # --- payments ------------------------------------------------------------------------

    def test_payment_round_trip(self, storage: Storage) -> None:
        pending = builders.payment()
        settled = builders.payment(amount=1_250_000)
        settled.settle(
            PaymentOutcome.FAILED,
            amount=settled.amount,
            now=builders.T0 + dt.timedelta(minutes=3),
            reason="Thẻ bị từ chối",
        )
        _commit(storage, _adding(pending, settled))
        with storage.unit_of_work() as uow:
            assert_same_fields(uow.payments.get(pending.id), pending)
            assert_same_fields(uow.payments.get(settled.id), settled)
            found = uow.payments.find_by_txn_ref(settled.gateway, settled.txn_ref)
            assert found is not None
            assert_same_fields(found, settled)
            assert uow.payments.find_by_txn_ref("vnpay", settled.txn_ref) is None

    @given(payment=payments())
    @_PROPERTY
    def test_payment_round_trip_generated(self, payment: Payment) -> None:
        with self.example_storage() as storage:
            _commit(storage, lambda uow: uow.payments.add(payment))
            assert_same_fields(_in_unit(storage, lambda uow: uow.payments.get(payment.id)), payment)

    def test_payment_unknown(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow, pytest.raises(PaymentNotFound):
            uow.payments.get("payment-missing")
        _refused(storage, PaymentNotFound, lambda uow: uow.payments.update(builders.payment()))

    def test_payment_duplicates(self, storage: Storage) -> None:
        payment = builders.payment(gateway="vnpay", txn_ref="TXN0001")
        _commit(storage, lambda uow: uow.payments.add(payment))
        same_id = builders.payment(payment.id, gateway="vnpay")
        same_ref = builders.payment(gateway="vnpay", txn_ref="TXN0001")
        _refused(storage, DuplicateError, lambda uow: uow.payments.add(same_id))
        _refused(storage, DuplicateError, lambda uow: uow.payments.add(same_ref))
        other_gateway = builders.payment(gateway="fake", txn_ref="TXN0001")
        _commit(storage, lambda uow: uow.payments.add(other_gateway))
        with storage.unit_of_work() as uow:
            found = uow.payments.find_by_txn_ref("vnpay", "TXN0001")
            assert found is not None
            assert found.id == payment.id
            with pytest.raises(PaymentNotFound):
                uow.payments.get(same_ref.id)

    def test_payment_update_and_stale_update(self, storage: Storage) -> None:
        payment = builders.payment()
        _commit(storage, lambda uow: uow.payments.add(payment))
        first = _in_unit(storage, lambda uow: uow.payments.get(payment.id))
        second = _in_unit(storage, lambda uow: uow.payments.get(payment.id))
        paid_at = builders.T0 + dt.timedelta(minutes=2)
        first.settle(
            PaymentOutcome.PAID, amount=payment.amount, now=paid_at, gateway_transaction_id="1"
        )
        _commit(storage, lambda uow: uow.payments.update(first))
        assert first.version == 1
        second.abandon(now=paid_at)
        _refused(storage, ConcurrentUpdate, lambda uow: uow.payments.update(second))
        stored = _in_unit(storage, lambda uow: uow.payments.get(payment.id))
        assert_same_fields(stored, first)
        assert stored.state is PaymentState.CONFIRMED

    def test_payments_list_by_dossier_oldest_first(self, storage: Storage) -> None:
        dossier_id = builders.new_id("dossier")
        times = [builders.T0 + dt.timedelta(minutes=m) for m in (5, 1, 5, 3)]
        made = [
            builders.payment(f"payment-{n}", dossier_id=dossier_id, created_at=at)
            for n, at in zip("dbca", times, strict=True)
        ]
        other = builders.payment(created_at=builders.T0)

        def add_all(uow: UnitOfWork) -> None:
            for payment in [*made, other]:
                uow.payments.add(payment)

        _commit(storage, add_all)
        listed = _in_unit(storage, lambda uow: uow.payments.list_by_dossier(dossier_id))
        assert _ids(listed) == ["payment-b", "payment-a", "payment-c", "payment-d"]
        assert list(_in_unit(storage, lambda uow: uow.payments.list_by_dossier("none"))) == []

    # --- outbox --------------------------------------------------------------------------

    def test_outbox_round_trip(self, storage: Storage) -> None:
        entry = builders.outbox_entry()
        _commit(storage, lambda uow: uow.outbox.add(entry))
        loaded = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        assert_same_fields(loaded, entry)
        assert loaded.message == entry.message

    @given(entry=outbox_entries())
    @_PROPERTY
    def test_outbox_round_trip_generated(self, entry: OutboxEntry) -> None:
        with self.example_storage() as storage:
            _commit(storage, lambda uow: uow.outbox.add(entry))
            assert_same_fields(_in_unit(storage, lambda uow: uow.outbox.get(entry.id)), entry)

    def test_outbox_unknown_and_duplicate(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.outbox.get("mail-missing")
        entry = builders.outbox_entry()
        _commit(storage, lambda uow: uow.outbox.add(entry))
        again = builders.outbox_entry(entry.id, message=builders.mail_message(to="x@example.vn"))
        _refused(storage, DuplicateError, lambda uow: uow.outbox.add(again))
        assert _in_unit(storage, lambda uow: uow.outbox.get(entry.id)).message == entry.message
        _refused(storage, NotFound, lambda uow: uow.outbox.update(builders.outbox_entry()))

    def test_outbox_list_oldest_first_by_state(self, storage: Storage) -> None:
        times = [builders.T0 + dt.timedelta(minutes=m) for m in (4, 2, 4, 0)]
        entries = [
            builders.outbox_entry(f"mail-{n}", created_at=at)
            for n, at in zip("dbca", times, strict=True)
        ]
        entries[0].claim("w", now=builders.T0, lease=LEASE)
        entries[0].mark_sent(now=builders.T0)
        _commit(storage, _adding(*entries))
        with storage.unit_of_work() as uow:
            assert _ids(uow.outbox.list()) == ["mail-a", "mail-b", "mail-c", "mail-d"]
            assert _ids(uow.outbox.list(state=OutboxState.PENDING)) == [
                "mail-a",
                "mail-b",
                "mail-c",
            ]
            assert _ids(uow.outbox.list(state=OutboxState.SENT)) == ["mail-d"]
            assert _ids(uow.outbox.list(state=OutboxState.FAILED)) == []

    def test_outbox_update_and_stale_update(self, storage: Storage) -> None:
        entry = builders.outbox_entry()
        _commit(storage, lambda uow: uow.outbox.add(entry))
        first = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        second = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        first.claim("worker-1", now=builders.T0, lease=LEASE)
        _commit(storage, lambda uow: uow.outbox.update(first))
        assert first.version == 1
        second.claim("worker-2", now=builders.T0, lease=LEASE)
        _refused(storage, ConcurrentUpdate, lambda uow: uow.outbox.update(second))
        stored = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        assert_same_fields(stored, first)
        assert stored.claimed_by == "worker-1"

    def test_claim_due_takes_due_entries_oldest_first(self, storage: Storage) -> None:
        now = builders.T0 + dt.timedelta(hours=1)
        due = [
            builders.outbox_entry("mail-3", created_at=builders.T0 + dt.timedelta(minutes=3)),
            builders.outbox_entry("mail-1", created_at=builders.T0 + dt.timedelta(minutes=1)),
            builders.outbox_entry(
                "mail-2",
                created_at=builders.T0 + dt.timedelta(minutes=2),
                next_attempt_at=now,
            ),
            builders.outbox_entry("mail-0", created_at=builders.T0),
        ]
        later = builders.outbox_entry(
            "mail-later", created_at=builders.T0 - dt.timedelta(days=1), next_attempt_at=now + LEASE
        )
        sent = builders.outbox_entry("mail-sent", created_at=builders.T0 - dt.timedelta(days=2))
        sent.claim("w", now=builders.T0, lease=LEASE)
        sent.mark_sent(now=builders.T0)
        lapsed = builders.outbox_entry(
            "mail-lapsed", created_at=builders.T0 + dt.timedelta(minutes=9)
        )
        lapsed.claim("dead-worker", now=now - 2 * LEASE, lease=LEASE)
        held = builders.outbox_entry("mail-held", created_at=builders.T0 - dt.timedelta(days=3))
        held.claim("live-worker", now=now, lease=LEASE)
        _commit(storage, _adding(*due, later, sent, lapsed, held))

        with storage.unit_of_work() as uow:
            claimed = uow.outbox.claim_due(worker="worker-a", now=now, lease=LEASE, limit=3)
            assert _ids(claimed) == ["mail-0", "mail-1", "mail-2"]
            for entry in claimed:
                assert entry.state is OutboxState.CLAIMED
                assert entry.claimed_by == "worker-a"
                assert entry.claimed_until == now + LEASE
                assert entry.attempts == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            rest = uow.outbox.claim_due(worker="worker-b", now=now, lease=LEASE, limit=10)
            assert _ids(rest) == ["mail-3", "mail-lapsed"]
            assert rest[1].attempts == 2
            uow.commit()
        with storage.unit_of_work() as uow:
            stored = uow.outbox.get("mail-1")
            assert stored.claimed_by == "worker-a"
            assert stored.version == 1
            assert uow.outbox.claim_due(worker="worker-c", now=now, lease=LEASE, limit=10) == []
            # Once the first claims lapse, they are due again.
            again = uow.outbox.claim_due(
                worker="worker-c", now=now + 2 * LEASE, lease=LEASE, limit=10
            )
            assert _ids(again) == [
                "mail-held",
                "mail-later",
                "mail-0",
                "mail-1",
                "mail-2",
                "mail-3",
                "mail-lapsed",
            ]

    def test_claim_due_rolled_back(self, storage: Storage) -> None:
        entry = builders.outbox_entry()
        _commit(storage, lambda uow: uow.outbox.add(entry))
        with storage.unit_of_work() as uow:
            assert len(uow.outbox.claim_due(worker="w", now=builders.T0, lease=LEASE, limit=5)) == 1
        stored = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        assert stored.state is OutboxState.PENDING
        assert stored.version == 0

    def test_two_claimers_never_share_an_entry(self, storage: Storage) -> None:
        entries = [
            builders.outbox_entry(f"mail-{n}", created_at=builders.T0 + dt.timedelta(seconds=n))
            for n in range(5)
        ]
        _commit(storage, _adding(*entries))
        now = builders.T0 + dt.timedelta(minutes=1)
        if not self.interleaved_writers:
            # One writer at a time: the second claimer comes after the first has committed.
            with storage.unit_of_work() as first:
                mine = first.outbox.claim_due(worker="a", now=now, lease=LEASE, limit=3)
                first.commit()
            with storage.unit_of_work() as second:
                theirs = second.outbox.claim_due(worker="b", now=now, lease=LEASE, limit=3)
                second.commit()
            assert _ids(mine) == ["mail-0", "mail-1", "mail-2"]
            assert _ids(theirs) == ["mail-3", "mail-4"]
        else:
            with storage.unit_of_work() as first, storage.unit_of_work() as second:
                mine = first.outbox.claim_due(worker="a", now=now, lease=LEASE, limit=3)
                theirs = second.outbox.claim_due(worker="b", now=now, lease=LEASE, limit=3)
                assert _ids(mine) == ["mail-0", "mail-1", "mail-2"]
                assert _ids(theirs) == ["mail-3", "mail-4"]
                second.commit()
                first.commit()
        claimed = _in_unit(storage, lambda uow: uow.outbox.list(state=OutboxState.CLAIMED))
        assert {e.id: e.claimed_by for e in claimed} == {
            "mail-0": "a",
            "mail-1": "a",
            "mail-2": "a",
            "mail-3": "b",
            "mail-4": "b",
        }

    def test_concurrent_claimers_from_threads(self, storage: Storage) -> None:
        entries = [
            builders.outbox_entry(f"mail-{n:03d}", created_at=builders.T0 + dt.timedelta(seconds=n))
            for n in range(40)
        ]
        _commit(storage, _adding(*entries))
        now = builders.T0 + dt.timedelta(hours=1)
        start = threading.Barrier(4, timeout=60)

        def claim_all(worker: str) -> list[str]:
            start.wait()
            got: list[str] = []
            while True:
                with storage.unit_of_work() as uow:
                    claimed = uow.outbox.claim_due(worker=worker, now=now, lease=LEASE, limit=3)
                    uow.commit()
                if not claimed:
                    return got
                got.extend(_ids(claimed))

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(claim_all, [f"worker-{n}" for n in range(4)]))
        everything = [entry_id for got in results for entry_id in got]
        assert sorted(everything) == sorted(_ids(entries)), "an entry was claimed twice or never"
        stored = _in_unit(storage, lambda uow: uow.outbox.list())
        owner = {entry_id: f"worker-{n}" for n, got in enumerate(results) for entry_id in got}
        for entry in stored:
            assert entry.state is OutboxState.CLAIMED
            assert entry.attempts == 1
            assert entry.claimed_by == owner[entry.id]

    # --- code sequences ------------------------------------------------------------------

    # --- sync outbox (national portal) --------------------------------------------------

    def test_sync_round_trip_and_duplicates(self, storage: Storage) -> None:
        entry = _sync_entry("s-1", "d-1", 1)
        _commit(storage, lambda uow: uow.sync.add(entry))
        loaded = _in_unit(storage, lambda uow: uow.sync.get("s-1"))
        assert_same_fields(loaded, entry)
        assert loaded.record == entry.record
        assert loaded.progress == entry.progress
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.sync.get("s-missing")
        _refused(storage, DuplicateError, lambda uow: uow.sync.add(_sync_entry("s-1", "d-9", 1)))
        caught = _refused(
            storage, DuplicateError, lambda uow: uow.sync.add(_sync_entry("s-2", "d-1", 1))
        )
        assert getattr(caught.value, "field", None) == "sync_entry.sequence"

    def test_sync_last_for_and_list(self, storage: Storage) -> None:
        _commit(
            storage,
            _adding_sync(
                _sync_entry("a-1", "d-a", 1, minutes=0),
                _sync_entry("b-1", "d-b", 1, minutes=1),
                _sync_entry("a-2", "d-a", 2, minutes=2),
            ),
        )
        with storage.unit_of_work() as uow:
            last = uow.sync.last_for("d-a")
            assert last is not None
            assert last.id == "a-2"
            assert uow.sync.last_for("d-none") is None
            assert _ids(uow.sync.list()) == ["a-1", "b-1", "a-2"]
            assert _ids(uow.sync.list(dossier_id="d-a")) == ["a-1", "a-2"]
            assert _ids(uow.sync.list(state=SyncState.SENT)) == []
            assert uow.sync.sent_dossier_ids(["d-a", "d-b"]) == set()

    def test_sync_claims_one_entry_per_dossier_in_sequence(self, storage: Storage) -> None:
        _commit(
            storage,
            _adding_sync(
                _sync_entry("a-1", "d-a", 1, minutes=0),
                _sync_entry("a-2", "d-a", 2, minutes=1),
                _sync_entry("b-1", "d-b", 1, minutes=2),
            ),
        )
        now = builders.T0 + dt.timedelta(hours=1)
        with storage.unit_of_work() as uow:
            claimed = uow.sync.claim_due(worker="w", now=now, lease=LEASE, limit=10)
            uow.commit()
        assert _ids(claimed) == ["a-1", "b-1"]
        assert all(e.state is SyncState.CLAIMED and e.attempts == 1 for e in claimed)
        with storage.unit_of_work() as uow:
            # a-1's claim holds: a-2 must wait behind it.
            assert list(uow.sync.claim_due(worker="v", now=now, lease=LEASE, limit=10)) == []
            first = uow.sync.get("a-1")
            first.mark_sent(now=now)
            uow.sync.update(first)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert _ids(uow.sync.claim_due(worker="v", now=now, lease=LEASE, limit=10)) == ["a-2"]
            assert uow.sync.sent_dossier_ids(["d-a", "d-b"]) == {"d-a"}

    def test_sync_waiting_or_stuck_entry_holds_back_its_dossier_only(
        self, storage: Storage
    ) -> None:
        _commit(
            storage,
            _adding_sync(
                _sync_entry("a-1", "d-a", 1, minutes=0),
                _sync_entry("a-2", "d-a", 2, minutes=1),
                _sync_entry("b-1", "d-b", 1, minutes=2),
                _sync_entry("b-2", "d-b", 2, minutes=3),
            ),
        )
        now = builders.T0 + dt.timedelta(hours=1)
        with storage.unit_of_work() as uow:
            a1, b1 = uow.sync.claim_due(worker="w", now=now, lease=LEASE, limit=10)
            a1.mark_retry(error="500", next_attempt_at=now + dt.timedelta(hours=1))
            b1.give_up(error="refused")
            uow.sync.update(a1)
            uow.sync.update(b1)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.sync.claim_due(worker="w", now=now, lease=LEASE, limit=10)) == []
            assert _ids(uow.sync.list(state=SyncState.NEEDS_ATTENTION)) == ["b-1"]
        later = now + dt.timedelta(hours=2)
        with storage.unit_of_work() as uow:
            assert _ids(uow.sync.claim_due(worker="w", now=later, lease=LEASE, limit=10)) == ["a-1"]
            stuck = uow.sync.get("b-1")
            stuck.retry(now=later)
            uow.sync.update(stuck)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert _ids(uow.sync.claim_due(worker="w", now=later, lease=LEASE, limit=10)) == ["b-1"]

    def test_sync_lapsed_claim_is_claimed_again_and_rollback_keeps_nothing(
        self, storage: Storage
    ) -> None:
        _commit(storage, _adding_sync(_sync_entry("a-1", "d-a", 1)))
        now = builders.T0 + dt.timedelta(hours=1)
        with storage.unit_of_work() as uow:
            assert len(uow.sync.claim_due(worker="w", now=now, lease=LEASE, limit=5)) == 1
        assert _in_unit(storage, lambda uow: uow.sync.get("a-1")).state is SyncState.PENDING
        with storage.unit_of_work() as uow:
            uow.sync.claim_due(worker="dead", now=now, lease=LEASE, limit=5)
            uow.commit()
        with storage.unit_of_work() as uow:
            again = uow.sync.claim_due(worker="w", now=now + LEASE, lease=LEASE, limit=5)
            assert [(e.id, e.claimed_by, e.attempts) for e in again] == [("a-1", "w", 2)]

    def test_concurrent_sync_claimers_keep_each_dossier_in_order(self, storage: Storage) -> None:
        """Four workers claim and send at once: each entry once, each dossier in sequence."""
        entries = [
            _sync_entry(f"d{d:02d}-{n}", f"d{d:02d}", n, minutes=d * 3 + n)
            for d in range(12)
            for n in (1, 2, 3)
        ]
        _commit(storage, _adding_sync(*entries))
        now = builders.T0 + dt.timedelta(days=1)
        start = threading.Barrier(4, timeout=60)
        clock = itertools.count()
        events: list[tuple[int, str, str]] = []  # (tick, "claimed" | "sent", entry id)
        lock = threading.Lock()

        def note(what: str, entry_id: str) -> None:
            with lock:
                events.append((next(clock), what, entry_id))

        def work(worker: str) -> None:
            start.wait()
            idle = 0
            while idle < 3:
                with storage.unit_of_work() as uow:
                    claimed = uow.sync.claim_due(worker=worker, now=now, lease=LEASE, limit=3)
                    uow.commit()
                for entry in claimed:
                    note("claimed", entry.id)
                if not claimed:
                    idle += 1
                    time.sleep(0.01)
                    continue
                idle = 0
                for entry in claimed:
                    with storage.unit_of_work() as uow:
                        entry.mark_sent(now=now)
                        uow.sync.update(entry)
                        # Noted before the commit: no claim of the next can come before it.
                        note("sent", entry.id)
                        uow.commit()

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(work, [f"worker-{n}" for n in range(4)]))
        claims = [entry_id for _, what, entry_id in events if what == "claimed"]
        assert sorted(claims) == sorted(_ids(entries)), "an entry was claimed twice or never"
        tick = {(what, entry_id): t for t, what, entry_id in events}
        for d in range(12):
            for n in (2, 3):
                earlier_sent = tick[("sent", f"d{d:02d}-{n - 1}")]
                assert tick[("claimed", f"d{d:02d}-{n}")] > earlier_sent, "overtaken"
        stored = _in_unit(storage, lambda uow: uow.sync.list())
        assert all(e.state is SyncState.SENT and e.attempts == 1 for e in stored)

    def test_code_sequence_counts_per_agency_and_day(self, storage: Storage) -> None:
        next_day = DAY + dt.timedelta(days=1)
        with storage.unit_of_work() as uow:
            assert uow.codes.peek(builders.AGENCY, DAY) == 0
            assert [uow.codes.next(builders.AGENCY, DAY, maximum=9999) for _ in range(3)] == [
                1,
                2,
                3,
            ]
            assert uow.codes.next(OTHER_AGENCY, DAY, maximum=9999) == 1
            assert uow.codes.next(builders.AGENCY, next_day, maximum=9999) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.codes.peek(builders.AGENCY, DAY) == 3
            assert uow.codes.peek(OTHER_AGENCY, DAY) == 1
            assert uow.codes.peek(builders.AGENCY, next_day) == 1
            assert uow.codes.peek(OTHER_AGENCY, next_day) == 0
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 4
            uow.commit()
        assert _in_unit(storage, lambda uow: uow.codes.peek(builders.AGENCY, DAY)) == 4

    def test_code_sequence_rollback_gives_the_number_back(self, storage: Storage) -> None:
        _commit(storage, lambda uow: uow.codes.next(builders.AGENCY, DAY, maximum=9999))
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 2
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 2
            uow.rollback()
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 2
            uow.commit()
        assert _in_unit(storage, lambda uow: uow.codes.peek(builders.AGENCY, DAY)) == 2

    def test_code_sequence_exhausted(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=2) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=2) == 2
            with pytest.raises(CodeSequenceExhausted) as caught:
                uow.codes.next(builders.AGENCY, DAY, maximum=2)
            assert caught.value.maximum == 2
            assert caught.value.day == DAY
        # Another agency, or another day, still has numbers.
        with storage.unit_of_work() as uow:
            assert uow.codes.next(OTHER_AGENCY, DAY, maximum=2) == 1
            assert uow.codes.next(builders.AGENCY, DAY + dt.timedelta(days=1), maximum=2) == 1

    def test_concurrent_submissions_get_unique_gap_free_numbers(self, storage: Storage) -> None:
        start = threading.Barrier(self.threads, timeout=60)

        def submit_some(_: int) -> list[int]:
            start.wait()
            numbers = []
            for _ in range(self.per_thread):
                code = _submitted(storage).code
                assert code is not None
                numbers.append(code.seq)
            return numbers

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            numbers = [n for got in pool.map(submit_some, range(self.threads)) for n in got]
        total = self.threads * self.per_thread
        assert sorted(numbers) == list(range(1, total + 1))
        with storage.unit_of_work() as uow:
            assert uow.codes.peek(builders.AGENCY, DAY) == total
            listed = uow.dossiers.list_by_agency(builders.AGENCY)
            assert sorted(d.code.seq for d in listed if d.code is not None) == sorted(numbers)

    # --- tokens --------------------------------------------------------------------------

    def test_token_consumed_once(self, storage: Storage) -> None:
        _commit(storage, lambda uow: uow.tokens.consume("jti-1", now=builders.T0))
        _refused(storage, DuplicateError, lambda uow: uow.tokens.consume("jti-1", now=builders.T0))
        _commit(storage, lambda uow: uow.tokens.consume("jti-2", now=builders.T0))

        def twice(uow: UnitOfWork) -> None:
            uow.tokens.consume("jti-3", now=builders.T0)
            uow.tokens.consume("jti-3", now=builders.T0)

        _refused(storage, DuplicateError, twice)
        _commit(storage, lambda uow: uow.tokens.consume("jti-3", now=builders.T0))

    def test_token_rollback_unconsumes(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            uow.tokens.consume("jti-1", now=builders.T0)
            uow.rollback()
            uow.tokens.consume("jti-1", now=builders.T0)
        _commit(storage, lambda uow: uow.tokens.consume("jti-1", now=builders.T0))

    # --- units of work -------------------------------------------------------------------

    def _write_everything(self, uow: UnitOfWork) -> Dossier:
        """A submission's writes: a number, a dossier, a mail and a used token."""
        seq = uow.codes.next(builders.AGENCY, DAY, maximum=9999)
        dossier = builders.submitted_dossier("dossier-x", seq=seq)
        uow.dossiers.add(dossier)
        uow.outbox.add(builders.outbox_entry("mail-x"))
        uow.tokens.consume("jti-x", now=builders.T0)
        uow.accounts.add(builders.account("account-x"))
        uow.payments.add(builders.payment("payment-x", dossier_id="dossier-x"))
        return dossier

    def _assert_no_trace(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            with pytest.raises(DossierNotFound):
                uow.dossiers.get("dossier-x")
            with pytest.raises(DossierNotFound):
                uow.dossiers.get_by_code(builders.dossier_code(1))
            with pytest.raises(NotFound):
                uow.outbox.get("mail-x")
            assert list(uow.outbox.list()) == []
            with pytest.raises(AccountNotFound):
                uow.accounts.get("account-x")
            with pytest.raises(PaymentNotFound):
                uow.payments.get("payment-x")
            assert uow.codes.peek(builders.AGENCY, DAY) == 0
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 1
            uow.tokens.consume("jti-x", now=builders.T0)
            uow.commit()

    def test_leaving_without_commit_leaves_no_trace(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            self._write_everything(uow)
        self._assert_no_trace(storage)

    def test_exception_leaves_no_trace(self, storage: Storage) -> None:
        class Boom(Exception):
            pass

        with pytest.raises(Boom), storage.unit_of_work() as uow:  # noqa: PT012
            self._write_everything(uow)
            raise Boom
        self._assert_no_trace(storage)

    def test_rollback_leaves_no_trace(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            self._write_everything(uow)
            uow.rollback()
        self._assert_no_trace(storage)

    def test_commit_makes_everything_visible(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            dossier = self._write_everything(uow)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert_same_fields(uow.dossiers.get("dossier-x"), dossier)
            assert uow.outbox.get("mail-x").id == "mail-x"
            assert uow.accounts.get("account-x").id == "account-x"
            assert _ids(uow.payments.list_by_dossier("dossier-x")) == ["payment-x"]
            assert uow.codes.peek(builders.AGENCY, DAY) == 1
            with pytest.raises(DuplicateError):  # noqa: PT012
                uow.tokens.consume("jti-x", now=builders.T0)
                uow.commit()

    def test_a_unit_of_work_sees_its_own_writes(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            dossier = self._write_everything(uow)
            assert uow.dossiers.get(dossier.id).id == dossier.id
            assert dossier.code is not None
            assert uow.dossiers.get_by_code(dossier.code).id == dossier.id
            assert _ids(uow.dossiers.list_by_owner(dossier.owner_id)) == [dossier.id]
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY)) == [dossier.id]
            assert _ids(uow.outbox.list()) == ["mail-x"]
            assert uow.accounts.get("account-x").id == "account-x"
            assert uow.payments.get("payment-x").id == "payment-x"

    def test_uncommitted_writes_are_invisible_to_others(self, storage: Storage) -> None:
        with storage.unit_of_work() as writer:
            writer.accounts.add(builders.account("account-x"))
            writer.outbox.add(builders.outbox_entry("mail-x"))
            with storage.unit_of_work() as reader:
                with pytest.raises(AccountNotFound):
                    reader.accounts.get("account-x")
                assert list(reader.outbox.list()) == []
            writer.commit()
        assert _in_unit(storage, lambda uow: uow.accounts.get("account-x")).id == "account-x"

    def test_unit_of_work_goes_on_after_commit(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            uow.accounts.add(builders.account("account-1"))
            uow.commit()
            uow.accounts.add(builders.account("account-2"))
            uow.commit()
            uow.accounts.add(builders.account("account-3"))
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("account-1").id == "account-1"
            assert uow.accounts.get("account-2").id == "account-2"
            with pytest.raises(AccountNotFound):
                uow.accounts.get("account-3")

    def test_failed_commit_changes_nothing(self, storage: Storage) -> None:
        taken = builders.account(email="an@example.vn")
        _commit(storage, lambda uow: uow.accounts.add(taken))

        def write(uow: UnitOfWork) -> None:
            uow.outbox.add(builders.outbox_entry("mail-x"))
            uow.codes.next(builders.AGENCY, DAY, maximum=9999)
            uow.accounts.add(builders.account(email="an@example.vn"))

        _refused(storage, DuplicateError, write)
        with storage.unit_of_work() as uow:
            assert list(uow.outbox.list()) == []
            assert uow.codes.peek(builders.AGENCY, DAY) == 0

    @given(units=st.lists(_UNITS, min_size=1, max_size=12))
    @_PROPERTY
    def test_random_units_of_work_match_a_model(self, units: list[_Unit]) -> None:
        """Sequences of units of work, each committed, rolled back, left or failed."""
        with self.example_storage() as storage:
            model = _Model()
            for ops, ending in units:
                model.run(storage, ops, ending)
                model.check(storage)

    def test_submission_with_vietnamese_time_zone_day(self, storage: Storage) -> None:
        # 23:30 UTC on 21 June is 06:30 on 22 June in Vietnam: the code carries 22 June.
        late = dt.datetime(2022, 6, 21, 23, 30, tzinfo=dt.UTC)
        dossier = _submitted(storage, now=late)
        assert dossier.code is not None
        assert dossier.code.day == dt.date(2022, 6, 22)
        code = dossier.code
        loaded = _in_unit(storage, lambda uow: uow.dossiers.get_by_code(code))
        assert loaded.submitted_at == late
        assert loaded.code is not None
        assert loaded.code.day == dt.date(2022, 6, 22)


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
