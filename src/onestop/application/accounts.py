"""Account use cases: register, verify the email, log in, reset and change the password.

Registration stores the account waiting for verification and queues the mail *"Xác nhận
đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến"* in the same unit of work, with a
signed link that expires and works once. Logging in gives one error for an unknown email and
a wrong password, and spends the same slow hash on both, so nobody can list accounts;
repeated wrong passwords lock the account for a while.

Slow work (hashing) happens outside units of work; the change is then stored with the
account's version checked, so a concurrent change is never overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import attrs

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.mail import format_datetime, queue_mail
from onestop.application.templates import check_locale
from onestop.domain.accounts import Account, AccountKind, AccountStatus, Applicant
from onestop.domain.identity import normalize_email
from onestop.errors import (
    AccountNotFound,
    ConcurrentUpdate,
    DuplicateError,
    InvalidCredentials,
    InvalidIdentity,
    InvalidInput,
    InvalidToken,
    TokenAlreadyUsed,
    TokenExpired,
    WeakPassword,
)
from onestop.ports.storage import UnitOfWork

__all__ = ["MAX_PASSWORD_LENGTH", "AccountService"]

#: Longest password accepted: long enough for any passphrase, short enough to hash cheaply.
MAX_PASSWORD_LENGTH = 1024

_VERIFY = "verify"
_RESET = "reset"
# How often a login retries storing its count when other logins changed the account at the
# same moment. Each retry re-reads the account but reuses the verdict on the password (no
# second slow hash unless the hash changed), so retrying is cheap; every round lets at least
# one of the racing logins store its count, so a burst of parallel guesses is counted whole.
_LOGIN_RETRIES = 100
_PROFILE_DETAILS = frozenset(a.name for a in attrs.fields(Applicant)) - {"email"}
_ORGANISATION_DETAILS = frozenset({"organisation_name", "tax_code"})

# Builds the new account from (id, password hash, now) once the password is hashed.
_AccountFactory = Callable[[str, str, dt.datetime], Account]


@checked_methods
class AccountService:
    """Register, verify, log in, reset and change passwords, read and edit profiles."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._dummy_hash: str | None = None

    # --- registration ---------------------------------------------------------------------

    def register_citizen(
        self,
        email: str,
        password: str,
        full_name: str,
        *,
        phone: str | None = None,
        id_number: str | None = None,
        date_of_birth: dt.date | None = None,
        address: str | None = None,
        id_issued_by: str | None = None,
        locale: str | None = None,
    ) -> Account:
        """A citizen's account, waiting for verification; the verification mail is queued.

        InvalidIdentity names a bad detail, WeakPassword a refused password, DuplicateError
        a taken email.
        """
        login = self._login(email)

        def build(account_id: str, password_hash: str, now: dt.datetime) -> Account:
            return Account.register_citizen(
                account_id,
                login,
                password_hash,
                full_name,
                now,
                phone=phone,
                id_number=id_number,
                date_of_birth=date_of_birth,
                address=address,
                id_issued_by=id_issued_by,
            )

        return self._register(login, password, locale, build)

    def register_organisation(
        self,
        email: str,
        password: str,
        organisation_name: str,
        tax_code: str,
        representative_name: str,
        *,
        phone: str | None = None,
        address: str | None = None,
        locale: str | None = None,
    ) -> Account:
        """An organisation's account (with a valid tax code), waiting for verification."""
        login = self._login(email)

        def build(account_id: str, password_hash: str, now: dt.datetime) -> Account:
            return Account.register_organisation(
                account_id,
                login,
                password_hash,
                organisation_name,
                tax_code,
                representative_name,
                now,
                phone=phone,
                address=address,
            )

        return self._register(login, password, locale, build)

    def _register(
        self, login: str, password: str, locale: str | None, build: _AccountFactory
    ) -> Account:
        chosen = self._locale(locale)
        self._check_password(password, login, "password")
        with self._ctx.storage.unit_of_work() as uow:
            # Checked before hashing so a taken email costs no slow hash; the storage's own
            # unique rule still catches two registrations racing for one address.
            if uow.accounts.find_by_email(login) is not None:
                raise DuplicateError("account.email", login)
        password_hash = self._ctx.password_hasher.hash(password)
        account = build(self._ctx.new_id(), password_hash, self._ctx.clock.now())
        account.pull_events()  # the mail below is what announces the registration
        with self._ctx.storage.unit_of_work() as uow:
            uow.accounts.add(account)
            self._queue_link(uow, account, _VERIFY, chosen)
            uow.commit()
        return account

    def verify(self, token: str) -> Account:
        """Follow the verification link: the account becomes active.

        InvalidToken for a forged or malformed link, TokenExpired for an old one,
        TokenAlreadyUsed for a second use or an account verified already.
        """
        now = self._ctx.clock.now()
        account_id, token_id = self._read_token(token, _VERIFY, now)
        with self._ctx.storage.unit_of_work() as uow:
            account = self._account_of_token(uow, account_id)
            if account.is_verified:
                raise TokenAlreadyUsed()
            self._consume(uow, token_id, now)
            account.verify(now)
            account.pull_events()
            uow.accounts.update(account)
            uow.commit()
        return account

    def resend_verification(self, email: str, *, locale: str | None = None) -> None:
        """Mail a new verification link if ``email`` has an unverified account.

        For an unknown or verified email nothing happens, and nothing says so: the answer
        is the same either way, so this cannot be used to find out who has an account.
        """
        chosen = self._locale(locale)
        login = self._login(email)
        with self._ctx.storage.unit_of_work() as uow:
            account = uow.accounts.find_by_email(login)
            if account is None or account.is_verified:
                return
            self._queue_link(uow, account, _VERIFY, chosen)
            uow.commit()

    # --- logging in -----------------------------------------------------------------------

    def log_in(self, email: str, password: str) -> Account:
        """The account, if ``password`` is right and it may log in now.

        InvalidCredentials for an unknown email or a wrong password alike (each wrong password
        counts towards a temporary lock); AccountLocked or AccountNotVerified only when the
        password is right, so they reveal nothing to someone guessing.
        """
        try:
            login: str | None = self._login(email)
        except InvalidIdentity:
            login = None
        if not isinstance(password, str):
            # No form sends this; refuse it like any wrong password, without a hash.
            raise InvalidCredentials()
        verdicts: dict[str, bool] = {}  # password hash -> whether ``password`` matches it
        for attempt in range(1, _LOGIN_RETRIES + 1):
            now = self._ctx.clock.now()
            with self._ctx.storage.unit_of_work() as uow:
                account = None if login is None else uow.accounts.find_by_email(login)
                if account is None:
                    self._spend_a_hash(password)
                    raise InvalidCredentials()
                right = verdicts.get(account.password_hash)
                if right is None:
                    right = self._ctx.password_hasher.verify(password, account.password_hash)
                    verdicts[account.password_hash] = right
                if right:
                    needs_store = account.failed_logins != 0 or account.locked_until is not None
                    account.record_successful_login(now)
                else:
                    # A guess at a locked account changes nothing, so it stores nothing.
                    needs_store = not account.is_locked(now)
                    account.record_failed_login(
                        now,
                        max_attempts=self._ctx.settings.max_failed_logins,
                        lock_for=self._ctx.settings.lockout,
                    )
                try:
                    if needs_store:
                        uow.accounts.update(account)
                        uow.commit()
                except ConcurrentUpdate:
                    if attempt == _LOGIN_RETRIES:
                        if right:
                            raise
                        raise InvalidCredentials() from None
                    continue
            if not right:
                raise InvalidCredentials()
            return account
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _spend_a_hash(self, password: str) -> None:
        """Spend as long as checking a real password, so an unknown email is not faster."""
        if self._dummy_hash is None:
            # Making the dummy hash costs about what verifying against it does.
            self._dummy_hash = self._ctx.password_hasher.hash(self._ctx.new_id())
        else:
            self._ctx.password_hasher.verify(password, self._dummy_hash)

    # --- passwords ------------------------------------------------------------------------

    def request_password_reset(self, email: str, *, locale: str | None = None) -> None:
        """Mail a password-reset link if ``email`` has an account; silent either way."""
        chosen = self._locale(locale)
        login = self._login(email)
        with self._ctx.storage.unit_of_work() as uow:
            account = uow.accounts.find_by_email(login)
            if account is None:
                return
            self._queue_link(uow, account, _RESET, chosen)
            uow.commit()

    def reset_password(self, token: str, new_password: str) -> Account:
        """Set a new password through a reset link (once); this also lifts a temporary lock.

        A lock set by an administrator stays. Token errors as for :meth:`verify`;
        WeakPassword names ``new_password``.
        """
        now = self._ctx.clock.now()
        account_id, token_id = self._read_token(token, _RESET, now)
        with self._ctx.storage.unit_of_work() as uow:
            account = self._account_of_token(uow, account_id)
        self._check_password(new_password, account.email, "new_password")
        account.change_password_hash(self._ctx.password_hasher.hash(new_password))
        if account.status is not AccountStatus.LOCKED:
            account.unlock()
        with self._ctx.storage.unit_of_work() as uow:
            self._consume(uow, token_id, now)
            uow.accounts.update(account)
            uow.commit()
        return account

    def change_password(self, account_id: str, old_password: str, new_password: str) -> Account:
        """Replace the password of a logged-in account; InvalidCredentials if ``old`` is wrong."""
        account = self.get(account_id)
        if not isinstance(old_password, str) or not self._ctx.password_hasher.verify(
            old_password, account.password_hash
        ):
            raise InvalidCredentials()
        self._check_password(new_password, account.email, "new_password")
        if new_password == old_password:
            raise WeakPassword("new_password", "must differ from the current password")
        account.change_password_hash(self._ctx.password_hasher.hash(new_password))
        with self._ctx.storage.unit_of_work() as uow:
            uow.accounts.update(account)
            uow.commit()
        return account

    # --- profile --------------------------------------------------------------------------

    def get(self, account_id: str) -> Account:
        """The account, or AccountNotFound."""
        with self._ctx.storage.unit_of_work() as uow:
            return uow.accounts.get(account_id)

    def update_profile(self, account_id: str, **changes: Any) -> Account:
        """Change profile details (``phone="0912345678"``, ``address=None`` to clear one).

        The email is the login and changes only through a new verification; an organisation's
        name and tax code belong to organisation accounts. InvalidInput names a detail that
        is not allowed, InvalidIdentity one that breaks its rule.
        """
        if "email" in changes:
            raise InvalidInput(
                "email", "is the login and cannot be changed here; register the new address"
            )
        unknown = sorted(set(changes) - _PROFILE_DETAILS)
        if unknown:
            raise InvalidInput(
                unknown[0],
                f"is not a profile detail; use one of {', '.join(sorted(_PROFILE_DETAILS))}",
            )
        with self._ctx.storage.unit_of_work() as uow:
            account = uow.accounts.get(account_id)
            misplaced = sorted(_ORGANISATION_DETAILS & set(changes))
            if account.kind is AccountKind.CITIZEN and misplaced:
                raise InvalidInput(misplaced[0], "belongs to organisation accounts only")
            account.update_profile(account.profile.with_changes(**changes))
            uow.accounts.update(account)
            uow.commit()
        return account

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _login(email: str) -> str:
        """The normalised email; InvalidIdentity naming ``email`` for anything but a valid one."""
        if not isinstance(email, str):
            raise InvalidIdentity("email", "must be text", email)
        return normalize_email(email, "email")

    def _locale(self, locale: str | None) -> str:
        return check_locale(self._ctx.settings.locale if locale is None else locale)

    def _check_password(self, password: str, email: str, field: str) -> None:
        # The value is never repeated in the error: it is a secret.
        minimum = self._ctx.settings.min_password_length
        if not isinstance(password, str):
            raise WeakPassword(field, "must be text")
        if len(password) < minimum:
            raise WeakPassword(field, f"must be at least {minimum} characters long")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise WeakPassword(field, f"must be at most {MAX_PASSWORD_LENGTH} characters long")
        if not password.strip():
            raise WeakPassword(field, "must not be only spaces")
        if password.strip().casefold() == email.casefold():
            raise WeakPassword(field, "must not be the email address")

    def _queue_link(self, uow: UnitOfWork, account: Account, purpose: str, locale: str) -> None:
        """Queue the mail with a signed single-use link for ``purpose`` to ``account``."""
        settings = self._ctx.settings
        if purpose == _VERIFY:
            ttl, path, template = settings.verification_ttl, "verify", "account_verification"
        else:
            ttl, path, template = settings.reset_ttl, "reset-password", "password_reset"
        expires = self._ctx.clock.now() + ttl
        token = self._ctx.token_signer.sign(
            {
                "purpose": purpose,
                "sub": account.id,
                "exp": int(expires.timestamp()),
                "jti": self._ctx.new_id(),
            }
        )
        link = f"{settings.base_url.rstrip('/')}/{path}?{urlencode({'token': token})}"
        queue_mail(
            uow,
            self._ctx,
            template=template,
            to=account.email,
            values={
                "full_name": account.profile.full_name,
                "link": link,
                "expires_at": format_datetime(expires),
            },
            locale=locale,
        )

    def _read_token(self, token: str, purpose: str, now: dt.datetime) -> tuple[str, str]:
        """The account id and token id of a genuine, unexpired token for ``purpose``."""
        if not isinstance(token, str) or not token:
            raise InvalidToken()
        claims = self._ctx.token_signer.unsign(token)
        account_id, expires, token_id = claims.get("sub"), claims.get("exp"), claims.get("jti")
        if claims.get("purpose") != purpose:
            raise InvalidToken("the link is not meant for this")
        if (
            not isinstance(account_id, str)
            or not isinstance(token_id, str)
            or isinstance(expires, bool)
            or not isinstance(expires, int)
        ):
            raise InvalidToken()
        if now.timestamp() >= expires:
            raise TokenExpired()
        return account_id, token_id

    @staticmethod
    def _account_of_token(uow: UnitOfWork, account_id: str) -> Account:
        try:
            return uow.accounts.get(account_id)
        except AccountNotFound:
            # A genuine token for an account that is gone: the link no longer works.
            raise InvalidToken() from None

    @staticmethod
    def _consume(uow: UnitOfWork, token_id: str, now: dt.datetime) -> None:
        try:
            uow.tokens.consume(token_id, now=now)
        except DuplicateError:
            raise TokenAlreadyUsed() from None
