"""Storage contract: units of work (atomicity, isolation, a random model)."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Literal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.codes import AgencyCode
from onestop.domain.dossier import Dossier
from onestop.errors import (
    AccountNotFound,
    CodeSequenceExhausted,
    DossierNotFound,
    DuplicateError,
    NotFound,
    PaymentNotFound,
)
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._storage_base import (
    _PROPERTY,
    DAY,
    OTHER_AGENCY,
    StorageContractBase,
    _commit,
    _ids,
    _in_unit,
    _refused,
    _submitted,
)
from onestop.testing.contracts._support import (
    assert_same_fields,
)

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


class UnitOfWorkStorageContract(StorageContractBase):
    """Units of work; part of :class:`StorageContract`."""

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
