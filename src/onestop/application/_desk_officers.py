"""Officers themselves, for the desk: registering them, looking them up, administering them
(deactivate, reactivate, roles, passwords, single sign-on subjects, each in the audit trail)
and their login (the same scrypt hashing and lockout as citizens'). :class:`OfficerDesk`
inherits these; see :mod:`onestop.application.desk`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from onestop.application._account_passwords import PasswordProof, check_password
from onestop.application.arguments import checked_methods
from onestop.application.audit import record_admin_action, run_admin_action
from onestop.application.context import AppContext
from onestop.application.security_log import log_security_event, mask, mask_email
from onestop.domain.accounts import EVERY_ROLE, Officer, OfficerRole
from onestop.domain.codes import AgencyCode
from onestop.domain.identity import normalize_email
from onestop.domain.inputs import require_text
from onestop.errors import (
    AccountLocked,
    ConcurrentUpdate,
    InvalidCredentials,
    OfficerNotFound,
    PermissionDenied,
)
from onestop.ports.storage import UnitOfWork

__all__ = ["OfficerAccounts"]

# How often a login retries storing its count when another login changed the officer.
_LOGIN_RETRIES = 100
# Who an administrative action is recorded as when the caller does not say.
_OPERATOR = "operator"


@checked_methods
class OfficerAccounts(PasswordProof):
    """Registering, finding, administering and logging in officers (part of the desk)."""

    _ctx: AppContext
    _dummy_hash: str | None

    # --- officers and reading -----------------------------------------------------------

    def register_officer(
        self,
        agency: AgencyCode | str,
        full_name: str,
        email: str,
        *,
        roles: frozenset[OfficerRole] | None = None,
        password: str | None = None,
        external_subject: str | None = None,
        by: str = _OPERATOR,
    ) -> Officer:
        """A new officer of an agency the catalog knows (AgencyNotFound otherwise).

        ``roles`` defaults to every role (a one-person office). Without ``password`` nor
        ``external_subject`` the officer cannot log in until one is set. DuplicateError
        for a taken email or subject; WeakPassword names ``password``. Recorded in the
        audit trail as ``officer.created`` by ``by``.
        """
        code = agency if isinstance(agency, AgencyCode) else AgencyCode.parse(agency)
        require_text(by, "by")
        ctx = self._ctx
        officer = Officer.create(
            ctx.new_id(),
            code,
            full_name,
            email,
            roles=EVERY_ROLE if roles is None else roles,
            external_subject=external_subject,
        )
        if password is not None:
            check_password(self._ctx, password, officer.email, "password")
            officer.change_password_hash(ctx.password_hasher.hash(password))

        def work(uow: UnitOfWork) -> Officer:
            uow.catalog.get_agency(code)
            uow.officers.add(officer)
            record_admin_action(
                uow,
                ctx,
                "officer.created",
                officer.id,
                by=by,
                agency=str(code),
                email=officer.email,
                roles=sorted(r.value for r in officer.roles),
                password=password is not None,
                external_subject=external_subject is not None,
            )
            return officer

        return run_admin_action(ctx, work)

    def officer(self, officer_id: str) -> Officer:
        """The officer, or OfficerNotFound."""
        with self._ctx.storage.unit_of_work() as uow:
            return uow.officers.get(officer_id)

    def find_officer(self, email: str) -> Officer:
        """The officer with this email, or OfficerNotFound."""
        login = normalize_email(email, "email")
        with self._ctx.storage.unit_of_work() as uow:
            officer = uow.officers.find_by_email(login)
        if officer is None:
            raise OfficerNotFound(login)
        return officer

    def list_officers(self, agency: AgencyCode | str | None = None) -> list[Officer]:
        """Every officer (of one agency if given), by agency then id."""
        with self._ctx.storage.unit_of_work() as uow:
            if agency is None:
                return list(uow.officers.list_all())
            code = agency if isinstance(agency, AgencyCode) else AgencyCode.parse(agency)
            return list(uow.officers.list_by_agency(code))

    # --- administration -----------------------------------------------------------------

    def deactivate(self, officer_id: str, *, by: str = _OPERATOR) -> Officer:
        """Take every right away from an officer (who left); recorded in the audit trail."""
        return self._administer(officer_id, "officer.deactivated", by, lambda o: o.deactivate())

    def reactivate(self, officer_id: str, *, by: str = _OPERATOR) -> Officer:
        """Give a deactivated officer their rights back; recorded in the audit trail."""
        return self._administer(officer_id, "officer.reactivated", by, lambda o: o.reactivate())

    def change_roles(
        self, officer_id: str, roles: frozenset[OfficerRole], *, by: str = _OPERATOR
    ) -> Officer:
        """Replace an officer's roles (at least one); recorded in the audit trail."""

        def change(officer: Officer) -> dict[str, object]:
            before = sorted(r.value for r in officer.roles)
            officer.change_roles(roles)
            return {"before": before, "after": sorted(r.value for r in roles)}

        return self._administer(officer_id, "officer.roles_changed", by, change)

    def set_password(self, officer_id: str, password: str, *, by: str = _OPERATOR) -> Officer:
        """Set an officer's password (checked as an account's); lifts a login lock."""
        with self._ctx.storage.unit_of_work() as uow:
            email = uow.officers.get(officer_id).email
        check_password(self._ctx, password, email, "password")
        new_hash = self._ctx.password_hasher.hash(password)
        return self._administer(
            officer_id, "officer.password_set", by, lambda o: o.change_password_hash(new_hash)
        )

    def link_external_subject(
        self, officer_id: str, subject: str | None, *, by: str = _OPERATOR
    ) -> Officer:
        """Set (or clear, with None) the subject single sign-on knows the officer by."""

        def link(officer: Officer) -> dict[str, object]:
            officer.link_external_subject(subject)
            return {"linked": subject is not None}

        return self._administer(officer_id, "officer.subject_linked", by, link)

    def _administer(
        self, officer_id: str, action: str, by: str, change: Callable[[Officer], object]
    ) -> Officer:
        """Change one officer and record ``action`` in the audit trail, in one unit of work."""
        require_text(by, "by")
        ctx = self._ctx

        def work(uow: UnitOfWork) -> Officer:
            officer = uow.officers.get(officer_id)
            details = change(officer)
            uow.officers.update(officer)
            extra = details if isinstance(details, dict) else {}
            record_admin_action(uow, ctx, action, officer.id, by=by, **extra)
            return officer

        return run_admin_action(ctx, work)

    # --- logging in ---------------------------------------------------------------------

    def log_in(self, email: str, password: str) -> Officer:
        """The officer whose email and password these are, as ``AccountService.log_in``.

        InvalidCredentials for an unknown email or a wrong password (one error, the same
        slow hash spent on both); wrong passwords in a row lock the officer for a while
        (AccountLocked); a deactivated officer gets PermissionDenied even with the right
        password.
        """
        login = normalize_email(email, "email")
        ctx = self._ctx
        now = ctx.clock.now()
        with ctx.storage.unit_of_work() as uow:
            found = uow.officers.find_by_email(login)
        if found is None or found.password_hash is None:
            self._spend_a_hash(password)
            log_security_event(
                "officer_login.failed",
                "no officer with this email, or one without a password",
                email=mask_email(login),
                known_officer=found is not None,
            )
            raise InvalidCredentials()
        right = self._matches(password, found.password_hash)
        settings = ctx.settings
        for attempt in range(_LOGIN_RETRIES):
            with ctx.storage.unit_of_work() as uow:
                officer = uow.officers.find_by_email(login)
                if officer is None:
                    raise InvalidCredentials()
                try:
                    if right:
                        self._check_can_log_in(officer, now)
                        if officer.failed_logins:
                            officer.forget_failed_logins()
                            uow.officers.update(officer)
                            uow.commit()
                        return officer
                    was_locked = officer.is_locked(now)
                    locked_now = officer.record_failed_login(
                        now, max_attempts=settings.max_failed_logins, lock_for=settings.lockout
                    )
                    if not was_locked:
                        uow.officers.update(officer)
                        uow.commit()
                except ConcurrentUpdate:
                    if attempt == _LOGIN_RETRIES - 1:
                        raise
                    continue
            self._log_wrong_password(officer, login, was_locked, locked_now)
            raise InvalidCredentials()
        raise AssertionError("unreachable: the last attempt returns or raises")

    def log_in_external(self, subject: str) -> Officer:
        """The officer the host's single sign-on vouched for as ``subject``.

        The host has checked the identity provider's assertion; this maps the subject to
        an active officer: OfficerNotFound for an unknown subject, PermissionDenied for a
        deactivated officer.
        """
        require_text(subject, "subject")
        with self._ctx.storage.unit_of_work() as uow:
            officer = uow.officers.find_by_external_subject(subject)
        if officer is None:
            log_security_event(
                "officer_login.failed", "unknown single sign-on subject", subject=mask(subject)
            )
            raise OfficerNotFound(mask(subject))
        if not officer.active:
            log_security_event(
                "permission.denied", "a deactivated officer tried to log in", actor_id=officer.id
            )
            raise PermissionDenied(f"officer {officer.id!r} is deactivated and cannot log in")
        return officer

    @staticmethod
    def _check_can_log_in(officer: Officer, now: dt.datetime) -> None:
        try:
            officer.check_can_log_in(now)
        except AccountLocked:
            log_security_event(
                "officer_login.refused_locked",
                "the password is right but the officer is locked",
                officer_id=officer.id,
            )
            raise
        except PermissionDenied:
            log_security_event(
                "permission.denied", "a deactivated officer tried to log in", actor_id=officer.id
            )
            raise

    @staticmethod
    def _log_wrong_password(
        officer: Officer, login: str, was_locked: bool, locked_now: bool
    ) -> None:
        log_security_event(
            "officer_login.refused_locked" if was_locked else "officer_login.failed",
            "wrong password" + (" for a locked officer (not counted)" if was_locked else ""),
            email=mask_email(login),
            officer_id=officer.id,
            failed_attempts=officer.failed_logins,
        )
        if locked_now:
            until = officer.locked_until
            log_security_event(
                "officer.locked",
                "too many wrong passwords: the officer is locked for a while",
                email=mask_email(login),
                officer_id=officer.id,
                locked_until=None if until is None else until.isoformat(),
            )
