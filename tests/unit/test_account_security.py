"""Account security: single-use links under races, links made stale by a password change,
wrong current passwords counted towards the lock, and the security events logged."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from onestop.adapters import ManualClock, memory
from onestop.application.security_log import SECURITY_LOGGER
from onestop.bootstrap import Portal
from onestop.domain.accounts import AccountStatus
from onestop.errors import (
    AccountLocked,
    DuplicateError,
    InvalidCredentials,
    InvalidToken,
    TokenAlreadyUsed,
    TokenExpired,
)
from tests.unit.test_accounts_service import (
    EMAIL,
    FULL_NAME,
    PASSWORD,
    SETTINGS,
    START,
    _race,
    _request_reset,
    account_by_email,
    make_portal,
    register,
    registered_and_verified,
)

NEW_PASSWORD = "a-brand-new-password"
WRONG = "a-wrong-password"
ID_NUMBER = "001200012345"  # a CCCD of someone born in 2000 (province 001, Hà Nội)
MAX = SETTINGS.max_failed_logins


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def portal(clock: ManualClock) -> Iterator[Portal]:
    with make_portal(clock) as p:
        yield p


@pytest.fixture
def account_id(portal: Portal) -> str:
    registered_and_verified(portal)
    return portal.accounts.log_in(EMAIL, PASSWORD).id


# --- finding 2: one reset link used at once from many places --------------------------------


def test_a_reset_link_used_twice_at_the_same_moment_is_refused_as_used(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving that leaked ``DuplicateError: token.id``, forced: both uses consume
    the link before either commits. The second is told the link was used."""
    registered_and_verified(portal)
    token = _request_reset(portal)
    both_consumed = threading.Barrier(2)
    racers: set[threading.Thread] = set()
    update = memory._Accounts.update

    def update_after_both_consumed(self: Any, account: Any) -> None:
        if threading.current_thread() in racers:
            # Before the fix both get here; after it, the second waits inside consume for
            # the first to end, so the first stops waiting after a second and commits.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_consumed.wait(timeout=1)
        update(self, account)

    monkeypatch.setattr(memory._Accounts, "update", update_after_both_consumed)
    outcomes: list[str] = []

    def use(password: str) -> None:
        try:
            portal.accounts.reset_password(token, password)
            outcomes.append("ok")
        except Exception as e:
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=use, args=(p,)) for p in ("first-new-pw", "second-new-pw")]
    racers.update(threads)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["TokenAlreadyUsed", "ok"]


def _uses(portal: Portal, token: str, n: int) -> list[Callable[[], object]]:
    """``n`` calls using one reset link, each with its own new password."""
    use = portal.accounts.reset_password
    return [lambda p=f"new-password-number-{i}": use(token, p) for i in range(n)]


def test_a_reset_link_used_many_times_at_once_works_once_every_time(clock: ManualClock) -> None:
    """The race of five uses, run many times: always one success and four TokenAlreadyUsed."""
    for _ in range(60):
        with make_portal(clock) as portal:
            registered_and_verified(portal)
            token = _request_reset(portal)
            assert _race(_uses(portal, token, 5)) == {"ok": 1, "TokenAlreadyUsed": 4}


def test_a_second_use_found_only_at_commit_is_token_already_used(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage that checks the ledger only at commit (a deferred constraint) gets the same
    answer; other unique rules broken at commit are not disguised as a used link."""
    registered_and_verified(portal)
    token = _request_reset(portal)
    commit = memory.InMemoryUnitOfWork.commit
    failure: list[DuplicateError] = [DuplicateError("token.id", "jti")]

    def commit_failing(self: memory.InMemoryUnitOfWork) -> None:
        if failure:
            self.rollback()
            raise failure[0]
        commit(self)

    monkeypatch.setattr(memory.InMemoryUnitOfWork, "commit", commit_failing)
    with pytest.raises(TokenAlreadyUsed):
        portal.accounts.reset_password(token, NEW_PASSWORD)
    failure[0] = DuplicateError("account.email", EMAIL)
    with pytest.raises(DuplicateError):
        portal.accounts.reset_password(token, NEW_PASSWORD)
    failure.clear()
    portal.accounts.reset_password(token, NEW_PASSWORD)


# --- finding 3: a password change makes earlier reset links stale -----------------------------


def test_a_password_change_makes_earlier_reset_links_stop_working(
    portal: Portal, account_id: str
) -> None:
    """A reset link mailed before change_password no longer resets the password."""
    token = _request_reset(portal)
    portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    with pytest.raises(InvalidToken, match="password has changed"):
        portal.accounts.reset_password(token, "what-the-attacker-wants")
    assert portal.accounts.log_in(EMAIL, NEW_PASSWORD).id == account_id


def test_a_password_reset_makes_other_earlier_reset_links_stop_working(
    portal: Portal, account_id: str
) -> None:
    """Two links were mailed; using one makes the other useless."""
    first = _request_reset(portal)
    second = _request_reset(portal)
    portal.accounts.reset_password(second, NEW_PASSWORD)
    with pytest.raises(InvalidToken, match="password has changed"):
        portal.accounts.reset_password(first, "what-the-attacker-wants")
    assert portal.accounts.log_in(EMAIL, NEW_PASSWORD).id == account_id


def test_a_reset_link_mailed_after_the_change_works(portal: Portal, account_id: str) -> None:
    """Only links older than the change are refused."""
    portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    token = _request_reset(portal)
    portal.accounts.reset_password(token, "yet-another-password")
    assert portal.accounts.log_in(EMAIL, "yet-another-password").id == account_id


def test_a_refused_stale_link_is_not_spent_and_changes_nothing(
    portal: Portal, account_id: str
) -> None:
    """A stale link changes neither the password nor the ledger."""
    token = _request_reset(portal)
    portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    version = account_by_email(portal, EMAIL).version
    with pytest.raises(InvalidToken):
        portal.accounts.reset_password(token, "what-the-attacker-wants")
    assert account_by_email(portal, EMAIL).version == version


def test_a_reset_link_without_a_password_stamp_is_refused(portal: Portal, account_id: str) -> None:
    """A genuine link made without the stamp (by an older version) cannot reset anything."""
    expires = int((START + dt.timedelta(minutes=30)).timestamp())
    token = portal.context.token_signer.sign(
        {"purpose": "reset", "sub": account_id, "exp": expires, "jti": "old-style-link"}
    )
    with pytest.raises(InvalidToken):
        portal.accounts.reset_password(token, NEW_PASSWORD)


def test_a_verification_link_survives_a_password_reset(portal: Portal) -> None:
    """A verification link proves the address, not the password: a reset leaves it working."""
    verify_token = register(portal)
    portal.accounts.reset_password(_request_reset(portal), NEW_PASSWORD)
    assert portal.accounts.verify(verify_token).status is AccountStatus.ACTIVE
    assert portal.accounts.log_in(EMAIL, NEW_PASSWORD).email == EMAIL


# --- finding 4: wrong current passwords count towards the lock ---------------------------------


def test_wrong_old_passwords_count_towards_the_lock(portal: Portal, account_id: str) -> None:
    """MAX wrong current passwords lock the account exactly as MAX failed logins do."""
    for attempt in range(1, MAX):
        with pytest.raises(InvalidCredentials):
            portal.accounts.change_password(account_id, WRONG, NEW_PASSWORD)
        assert account_by_email(portal, EMAIL).failed_logins == attempt
    with pytest.raises(InvalidCredentials):
        portal.accounts.change_password(account_id, WRONG, NEW_PASSWORD)
    with pytest.raises(AccountLocked) as caught:
        portal.accounts.log_in(EMAIL, PASSWORD)
    assert caught.value.until == START + SETTINGS.lockout


def test_wrong_old_passwords_and_failed_logins_count_together(
    portal: Portal, account_id: str
) -> None:
    """Guesses through either door add up."""
    for _ in range(MAX - 1):
        with pytest.raises(InvalidCredentials):
            portal.accounts.log_in(EMAIL, WRONG)
    with pytest.raises(InvalidCredentials):
        portal.accounts.change_password(account_id, WRONG, NEW_PASSWORD)
    with pytest.raises(AccountLocked):
        portal.accounts.log_in(EMAIL, PASSWORD)


def test_a_locked_account_cannot_change_its_password_until_the_lock_ends(
    portal: Portal, account_id: str, clock: ManualClock
) -> None:
    """While locked, the right current password gives AccountLocked and a wrong one changes
    nothing; after the lock, the change goes through."""
    for _ in range(MAX):
        with pytest.raises(InvalidCredentials):
            portal.accounts.log_in(EMAIL, WRONG)
    with pytest.raises(AccountLocked):
        portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    stored = account_by_email(portal, EMAIL)
    with pytest.raises(InvalidCredentials):
        portal.accounts.change_password(account_id, WRONG, NEW_PASSWORD)
    assert account_by_email(portal, EMAIL).version == stored.version
    clock.advance(SETTINGS.lockout)
    portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    assert portal.accounts.log_in(EMAIL, NEW_PASSWORD).id == account_id


def test_an_account_locked_by_an_administrator_cannot_change_its_password(
    portal: Portal, account_id: str
) -> None:
    with portal.storage.unit_of_work() as uow:
        account = uow.accounts.get(account_id)
        account.lock()
        uow.accounts.update(account)
        uow.commit()
    with pytest.raises(AccountLocked) as caught:
        portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    assert caught.value.until is None


def test_a_right_old_password_forgets_earlier_failures(portal: Portal, account_id: str) -> None:
    """Proving the password while changing it is as good as a login: the count restarts."""
    for _ in range(MAX - 1):
        with pytest.raises(InvalidCredentials):
            portal.accounts.change_password(account_id, WRONG, NEW_PASSWORD)
    portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    assert account_by_email(portal, EMAIL).failed_logins == 0


def test_wrong_old_passwords_tried_in_parallel_are_all_counted(
    portal: Portal, account_id: str
) -> None:
    """A burst of guesses through change_password locks the account, none is lost."""
    _race([lambda: portal.accounts.change_password(account_id, WRONG, NEW_PASSWORD)] * 8)
    with pytest.raises(AccountLocked):
        portal.accounts.log_in(EMAIL, PASSWORD)


# --- finding 5: security events ------------------------------------------------------------------


@pytest.fixture
def events(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Captures every record of the security logger while the test runs."""
    with caplog.at_level(logging.DEBUG, logger=SECURITY_LOGGER.name):
        yield caplog


def _named(events: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    """The fields of each record of ``event``, in order."""
    found = []
    for record in events.records:
        if getattr(record, "onestop_event", None) == event:
            assert record.levelno == logging.WARNING
            assert record.getMessage().startswith(f"{event}: ")
            found.append(record.onestop_fields)  # type: ignore[attr-defined]
    return found


def test_a_failed_login_is_logged_with_the_email_masked_and_the_count(
    portal: Portal, account_id: str, events: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(InvalidCredentials):
        portal.accounts.log_in(EMAIL, WRONG)
    [fields] = _named(events, "login.failed")
    assert fields["email"] == "n***@example.vn"
    assert fields["account_id"] == account_id
    assert fields["failed_attempts"] == 1
    assert fields["max_attempts"] == MAX
    assert fields["known_account"] is True


def test_a_login_with_an_unknown_email_is_logged_as_failed(
    portal: Portal, events: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(InvalidCredentials):
        portal.accounts.log_in("someone.else@example.vn", WRONG)
    with pytest.raises(InvalidCredentials):
        portal.accounts.log_in("not an email", WRONG)
    first, second = _named(events, "login.failed")
    assert first == {
        "email": "s***@example.vn",
        "account_id": None,
        "known_account": False,
    }
    assert second["email"] == "<not an email address>"


def test_a_lockout_and_the_logins_refused_during_it_are_logged(
    portal: Portal, account_id: str, events: pytest.LogCaptureFixture
) -> None:
    for _ in range(MAX):
        with pytest.raises(InvalidCredentials):
            portal.accounts.log_in(EMAIL, WRONG)
    assert [f["failed_attempts"] for f in _named(events, "login.failed")] == list(range(1, MAX + 1))
    [locked] = _named(events, "account.locked")
    assert locked["account_id"] == account_id
    assert locked["email"] == "n***@example.vn"
    assert locked["locked_until"] == (START + SETTINGS.lockout).isoformat()
    with pytest.raises(AccountLocked):
        portal.accounts.log_in(EMAIL, PASSWORD)
    with pytest.raises(InvalidCredentials):
        portal.accounts.log_in(EMAIL, WRONG)
    right, wrong = _named(events, "login.refused_locked")
    assert right["password_right"] is True and wrong["password_right"] is False
    assert right["account_id"] == wrong["account_id"] == account_id


def test_a_wrong_old_password_is_logged(
    portal: Portal, account_id: str, events: pytest.LogCaptureFixture
) -> None:
    for _ in range(MAX):
        with pytest.raises(InvalidCredentials):
            portal.accounts.change_password(account_id, WRONG, NEW_PASSWORD)
    failed = _named(events, "password_change.failed")
    assert [f["failed_attempts"] for f in failed] == list(range(1, MAX + 1))
    assert failed[0]["email"] == "n***@example.vn"
    assert _named(events, "account.locked")[0]["account_id"] == account_id
    with pytest.raises(AccountLocked):
        portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    assert _named(events, "password_change.refused_locked")[0]["password_right"] is True


def test_a_reused_link_is_logged(
    portal: Portal, account_id: str, events: pytest.LogCaptureFixture
) -> None:
    token = _request_reset(portal)
    portal.accounts.reset_password(token, NEW_PASSWORD)
    with pytest.raises(TokenAlreadyUsed):
        portal.accounts.reset_password(token, "yet-another-password")
    [fields] = _named(events, "token.reused")
    assert fields == {"purpose": "reset", "account_id": account_id}


def test_forged_expired_and_stale_links_are_logged_as_invalid(
    portal: Portal, account_id: str, clock: ManualClock, events: pytest.LogCaptureFixture
) -> None:
    token = _request_reset(portal)
    with pytest.raises(InvalidToken):
        portal.accounts.reset_password(token[:-2] + "xx", NEW_PASSWORD)
    with pytest.raises(InvalidToken):
        portal.accounts.verify(token)  # a reset link is not a verification link
    stale = _request_reset(portal)
    portal.accounts.change_password(account_id, PASSWORD, NEW_PASSWORD)
    with pytest.raises(InvalidToken):
        portal.accounts.reset_password(stale, "yet-another-password")
    old = _request_reset(portal)
    clock.advance(SETTINGS.reset_ttl)
    with pytest.raises(TokenExpired):
        portal.accounts.reset_password(old, "yet-another-password")
    forged, wrong_purpose, changed, expired = _named(events, "token.invalid")
    assert forged["account_id"] is None and forged["purpose"] == "reset"
    assert wrong_purpose["purpose"] == "verify"
    assert changed["account_id"] == account_id and "password has changed" in changed["reason"]
    assert expired["reason"] == "expired"


def test_no_security_record_carries_a_password_a_token_or_an_id_number(
    portal: Portal, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever happens, no record says a password, a token, a full email or a full id."""
    secrets = [PASSWORD, WRONG, NEW_PASSWORD, "yet-another-password", ID_NUMBER, EMAIL]
    with caplog.at_level(logging.DEBUG, logger="onestop"):
        verify_token = register(portal, id_number=ID_NUMBER, date_of_birth=dt.date(2000, 1, 1))
        secrets.append(verify_token)
        portal.accounts.verify(verify_token)
        with pytest.raises(TokenAlreadyUsed):
            portal.accounts.verify(verify_token)
        account_id = portal.accounts.log_in(EMAIL, PASSWORD).id
        for _ in range(MAX + 1):
            with pytest.raises(InvalidCredentials):
                portal.accounts.log_in(EMAIL, WRONG)
        with pytest.raises(AccountLocked):
            portal.accounts.log_in(EMAIL, PASSWORD)
        with pytest.raises(InvalidCredentials):
            portal.accounts.change_password(account_id, WRONG, NEW_PASSWORD)
        clock.advance(SETTINGS.lockout)
        stale = _request_reset(portal)
        used = _request_reset(portal)
        secrets += [stale, used]
        portal.accounts.reset_password(used, NEW_PASSWORD)
        for token in (used, stale, used[:-3] + "abc"):
            with pytest.raises(InvalidToken):
                portal.accounts.reset_password(token, "yet-another-password")
        with pytest.raises(InvalidCredentials):
            portal.accounts.log_in(EMAIL, FULL_NAME)
    records = [r for r in caplog.records if r.name.startswith("onestop")]
    assert {getattr(r, "onestop_event", None) for r in records} >= {
        "login.failed",
        "account.locked",
        "login.refused_locked",
        "password_change.refused_locked",
        "token.reused",
        "token.invalid",
    }
    for record in records:
        shown = [record.getMessage(), *(repr(v) for v in vars(record).values())]
        for secret in secrets:
            assert not any(secret in text for text in shown), (secret, record.getMessage())
