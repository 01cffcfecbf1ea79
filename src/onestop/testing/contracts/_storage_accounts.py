"""Storage contract: accounts, officers and used tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given

from onestop.domain.accounts import Account, AccountStatus, OfficerRole
from onestop.domain.codes import AgencyCode
from onestop.domain.national_identity import NationalIdentity
from onestop.errors import (
    AccountNotFound,
    ConcurrentUpdate,
    DuplicateError,
    OfficerNotFound,
)
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._storage_base import (
    _PROPERTY,
    OTHER_AGENCY,
    StorageContractBase,
    _adding,
    _commit,
    _ids,
    _in_unit,
    _refused,
)
from onestop.testing.contracts._support import (
    accounts,
    assert_same_fields,
)


def _identity(subject: str) -> NationalIdentity:
    return NationalIdentity.vouched(subject, "https://sso.example.vn", 2, None, builders.T0)


class AccountStorageContract(StorageContractBase):
    """Accounts, officers and tokens; part of :class:`StorageContract`."""

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
            if account.national_identity is not None:
                subject = account.national_identity.subject
                found = _in_unit(
                    storage, lambda uow: uow.accounts.find_by_national_subject(subject)
                )
                assert found is not None
                assert found.id == account.id

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

    def test_account_national_subject_is_unique(self, storage: Storage) -> None:
        first, second = builders.account(), builders.account()
        first.link_national_identity(_identity("vneid-same"))
        _commit(storage, _adding(first, second))  # accounts without one never clash
        with storage.unit_of_work() as uow:
            found = uow.accounts.find_by_national_subject("vneid-same")
            assert found is not None
            assert found.id == first.id
            assert found.national_identity == first.national_identity
            assert uow.accounts.find_by_national_subject("vneid-other") is None
        twin = builders.account()
        twin.link_national_identity(_identity("vneid-same"))
        _refused(storage, DuplicateError, lambda uow: uow.accounts.add(twin))
        loaded = _in_unit(storage, lambda uow: uow.accounts.get(second.id))
        loaded.link_national_identity(_identity("vneid-same"))
        _refused(storage, DuplicateError, lambda uow: uow.accounts.update(loaded))
        # Unlinked, the subject is free for another account.
        owner = _in_unit(storage, lambda uow: uow.accounts.get(first.id))
        owner.unlink_national_identity()
        _commit(storage, lambda uow: uow.accounts.update(owner))
        loaded = _in_unit(storage, lambda uow: uow.accounts.get(second.id))
        loaded.link_national_identity(_identity("vneid-same"))
        _commit(storage, lambda uow: uow.accounts.update(loaded))
        found = _in_unit(storage, lambda uow: uow.accounts.find_by_national_subject("vneid-same"))
        assert found is not None
        assert found.id == second.id

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
