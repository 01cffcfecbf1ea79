"""Registration of accounts: a citizen's or an organisation's account, stored waiting for
verification, and the verification link that activates it.

Registration stores the account and queues the mail *"Xác nhận đăng ký tài khoản sử dụng
cổng dịch vụ công trực tuyến"* in the same unit of work, with a signed link that expires and
works once (:mod:`onestop.application._account_links`). Every detail is checked before the
email is looked up, so a wrong input gets the very same answer whether or not the address
has an account; the slow hash comes after, outside any unit of work.
:class:`AccountRegistration` is part of
:class:`~onestop.application.accounts.AccountService`, which inherits it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from onestop.application import _account_links as links
from onestop.application._account_passwords import check_password
from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.domain.accounts import Account
from onestop.domain.identity import normalize_email
from onestop.errors import DuplicateError, TokenAlreadyUsed

__all__ = ["AccountRegistration"]

# Stands in for the hash while a registration's details are checked, before the slow hash.
_NOT_HASHED_YET = "not-hashed-yet"
# Builds the new account from (id, password hash, now) once the password is hashed.
_AccountFactory = Callable[[str, str, dt.datetime], Account]


@checked_methods
class AccountRegistration:
    """Register citizens and organisations, verify their email (part of the account service)."""

    _ctx: AppContext

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
        login = normalize_email(email, "email")

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
        login = normalize_email(email, "email")

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
        chosen = links.chosen_locale(self._ctx, locale)
        check_password(self._ctx, password, login, "password")
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
            links.queue_link(uow, self._ctx, account, links.VERIFY, chosen)
            uow.commit()
        return account

    def verify(self, token: str) -> Account:
        """Follow the verification link: the account becomes active.

        InvalidToken for a forged or malformed link, TokenExpired for an old one,
        TokenAlreadyUsed for a second use or an account verified already. A password change
        leaves the verification link working: it proves the address, not the password.
        """
        now = self._ctx.clock.now()
        with (
            links.spending_link(self._ctx, token, links.VERIFY, now) as claims,
            self._ctx.storage.unit_of_work() as uow,
        ):
            account = links.account_of_token(uow, claims.account_id)
            if account.is_verified:
                raise TokenAlreadyUsed()
            links.consume(uow, claims.token_id, now)
            account.verify(now)
            account.pull_events()
            uow.accounts.update(account)
            links.commit_consumed(uow)
        return account

    def resend_verification(self, email: str, *, locale: str | None = None) -> None:
        """Mail a new verification link if ``email`` has an unverified account.

        For an unknown or verified email nothing happens, and nothing says so: the answer
        is the same either way, so this cannot be used to find out who has an account.
        """
        chosen = links.chosen_locale(self._ctx, locale)
        login = normalize_email(email, "email")
        with self._ctx.storage.unit_of_work() as uow:
            account = uow.accounts.find_by_email(login)
            if account is None or account.is_verified:
                return
            links.queue_link(uow, self._ctx, account, links.VERIFY, chosen)
            uow.commit()
