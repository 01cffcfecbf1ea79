"""Every error onestop raises, in one place.

Catch :class:`OnestopError` to catch everything the library raises on purpose. Errors
about bad input also subclass :class:`ValueError`, lookups that find nothing subclass
:class:`LookupError`, so code that already catches the built-ins keeps working.

Every adapter raises these very classes: the in-memory storage raises the same
:class:`DuplicateError` for a taken email as the SQL storage does for a unique-constraint
violation, and driver errors are translated with ``raise ... from e``.

Hierarchy::

    OnestopError
    ├── InvalidInput (ValueError)            bad input; .field and .rule say which and why
    │   ├── InvalidAgencyCode                QCVN 102:2016 electronic id
    │   ├── InvalidDossierCode               <agency>-<YYMMDD>-<XXXX>
    │   ├── InvalidMoney                     negative amounts, zero quantities, bad fee lines
    │   ├── InvalidIdentity                  CMND/CCCD, tax code, phone, email, names
    │   ├── InvalidCatalog                   a procedure, agency or catalog file that breaks a rule
    │   ├── InvalidDocument                  JSON that cannot be read (size, depth, encoding, shape)
    │   ├── InvalidCalendar                  impossible working-day arithmetic
    │   ├── NaiveDatetime                    an instant without a time zone
    │   ├── InvalidAttachment                media type, size or name refused
    │   │   ├── AttachmentTooLarge
    │   │   └── AttachmentContentMismatch    the bytes are not what the media type says
    │   ├── MissingComponents                mandatory components without a file at submission
    │   ├── HomeServiceNotOffered            pick-up/delivery the procedure does not offer
    │   └── WeakPassword
    ├── TransitionNotAllowed                 a dossier action its current status forbids
    ├── RescheduleRefused                    an apology and new date the rules refuse
    │   ├── ApologyTooLate                   past the last working day it may be sent
    │   └── AlreadyRescheduled               a dossier gets a new date only once
    ├── CodeSequenceExhausted                an agency ran out of numbers for the day
    ├── NotFound (LookupError)
    │   ├── AccountNotFound
    │   ├── OfficerNotFound
    │   ├── AgencyNotFound
    │   ├── FieldNotFound
    │   ├── ProcedureNotFound
    │   ├── DossierNotFound
    │   ├── PaymentNotFound
    │   └── FileNotFoundInStore
    ├── AuthenticationError
    │   ├── InvalidCredentials               unknown email or wrong password: one error for both
    │   ├── AccountNotVerified
    │   ├── AccountLocked                    .until says when it opens again
    │   ├── InvalidToken                     bad signature, wrong purpose, expired or used
    │   │   ├── TokenExpired
    │   │   └── TokenAlreadyUsed
    │   └── NationalLoginError               logging in with the national identity (VNeID) failed
    │       ├── NationalLoginStateMismatch   the callback's state is not the kept one, or replayed
    │       ├── NationalLoginSessionExpired  the kept login session is too old
    │       ├── NationalLoginRefused         the provider answered with an error (access_denied)
    │       ├── InsufficientAssurance        a level of assurance below the one required
    │       └── IdTokenInvalid               an ID token that is malformed or misses a claim
    │           ├── IdTokenNonceMismatch
    │           ├── IdTokenExpired
    │           ├── IdTokenNotYetValid       iat or nbf in the future, past the clock skew
    │           ├── IdTokenWrongAudience
    │           ├── IdTokenWrongIssuer
    │           ├── IdTokenUnknownKey        signed with a key the provider does not publish
    │           └── IdTokenBadSignature
    ├── PermissionDenied                     another agency's dossier, someone else's dossier
    ├── ConflictError
    │   ├── DuplicateError                   a unique rule (email, code, idempotency key)
    │   ├── ConcurrentUpdate                 the row changed since it was read (version)
    │   ├── NationalIdentityAlreadyLinked    the national subject belongs to another account
    │   ├── NationalIdNumberConflict         the id number vouched for is not the account's
    │   ├── NationalIdentityNotLinked        unlinking an account that has no national identity
    │   ├── NationalLinkRequired             its email has an account: prove its password, link
    │   └── AlreadyRated                     a dossier is rated once
    ├── StorageError                         the storage failed (driver, disk, connection)
    │   └── UnitOfWorkError                  the unit of work was misused (closed, nested)
    ├── PaymentError
    │   ├── PaymentNotRequired               nothing to pay (0 VND, already paid)
    │   ├── PaymentSignatureInvalid
    │   ├── PaymentAmountMismatch
    │   └── PaymentGatewayError
    │       └── RefundRefused                the gateway refused a refund for good
    ├── MailError
    │   ├── MailTemporaryFailure             worth a retry (server down, 4xx)
    │   ├── MailPermanentFailure             not worth a retry (5xx, bad address)
    │   └── TemplateError                    a placeholder missing or unknown
    ├── FileStoreError
    ├── NationalPortalError                  the national public service portal (sync)
    │   ├── NationalPortalUnavailable        no answer (refused, dropped, timeout, 5xx): retry
    │   └── NationalPortalRejected           an answer with an error_code other than 0
    ├── IdentityProviderUnavailable          the national identity provider did not answer
    └── ConfigurationError                   bad settings (URL, secret, scheme)
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Mapping
from typing import ClassVar

#: Longest rendering of a refused value in an error message; the value itself stays whole
#: on the error's ``value`` attribute.
MAX_SHOWN_VALUE = 80


def show_value(value: object, limit: int = MAX_SHOWN_VALUE) -> str:
    """A short, safe ``repr`` of a value for an error message; it never raises.

    Building an error must not fail on the very input it reports: an integer of 5,000 digits
    (whose ``repr`` Python refuses), an object whose ``__repr__`` raises, a megabyte of text.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        sign = "-" if value < 0 else ""
        return f"<{sign}integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
    try:
        shown = repr(value)
    except Exception:  # a foreign __repr__ may raise anything
        return f"<{type(value).__name__} that cannot be shown>"
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


__all__ = [
    "AccountLocked",
    "AccountNotFound",
    "AccountNotVerified",
    "AgencyNotFound",
    "AlreadyRated",
    "AlreadyRescheduled",
    "ApologyTooLate",
    "AttachmentContentMismatch",
    "AttachmentTooLarge",
    "AuthenticationError",
    "CodeSequenceExhausted",
    "ConcurrentUpdate",
    "ConfigurationError",
    "ConflictError",
    "DossierNotFound",
    "DuplicateError",
    "FieldNotFound",
    "FileNotFoundInStore",
    "FileStoreError",
    "HomeServiceNotOffered",
    "IdTokenBadSignature",
    "IdTokenExpired",
    "IdTokenInvalid",
    "IdTokenNonceMismatch",
    "IdTokenNotYetValid",
    "IdTokenUnknownKey",
    "IdTokenWrongAudience",
    "IdTokenWrongIssuer",
    "IdentityProviderUnavailable",
    "InsufficientAssurance",
    "InvalidAgencyCode",
    "InvalidAttachment",
    "InvalidCalendar",
    "InvalidCatalog",
    "InvalidCredentials",
    "InvalidDocument",
    "InvalidDossierCode",
    "InvalidIdentity",
    "InvalidInput",
    "InvalidMoney",
    "InvalidToken",
    "MailError",
    "MailPermanentFailure",
    "MailTemporaryFailure",
    "MissingComponents",
    "NaiveDatetime",
    "NationalIdNumberConflict",
    "NationalIdentityAlreadyLinked",
    "NationalIdentityNotLinked",
    "NationalLinkRequired",
    "NationalLoginError",
    "NationalLoginRefused",
    "NationalLoginSessionExpired",
    "NationalLoginStateMismatch",
    "NationalPortalError",
    "NationalPortalRejected",
    "NationalPortalUnavailable",
    "NotFound",
    "OfficerNotFound",
    "OnestopError",
    "PaymentAmountMismatch",
    "PaymentError",
    "PaymentGatewayError",
    "PaymentNotFound",
    "PaymentNotRequired",
    "PaymentSignatureInvalid",
    "PermissionDenied",
    "ProcedureNotFound",
    "RefundRefused",
    "RescheduleRefused",
    "StorageError",
    "TemplateError",
    "TokenAlreadyUsed",
    "TokenExpired",
    "TransitionNotAllowed",
    "UnitOfWorkError",
    "WeakPassword",
    "show_value",
]


class OnestopError(Exception):
    """Root of every error the library raises on purpose.

    Each class has a stable dotted ``code`` (the contract a host may branch on), an
    ``http_status``, and each error its ``params`` (what a message or an API client needs:
    the field, the limits, the names). :meth:`message` renders a sentence for a citizen, in
    Vietnamese by default, from the catalog files in ``onestop/messages``; ``str(error)``
    stays the English text for developers and logs.
    """

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500

    @property
    def params(self) -> Mapping[str, object]:
        """What the message is rendered from; nothing secret (no password, no refused value)."""
        return {}

    def message(self, locale: str = "vi") -> str:
        """A complete sentence for a citizen in ``locale`` (``"vi"``, ``"en"``); never raises."""
        from onestop._messages import render_message  # the catalog is read on first use

        return render_message(self, locale)

    def title(self, locale: str = "vi") -> str:
        """A short summary of this kind of error, the same for every occurrence."""
        from onestop._messages import render_title

        return render_title(self, locale)


# --- bad input ---------------------------------------------------------------------------


class InvalidInput(OnestopError, ValueError):
    """Input that breaks a rule.

    ``field`` names the input (``"cccd"``, ``"agency.level1"``, ``"fee_lines[2].quantity"``),
    ``rule`` says in plain words what it must be, ``value`` is what was given (``None`` when
    repeating it would leak a secret).

    ``rule_code`` optionally names the rule for machines and translators (``"too_short"``,
    ``"too_long"``, ``"out_of_range"``, ...; see docs/errors.md) and ``limits`` carries its
    numbers (``{"min_length": 8}``), so a message can say them in the citizen's language.
    """

    code = "input.invalid"
    http_status = 422

    def __init__(
        self,
        field: str,
        rule: str,
        value: object = None,
        *,
        rule_code: str | None = None,
        limits: Mapping[str, object] | None = None,
    ) -> None:
        # The field name comes from our code or the host's; a host that passes request data
        # as the name still gets an error that names something.
        if not isinstance(field, str) or not field:
            field = "value"
        self.field = field
        self.rule = rule
        self.value = value
        self.rule_code = rule_code
        self.limits: Mapping[str, object] = dict(limits or {})
        shown = f" (got {show_value(value)})" if value is not None else ""
        super().__init__(f"{field}: {rule}{shown}")

    @property
    def params(self) -> Mapping[str, object]:
        # ``value`` is left out on purpose: it may be a secret or someone's personal data.
        found: dict[str, object] = {"field": self.field, "rule": self.rule}
        if self.rule_code is not None:
            found["rule_code"] = self.rule_code
        found.update(self.limits)
        return found


class InvalidAgencyCode(InvalidInput):
    """An agency electronic id that is not ``V1V2V3.Z1Z2.Y1Y2.MX1X2`` (QCVN 102:2016)."""

    code = "agency.invalid_code"
    http_status = 422


class InvalidDossierCode(InvalidInput):
    """A dossier code that does not follow its scheme; ``field`` names the bad part."""

    code = "dossier.invalid_code"
    http_status = 422


class InvalidMoney(InvalidInput):
    """A negative amount, a zero quantity or a fee line whose parts do not add up."""

    code = "money.invalid"
    http_status = 422


class InvalidIdentity(InvalidInput):
    """A citizen id, tax code, phone number, email or name that breaks its rule."""

    code = "identity.invalid"
    http_status = 422


class InvalidCatalog(InvalidInput):
    """A catalog entry (agency, field, procedure) or catalog file that breaks a rule."""

    code = "catalog.invalid"
    http_status = 422


class InvalidDocument(InvalidInput):
    """A JSON document that cannot be read: too large or deep, not UTF-8, not JSON, or a value
    of the wrong shape; the rule names each problem by its JSON path (``$.fees[0].kind``)."""

    code = "document.invalid"
    http_status = 400


class InvalidCalendar(InvalidInput):
    """Working-day arithmetic that cannot be done (negative count, no working day at all)."""

    code = "calendar.invalid"
    http_status = 422


class NaiveDatetime(InvalidInput):
    """A datetime without a time zone where an instant is required."""

    code = "input.naive_datetime"
    http_status = 422


class InvalidAttachment(InvalidInput):
    """A file refused for a component: media type, size or name."""

    code = "attachment.invalid"
    http_status = 422


class AttachmentTooLarge(InvalidAttachment):
    """A file larger than the component (or store) allows."""

    code = "attachment.too_large"
    http_status = 413


class AttachmentContentMismatch(InvalidAttachment):
    """A file whose bytes are not what its declared media type says (a program sent as a PDF).

    ``declared`` is the media type given, ``looks_like`` what the content looks like.
    """

    code = "attachment.content_mismatch"
    http_status = 415

    def __init__(
        self, field: str, rule: str, *, declared: str | None = None, looks_like: str | None = None
    ) -> None:
        self.declared = declared
        self.looks_like = looks_like
        super().__init__(field, rule)

    @property
    def params(self) -> Mapping[str, object]:
        found = dict(super().params)
        found.update(
            {
                name: value
                for name, value in (("declared", self.declared), ("looks_like", self.looks_like))
                if value is not None
            }
        )
        return found


class MissingComponents(InvalidInput):
    """Mandatory components have no file; ``components`` lists their ids, ``names`` their names
    (the ids again where the raise site did not know the names)."""

    code = "dossier.missing_components"
    http_status = 422

    def __init__(self, components: tuple[str, ...], names: tuple[str, ...] | None = None) -> None:
        self.components = tuple(components)
        self.names = tuple(names) if names is not None else self.components
        super().__init__(
            "components",
            "every mandatory component needs at least one attached file; missing: "
            + ", ".join(components),
        )

    @property
    def params(self) -> Mapping[str, object]:
        return {
            "field": self.field,
            "component_ids": self.components,
            "component_names": self.names,
            "count": len(self.components),
        }


class HomeServiceNotOffered(InvalidInput):
    """Home pick-up or delivery chosen for a procedure that does not offer it."""

    code = "dossier.home_service_not_offered"
    http_status = 422


class WeakPassword(InvalidInput):
    """A password that is too short or too simple; ``limits`` carries ``min_length`` or
    ``max_length`` when the length is at fault."""

    code = "account.weak_password"
    http_status = 422


# --- workflow ------------------------------------------------------------------------------


class TransitionNotAllowed(OnestopError):
    """A dossier action that its current status does not allow."""

    code = "dossier.transition_not_allowed"
    http_status = 409

    def __init__(self, action: str, status: str, allowed_from: tuple[str, ...] = ()) -> None:
        self.action = action
        self.status = status
        self.allowed_from = allowed_from
        hint = f"; allowed from: {', '.join(allowed_from)}" if allowed_from else ""
        super().__init__(f"cannot {action} a dossier that is {status}{hint}")

    @property
    def params(self) -> Mapping[str, object]:
        return {"action": self.action, "status": self.status, "allowed_from": self.allowed_from}


class RescheduleRefused(OnestopError):
    """An apology and new date (phiếu xin lỗi và hẹn lại) that the deadline rules refuse."""

    code = "dossier.reschedule_refused"
    http_status = 409


class ApologyTooLate(RescheduleRefused):
    """The apology and new date come after the last working day they may be sent on."""

    code = "dossier.apology_too_late"
    http_status = 409

    def __init__(self, due_date: _dt.date, latest: _dt.date | None) -> None:
        self.due_date = due_date
        self.latest = latest
        when = (
            f"at the latest on {latest.isoformat()}"
            if latest is not None
            else "before the due date"
        )
        super().__init__(
            f"an apology and new date must be sent {when} (the dossier is due on "
            f"{due_date.isoformat()}); after that, return the result as soon as it is ready"
        )

    @property
    def params(self) -> Mapping[str, object]:
        return {"due_date": self.due_date, "latest": self.latest}


class AlreadyRescheduled(RescheduleRefused):
    """A dossier's due date was already moved by an apology: the new date is set once."""

    code = "dossier.already_rescheduled"
    http_status = 409

    def __init__(self, dossier_id: str, due_date: _dt.date | None) -> None:
        self.dossier_id = dossier_id
        self.due_date = due_date
        super().__init__(
            f"dossier {dossier_id!r} already has a new date after an apology "
            f"({due_date.isoformat() if due_date else 'none'}); it may be set only once"
        )

    @property
    def params(self) -> Mapping[str, object]:
        return {"due_date": self.due_date}


class CodeSequenceExhausted(OnestopError):
    """An agency has used every sequence number of a day; codes never wrap."""

    code = "dossier.code_sequence_exhausted"
    http_status = 503

    def __init__(self, agency: str, day: _dt.date, maximum: int) -> None:
        self.agency = agency
        self.day = day
        self.maximum = maximum
        super().__init__(
            f"agency {agency} has used all {maximum} dossier numbers for {day.isoformat()}; "
            "use a code scheme with a wider sequence"
        )

    @property
    def params(self) -> Mapping[str, object]:
        return {"agency": self.agency, "day": self.day, "maximum": self.maximum}


# --- lookups -------------------------------------------------------------------------------


class NotFound(OnestopError, LookupError):
    """Nothing stored under that key."""

    code = "not_found"
    http_status = 404

    kind = "record"

    def __init__(self, key: object) -> None:
        self.key = key
        super().__init__(f"no {self.kind} {show_value(self._key_text())}")

    def _key_text(self) -> object:
        """The key as the message shows it: text for a value object with its own ``str``."""
        key = self.key
        if isinstance(key, str | int) or type(key).__str__ is object.__str__:
            return key
        try:
            return str(key)
        except Exception:  # a foreign __str__ may raise anything
            return key

    @property
    def params(self) -> Mapping[str, object]:
        key = self._key_text()
        return {"kind": self.kind, "key": key if isinstance(key, str) else show_value(key)}


class AccountNotFound(NotFound):
    code = "account.not_found"
    http_status = 404
    kind = "account"


class OfficerNotFound(NotFound):
    code = "officer.not_found"
    http_status = 404
    kind = "officer"


class AgencyNotFound(NotFound):
    code = "agency.not_found"
    http_status = 404
    kind = "agency"


class FieldNotFound(NotFound):
    code = "catalog.field_not_found"
    http_status = 404
    kind = "field"


class ProcedureNotFound(NotFound):
    code = "procedure.not_found"
    http_status = 404
    kind = "procedure"


class DossierNotFound(NotFound):
    code = "dossier.not_found"
    http_status = 404
    kind = "dossier"


class PaymentNotFound(NotFound):
    code = "payment.not_found"
    http_status = 404
    kind = "payment"


class FileNotFoundInStore(NotFound):
    code = "file.not_found"
    http_status = 404
    kind = "stored file"


# --- authentication and permission ---------------------------------------------------------


class AuthenticationError(OnestopError):
    """Logging in or proving an identity failed."""

    code = "account.authentication_failed"
    http_status = 401


class InvalidCredentials(AuthenticationError):
    """Unknown email or wrong password: deliberately one error, so accounts can't be listed."""

    code = "account.invalid_credentials"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the email or the password is wrong")


class AccountNotVerified(AuthenticationError):
    """The password is right but the email address has not been verified yet."""

    code = "account.not_verified"
    http_status = 403

    def __init__(self) -> None:
        super().__init__(
            "this account has not been verified yet: follow the link in the mail "
            "'Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến', "
            "or ask for a new one"
        )


class AccountLocked(AuthenticationError):
    """The account is locked, for a while (``until``) or by an administrator (``until`` None)."""

    code = "account.locked"
    http_status = 423

    def __init__(self, until: _dt.datetime | None) -> None:
        self.until = until
        when = f" until {until.isoformat()}" if until is not None else ""
        super().__init__(f"this account is locked{when}")

    @property
    def params(self) -> Mapping[str, object]:
        return {"until": self.until} if self.until is not None else {}


class InvalidToken(AuthenticationError):
    """A verification or reset token that is forged, malformed or meant for something else."""

    code = "token.invalid"
    http_status = 400

    def __init__(self, reason: str = "the link is not valid") -> None:
        super().__init__(reason)


class TokenExpired(InvalidToken):
    """The link has expired; ask for a new one."""

    code = "token.expired"
    http_status = 410

    def __init__(self) -> None:
        super().__init__("the link has expired; ask for a new one")


class TokenAlreadyUsed(InvalidToken):
    """The link has been used already; links work once."""

    code = "token.already_used"
    http_status = 410

    def __init__(self) -> None:
        super().__init__("the link has already been used; links work once")


class NationalLoginError(AuthenticationError):
    """Logging in with the national identity (VNeID, the national portal's sign-on) failed."""

    code = "national_login.failed"
    http_status = 401

    def __init__(self, reason: str = "the login with the national identity failed") -> None:
        super().__init__(reason)


class NationalLoginStateMismatch(NationalLoginError):
    """The callback's ``state`` is not the one kept in the session, or was used already."""

    code = "national_login.state_mismatch"
    http_status = 400

    def __init__(self, reason: str = "the callback's state is not this session's") -> None:
        super().__init__(reason)


class NationalLoginSessionExpired(NationalLoginError):
    """The login session kept by the host is older than it may be: start again."""

    code = "national_login.session_expired"
    http_status = 410

    def __init__(self) -> None:
        super().__init__("the login session has expired; start the login again")


class NationalLoginRefused(NationalLoginError):
    """The identity provider answered with an error (the citizen declined, a used code)."""

    code = "national_login.refused"
    http_status = 401

    def __init__(self, provider_error: str = "access_denied") -> None:
        self.provider_error = str(provider_error)[:80]
        super().__init__(f"the identity provider refused: {show_value(self.provider_error)}")

    @property
    def params(self) -> Mapping[str, object]:
        return {"provider_error": self.provider_error}


class InsufficientAssurance(NationalLoginError):
    """The identity was proved at a lower level of assurance than the portal requires."""

    code = "national_login.insufficient_assurance"
    http_status = 403

    def __init__(self, level: int | None, required: int) -> None:
        self.level = level
        self.required = required
        super().__init__(f"level of assurance {level} given, {required} required")

    @property
    def params(self) -> Mapping[str, object]:
        found: dict[str, object] = {"required": self.required}
        if self.level is not None:
            found["level"] = self.level
        return found


class IdTokenInvalid(NationalLoginError):
    """The ID token cannot be read, or misses a claim it must carry."""

    code = "national_login.id_token_invalid"
    http_status = 401

    def __init__(self, reason: str = "the ID token is not valid") -> None:
        super().__init__(reason)


class IdTokenNonceMismatch(IdTokenInvalid):
    """The ID token's ``nonce`` is not the one this login sent."""

    code = "national_login.nonce_mismatch"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the ID token's nonce is not this login's")


class IdTokenExpired(IdTokenInvalid):
    """The ID token expired (past the allowed clock skew)."""

    code = "national_login.token_expired"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the ID token has expired")


class IdTokenNotYetValid(IdTokenInvalid):
    """The ID token was issued (``iat``) or is valid from (``nbf``) later than now plus skew."""

    code = "national_login.token_not_yet_valid"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the ID token is not valid yet (iat or nbf in the future)")


class IdTokenWrongAudience(IdTokenInvalid):
    """The ID token was issued to another client (``aud`` or ``azp``)."""

    code = "national_login.wrong_audience"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the ID token was issued to another client")


class IdTokenWrongIssuer(IdTokenInvalid):
    """The ID token's ``iss`` is not the configured provider."""

    code = "national_login.wrong_issuer"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the ID token was issued by another provider")


class IdTokenUnknownKey(IdTokenInvalid):
    """The ID token names a key (``kid``) the provider does not publish, even after a refresh."""

    code = "national_login.unknown_key"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the ID token is signed with a key the provider does not publish")


class IdTokenBadSignature(IdTokenInvalid):
    """The ID token's signature does not verify with the provider's key."""

    code = "national_login.bad_signature"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the ID token's signature does not verify")


class PermissionDenied(OnestopError):
    """The actor may not see or act on this record."""

    code = "permission.denied"
    http_status = 403


# --- storage -------------------------------------------------------------------------------


class ConflictError(OnestopError):
    """The change conflicts with what is stored."""

    code = "conflict"
    http_status = 409


class DuplicateError(ConflictError):
    """A unique rule would be broken; ``field`` names it (``"account.email"``).

    ``what`` is the old name of ``field``, kept for one release.
    """

    code = "conflict.duplicate"
    http_status = 409

    def __init__(self, field: str, value: object = None) -> None:
        self.field = field
        self.value = value
        shown = f" {show_value(value)}" if value is not None else ""
        super().__init__(f"{field}{shown} is already taken")

    @property
    def what(self) -> str:
        """Deprecated: use ``field``."""
        warnings.warn(
            "DuplicateError.what is deprecated; use DuplicateError.field",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.field

    @property
    def params(self) -> Mapping[str, object]:
        # The taken value (an email, a citizen id) is left out: it is someone's data.
        return {"field": self.field}


class ConcurrentUpdate(ConflictError):
    """The record changed since it was read; reload it and try again."""

    code = "conflict.concurrent_update"
    http_status = 409

    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(
            f"{what} {show_value(key)} was changed by someone else; reload it and try again"
        )

    @property
    def params(self) -> Mapping[str, object]:
        return {"what": self.what}


class AlreadyRated(ConflictError):
    """The applicant has already rated this dossier; a dossier is rated once."""

    code = "dossier.already_rated"
    http_status = 409

    def __init__(self, dossier_id: str) -> None:
        self.dossier_id = dossier_id
        super().__init__(f"dossier {show_value(dossier_id)} has already been rated")


class NationalIdentityAlreadyLinked(ConflictError):
    """The national subject is linked to another account already."""

    code = "national_identity.already_linked"
    http_status = 409

    def __init__(self) -> None:
        super().__init__("this national identity is linked to another account")


class NationalIdNumberConflict(ConflictError):
    """The id number the national identity vouches for is not the one the account holds."""

    code = "national_identity.id_number_conflict"
    http_status = 409

    def __init__(self) -> None:
        super().__init__("the national identity vouches for another id number than the account's")


class NationalIdentityNotLinked(ConflictError):
    """The account has no national identity to unlink."""

    code = "national_identity.not_linked"
    http_status = 409

    def __init__(self) -> None:
        super().__init__("this account has no national identity linked")


class NationalLinkRequired(ConflictError):
    """The national identity's email has an account already: log in to it and link it."""

    code = "national_identity.link_required"
    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            "an account with this email exists: log in with its password and link the "
            "national identity to it"
        )


class StorageError(OnestopError):
    """The storage failed: a driver error, a lost connection, a full disk."""

    code = "storage.failed"
    http_status = 503


class UnitOfWorkError(StorageError):
    """A unit of work used outside its ``with`` block, or after commit/rollback."""

    code = "storage.unit_of_work_misused"
    http_status = 500


# --- payments ------------------------------------------------------------------------------


class PaymentError(OnestopError):
    """A payment could not be started or confirmed."""

    code = "payment.failed"
    http_status = 502


class PaymentNotRequired(PaymentError):
    """Nothing is due: the fees are 0 VND, not due yet, or already paid."""

    code = "payment.not_required"
    http_status = 409


class PaymentSignatureInvalid(PaymentError):
    """A gateway callback whose signature does not verify."""

    code = "payment.signature_invalid"
    http_status = 400


class PaymentAmountMismatch(PaymentError):
    """A gateway callback whose amount differs from the payment's."""

    code = "payment.amount_mismatch"
    http_status = 422

    def __init__(self, expected: int, got: int) -> None:
        self.expected = expected
        self.got = got
        super().__init__(
            f"the gateway reported {show_value(got)} VND, the payment is for "
            f"{show_value(expected)} VND"
        )

    @property
    def params(self) -> Mapping[str, object]:
        return {"expected": self.expected, "got": self.got}


class PaymentGatewayError(PaymentError):
    """The gateway failed or answered something unexpected."""

    code = "payment.gateway_failed"
    http_status = 502


class RefundRefused(PaymentGatewayError):
    """The gateway refused a refund for good (VNPay: transaction not found, amount too
    large, refund not allowed): nothing went back, and sending the same request again
    cannot change that. ``gateway_code`` and ``gateway_message`` are what it answered.
    """

    code = "payment.refund_refused"
    http_status = 422

    def __init__(self, gateway_code: str, gateway_message: str) -> None:
        self.gateway_code = str(gateway_code)
        self.gateway_message = str(gateway_message)
        super().__init__(
            f"the gateway refused the refund ({show_value(self.gateway_code)}: "
            f"{show_value(self.gateway_message, 300)})"
        )

    @property
    def params(self) -> Mapping[str, object]:
        return {"gateway_code": self.gateway_code, "gateway_message": self.gateway_message}


# --- mail and files ------------------------------------------------------------------------


class MailError(OnestopError):
    """Mail could not be rendered or sent."""

    code = "mail.failed"
    http_status = 503


class MailTemporaryFailure(MailError):
    """Sending failed in a way worth retrying (server down, 4xx reply, timeout)."""

    code = "mail.temporary_failure"
    http_status = 503


class MailPermanentFailure(MailError):
    """Sending failed in a way not worth retrying (5xx reply, refused recipient)."""

    code = "mail.permanent_failure"
    http_status = 502


class TemplateError(MailError):
    """A template is unknown, or a placeholder is missing or unexpected."""

    code = "mail.template_invalid"
    http_status = 500


class FileStoreError(OnestopError):
    """The file store could not write or read a file."""

    code = "file.store_failed"
    http_status = 503


class NationalPortalError(OnestopError):
    """Sending to the national public service portal failed."""

    code = "national.failed"
    http_status = 502


class NationalPortalUnavailable(NationalPortalError):
    """No answer from the national portal (refused, dropped, timed out, a 5xx): retried later."""

    code = "national.unavailable"
    http_status = 503


class NationalPortalRejected(NationalPortalError):
    """The national portal answered with an error (``error_code`` other than 0).

    ``error_code`` and ``portal_message`` are what it said; an insert of a dossier it already
    holds says "đã tồn tại" (:attr:`already_exists`).
    """

    code = "national.rejected"
    http_status = 502

    def __init__(self, error_code: str, portal_message: str, service: str = "") -> None:
        self.error_code = str(error_code)
        self.portal_message = str(portal_message)
        self.service = str(service)
        where = f"{service}: " if service else ""
        super().__init__(
            f"{where}the national portal refused the request "
            f"(error_code {show_value(self.error_code)}: {show_value(self.portal_message, 300)})"
        )

    @property
    def already_exists(self) -> bool:
        """True when the portal says it already holds the dossier ("đã tồn tại")."""
        return "đã tồn tại" in self.portal_message.casefold()

    @property
    def params(self) -> Mapping[str, object]:
        return {"service": self.service, "error_code": self.error_code}


class IdentityProviderUnavailable(OnestopError):
    """The national identity provider did not answer (refused, timed out, a 5xx, garbage)."""

    code = "national_login.provider_unavailable"
    http_status = 503

    def __init__(self, reason: str = "the identity provider did not answer") -> None:
        super().__init__(reason)


class ConfigurationError(OnestopError, ValueError):
    """Settings that cannot work (a bad database URL, an empty secret, a bad scheme)."""

    code = "configuration.invalid"
    http_status = 500
