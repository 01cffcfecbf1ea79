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

:class:`AccountService` is one service made of parts that each read on their own:
registration and verification (:mod:`onestop.application._account_registration`), logging
in and passwords (:mod:`onestop.application._account_passwords`), the signed single-use
links both mail (:mod:`onestop.application._account_links`); profiles and the
administrators' locks are here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Unpack

import attrs

from onestop.application._account_passwords import MAX_PASSWORD_LENGTH, AccountPasswords
from onestop.application._account_registration import AccountRegistration
from onestop.application.arguments import checked_methods
from onestop.application.audit import record_admin_action, run_admin_action
from onestop.application.context import AppContext
from onestop.application.dossiers import ProfileChanges
from onestop.application.security_log import log_security_event, mask_email
from onestop.domain.accounts import Account, AccountKind, Applicant
from onestop.domain.identity import normalize_email
from onestop.domain.inputs import require_date, require_text
from onestop.errors import AccountNotFound, InvalidIdentity, InvalidInput
from onestop.ports.storage import UnitOfWork

__all__ = ["MAX_PASSWORD_LENGTH", "AccountService"]

_PROFILE_DETAILS = frozenset(a.name for a in attrs.fields(Applicant)) - {"email"}
_ORGANISATION_DETAILS = frozenset({"organisation_name", "tax_code"})


@checked_methods
class AccountService(AccountRegistration, AccountPasswords):
    """Register, verify, log in, reset and change passwords, read and edit profiles."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._dummy_hash: str | None = None

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
        login = normalize_email(email, "email")
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
