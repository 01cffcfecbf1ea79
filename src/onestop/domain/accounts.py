"""Applicants, portal accounts and officers (DOMAIN.md sections 1 and 5).

An :class:`Applicant` is the *Thông tin người nộp hồ sơ* block: who files a dossier. An
:class:`Account` is a citizen's or organisation's login on the portal, with its email
verification and its lock after repeated failed logins. An :class:`Officer` works for one
agency, acts only on that agency's dossiers, and only in the roles (:class:`OfficerRole`) it
holds; it logs in with a password (hashed and locked out like an account's) or through the
host's single sign-on (``external_subject``), and a deactivated officer can do nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any

import attrs

from onestop.domain import events as ev
from onestop.domain.codes import AgencyCode
from onestop.domain.identity import (
    check_citizen_id,
    check_name,
    check_tax_code,
    check_text,
    normalize_email,
    normalize_phone,
)
from onestop.domain.inputs import is_valid_unicode, require_datetime
from onestop.domain.national_identity import NationalIdentity
from onestop.errors import (
    AccountLocked,
    AccountNotVerified,
    InvalidIdentity,
    InvalidInput,
    NationalIdentityNotLinked,
    NationalIdNumberConflict,
)

__all__ = [
    "DEFAULT_LOCK_FOR",
    "DEFAULT_MAX_FAILED_LOGINS",
    "EVERY_ROLE",
    "Account",
    "AccountKind",
    "AccountStatus",
    "Applicant",
    "Officer",
    "OfficerRole",
]

#: Failed logins in a row that lock an account for a while.
DEFAULT_MAX_FAILED_LOGINS: int = 5
#: How long such a lock lasts.
DEFAULT_LOCK_FOR: dt.timedelta = dt.timedelta(minutes=15)


class AccountKind(enum.Enum):
    """Who registered: a citizen (công dân) or an organisation (tổ chức)."""

    CITIZEN = "citizen"
    ORGANISATION = "organisation"


class AccountStatus(enum.Enum):
    """Waiting for its email link, usable, or locked by an administrator."""

    AWAITING_VERIFICATION = "awaiting_verification"
    ACTIVE = "active"
    LOCKED = "locked"


def _count_failed_login(
    holder: Account | Officer, now: dt.datetime, max_attempts: int, lock_for: dt.timedelta
) -> bool:
    """The lockout rule accounts and officers share; True when this failure locked."""
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise InvalidInput("max_attempts", "must be a whole number, 1 or more", max_attempts)
    if not isinstance(lock_for, dt.timedelta) or lock_for <= dt.timedelta(0):
        raise InvalidInput("lock_for", "must be a positive duration", lock_for)
    if holder.is_locked(now):
        return False
    holder.failed_logins += 1
    if holder.failed_logins < max_attempts:
        return False
    try:
        until = now + lock_for
    except OverflowError:
        until = dt.datetime.max.replace(tzinfo=now.tzinfo)
    holder.failed_logins = 0
    holder.locked_until = until
    return True


# --- applicant ---------------------------------------------------------------------------


def _non_blank(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidIdentity(attribute.name, "must be non-empty text", value)


def _blank_or_none(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    # Absent details are None, never "": one way to say "not given".
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidIdentity(attribute.name, "must be None or non-empty text", value)


def _has_at(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or "@" not in value:
        raise InvalidIdentity(attribute.name, "must be an email address", value)


def _check_date_of_birth(value: dt.date | None) -> None:
    # A datetime is a date subclass; a time of birth would make two equal birth dates differ.
    if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
        raise InvalidIdentity("date_of_birth", "must be a date without a time of day", value)


def _date_only(
    _: object, attribute: attrs.Attribute[dt.date | None], value: dt.date | None
) -> None:
    _check_date_of_birth(value)


def _given(text: str | None) -> str | None:
    """None for a detail left empty on a form; anything else as it came, for its check."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    return text


def _optional(text: str | None, check: Callable[[str], str]) -> str | None:
    """None for a detail left empty on a form, else the detail checked."""
    given = _given(text)
    return None if given is None else check(given)


@attrs.frozen
class Applicant:
    """The applicant block of a dossier (Thông tin người nộp hồ sơ), also an account's profile.

    Build it with :meth:`create`, which normalises and checks every detail; the attrs
    validators only guard the shape (names present, absent details None rather than "").
    """

    full_name: str = attrs.field(validator=_non_blank)  # Họ tên
    email: str = attrs.field(validator=_has_at)
    phone: str | None = attrs.field(default=None, validator=_blank_or_none)  # Số điện thoại
    address: str | None = attrs.field(default=None, validator=_blank_or_none)  # Địa chỉ
    date_of_birth: dt.date | None = attrs.field(default=None, validator=_date_only)  # Ngày sinh
    id_number: str | None = attrs.field(default=None, validator=_blank_or_none)  # CMND/CCCD
    id_issued_by: str | None = attrs.field(default=None, validator=_blank_or_none)  # Nơi cấp
    organisation_name: str | None = attrs.field(default=None, validator=_blank_or_none)
    tax_code: str | None = attrs.field(default=None, validator=_blank_or_none)

    @classmethod
    def create(
        cls,
        full_name: str,
        email: str,
        *,
        phone: str | None = None,
        address: str | None = None,
        date_of_birth: dt.date | None = None,
        id_number: str | None = None,
        id_issued_by: str | None = None,
        organisation_name: str | None = None,
        tax_code: str | None = None,
    ) -> Applicant:
        """Check and normalise the details as typed on a form; empty optional ones become None.

        The phone becomes ``0XXXXXXXXX``, the email lowercase; a CCCD number must agree with
        the date of birth; a tax code needs the organisation's name. InvalidIdentity's
        ``field`` is the parameter's name (``"id_number.birth_year"`` for a part of it).
        """
        _check_date_of_birth(date_of_birth)
        if _given(tax_code) is not None and _given(organisation_name) is None:
            raise InvalidIdentity(
                "organisation_name", "is required when a tax code is given", organisation_name
            )
        return cls(
            full_name=check_name(full_name, "full_name"),
            email=normalize_email(email, "email"),
            phone=_optional(phone, partial(normalize_phone, field="phone")),
            address=_optional(address, partial(check_text, field="address", max_length=500)),
            date_of_birth=date_of_birth,
            id_number=_optional(
                id_number, partial(check_citizen_id, date_of_birth=date_of_birth, field="id_number")
            ),
            id_issued_by=_optional(id_issued_by, partial(check_name, field="id_issued_by")),
            organisation_name=_optional(
                organisation_name, partial(check_name, field="organisation_name")
            ),
            tax_code=_optional(tax_code, partial(check_tax_code, field="tax_code")),
        )

    def with_changes(self, **changes: Any) -> Applicant:
        """A copy with some details changed (editing a draft), checked again like :meth:`create`."""
        details = sorted(a.name for a in attrs.fields(Applicant))
        unknown = sorted(set(changes) - set(details))
        if unknown:
            # A name that is no identifier ("", a lone surrogate) is named by its container.
            field = unknown[0] if unknown[0].isidentifier() else "changes"
            raise InvalidInput(
                field, f"is not an applicant detail; use one of {', '.join(details)}"
            )
        return Applicant.create(**{**attrs.asdict(self, recurse=False), **changes})


# --- account -----------------------------------------------------------------------------


def _non_blank_input(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or not is_valid_unicode(value):
        raise InvalidInput(attribute.name, "must be non-empty text")


def _is_agency(_: object, attribute: attrs.Attribute[AgencyCode], value: AgencyCode) -> None:
    if not isinstance(value, AgencyCode):
        raise InvalidInput(attribute.name, "must be an AgencyCode", value)


def _not_negative(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(attribute.name, "must be a whole number, 0 or more", value)


def _profile_fits(instance: Account, _: attrs.Attribute[Applicant], profile: Applicant) -> None:
    if not isinstance(profile, Applicant):
        raise InvalidInput("profile", "must be an Applicant (Applicant.create(...))", profile)
    if profile.email != instance.email:
        raise InvalidIdentity(
            "profile.email",
            "must be the account's own email: the login email is not changed through the profile",
            profile.email,
        )
    if instance.kind is AccountKind.ORGANISATION and (
        profile.organisation_name is None or profile.tax_code is None
    ):
        raise InvalidIdentity(
            "profile.tax_code", "an organisation's profile needs its name and its tax code"
        )


@attrs.define(eq=False)
class Account:
    """A login on the portal, citizen or organisation; equality is identity of ``id``.

    ``version`` belongs to the storage (optimistic locking); the domain never changes it.
    Every method that depends on time takes ``now`` (an aware datetime): no clock is read here.
    """

    id: str = attrs.field(validator=_non_blank_input)
    kind: AccountKind
    email: str = attrs.field(validator=_has_at)
    # Never the password itself, and never shown: repr=False keeps it out of logs.
    password_hash: str = attrs.field(validator=_non_blank_input, repr=False)
    profile: Applicant = attrs.field(validator=_profile_fits)
    status: AccountStatus
    created_at: dt.datetime
    verified_at: dt.datetime | None
    failed_logins: int = attrs.field(validator=_not_negative)
    locked_until: dt.datetime | None
    #: The national identity (VNeID) linked to this account, if any.
    national_identity: NationalIdentity | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(NationalIdentity)),
    )
    version: int = 0
    _events: list[ev.DomainEvent] = attrs.field(factory=list, init=False, repr=False)

    # --- construction -------------------------------------------------------------------

    @classmethod
    def register_citizen(
        cls,
        id: str,
        email: str,
        password_hash: str,
        full_name: str,
        now: dt.datetime,
        *,
        phone: str | None = None,
        id_number: str | None = None,
        date_of_birth: dt.date | None = None,
        address: str | None = None,
        id_issued_by: str | None = None,
    ) -> Account:
        """A citizen's new account, waiting for its email link (records AccountRegistered)."""
        profile = Applicant.create(
            full_name,
            email,
            phone=phone,
            address=address,
            date_of_birth=date_of_birth,
            id_number=id_number,
            id_issued_by=id_issued_by,
        )
        return cls._registered(id, AccountKind.CITIZEN, password_hash, profile, now)

    @classmethod
    def register_organisation(
        cls,
        id: str,
        email: str,
        password_hash: str,
        organisation_name: str,
        tax_code: str,
        representative_name: str,
        now: dt.datetime,
        *,
        phone: str | None = None,
        address: str | None = None,
    ) -> Account:
        """An organisation's new account (a valid tax code required), waiting for its email link."""
        profile = Applicant.create(
            representative_name,
            email,
            phone=phone,
            address=address,
            organisation_name=check_name(organisation_name, "organisation_name"),
            tax_code=check_tax_code(tax_code, field="tax_code"),
        )
        return cls._registered(id, AccountKind.ORGANISATION, password_hash, profile, now)

    @classmethod
    def _registered(
        cls,
        id: str,
        kind: AccountKind,
        password_hash: str,
        profile: Applicant,
        now: dt.datetime,
    ) -> Account:
        require_datetime(now, "now")
        account = cls(
            id=id,
            kind=kind,
            email=profile.email,
            password_hash=password_hash,
            profile=profile,
            status=AccountStatus.AWAITING_VERIFICATION,
            created_at=now,
            verified_at=None,
            failed_logins=0,
            locked_until=None,
        )
        account._events.append(ev.AccountRegistered(now, account.id))
        return account

    # --- identity and events ------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Account) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def pull_events(self) -> list[ev.DomainEvent]:
        """The events recorded since the last pull, oldest first; forgets them."""
        pulled, self._events = self._events, []
        return pulled

    def peek_events(self) -> tuple[ev.DomainEvent, ...]:
        """The events recorded since the last pull, without forgetting them."""
        return tuple(self._events)

    # --- verification -------------------------------------------------------------------

    @property
    def is_verified(self) -> bool:
        """Whether the email link has been followed."""
        return self.verified_at is not None

    def verify(self, now: dt.datetime) -> bool:
        """Record that the email link was followed; True if this changed the account.

        Verifying again is a no-op returning False (a second click on the link is harmless;
        whether a used link is an error is the token's business, not the account's). A
        locked account records the verification but stays locked.
        """
        require_datetime(now, "now")
        if self.verified_at is not None:
            return False
        self.verified_at = now
        if self.status is AccountStatus.AWAITING_VERIFICATION:
            self.status = AccountStatus.ACTIVE
        self._events.append(ev.AccountVerified(now, self.id))
        return True

    # --- logging in ---------------------------------------------------------------------

    def is_locked(self, now: dt.datetime) -> bool:
        """Locked by an administrator, or for a while after too many failed logins."""
        require_datetime(now, "now")
        return self.status is AccountStatus.LOCKED or (
            self.locked_until is not None and self.locked_until > now
        )

    def can_log_in(self, now: dt.datetime) -> bool:
        """Verified, and not locked at ``now``."""
        return self.status is AccountStatus.ACTIVE and not self.is_locked(now)

    def check_can_log_in(self, now: dt.datetime) -> None:
        """Raise AccountLocked or AccountNotVerified unless the account may log in at ``now``."""
        self.check_not_locked(now)
        if self.status is AccountStatus.AWAITING_VERIFICATION:
            raise AccountNotVerified()

    def check_not_locked(self, now: dt.datetime) -> None:
        """Raise AccountLocked if the account is locked at ``now`` (``until`` None: by an admin)."""
        if self.status is AccountStatus.LOCKED:
            raise AccountLocked(None)
        if self.is_locked(now):
            raise AccountLocked(self.locked_until)

    def record_failed_login(
        self,
        now: dt.datetime,
        *,
        max_attempts: int = DEFAULT_MAX_FAILED_LOGINS,
        lock_for: dt.timedelta = DEFAULT_LOCK_FOR,
    ) -> bool:
        """Count a wrong password; the ``max_attempts``-th in a row locks until ``now + lock_for``.

        Returns True when this failure locked the account. The counter starts again from 0
        after a lock. Failures while the account is locked change nothing, so nobody can keep
        someone else's account locked by hammering it.
        """
        return _count_failed_login(self, now, max_attempts, lock_for)

    def record_successful_login(self, now: dt.datetime) -> None:
        """Forget the failed logins; raises like :meth:`check_can_log_in` if it may not log in."""
        self.check_can_log_in(now)
        self.forget_failed_logins()

    def record_right_password(self, now: dt.datetime) -> None:
        """The password was proved again (changing it): like a login, verified or not.

        Raises AccountLocked while the account is locked, so a lock stops every use of the
        password, then forgets the failed attempts.
        """
        self.check_not_locked(now)
        self.forget_failed_logins()

    def forget_failed_logins(self) -> None:
        """Start counting wrong passwords from 0 again, and lift a lock they set."""
        self.failed_logins = 0
        self.locked_until = None

    # --- administration -----------------------------------------------------------------

    def lock(self) -> None:
        """Lock the account until an administrator unlocks it."""
        self.status = AccountStatus.LOCKED

    def unlock(self) -> None:
        """Lift every lock (administrator's and failed logins'); an unverified account stays so."""
        self.status = (
            AccountStatus.ACTIVE
            if self.verified_at is not None
            else AccountStatus.AWAITING_VERIFICATION
        )
        self.failed_logins = 0
        self.locked_until = None

    def change_password_hash(self, new_hash: str) -> None:
        """Store a new password hash (hashing is the caller's job, with a slow salted hash).

        The :attr:`password_stamp` changes with it, so links stamped before are stale.
        """
        self.password_hash = new_hash  # checked by the field's validator

    @property
    def password_stamp(self) -> str:
        """A short fingerprint of the current password hash; every new password changes it.

        A password-reset link carries it, and is refused once the password changed: a link
        mailed before a change or a reset never works after it. It reveals nothing usable:
        the fingerprint covers the hash's random salt, which it does not contain.
        """
        digest = hashlib.sha256(self.password_hash.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:24]

    def update_profile(self, applicant: Applicant) -> None:
        """Replace the profile: same email as the account; an organisation keeps its tax code."""
        self.profile = applicant

    # --- the national identity (VNeID) ----------------------------------------------------

    @property
    def vneid(self) -> bool:
        """Whether the account is identified through the national identity (VNeID)."""
        return self.national_identity is not None

    def link_national_identity(self, identity: NationalIdentity) -> None:
        """Link (or prove again) the national identity; it replaces one linked before.

        NationalIdNumberConflict when the profile holds an id number the identity does not
        vouch for; a citizen's profile without one takes the vouched number, checked against
        the profile as any id number is (InvalidIdentity when a CCCD's birth year, sex or
        province disagrees with the profile). Nothing changes when it raises.
        """
        if not isinstance(identity, NationalIdentity):
            raise InvalidInput("identity", "must be a NationalIdentity")
        held = self.profile.id_number
        if held is not None and identity.id_number is not None and held != identity.id_number:
            raise NationalIdNumberConflict()
        profile = self.profile
        if held is None and identity.id_number is not None and self.kind is AccountKind.CITIZEN:
            profile = profile.with_changes(id_number=identity.id_number)
        self.profile = profile
        self.national_identity = identity

    def unlink_national_identity(self) -> NationalIdentity:
        """Forget the national identity and return it; NationalIdentityNotLinked without one."""
        if self.national_identity is None:
            raise NationalIdentityNotLinked()
        identity, self.national_identity = self.national_identity, None
        return identity


# Officers live in onestop.domain.officers (which builds on the checks above); imported here
# last so that `from onestop.domain.accounts import Officer` keeps working.
from onestop.domain.officers import EVERY_ROLE, Officer, OfficerRole  # noqa: E402
