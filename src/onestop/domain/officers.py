"""Officers of the one-stop office (bộ phận một cửa): their roles, their login state, and
the single sign-on subject a host may link. Accounts of citizens and organisations are in
:mod:`onestop.domain.accounts`.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from onestop.domain.accounts import (
    DEFAULT_LOCK_FOR,
    DEFAULT_MAX_FAILED_LOGINS,
    _count_failed_login,
    _has_at,
    _is_agency,
    _non_blank,
    _non_blank_input,
    _not_negative,
)
from onestop.domain.codes import AgencyCode
from onestop.domain.identity import check_name, normalize_email
from onestop.domain.inputs import is_valid_unicode, require_bool, require_datetime
from onestop.errors import AccountLocked, InvalidInput, PermissionDenied

__all__ = ["EVERY_ROLE", "Officer", "OfficerRole"]


class OfficerRole(enum.Enum):
    """What an officer may do at the one-stop office (bộ phận một cửa); one may hold several."""

    #: Tiếp nhận: receive a dossier, refuse to receive it, ask for a supplement.
    RECEPTION = "reception"
    #: Xử lý: start processing, pause and resume, ask for payment, stop processing.
    PROCESSING = "processing"
    #: Phê duyệt: decide (approve or refuse), the leader's name on the decision.
    APPROVAL = "approval"
    #: Trả kết quả: hand the result over.
    RETURN = "return"
    #: Kế toán: look into payments under review and refund them.
    ACCOUNTING = "accounting"


#: Every role: what an officer registered without roles holds (a one-person office).
EVERY_ROLE: frozenset[OfficerRole] = frozenset(OfficerRole)


def _roles(
    _: object, attribute: attrs.Attribute[frozenset[OfficerRole]], value: frozenset[OfficerRole]
) -> None:
    if (
        not isinstance(value, frozenset)
        or not value
        or not all(isinstance(r, OfficerRole) for r in value)
    ):
        choices = ", ".join(r.value for r in OfficerRole)
        raise InvalidInput(
            attribute.name, f"must be a non-empty set of OfficerRole ({choices})", value
        )


def _optional_text(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and (
        not isinstance(value, str) or not value.strip() or not is_valid_unicode(value)
    ):
        raise InvalidInput(attribute.name, "must be None or non-empty text")


@attrs.define(eq=False)
class Officer:
    """A civil servant (cán bộ) of one agency; acts only on that agency's dossiers.

    ``password_hash`` is None for an officer who logs in only through single sign-on
    (``external_subject``, the subject the host's identity provider vouches for). Failed
    logins lock the officer for a while exactly as they lock an account. ``version``
    belongs to the storage (optimistic locking).
    """

    id: str = attrs.field(validator=_non_blank_input)
    agency: AgencyCode = attrs.field(validator=_is_agency)
    full_name: str = attrs.field(validator=_non_blank)
    email: str = attrs.field(validator=_has_at)
    active: bool = True
    roles: frozenset[OfficerRole] = attrs.field(default=EVERY_ROLE, validator=_roles)
    # Never the password itself, and never shown: repr=False keeps it out of logs.
    password_hash: str | None = attrs.field(default=None, validator=_optional_text, repr=False)
    external_subject: str | None = attrs.field(default=None, validator=_optional_text)
    failed_logins: int = attrs.field(default=0, validator=_not_negative)
    locked_until: dt.datetime | None = None
    version: int = 0

    @classmethod
    def create(
        cls,
        id: str,
        agency: AgencyCode,
        full_name: str,
        email: str,
        *,
        active: bool = True,
        roles: frozenset[OfficerRole] = EVERY_ROLE,
        password_hash: str | None = None,
        external_subject: str | None = None,
    ) -> Officer:
        """An officer with the name checked and the email normalised."""
        return cls(
            id=id,
            agency=agency,
            full_name=check_name(full_name, "full_name"),
            email=normalize_email(email, "email"),
            active=require_bool(active, "active"),
            roles=roles,
            password_hash=password_hash,
            external_subject=external_subject,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Officer) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def acts_for(self, agency: AgencyCode) -> bool:
        """Whether this officer may act on a dossier received by ``agency`` (own agency, active)."""
        return self.active and agency == self.agency

    def holds(self, role: OfficerRole) -> bool:
        """Whether this officer is active and holds ``role``."""
        return self.active and role in self.roles

    # --- administration -----------------------------------------------------------------

    def deactivate(self) -> bool:
        """Take every right away (an officer who left); True if this changed the officer."""
        changed, self.active = self.active, False
        return changed

    def reactivate(self) -> bool:
        """Give the rights back, with a clean count of failed logins; True if it changed."""
        changed, self.active = not self.active, True
        self.forget_failed_logins()
        return changed

    def change_roles(self, roles: frozenset[OfficerRole]) -> None:
        """Replace the roles (at least one: deactivate an officer who should do nothing)."""
        _roles(self, attrs.fields(Officer).roles, roles)
        self.roles = roles

    def change_password_hash(self, new_hash: str) -> None:
        """Store a new password hash (hashing is the caller's job); lifts a login lock."""
        if not isinstance(new_hash, str) or not new_hash.strip():
            raise InvalidInput("password_hash", "must be non-empty text")
        self.password_hash = new_hash
        self.forget_failed_logins()

    def link_external_subject(self, subject: str | None) -> None:
        """Set (or clear, with None) the subject single sign-on knows this officer by."""
        _optional_text(self, attrs.fields(Officer).external_subject, subject)
        self.external_subject = subject

    # --- logging in ---------------------------------------------------------------------

    def is_locked(self, now: dt.datetime) -> bool:
        """Locked for a while after too many failed logins (deactivation is separate)."""
        require_datetime(now, "now")
        return self.locked_until is not None and self.locked_until > now

    def check_can_log_in(self, now: dt.datetime) -> None:
        """Raise AccountLocked while locked, PermissionDenied when deactivated."""
        if self.is_locked(now):
            raise AccountLocked(self.locked_until)
        if not self.active:
            raise PermissionDenied(f"officer {self.id!r} is deactivated and cannot log in")

    def record_failed_login(
        self,
        now: dt.datetime,
        *,
        max_attempts: int = DEFAULT_MAX_FAILED_LOGINS,
        lock_for: dt.timedelta = DEFAULT_LOCK_FOR,
    ) -> bool:
        """Count a wrong password, as :meth:`Account.record_failed_login` does."""
        return _count_failed_login(self, now, max_attempts, lock_for)

    def record_successful_login(self, now: dt.datetime) -> None:
        """Forget the failed logins; raises like :meth:`check_can_log_in` if it may not."""
        self.check_can_log_in(now)
        self.forget_failed_logins()

    def forget_failed_logins(self) -> None:
        """Start counting wrong passwords from 0 again, and lift a lock they set."""
        self.failed_logins = 0
        self.locked_until = None
