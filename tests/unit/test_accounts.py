"""Applicants, accounts (verification, login lock, administration) and officers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from onestop.domain import events as ev
from onestop.domain.accounts import (
    DEFAULT_LOCK_FOR,
    DEFAULT_MAX_FAILED_LOGINS,
    Account,
    AccountKind,
    AccountStatus,
    Applicant,
    Officer,
)
from onestop.domain.codes import AgencyCode
from onestop.errors import (
    AccountLocked,
    AccountNotVerified,
    InvalidIdentity,
    InvalidInput,
    NaiveDatetime,
    OnestopError,
)
from tests.strategies.codes import agency_codes
from tests.strategies.hostile_domain import anything, calls_answer_or_refuse, hostile_text
from tests.strategies.people import (
    applicants,
    citizen_accounts,
    mobile_numbers,
    officers,
    phone_spellings,
    utc_instants,
)

NOW = dt.datetime(2022, 6, 22, 2, 30, tzinfo=dt.UTC)
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"


def _citizen(**overrides: Any) -> Account:
    arguments: dict[str, Any] = {
        "id": "acc-1",
        "email": "An.Nguyen@Example.VN",
        "password_hash": HASH,
        "full_name": "Nguyễn Văn An",
        "now": NOW,
    }
    return Account.register_citizen(**{**arguments, **overrides})


def _verified_citizen() -> Account:
    account = _citizen()
    account.verify(NOW)
    return account


# --- applicant -----------------------------------------------------------------------------


def test_applicant_create_normalises_every_detail() -> None:
    """Phone, email, names and ids come out in canonical form; blanks become None."""
    applicant = Applicant.create(
        "  Nguyễn Trung Hiếu ",
        " NTHieu.STC@KonTum.gov.vn ",
        phone="+84 912 345 678",
        address=" 01 Trần Hưng Đạo, Kon Tum ",
        date_of_birth=dt.date(1999, 3, 4),
        id_number=" 062099012345 ",
        id_issued_by="",
        organisation_name="   ",
        tax_code=None,
    )
    assert applicant == Applicant(
        full_name="Nguyễn Trung Hiếu",
        email="nthieu.stc@kontum.gov.vn",
        phone="0912345678",
        address="01 Trần Hưng Đạo, Kon Tum",
        date_of_birth=dt.date(1999, 3, 4),
        id_number="062099012345",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"full_name": " "}, "full_name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "0212345678"}, "phone"),
        ({"address": "line\nbreak"}, "address"),
        ({"id_number": "1234"}, "id_number"),
        ({"id_number": "003099012345"}, "id_number.province"),
        (
            {"id_number": "062098012345", "date_of_birth": dt.date(1999, 1, 1)},
            "id_number.birth_year",
        ),
        ({"id_number": "062299012345", "date_of_birth": dt.date(1999, 1, 1)}, "id_number.century"),
        ({"date_of_birth": dt.datetime(1999, 1, 1, tzinfo=dt.UTC)}, "date_of_birth"),
        ({"organisation_name": "Công ty A", "tax_code": "123"}, "tax_code"),
        ({"tax_code": "0101234567"}, "organisation_name"),
        ({"id_issued_by": "x" * 201}, "id_issued_by"),
    ],
)
def test_applicant_errors_name_the_field(changes: dict[str, Any], field: str) -> None:
    """Every refused detail is reported under its own name (and part)."""
    details: dict[str, Any] = {"full_name": "Nguyễn Văn An", "email": "an@example.vn", **changes}
    with pytest.raises(InvalidIdentity) as caught:
        Applicant.create(**details)
    assert caught.value.field == field


@given(applicants())
def test_creating_an_applicant_from_its_own_details_changes_nothing(applicant: Applicant) -> None:
    """create() is idempotent: canonical details stay as they are."""
    assert Applicant.create(**attrs.asdict(applicant)) == applicant
    assert applicant.with_changes() == applicant


@given(applicants(), mobile_numbers(), st.data())
def test_with_changes_normalises_the_new_details(
    applicant: Applicant, phone: str, data: st.DataObject
) -> None:
    """An edited phone is normalised like a new one, the rest kept."""
    changed = applicant.with_changes(phone=data.draw(phone_spellings(phone)))
    assert changed.phone == phone
    assert attrs.evolve(changed, phone=applicant.phone) == applicant


@given(applicants())
def test_with_changes_checks_the_details_again(applicant: Applicant) -> None:
    """A bad edit is refused with the field named; clearing an optional detail is allowed."""
    with pytest.raises(InvalidIdentity) as caught:
        applicant.with_changes(email="nobody")
    assert caught.value.field == "email"
    assert applicant.with_changes(phone="").phone is None


def test_with_changes_rechecks_the_id_against_a_new_birth_date() -> None:
    """Changing the birth date alone makes a CCCD that no longer agrees fail."""
    applicant = Applicant.create(
        "Lê Thị Hoa", "hoa@example.vn", date_of_birth=dt.date(2001, 5, 6), id_number="001301000001"
    )
    with pytest.raises(InvalidIdentity) as caught:
        applicant.with_changes(date_of_birth=dt.date(1999, 5, 6))
    assert caught.value.field == "id_number.century"


def test_with_changes_refuses_unknown_details() -> None:
    """A misspelt detail is refused with InvalidInput naming it, not silently ignored."""
    applicant = Applicant.create("Lê Thị Hoa", "hoa@example.vn")
    with pytest.raises(InvalidInput, match="fullname") as caught:
        applicant.with_changes(fullname="X")
    assert caught.value.field == "fullname"


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"full_name": "", "email": "a@b.vn"}, "full_name"),
        ({"full_name": "A", "email": "nobody"}, "email"),
        ({"full_name": "A", "email": "a@b.vn", "phone": ""}, "phone"),
        ({"full_name": "A", "email": "a@b.vn", "tax_code": " "}, "tax_code"),
    ],
)
def test_applicant_invariants_hold_even_when_built_directly(
    details: dict[str, Any], field: str
) -> None:
    """Direct construction still refuses empty names and "" for absent details."""
    with pytest.raises(InvalidIdentity) as caught:
        Applicant(**details)
    assert caught.value.field == field


# --- registration and verification ---------------------------------------------------------


def test_a_citizen_registers_waiting_for_verification() -> None:
    """A new account has a normalised email, a profile, and cannot log in yet."""
    account = _citizen(phone="0912 345 678", id_number="123456789")
    assert account.kind is AccountKind.CITIZEN
    assert account.status is AccountStatus.AWAITING_VERIFICATION
    assert account.email == account.profile.email == "an.nguyen@example.vn"
    assert account.profile.phone == "0912345678"
    assert account.profile.id_number == "123456789"
    assert (account.created_at, account.verified_at, account.failed_logins) == (NOW, None, 0)
    assert not account.can_log_in(NOW)
    with pytest.raises(AccountNotVerified):
        account.check_can_log_in(NOW)
    assert account.pull_events() == [ev.AccountRegistered(NOW, "acc-1")]
    assert account.pull_events() == []


def test_an_organisation_registers_with_its_tax_code() -> None:
    """The representative is the applicant; the organisation's name and tax code are kept."""
    account = Account.register_organisation(
        "org-1",
        "office@congty.vn",
        HASH,
        "Công ty TNHH Một Thành Viên A",
        "0101234567-001",
        "Trần Văn Bình",
        NOW,
        phone="+84987654321",
    )
    assert account.kind is AccountKind.ORGANISATION
    assert account.profile.full_name == "Trần Văn Bình"
    assert account.profile.organisation_name == "Công ty TNHH Một Thành Viên A"
    assert account.profile.tax_code == "0101234567-001"
    assert account.profile.phone == "0987654321"


@pytest.mark.parametrize("tax_code", ["", "  ", "12345", "0101234567-1"])
def test_an_organisation_needs_a_valid_tax_code(tax_code: str) -> None:
    """Registration without a valid tax code is refused as tax_code."""
    with pytest.raises(InvalidIdentity) as caught:
        Account.register_organisation(
            "org-1", "office@congty.vn", HASH, "Công ty A", tax_code, "Trần Văn Bình", NOW
        )
    assert caught.value.field == "tax_code"


def test_registration_refuses_a_naive_now() -> None:
    """Time must be an aware instant."""
    with pytest.raises(NaiveDatetime):
        _citizen(now=dt.datetime(2022, 6, 22, 9, 30))


def test_verification_activates_once_then_is_a_no_op() -> None:
    """The first verification activates and records an event; a second one changes nothing."""
    account = _citizen()
    account.pull_events()
    later = NOW + dt.timedelta(minutes=3)
    assert account.verify(later) is True
    assert account.status is AccountStatus.ACTIVE
    assert account.verified_at == later
    assert account.can_log_in(later)
    assert account.pull_events() == [ev.AccountVerified(later, "acc-1")]
    assert account.verify(later + dt.timedelta(days=1)) is False
    assert account.verified_at == later
    assert account.pull_events() == []


def test_verifying_a_locked_account_records_it_but_keeps_the_lock() -> None:
    """An administrator's lock survives verification; unlocking then activates."""
    account = _citizen()
    account.lock()
    assert account.verify(NOW) is True
    assert account.status is AccountStatus.LOCKED
    assert not account.can_log_in(NOW)
    account.unlock()
    assert (account.status, account.verified_at) == (AccountStatus.ACTIVE, NOW)


# --- login lock ----------------------------------------------------------------------------


@given(
    citizen_accounts(),
    st.integers(1, 10),
    st.timedeltas(min_value=dt.timedelta(seconds=1), max_value=dt.timedelta(days=2)),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=1)),
)
def test_max_failed_logins_lock_until_now_plus_lock_for(
    account: Account, max_attempts: int, lock_for: dt.timedelta, spacing: dt.timedelta
) -> None:
    """The max-th failure in a row locks until now + lock_for, then the account works again."""
    now = account.created_at
    for _ in range(max_attempts - 1):
        assert (
            account.record_failed_login(now, max_attempts=max_attempts, lock_for=lock_for) is False
        )
        assert account.can_log_in(now)
        now += spacing
    assert account.record_failed_login(now, max_attempts=max_attempts, lock_for=lock_for) is True
    assert account.locked_until == now + lock_for
    assert account.failed_logins == 0
    just_before = now + lock_for - dt.timedelta(microseconds=1)
    assert account.is_locked(just_before)
    assert not account.can_log_in(just_before)
    with pytest.raises(AccountLocked) as caught:
        account.check_can_log_in(just_before)
    assert caught.value.until == now + lock_for
    assert not account.is_locked(now + lock_for)
    assert account.can_log_in(now + lock_for)


@given(citizen_accounts(), st.integers(0, DEFAULT_MAX_FAILED_LOGINS - 1))
def test_a_successful_login_resets_the_failures(account: Account, failures: int) -> None:
    """After a success, it again takes the full number of failures to lock."""
    now = account.created_at
    for _ in range(failures):
        account.record_failed_login(now)
    account.record_successful_login(now)
    assert account.failed_logins == 0
    for _ in range(DEFAULT_MAX_FAILED_LOGINS - 1):
        account.record_failed_login(now)
    assert account.can_log_in(now)
    assert account.record_failed_login(now) is True
    assert account.locked_until == now + DEFAULT_LOCK_FOR


@given(citizen_accounts(), st.integers(1, 20))
def test_failures_while_locked_change_nothing(account: Account, more: int) -> None:
    """Hammering a locked account neither counts nor extends the lock."""
    now = account.created_at
    for _ in range(DEFAULT_MAX_FAILED_LOGINS):
        account.record_failed_login(now)
    until = account.locked_until
    for i in range(more):
        assert account.record_failed_login(now + dt.timedelta(seconds=i)) is False
    assert (account.locked_until, account.failed_logins) == (until, 0)


def test_a_successful_login_while_locked_is_refused() -> None:
    """record_successful_login re-checks the lock."""
    account = _verified_citizen()
    for _ in range(DEFAULT_MAX_FAILED_LOGINS):
        account.record_failed_login(NOW)
    with pytest.raises(AccountLocked):
        account.record_successful_login(NOW + dt.timedelta(minutes=1))
    account.record_successful_login(NOW + DEFAULT_LOCK_FOR)
    assert account.locked_until is None


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"lock_for": dt.timedelta(0)}, "lock_for"),
    ],
)
def test_lock_settings_must_make_sense(keywords: dict[str, Any], field: str) -> None:
    """At least one attempt, and a positive lock duration."""
    with pytest.raises(InvalidInput) as caught:
        _verified_citizen().record_failed_login(NOW, **keywords)
    assert caught.value.field == field


def test_login_checks_refuse_a_naive_now() -> None:
    """is_locked needs an aware instant to compare with locked_until."""
    with pytest.raises(NaiveDatetime):
        _verified_citizen().is_locked(dt.datetime(2022, 6, 22))


class LoginLockMachine(RuleBasedStateMachine):
    """Failures, successes, waiting and administrator locks against a simple model."""

    max_attempts = 3
    lock_for = dt.timedelta(minutes=15)

    @initialize(account=citizen_accounts())
    def start(self, account: Account) -> None:
        self.account = account
        self.now = account.created_at
        self.failures = 0
        self.locked_until: dt.datetime | None = None
        self.admin_locked = False

    def model_locked(self) -> bool:
        return self.admin_locked or (self.locked_until is not None and self.locked_until > self.now)

    @rule(step=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(minutes=20)))
    def wait(self, step: dt.timedelta) -> None:
        self.now += step

    @rule()
    def fail(self) -> None:
        locked = self.account.record_failed_login(
            self.now, max_attempts=self.max_attempts, lock_for=self.lock_for
        )
        if self.model_locked():
            assert not locked
            return
        self.failures += 1
        assert locked == (self.failures == self.max_attempts)
        if locked:
            self.failures = 0
            self.locked_until = self.now + self.lock_for

    @precondition(lambda self: not self.model_locked())
    @rule()
    def succeed(self) -> None:
        self.account.record_successful_login(self.now)
        self.failures = 0
        self.locked_until = None

    @rule()
    def admin_lock(self) -> None:
        self.account.lock()
        self.admin_locked = True

    @rule()
    def admin_unlock(self) -> None:
        self.account.unlock()
        self.admin_locked = False
        self.failures = 0
        self.locked_until = None

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert self.account.is_locked(self.now) == self.model_locked()
        assert self.account.can_log_in(self.now) == (not self.model_locked())
        assert self.account.failed_logins == self.failures


TestLoginLock = LoginLockMachine.TestCase


# --- administration and profile ------------------------------------------------------------


def test_an_administrator_lock_holds_until_unlocked() -> None:
    """lock() blocks logins at any time; unlock() restores them and clears failures."""
    account = _verified_citizen()
    account.record_failed_login(NOW)
    account.lock()
    far = NOW + dt.timedelta(days=3650)
    assert account.is_locked(far)
    with pytest.raises(AccountLocked) as caught:
        account.check_can_log_in(far)
    assert caught.value.until is None
    account.unlock()
    assert account.can_log_in(NOW)
    assert account.failed_logins == 0


def test_unlocking_an_unverified_account_keeps_it_waiting() -> None:
    """An administrator cannot skip email verification by unlocking."""
    account = _citizen()
    account.lock()
    account.unlock()
    assert account.status is AccountStatus.AWAITING_VERIFICATION


def test_password_hash_changes_and_stays_out_of_repr() -> None:
    """The hash is replaceable, never empty, and never printed."""
    account = _verified_citizen()
    account.change_password_hash("$argon2id$new")
    assert account.password_hash == "$argon2id$new"
    assert "argon2id" not in repr(account)
    with pytest.raises(InvalidInput) as caught:
        account.change_password_hash("")
    assert caught.value.field == "password_hash"


def test_the_profile_can_be_updated_but_keeps_the_account_email() -> None:
    """Contact details change freely; the login email does not change through the profile."""
    account = _verified_citizen()
    account.update_profile(account.profile.with_changes(phone="0356789012", address="Kon Tum"))
    assert (account.profile.phone, account.profile.address) == ("0356789012", "Kon Tum")
    with pytest.raises(InvalidIdentity) as caught:
        account.update_profile(account.profile.with_changes(email="other@example.vn"))
    assert caught.value.field == "profile.email"
    assert account.profile.email == account.email


def test_an_organisation_profile_keeps_its_tax_code() -> None:
    """An organisation account cannot drop its tax code."""
    account = Account.register_organisation(
        "org-1", "office@congty.vn", HASH, "Công ty A", "0101234567", "Trần Văn Bình", NOW
    )
    with pytest.raises(InvalidIdentity) as caught:
        account.update_profile(account.profile.with_changes(organisation_name=None, tax_code=None))
    assert caught.value.field == "profile.tax_code"


def test_accounts_are_equal_by_id() -> None:
    """Two loads of the same account are the same entity, whatever their state."""
    first, second = _citizen(), _citizen()
    second.verify(NOW)
    assert first == second
    assert hash(first) == hash(second)
    assert first != _citizen(id="acc-2")


# --- officers ------------------------------------------------------------------------------


@given(officers(), agency_codes())
def test_an_officer_acts_only_for_their_own_agency(officer: Officer, other: AgencyCode) -> None:
    """Own agency yes, any other agency no, and nothing once inactive."""
    assert officer.acts_for(officer.agency)
    assert officer.acts_for(other) == (other == officer.agency)
    officer.active = False
    assert not officer.acts_for(officer.agency)


def test_officer_create_normalises_name_and_email() -> None:
    """The officer's email is lowercase and the name stripped; bad ones are refused."""
    agency = AgencyCode.parse("000.00.03.H34")
    officer = Officer.create("o-1", agency, " Phạm Thị Lan ", "Lan.PT@KonTum.gov.vn")
    assert (officer.full_name, officer.email, officer.active) == (
        "Phạm Thị Lan",
        "lan.pt@kontum.gov.vn",
        True,
    )
    with pytest.raises(InvalidIdentity) as caught:
        Officer.create("o-1", agency, "Phạm Thị Lan", "lan")
    assert caught.value.field == "email"


@given(utc_instants())
def test_registration_time_is_kept_as_given(now: dt.datetime) -> None:
    """created_at is exactly the instant passed in: no clock is read."""
    assert _citizen(now=now).created_at == now


# --- any input at all ------------------------------------------------------------------------

_NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _good_or(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(good, anything(), hostile_text())


def _answers(call: Any, *args: Any, **kwargs: Any) -> object:
    """The result, or the OnestopError raised; an InvalidInput must name a field."""
    result = calls_answer_or_refuse(call, *args, **kwargs)
    if isinstance(result, InvalidInput):
        assert result.field and result.rule and str(result)
    return result


@given(
    full_name=_good_or(st.just("Lê Thị Hoa")),
    email=_good_or(st.just("hoa@example.vn")),
    phone=_good_or(st.sampled_from([None, "0912345678"])),
    address=_good_or(st.sampled_from([None, "12 Tràng Tiền"])),
    date_of_birth=_good_or(st.sampled_from([None, dt.date(2000, 1, 1)])),
    id_number=_good_or(st.sampled_from([None, "001200012345"])),
    id_issued_by=_good_or(st.sampled_from([None, "Cục Cảnh sát QLHC về TTXH"])),
    organisation_name=_good_or(st.sampled_from([None, "Công ty TNHH Ánh Dương"])),
    tax_code=_good_or(st.sampled_from([None, "0100109106"])),
)
def test_applicant_create_answers_any_input(**details: Any) -> None:
    """Any detail of any type: an Applicant, or an OnestopError naming the detail."""
    result = _answers(Applicant.create, **details)
    if isinstance(result, InvalidInput):
        assert result.field.split(".")[0] in details
    else:
        assert isinstance(result, Applicant)


@given(changes=st.dictionaries(st.sampled_from(["phone", "address", "tax_code", "x"]), anything()))
def test_with_changes_answers_any_input(changes: dict[str, Any]) -> None:
    applicant = Applicant.create("Lê Thị Hoa", "hoa@example.vn")
    result = _answers(applicant.with_changes, **changes)
    assert isinstance(result, Applicant | InvalidInput)


@given(
    id=_good_or(st.just("account-1")),
    email=_good_or(st.just("hoa@example.vn")),
    password_hash=_good_or(st.just("scrypt$hash")),
    full_name=_good_or(st.just("Lê Thị Hoa")),
    now=_good_or(st.just(_NOW)),
    phone=_good_or(st.sampled_from([None, "0912345678"])),
    date_of_birth=_good_or(st.just(None)),
)
def test_register_citizen_answers_any_input(**arguments: Any) -> None:
    result = _answers(Account.register_citizen, **arguments)
    assert isinstance(result, Account | InvalidInput)


@given(
    id=_good_or(st.just("account-1")),
    email=_good_or(st.just("ketoan@congty.vn")),
    password_hash=_good_or(st.just("scrypt$hash")),
    organisation_name=_good_or(st.just("Công ty TNHH Ánh Dương")),
    tax_code=_good_or(st.just("0100109106")),
    representative_name=_good_or(st.just("Lê Thị Hoa")),
    now=_good_or(st.just(_NOW)),
)
def test_register_organisation_answers_any_input(**arguments: Any) -> None:
    result = _answers(Account.register_organisation, **arguments)
    assert isinstance(result, Account | InvalidInput)


@given(
    id=_good_or(st.just("officer-1")),
    agency=_good_or(st.just(AgencyCode("H34", 1))),
    full_name=_good_or(st.just("Lê Thị Hoa")),
    email=_good_or(st.just("hoa@example.vn")),
    active=_good_or(st.booleans()),
)
def test_officer_create_answers_any_input(**arguments: Any) -> None:
    result = _answers(Officer.create, **arguments)
    assert isinstance(result, Officer | InvalidInput)


@given(
    now=_good_or(st.just(_NOW)),
    max_attempts=_good_or(st.just(3)),
    lock_for=_good_or(st.sampled_from([dt.timedelta(minutes=15), dt.timedelta.max])),
)
def test_the_lock_answers_any_time_count_and_duration(
    now: Any, max_attempts: Any, lock_for: Any
) -> None:
    """Hostile instants, counts and durations: an answer or InvalidInput, never a crash."""
    account = Account.register_citizen("a-1", "hoa@example.vn", "h", "Lê Thị Hoa", _NOW)
    for call in (
        lambda: account.record_failed_login(now, max_attempts=max_attempts, lock_for=lock_for),
        lambda: account.is_locked(now),
        lambda: account.check_can_log_in(now),
        lambda: account.record_right_password(now),
        lambda: account.verify(now),
    ):
        result = _answers(call)
        assert not isinstance(result, Exception) or isinstance(result, OnestopError)


def test_a_lock_past_the_end_of_time_ends_at_the_end_of_time() -> None:
    """A lock so long that ``now + lock_for`` overflows lasts until datetime.max."""
    account = Account.register_citizen("a-1", "hoa@example.vn", "h", "Lê Thị Hoa", _NOW)
    assert account.record_failed_login(_NOW, max_attempts=1, lock_for=dt.timedelta.max)
    assert account.locked_until == dt.datetime.max.replace(tzinfo=dt.UTC)


def test_the_password_stamp_changes_with_every_new_hash() -> None:
    """The stamp a reset link carries: stable for one hash, new for the next, not the hash."""
    account = Account.register_citizen("a-1", "hoa@example.vn", "hash-1", "Lê Thị Hoa", _NOW)
    first = account.password_stamp
    assert first == account.password_stamp
    assert "hash-1" not in first
    account.change_password_hash("hash-2")
    assert account.password_stamp != first
