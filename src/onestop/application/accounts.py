"""Account use cases: register, verify the email, log in, reset and change the password.

Registration stores the account waiting for verification and queues the mail *"Xác nhận
đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến"* in the same unit of work, with a
signed link that expires and works once. Logging in gives one error for an unknown email and
a wrong password, and spends the same slow hash on both, so nobody can list accounts;
repeated wrong passwords lock the account for a while.

Slow work (hashing) happens outside units of work; the change is then stored with the
account's version checked, so a concurrent change is never overwritten.

Every argument is checked against the method's type hints before anything is looked up
(:func:`~onestop.application.arguments.checked_methods`), and every detail of a registration
or a profile change is checked before the email is looked up, so a wrong input gets the very
same answer whether or not the account exists.

Security events go to the ``onestop.security`` logger
(:func:`~onestop.application.security_log.log_security_event`): ``login.failed``,
``login.refused_locked``, ``password_change.failed``, ``password_change.refused_locked``,
``account.locked``, ``token.invalid`` and ``token.reused``, with the email masked and never
a password or a token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, Unpack

import attrs

from onestop.application.arguments import checked_methods
from onestop.application.audit import record_admin_action, run_admin_action
from onestop.application.context import AppContext, link_to
from onestop.application.dossiers import ProfileChanges
from onestop.application.mail import queue_mail
from onestop.application.security_log import log_security_event, mask, mask_email
from onestop.application.templates import check_locale
from onestop.domain.accounts import Account, AccountKind, AccountStatus, Applicant
from onestop.domain.identity import normalize_email
from onestop.domain.inputs import is_valid_unicode, require_date, require_text
from onestop.errors import (
    AccountLocked,
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
from onestop.formatting import format_datetime
from onestop.ports.storage import UnitOfWork

__all__ = ["MAX_PASSWORD_LENGTH", "AccountService"]

#: Longest password accepted: long enough for any passphrase, short enough to hash cheaply.
MAX_PASSWORD_LENGTH = 1024

_VERIFY = "verify"
_RESET = "reset"
# The claim of a reset link holding the account's password stamp when it was mailed.
_STAMP = "pwd"
# What the token ledger's unique rule is called in DuplicateError.
_TOKEN_ID = "token.id"
# How often a login retries storing its count when other logins changed the account at the
# same moment. Each retry re-reads the account but reuses the verdict on the password (no
# second slow hash unless the hash changed), so retrying is cheap; every round lets at least
# one of the racing logins store its count, so a burst of parallel guesses is counted whole.
_LOGIN_RETRIES = 100
_PROFILE_DETAILS = frozenset(a.name for a in attrs.fields(Applicant)) - {"email"}
_ORGANISATION_DETAILS = frozenset({"organisation_name", "tax_code"})
# Stands in for the hash while a registration's details are checked, before the slow hash.
_NOT_HASHED_YET = "not-hashed-yet"

# Builds the new account from (id, password hash, now) once the password is hashed.
_AccountFactory = Callable[[str, str, dt.datetime], Account]
# Finds the account whose password is being proved, in a unit of work (None: no such account).
_AccountFinder = Callable[[UnitOfWork], Account | None]
# What a proved password does to its account: a login, or the check before a change.
_OnRightPassword = Callable[[Account, dt.datetime], None]
_Action = Literal["login", "password_change"]


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
        # Every detail is checked before the email is looked up, so a bad detail is refused
        # alike whether or not the address has an account.
        account = build(self._ctx.new_id(), _NOT_HASHED_YET, self._ctx.clock.now())
        with self._ctx.storage.unit_of_work() as uow:
            # Checked before hashing so a taken email costs no slow hash; the storage's own
            # unique rule still catches two registrations racing for one address.
            if uow.accounts.find_by_email(login) is not None:
                raise DuplicateError("account.email", login)
        account.change_password_hash(self._ctx.password_hasher.hash(password))
        account.pull_events()  # the mail below is what announces the registration
        with self._ctx.storage.unit_of_work() as uow:
            uow.accounts.add(account)
            self._queue_link(uow, account, _VERIFY, chosen)
            uow.commit()
        return account

    def verify(self, token: str) -> Account:
        """Follow the verification link: the account becomes active.

        InvalidToken for a forged or malformed link, TokenExpired for an old one,
        TokenAlreadyUsed for a second use or an account verified already. A password change
        leaves the verification link working: it proves the address, not the password.
        """
        now = self._ctx.clock.now()
        with self._token_use(_VERIFY) as seen:
            claims = self._read_token(token, _VERIFY, now)
            seen["account_id"] = claims.account_id
            with self._ctx.storage.unit_of_work() as uow:
                account = self._account_of_token(uow, claims.account_id)
                if account.is_verified:
                    raise TokenAlreadyUsed()
                self._consume(uow, claims.token_id, now)
                account.verify(now)
                account.pull_events()
                uow.accounts.update(account)
                self._commit_consumed(uow)
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
        password is right, so they reveal nothing to someone guessing. A password longer than
        MAX_PASSWORD_LENGTH is wrong without being hashed, for a known email or not.
        """
        try:
            login: str | None = self._login(email)
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

    def _matches(self, password: str, password_hash: str) -> bool:
        # No stored password is that long (registration refuses it): no need to hash it.
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        return self._ctx.password_hasher.verify(password, password_hash)

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

    def _spend_a_hash(self, password: str) -> None:
        """Spend as long as checking a real password, so an unknown email is not faster."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return  # a known email does not hash it either
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
        WeakPassword names ``new_password``. A reset link works only while the password is
        the one it was mailed for: once the password is changed or reset, every reset link
        mailed before is refused with InvalidToken.
        """
        now = self._ctx.clock.now()
        with self._token_use(_RESET) as seen:
            claims = self._read_token(token, _RESET, now)
            seen["account_id"] = claims.account_id
            with self._ctx.storage.unit_of_work() as uow:
                account = self._account_of_token(uow, claims.account_id)
            self._check_password(new_password, account.email, "new_password")
            new_hash = self._ctx.password_hasher.hash(new_password)
            with self._ctx.storage.unit_of_work() as uow:
                # Consumed first: a second use of the link waits here for the first to end,
                # then is told the link was used rather than that the password changed.
                self._consume(uow, claims.token_id, now)
                account = self._account_of_token(uow, claims.account_id)
                self._check_stamp(claims, account)
                account.change_password_hash(new_hash)
                if account.status is not AccountStatus.LOCKED:
                    account.unlock()
                uow.accounts.update(account)
                self._commit_consumed(uow)
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
        self._check_password(new_password, account.email, "new_password")
        if new_password == old_password:
            raise WeakPassword(
                "new_password", "must differ from the current password", rule_code="unchanged"
            )
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

    def update_profile(self, account_id: str, **changes: Unpack[ProfileChanges]) -> Account:
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
            # A name that is no identifier ("", a lone surrogate) is named by its container.
            raise InvalidInput(
                unknown[0] if unknown[0].isidentifier() else "changes",
                f"is not a profile detail; use one of {', '.join(sorted(_PROFILE_DETAILS))}",
            )
        for name, value in changes.items():
            # The kind of every value is checked before the account is looked up; each
            # detail's own rule is checked by the profile below.
            if value is None:
                continue
            if name == "date_of_birth":
                require_date(value, name)
            else:
                require_text(value, name, error=InvalidIdentity)
        with self._ctx.storage.unit_of_work() as uow:
            account = uow.accounts.get(account_id)
            misplaced = sorted(_ORGANISATION_DETAILS & set(changes))
            if account.kind is AccountKind.CITIZEN and misplaced:
                raise InvalidInput(misplaced[0], "belongs to organisation accounts only")
            account.update_profile(account.profile.with_changes(**changes))
            uow.accounts.update(account)
            uow.commit()
        return account

    # --- administration -------------------------------------------------------------------

    def lock(self, email: str, *, by: str = "operator") -> Account:
        """Lock an account until an administrator unlocks it (AccountNotFound if none).

        Recorded in the audit trail (``account.locked``) and logged as a security event.
        """
        return self._administer(email, "account.locked", by, Account.lock)

    def unlock(self, email: str, *, by: str = "operator") -> Account:
        """Lift every lock of an account (an administrator's and failed logins')."""
        return self._administer(email, "account.unlocked", by, Account.unlock)

    def _administer(
        self, email: str, action: str, by: str, change: Callable[[Account], None]
    ) -> Account:
        login = self._login(email)
        require_text(by, "by")
        ctx = self._ctx

        def work(uow: UnitOfWork) -> Account:
            account = uow.accounts.find_by_email(login)
            if account is None:
                raise AccountNotFound(login)
            change(account)
            uow.accounts.update(account)
            record_admin_action(uow, ctx, action, account.id, by=by, status=account.status.value)
            return account

        account = run_admin_action(ctx, work)
        log_security_event(
            action,
            f"{action} by an administrator",
            email=mask_email(login),
            account_id=account.id,
            by=by,
        )
        return account

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _login(email: str) -> str:
        """The normalised email; InvalidIdentity naming ``email`` for anything but a valid one."""
        return normalize_email(email, "email")

    def _locale(self, locale: str | None) -> str:
        return check_locale(self._ctx.settings.locale if locale is None else locale)

    def _check_password(self, password: str, email: str, field: str) -> None:
        # The value is never repeated in the error: it is a secret.
        minimum = self._ctx.settings.min_password_length
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

    def _queue_link(self, uow: UnitOfWork, account: Account, purpose: str, locale: str) -> None:
        """Queue the mail with a signed single-use link for ``purpose`` to ``account``."""
        settings = self._ctx.settings
        if purpose == _VERIFY:
            ttl, page, template = (
                settings.verification_ttl,
                settings.verification_url,
                "account_verification",
            )
        else:
            ttl, page, template = settings.reset_ttl, settings.password_reset_url, "password_reset"
        expires = self._ctx.clock.now() + ttl
        claims: dict[str, str | int] = {
            "purpose": purpose,
            "sub": account.id,
            "exp": int(expires.timestamp()),
            "jti": self._ctx.new_id(),
        }
        if purpose == _RESET:
            claims[_STAMP] = account.password_stamp
        token = self._ctx.token_signer.sign(claims)
        link = link_to(page, token=token)
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

    def _read_token(self, token: str, purpose: str, now: dt.datetime) -> _Claims:
        """The claims of a genuine, unexpired token for ``purpose``."""
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
        stamp = claims.get(_STAMP)
        return _Claims(account_id, token_id, stamp if isinstance(stamp, str) else None)

    @staticmethod
    def _check_stamp(claims: _Claims, account: Account) -> None:
        """Refuse a reset link mailed before the account's password last changed."""
        if claims.password_stamp is None:
            raise InvalidToken()  # genuine but made without a stamp: not a reset link of ours
        if claims.password_stamp != account.password_stamp:
            raise InvalidToken(
                "the link no longer works: the password has changed since it was sent; "
                "ask for a new one"
            )

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

    @staticmethod
    def _commit_consumed(uow: UnitOfWork) -> None:
        """Commit a unit of work that consumed a token; a second use found at commit is one too.

        A storage may check the ledger's unique rule only when committing (as a deferred
        constraint does): that is the same second use as one refused by ``consume`` itself.
        """
        try:
            uow.commit()
        except DuplicateError as e:
            if e.field == _TOKEN_ID:
                raise TokenAlreadyUsed() from None
            raise

    @staticmethod
    @contextmanager
    def _token_use(purpose: str) -> Iterator[dict[str, object]]:
        """Log a refused link as ``token.reused`` or ``token.invalid``; never the token itself.

        The caller adds what it learnt (``account_id``, once the signature is proved) to
        the dict it gets.
        """
        seen: dict[str, object] = {"purpose": purpose, "account_id": None}
        try:
            yield seen
        except TokenAlreadyUsed:
            log_security_event("token.reused", "a single-use link was used again", **seen)
            raise
        except InvalidToken as e:
            reason = "expired" if isinstance(e, TokenExpired) else str(e)
            log_security_event("token.invalid", "a link was refused", reason=reason, **seen)
            raise


@attrs.frozen
class _Claims:
    """What a genuine link says: whose account, which single-use id, which password."""

    account_id: str
    token_id: str
    password_stamp: str | None


def _when(instant: dt.datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()
