"""Passwords of accounts: logging in, resetting a forgotten password through a mailed link,
changing it while logged in, and the rules a new password must meet.

Logging in gives one error for an unknown email and a wrong password, and spends the same
slow hash on both, so nobody can list accounts; repeated wrong passwords lock the account
for a while. A wrong current password in a change counts like a failed login. Hashing
happens outside units of work; the change is then stored with the account's version
checked, so a concurrent change is never overwritten.

Security events (``login.failed``, ``login.refused_locked``, ``password_change.failed``,
``password_change.refused_locked``, ``account.locked``) name the account by its masked
email, never with a password. :class:`AccountPasswords` is part of
:class:`~onestop.application.accounts.AccountService`, which inherits it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from onestop.application import _account_links as links
from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.security_log import log_security_event, mask, mask_email
from onestop.domain.accounts import Account, AccountStatus
from onestop.domain.identity import normalize_email
from onestop.domain.inputs import is_valid_unicode
from onestop.errors import (
    AccountLocked,
    ConcurrentUpdate,
    InvalidCredentials,
    InvalidIdentity,
    WeakPassword,
)
from onestop.ports.storage import UnitOfWork

__all__ = ["MAX_PASSWORD_LENGTH", "AccountPasswords", "PasswordProof", "check_password"]

#: Longest password accepted: long enough for any passphrase, short enough to hash cheaply.
MAX_PASSWORD_LENGTH = 1024

# How often a login retries storing its count when other logins changed the account at the
# same moment. Each retry re-reads the account but reuses the verdict on the password (no
# second slow hash unless the hash changed), so retrying is cheap; every round lets at least
# one of the racing logins store its count, so a burst of parallel guesses is counted whole.
_LOGIN_RETRIES = 100

# Finds the account whose password is being proved, in a unit of work (None: no such account).
_AccountFinder = Callable[[UnitOfWork], Account | None]
# What a proved password does to its account: a login, or the check before a change.
_OnRightPassword = Callable[[Account, dt.datetime], None]
_Action = Literal["login", "password_change"]


class PasswordProof:
    """Checking a password against its hash without telling how (for accounts and officers):
    an overlong one is never hashed, and an unknown login spends the time a real check does."""

    _ctx: AppContext
    _dummy_hash: str | None

    def _matches(self, password: str, password_hash: str) -> bool:
        # No stored password is that long (registration refuses it): no need to hash it.
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        return self._ctx.password_hasher.verify(password, password_hash)

    def _spend_a_hash(self, password: str) -> None:
        """Spend as long as checking a real password, so an unknown email is not faster."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return  # a known email does not hash it either
        if self._dummy_hash is None:
            # Making the dummy hash costs about what verifying against it does.
            self._dummy_hash = self._ctx.password_hasher.hash(self._ctx.new_id())
        else:
            self._ctx.password_hasher.verify(password, self._dummy_hash)


@checked_methods
class AccountPasswords(PasswordProof):
    """Log in, reset a forgotten password, change a password (part of the account service)."""

    _ctx: AppContext
    _dummy_hash: str | None

    # --- logging in -----------------------------------------------------------------------

    def log_in(self, email: str, password: str) -> Account:
        """The account, if ``password`` is right and it may log in now.

        InvalidCredentials for an unknown email or a wrong password alike (each wrong password
        counts towards a temporary lock); AccountLocked or AccountNotVerified only when the
        password is right, so they reveal nothing to someone guessing. A password longer than
        MAX_PASSWORD_LENGTH is wrong without being hashed, for a known email or not.
        """
        try:
            login: str | None = normalize_email(email, "email")
        except InvalidIdentity:
            login = None

        def find(uow: UnitOfWork) -> Account | None:
            return None if login is None else uow.accounts.find_by_email(login)

        asked_for = "<not an email address>" if login is None else mask_email(login)
        return self._prove_password(
            find, password, "login", Account.record_successful_login, asked_for=asked_for
        )

    def _prove_password(
        self,
        find: _AccountFinder,
        password: str,
        action: _Action,
        on_right: _OnRightPassword,
        *,
        asked_for: str,
    ) -> Account:
        """The account ``find`` gives, once ``password`` is proved right for it.

        A wrong password counts towards the lock and raises InvalidCredentials; a right one
        goes through ``on_right`` (which may refuse a locked account). Every outcome but
        success is logged as a security event, naming the account by its masked email, or
        by ``asked_for`` (already masked) when ``find`` finds none.
        """
        verdicts: dict[str, bool] = {}  # password hash -> whether ``password`` matches it
        for attempt in range(1, _LOGIN_RETRIES + 1):
            now = self._ctx.clock.now()
            with self._ctx.storage.unit_of_work() as uow:
                account = find(uow)
                if account is None:
                    self._spend_a_hash(password)
                    log_security_event(
                        f"{action}.failed",
                        "no account has this email",
                        email=asked_for,
                        account_id=None,
                        known_account=False,
                    )
                    raise InvalidCredentials()
                email = mask_email(account.email)
                right = verdicts.get(account.password_hash)
                if right is None:
                    right = self._matches(password, account.password_hash)
                    verdicts[account.password_hash] = right
                was_locked = account.is_locked(now)
                locked_now = False
                if right:
                    needs_store = account.failed_logins != 0 or account.locked_until is not None
                    try:
                        on_right(account, now)
                    except AccountLocked as e:
                        self._log_refused_while_locked(action, account, email, e, right=True)
                        raise
                else:
                    # A guess at a locked account changes nothing, so it stores nothing.
                    needs_store = not was_locked
                    locked_now = account.record_failed_login(
                        now,
                        max_attempts=self._ctx.settings.max_failed_logins,
                        lock_for=self._ctx.settings.lockout,
                    )
                try:
                    if needs_store:
                        uow.accounts.update(account)
                        uow.commit()
                except ConcurrentUpdate:
                    if attempt < _LOGIN_RETRIES:
                        continue
                    if right:
                        raise
            if not right:
                self._log_wrong_password(action, account, email, was_locked, locked_now)
                raise InvalidCredentials()
            return account
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _log_wrong_password(
        self, action: _Action, account: Account, email: str, was_locked: bool, locked_now: bool
    ) -> None:
        if was_locked:
            log_security_event(
                f"{action}.refused_locked",
                "a wrong password for a locked account (not counted)",
                email=email,
                account_id=account.id,
                locked_until=_when(account.locked_until),
                password_right=False,
            )
            return
        # After a lock the counter is back to 0: the attempt that locked was the last one.
        attempts = self._ctx.settings.max_failed_logins if locked_now else account.failed_logins
        log_security_event(
            f"{action}.failed",
            "wrong password" if action == "login" else "wrong current password",
            email=email,
            account_id=account.id,
            known_account=True,
            failed_attempts=attempts,
            max_attempts=self._ctx.settings.max_failed_logins,
        )
        if locked_now:
            log_security_event(
                "account.locked",
                "too many wrong passwords: the account is locked for a while",
                email=email,
                account_id=account.id,
                failed_attempts=attempts,
                locked_until=_when(account.locked_until),
            )

    @staticmethod
    def _log_refused_while_locked(
        action: _Action, account: Account, email: str, error: AccountLocked, *, right: bool
    ) -> None:
        log_security_event(
            f"{action}.refused_locked",
            "the password is right but the account is locked",
            email=email,
            account_id=account.id,
            locked_until=_when(error.until),
            locked_by_administrator=error.until is None,
            password_right=right,
        )

    # --- passwords ------------------------------------------------------------------------

    def request_password_reset(self, email: str, *, locale: str | None = None) -> None:
        """Mail a password-reset link if ``email`` has an account; silent either way."""
        chosen = links.chosen_locale(self._ctx, locale)
        login = normalize_email(email, "email")
        with self._ctx.storage.unit_of_work() as uow:
            account = uow.accounts.find_by_email(login)
            if account is None:
                return
            links.queue_link(uow, self._ctx, account, links.RESET, chosen)
            uow.commit()

    def reset_password(self, token: str, new_password: str) -> Account:
        """Set a new password through a reset link (once); this also lifts a temporary lock.

        A lock set by an administrator stays. Token errors as for :meth:`verify`;
        WeakPassword names ``new_password``. A reset link works only while the password is
        the one it was mailed for: once the password is changed or reset, every reset link
        mailed before is refused with InvalidToken.
        """
        now = self._ctx.clock.now()
        with links.spending_link(self._ctx, token, links.RESET, now) as claims:
            with self._ctx.storage.unit_of_work() as uow:
                account = links.account_of_token(uow, claims.account_id)
            check_password(self._ctx, new_password, account.email, "new_password")
            new_hash = self._ctx.password_hasher.hash(new_password)
            with self._ctx.storage.unit_of_work() as uow:
                # Consumed first: a second use of the link waits here for the first to end,
                # then is told the link was used rather than that the password changed.
                links.consume(uow, claims.token_id, now)
                account = links.account_of_token(uow, claims.account_id)
                links.check_stamp(claims, account)
                account.change_password_hash(new_hash)
                if account.status is not AccountStatus.LOCKED:
                    account.unlock()
                uow.accounts.update(account)
                links.commit_consumed(uow)
        return account

    def change_password(self, account_id: str, old_password: str, new_password: str) -> Account:
        """Replace the password of a logged-in account; InvalidCredentials if ``old`` is wrong.

        A wrong ``old_password`` counts towards the lock exactly like a failed login, and a
        locked account cannot change its password until the lock ends (AccountLocked).
        Every password-reset link mailed before the change stops working.
        """
        account = self._prove_password(
            lambda uow: uow.accounts.get(account_id),
            old_password,
            "password_change",
            Account.record_right_password,
            asked_for=mask(account_id),  # never used: get() raises AccountNotFound instead
        )
        check_password(self._ctx, new_password, account.email, "new_password")
        if new_password == old_password:
            raise WeakPassword(
                "new_password", "must differ from the current password", rule_code="unchanged"
            )
        account.change_password_hash(self._ctx.password_hasher.hash(new_password))
        with self._ctx.storage.unit_of_work() as uow:
            uow.accounts.update(account)
            uow.commit()
        return account


def check_password(ctx: AppContext, password: str, email: str, field: str) -> None:
    """WeakPassword naming ``field`` unless ``password`` meets the rules for ``email``'s account.

    The value is never repeated in the error: it is a secret.
    """
    minimum = ctx.settings.min_password_length
    if not isinstance(password, str):
        raise WeakPassword(field, "must be text")
    if not is_valid_unicode(password):
        raise WeakPassword(field, "must be valid Unicode text (it holds a lone surrogate)")
    if len(password) < minimum:
        raise WeakPassword(
            field,
            f"must be at least {minimum} characters long",
            rule_code="too_short",
            limits={"min_length": minimum},
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            field,
            f"must be at most {MAX_PASSWORD_LENGTH} characters long",
            rule_code="too_long",
            limits={"max_length": MAX_PASSWORD_LENGTH},
        )
    if not password.strip():
        raise WeakPassword(field, "must not be only spaces", rule_code="blank")
    if password.strip().casefold() == email.casefold():
        raise WeakPassword(field, "must not be the email address", rule_code="same_as_email")


def _when(instant: dt.datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()
