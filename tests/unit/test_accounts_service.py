"""Account use cases over the in-memory portal: register, verify, resend, log in, reset."""

from __future__ import annotations

import collections
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from onestop.adapters import InMemoryStorage, ManualClock
from onestop.adapters.security import ScryptPasswordHasher
from onestop.application.context import Settings
from onestop.bootstrap import Portal, bootstrap
from onestop.domain.accounts import AccountKind, AccountStatus
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.errors import (
    AccountLocked,
    AccountNotVerified,
    DuplicateError,
    InvalidCredentials,
    InvalidInput,
    InvalidToken,
    TokenAlreadyUsed,
    TokenExpired,
    WeakPassword,
)

START = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
VERIFY_SUBJECT = "Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến"
EMAIL = "nguyen.van.an@example.vn"
PASSWORD = "mật-khẩu-an-toàn-2026"
FULL_NAME = "Nguyễn Văn An"
BASE_URL = "https://dichvucong.example.vn"
SETTINGS = Settings(base_url=BASE_URL, max_failed_logins=3, lockout=dt.timedelta(minutes=15))


def make_portal(clock: ManualClock | None = None, settings_: Settings = SETTINGS) -> Portal:
    return bootstrap(
        storage=InMemoryStorage(),
        clock=clock or ManualClock(START),
        secret_key="test-secret-key-for-accounts",
        calendar=WorkingCalendar(),
        password_hasher=ScryptPasswordHasher(n=2**10),
        settings=settings_,
        environ={},
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def portal(clock: ManualClock) -> Iterator[Portal]:
    with make_portal(clock) as p:
        yield p


def outbox(portal: Portal) -> Sequence[OutboxEntry]:
    with portal.storage.unit_of_work() as uow:
        return tuple(uow.outbox.list())


def account_by_email(portal: Portal, email: str) -> Any:
    with portal.storage.unit_of_work() as uow:
        return uow.accounts.find_by_email(email)


def token_of(entry: OutboxEntry, path: str) -> str:
    """The token of the one link to ``BASE_URL/path`` in the mail's plain text."""
    links = [w for w in entry.message.text.split() if w.startswith(f"{BASE_URL}/{path}?")]
    assert len(links) == 1, entry.message.text
    query = parse_qs(urlsplit(links[0]).query)
    (token,) = query["token"]
    return token


def new_entry(portal: Portal, before: Sequence[OutboxEntry]) -> OutboxEntry:
    """The one entry queued since ``before`` (entries of one instant have no set order)."""
    (added,) = [e for e in outbox(portal) if e.id not in {b.id for b in before}]
    return added


def register(portal: Portal, email: str = EMAIL, **kwargs: Any) -> str:
    """Register a citizen and return the token of the verification link it was mailed."""
    before = outbox(portal)
    portal.accounts.register_citizen(email, PASSWORD, FULL_NAME, **kwargs)
    return token_of(new_entry(portal, before), "verify")


def registered_and_verified(portal: Portal, email: str = EMAIL) -> str:
    portal.accounts.verify(register(portal, email))
    return email


# --- registration ---------------------------------------------------------------------------


def test_registering_a_citizen_stores_it_unverified_and_queues_the_vietnamese_mail(
    portal: Portal,
) -> None:
    account = portal.accounts.register_citizen(
        "  Nguyen.Van.An@Example.VN ", PASSWORD, FULL_NAME, phone="0912345678"
    )
    assert account.kind is AccountKind.CITIZEN
    assert account.status is AccountStatus.AWAITING_VERIFICATION
    stored = account_by_email(portal, EMAIL)
    assert stored is not None and stored.id == account.id
    assert stored.password_hash != PASSWORD and PASSWORD not in stored.password_hash

    (entry,) = outbox(portal)
    assert entry.state is OutboxState.PENDING
    assert entry.message.to == EMAIL
    assert entry.message.subject == VERIFY_SUBJECT
    assert entry.message.template == "account_verification"
    assert entry.message.locale == "vi"
    assert FULL_NAME in entry.message.text
    assert token_of(entry, "verify")
    # Nothing is sent before a dispatcher runs.
    assert portal.context.mail_transport.sent == []  # type: ignore[attr-defined]


def test_registering_an_organisation_queues_the_mail_in_the_chosen_locale(
    portal: Portal,
) -> None:
    account = portal.accounts.register_organisation(
        "ketoan@congty.example.vn",
        PASSWORD,
        "Công ty TNHH Ánh Dương",
        "0100109106",
        "Trần Thị Bình",
        locale="en",
    )
    assert account.kind is AccountKind.ORGANISATION
    (entry,) = outbox(portal)
    assert entry.message.locale == "en"
    assert entry.message.subject.startswith("Confirm your registration")
    portal.accounts.verify(token_of(entry, "verify"))
    assert portal.accounts.log_in("ketoan@congty.example.vn", PASSWORD).id == account.id


def test_the_account_and_its_mail_are_stored_together_or_not_at_all(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onestop.application._account_links as links_module

    def broken_queue(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("outbox is down")

    monkeypatch.setattr(links_module, "queue_mail", broken_queue)
    with pytest.raises(RuntimeError):
        portal.accounts.register_citizen(EMAIL, PASSWORD, FULL_NAME)
    assert account_by_email(portal, EMAIL) is None
    assert outbox(portal) == ()
    monkeypatch.undo()
    register(portal)  # the address is still free
    assert account_by_email(portal, EMAIL) is not None


def test_a_taken_email_is_refused_and_queues_nothing(portal: Portal) -> None:
    register(portal)
    with pytest.raises(DuplicateError):
        portal.accounts.register_citizen(EMAIL.upper(), "another-password-1", "Lê Văn Cường")
    assert len(outbox(portal)) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"email": "not-an-email"}, InvalidInput, "email"),
        ({"email": ""}, InvalidInput, "email"),
        ({"password": "short"}, WeakPassword, "password"),
        ({"password": "        "}, WeakPassword, "password"),
        ({"password": "x" * 2000}, WeakPassword, "password"),
        ({"password": EMAIL}, WeakPassword, "password"),
        ({"full_name": ""}, InvalidInput, "full_name"),
        ({"phone": "12345"}, InvalidInput, "phone"),
        ({"locale": "fr"}, InvalidInput, "locale"),
    ],
)
def test_bad_registrations_name_field_and_rule_and_write_nothing(
    portal: Portal, kwargs: dict[str, Any], error: type[InvalidInput], field: str
) -> None:
    given_ = {"email": EMAIL, "password": PASSWORD, "full_name": FULL_NAME, **kwargs}
    with pytest.raises(error) as caught:
        portal.accounts.register_citizen(
            given_.pop("email"), given_.pop("password"), given_.pop("full_name"), **given_
        )
    assert caught.value.field.split(".")[-1] == field
    assert caught.value.rule
    if field == "password":
        assert caught.value.value is None  # a password is never repeated in an error
    assert account_by_email(portal, EMAIL) is None
    assert outbox(portal) == ()


def test_a_bad_tax_code_is_refused_and_writes_nothing(portal: Portal) -> None:
    with pytest.raises(InvalidInput) as caught:
        portal.accounts.register_organisation(
            "ketoan@congty.example.vn", PASSWORD, "Công ty TNHH Ánh Dương", "12AB", "Trần Thị Bình"
        )
    assert caught.value.field.endswith("tax_code")
    assert account_by_email(portal, "ketoan@congty.example.vn") is None
    assert outbox(portal) == ()


# --- verification ---------------------------------------------------------------------------


def test_the_link_verifies_the_account_once(portal: Portal) -> None:
    token = register(portal)
    account = portal.accounts.verify(token)
    assert account.status is AccountStatus.ACTIVE
    assert account_by_email(portal, EMAIL).status is AccountStatus.ACTIVE
    with pytest.raises(TokenAlreadyUsed):
        portal.accounts.verify(token)


def test_the_link_expires_after_the_verification_ttl(portal: Portal, clock: ManualClock) -> None:
    token = register(portal)
    clock.advance(SETTINGS.verification_ttl)
    with pytest.raises(TokenExpired):
        portal.accounts.verify(token)
    assert account_by_email(portal, EMAIL).status is AccountStatus.AWAITING_VERIFICATION


def test_the_link_still_works_just_before_it_expires(portal: Portal, clock: ManualClock) -> None:
    token = register(portal)
    clock.advance(SETTINGS.verification_ttl - dt.timedelta(seconds=1))
    assert portal.accounts.verify(token).status is AccountStatus.ACTIVE


@pytest.mark.parametrize("mangle", [lambda t: t + "x", lambda t: "x" + t[1:], lambda t: ""])
def test_a_forged_or_damaged_link_is_refused(portal: Portal, mangle: Any) -> None:
    token = register(portal)
    with pytest.raises(InvalidToken):
        portal.accounts.verify(mangle(token))
    assert account_by_email(portal, EMAIL).status is AccountStatus.AWAITING_VERIFICATION


def test_a_link_signed_with_another_key_is_refused(portal: Portal) -> None:
    with make_portal() as other:
        foreign = register(other)
    register(portal)
    with pytest.raises(InvalidToken):
        portal.accounts.verify(foreign)


def test_a_reset_link_does_not_verify_and_a_verify_link_does_not_reset(portal: Portal) -> None:
    verify_token = register(portal)
    reset_token = _request_reset(portal)
    with pytest.raises(InvalidToken):
        portal.accounts.verify(reset_token)
    with pytest.raises(InvalidToken):
        portal.accounts.reset_password(verify_token, "a-brand-new-password")


def test_resend_queues_a_fresh_link_and_only_one_link_verifies(
    portal: Portal, clock: ManualClock
) -> None:
    first = register(portal)
    clock.advance(SETTINGS.verification_ttl)  # the first link has expired
    before = outbox(portal)
    portal.accounts.resend_verification(EMAIL)
    resent = new_entry(portal, before)
    assert resent.message.subject == VERIFY_SUBJECT
    second = token_of(resent, "verify")
    assert second != first
    with pytest.raises(TokenExpired):
        portal.accounts.verify(first)
    portal.accounts.verify(second)
    with pytest.raises(TokenAlreadyUsed):
        portal.accounts.verify(second)


def test_resend_for_an_unknown_or_verified_email_is_silent_and_queues_nothing(
    portal: Portal,
) -> None:
    registered_and_verified(portal)
    before = outbox(portal)
    portal.accounts.resend_verification(EMAIL)
    portal.accounts.resend_verification("nobody@example.vn")
    assert outbox(portal) == before


# --- logging in -----------------------------------------------------------------------------


def test_a_verified_account_logs_in(portal: Portal) -> None:
    registered_and_verified(portal)
    assert portal.accounts.log_in(EMAIL.upper(), PASSWORD).email == EMAIL


def _login_error(portal: Portal, email: str, password: str) -> InvalidCredentials:
    with pytest.raises(InvalidCredentials) as caught:
        portal.accounts.log_in(email, password)
    return caught.value


def test_unknown_email_and_wrong_password_give_the_same_error(portal: Portal) -> None:
    registered_and_verified(portal)
    unknown = _login_error(portal, "someone.else@example.vn", PASSWORD)
    wrong = _login_error(portal, EMAIL, PASSWORD + "!")
    malformed = _login_error(portal, "not an email", PASSWORD)
    assert type(unknown) is type(wrong) is type(malformed) is InvalidCredentials
    assert str(unknown) == str(wrong) == str(malformed)
    assert unknown.args == wrong.args == malformed.args


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(local=st.from_regex(r"[a-z][a-z0-9.]{0,15}", fullmatch=True), password=st.text(max_size=30))
def test_no_unknown_email_can_be_told_from_a_wrong_password(
    portal: Portal, local: str, password: str
) -> None:
    if account_by_email(portal, EMAIL) is None:
        registered_and_verified(portal)
    expected = str(_login_error(portal, EMAIL, "definitely-wrong-password"))
    portal.accounts.log_in(EMAIL, PASSWORD)  # resets the failure count
    email = f"{local}@unknown.example.vn"
    assert str(_login_error(portal, email, password)) == expected


@pytest.mark.parametrize(
    ("email", "password"), [(None, PASSWORD), (123, PASSWORD), (EMAIL, None), (EMAIL, b"bytes")]
)
def test_values_that_are_not_text_are_refused_the_same_for_known_and_unknown_accounts(
    portal: Portal, email: Any, password: Any
) -> None:
    """Wrong types are InvalidInput naming the argument, before any lookup: nothing leaks."""
    registered_and_verified(portal)
    field = "email" if not isinstance(email, str) else "password"
    for _ in range(2):
        with pytest.raises(InvalidInput) as known:
            portal.accounts.log_in(email, password)
        unknown_email = "nobody@example.vn" if isinstance(email, str) else email
        with pytest.raises(InvalidInput) as unknown:
            portal.accounts.log_in(unknown_email, password)
        assert known.value.field == unknown.value.field == field
        assert known.value.rule == unknown.value.rule
    assert portal.accounts.log_in(EMAIL, PASSWORD).failed_logins == 0


@pytest.mark.parametrize("email", [None, 42, ["an@example.vn"]])
def test_an_email_that_is_not_text_is_an_invalid_input(portal: Portal, email: Any) -> None:
    for call in (
        lambda: portal.accounts.register_citizen(email, PASSWORD, FULL_NAME),
        lambda: portal.accounts.resend_verification(email),
        lambda: portal.accounts.request_password_reset(email),
    ):
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.field == "email"
    assert outbox(portal) == ()


def test_unverified_account_gets_its_own_error_only_with_the_right_password(
    portal: Portal,
) -> None:
    register(portal)
    _login_error(portal, EMAIL, "a-wrong-password")
    with pytest.raises(AccountNotVerified):
        portal.accounts.log_in(EMAIL, PASSWORD)


def test_repeated_failures_lock_the_account_for_a_while(portal: Portal, clock: ManualClock) -> None:
    registered_and_verified(portal)
    for _ in range(SETTINGS.max_failed_logins):
        _login_error(portal, EMAIL, "a-wrong-password")
    # Locked: the right password now says so, a wrong one still says only "wrong".
    with pytest.raises(AccountLocked) as caught:
        portal.accounts.log_in(EMAIL, PASSWORD)
    assert caught.value.until == START + SETTINGS.lockout
    _login_error(portal, EMAIL, "a-wrong-password")
    clock.advance(SETTINGS.lockout - dt.timedelta(seconds=1))
    with pytest.raises(AccountLocked):
        portal.accounts.log_in(EMAIL, PASSWORD)
    clock.advance(dt.timedelta(seconds=1))
    assert portal.accounts.log_in(EMAIL, PASSWORD).email == EMAIL


def test_failures_below_the_limit_do_not_lock_and_a_success_forgets_them(
    portal: Portal,
) -> None:
    registered_and_verified(portal)
    for _ in range(SETTINGS.max_failed_logins - 1):
        _login_error(portal, EMAIL, "a-wrong-password")
    portal.accounts.log_in(EMAIL, PASSWORD)
    for _ in range(SETTINGS.max_failed_logins - 1):
        _login_error(portal, EMAIL, "a-wrong-password")
    assert portal.accounts.log_in(EMAIL, PASSWORD).failed_logins == 0


def test_an_account_locked_by_an_administrator_says_so_only_with_the_right_password(
    portal: Portal,
) -> None:
    registered_and_verified(portal)
    with portal.storage.unit_of_work() as uow:
        account = uow.accounts.find_by_email(EMAIL)
        assert account is not None
        account.lock()
        uow.accounts.update(account)
        uow.commit()
    _login_error(portal, EMAIL, "a-wrong-password")
    with pytest.raises(AccountLocked) as caught:
        portal.accounts.log_in(EMAIL, PASSWORD)
    assert caught.value.until is None


# --- password reset -------------------------------------------------------------------------


def _request_reset(portal: Portal, email: str = EMAIL) -> str:
    before = outbox(portal)
    portal.accounts.request_password_reset(email)
    entry = new_entry(portal, before)
    assert entry.message.template == "password_reset"
    assert entry.message.to == email
    return token_of(entry, "reset-password")


def test_password_reset_sets_a_new_password_once(portal: Portal) -> None:
    registered_and_verified(portal)
    token = _request_reset(portal)
    portal.accounts.reset_password(token, "a-brand-new-password")
    _login_error(portal, EMAIL, PASSWORD)
    assert portal.accounts.log_in(EMAIL, "a-brand-new-password").email == EMAIL
    with pytest.raises(TokenAlreadyUsed):
        portal.accounts.reset_password(token, "yet-another-password")
    assert portal.accounts.log_in(EMAIL, "a-brand-new-password").email == EMAIL


def test_a_reset_link_expires(portal: Portal, clock: ManualClock) -> None:
    registered_and_verified(portal)
    token = _request_reset(portal)
    clock.advance(SETTINGS.reset_ttl)
    with pytest.raises(TokenExpired):
        portal.accounts.reset_password(token, "a-brand-new-password")
    assert portal.accounts.log_in(EMAIL, PASSWORD).email == EMAIL


def test_a_weak_new_password_is_refused_without_spending_the_link(portal: Portal) -> None:
    registered_and_verified(portal)
    token = _request_reset(portal)
    with pytest.raises(WeakPassword) as caught:
        portal.accounts.reset_password(token, "short")
    assert caught.value.field == "new_password"
    assert caught.value.value is None
    portal.accounts.reset_password(token, "a-brand-new-password")
    assert portal.accounts.log_in(EMAIL, "a-brand-new-password").email == EMAIL


def test_a_reset_lifts_a_temporary_lock(portal: Portal) -> None:
    registered_and_verified(portal)
    for _ in range(SETTINGS.max_failed_logins):
        _login_error(portal, EMAIL, "a-wrong-password")
    portal.accounts.reset_password(_request_reset(portal), "a-brand-new-password")
    assert portal.accounts.log_in(EMAIL, "a-brand-new-password").email == EMAIL


def test_a_reset_for_an_unknown_email_is_silent_and_queues_nothing(portal: Portal) -> None:
    registered_and_verified(portal)
    before = outbox(portal)
    portal.accounts.request_password_reset("nobody@example.vn")
    assert outbox(portal) == before


def test_change_password_needs_the_old_one(portal: Portal) -> None:
    registered_and_verified(portal)
    account_id = portal.accounts.log_in(EMAIL, PASSWORD).id
    with pytest.raises(InvalidCredentials):
        portal.accounts.change_password(account_id, "not-the-password", "a-brand-new-password")
    with pytest.raises(WeakPassword):
        portal.accounts.change_password(account_id, PASSWORD, PASSWORD)
    portal.accounts.change_password(account_id, PASSWORD, "a-brand-new-password")
    assert portal.accounts.log_in(EMAIL, "a-brand-new-password").id == account_id


def _race(calls: Sequence[Any]) -> collections.Counter[str]:
    """Run the calls at once, one thread each; how many returned ("ok") or raised what."""
    results: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> None:
        barrier.wait()
        try:
            call()
            outcome = "ok"
        except Exception as e:
            outcome = type(e).__name__
        with lock:
            results[outcome] += 1

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_link_opened_many_times_at_once_verifies_once(portal: Portal) -> None:
    token = register(portal)
    results = _race([lambda: portal.accounts.verify(token)] * 6)
    assert results == {"ok": 1, "TokenAlreadyUsed": 5}


def test_a_reset_link_used_many_times_at_once_works_once(portal: Portal) -> None:
    registered_and_verified(portal)
    token = _request_reset(portal)
    passwords = [f"new-password-number-{i}" for i in range(5)]
    results = _race([lambda p=p: portal.accounts.reset_password(token, p) for p in passwords])
    assert results == {"ok": 1, "TokenAlreadyUsed": 4}
    stored = account_by_email(portal, EMAIL)
    verify = portal.context.password_hasher.verify
    assert sum(verify(p, stored.password_hash) for p in passwords) == 1


def test_wrong_passwords_tried_in_parallel_are_all_counted(clock: ManualClock) -> None:
    settings_ = attrs.evolve(SETTINGS, max_failed_logins=50)
    with make_portal(clock, settings_) as portal:
        registered_and_verified(portal)
        results = _race([lambda: portal.accounts.log_in(EMAIL, "a-wrong-password")] * 12)
        assert results == {"InvalidCredentials": 12}
        assert account_by_email(portal, EMAIL).failed_logins == 12


def test_a_parallel_burst_of_guesses_locks_the_account(clock: ManualClock) -> None:
    with make_portal(clock) as portal:
        registered_and_verified(portal)
        _race([lambda: portal.accounts.log_in(EMAIL, "a-wrong-password")] * 8)
        with pytest.raises(AccountLocked):
            portal.accounts.log_in(EMAIL, PASSWORD)


# --- any sequence of logins -----------------------------------------------------------------


class LoginMachine(RuleBasedStateMachine):
    """Random right, wrong and unknown logins as time passes, against a model of the lock."""

    @initialize()
    def start(self) -> None:
        self.clock = ManualClock(START)
        self.portal = make_portal(self.clock)
        registered_and_verified(self.portal)
        self.failures = 0
        self.locked_until: dt.datetime | None = None

    def _locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > self.clock.now()

    @rule()
    def wrong_password(self) -> None:
        _login_error(self.portal, EMAIL, "a-wrong-password")
        if not self._locked():
            self.failures += 1
            if self.failures == SETTINGS.max_failed_logins:
                self.failures = 0
                self.locked_until = self.clock.now() + SETTINGS.lockout

    @rule()
    def unknown_email(self) -> None:
        _login_error(self.portal, "someone.else@example.vn", PASSWORD)

    @rule()
    def right_password(self) -> None:
        if self._locked():
            with pytest.raises(AccountLocked) as caught:
                self.portal.accounts.log_in(EMAIL, PASSWORD)
            assert caught.value.until == self.locked_until
        else:
            assert self.portal.accounts.log_in(EMAIL, PASSWORD).email == EMAIL
            self.failures = 0
            self.locked_until = None

    @rule(minutes=st.integers(0, 20))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(dt.timedelta(minutes=minutes))

    @invariant()
    def stored_account_matches_the_model(self) -> None:
        if not hasattr(self, "portal"):
            return
        stored = account_by_email(self.portal, EMAIL)
        assert stored.failed_logins == self.failures
        assert stored.locked_until == self.locked_until

    def teardown(self) -> None:
        if hasattr(self, "portal"):
            self.portal.close()


LoginMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
TestLoginMachine = LoginMachine.TestCase
