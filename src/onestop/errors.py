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
    │   └── InvalidToken                     bad signature, wrong purpose, expired or used
    │       ├── TokenExpired
    │       └── TokenAlreadyUsed
    ├── PermissionDenied                     another agency's dossier, someone else's dossier
    ├── ConflictError
    │   ├── DuplicateError                   a unique rule (email, code, idempotency key)
    │   └── ConcurrentUpdate                 the row changed since it was read (version)
    ├── StorageError                         the storage failed (driver, disk, connection)
    │   └── UnitOfWorkError                  the unit of work was misused (closed, nested)
    ├── PaymentError
    │   ├── PaymentNotRequired               nothing to pay (0 VND, already paid)
    │   ├── PaymentSignatureInvalid
    │   ├── PaymentAmountMismatch
    │   └── PaymentGatewayError
    ├── MailError
    │   ├── MailTemporaryFailure             worth a retry (server down, 4xx)
    │   ├── MailPermanentFailure             not worth a retry (5xx, bad address)
    │   └── TemplateError                    a placeholder missing or unknown
    ├── FileStoreError
    └── ConfigurationError                   bad settings (URL, secret, scheme)
"""

from __future__ import annotations

import datetime as _dt

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
    """Root of every error the library raises on purpose."""


# --- bad input ---------------------------------------------------------------------------


class InvalidInput(OnestopError, ValueError):
    """Input that breaks a rule.

    ``field`` names the input (``"cccd"``, ``"agency.level1"``, ``"fee_lines[2].quantity"``),
    ``rule`` says in plain words what it must be, ``value`` is what was given (``None`` when
    repeating it would leak a secret).
    """

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        # The field name comes from our code or the host's; a host that passes request data
        # as the name still gets an error that names something.
        if not isinstance(field, str) or not field:
            field = "value"
        self.field = field
        self.rule = rule
        self.value = value
        shown = f" (got {show_value(value)})" if value is not None else ""
        super().__init__(f"{field}: {rule}{shown}")


class InvalidAgencyCode(InvalidInput):
    """An agency electronic id that is not ``V1V2V3.Z1Z2.Y1Y2.MX1X2`` (QCVN 102:2016)."""


class InvalidDossierCode(InvalidInput):
    """A dossier code that does not follow its scheme; ``field`` names the bad part."""


class InvalidMoney(InvalidInput):
    """A negative amount, a zero quantity or a fee line whose parts do not add up."""


class InvalidIdentity(InvalidInput):
    """A citizen id, tax code, phone number, email or name that breaks its rule."""


class InvalidCatalog(InvalidInput):
    """A catalog entry (agency, field, procedure) or catalog file that breaks a rule."""


class InvalidDocument(InvalidInput):
    """A JSON document that cannot be read: too large or deep, not UTF-8, not JSON, or a value
    of the wrong shape; the rule names each problem by its JSON path (``$.fees[0].kind``)."""


class InvalidCalendar(InvalidInput):
    """Working-day arithmetic that cannot be done (negative count, no working day at all)."""


class NaiveDatetime(InvalidInput):
    """A datetime without a time zone where an instant is required."""


class InvalidAttachment(InvalidInput):
    """A file refused for a component: media type, size or name."""


class AttachmentTooLarge(InvalidAttachment):
    """A file larger than the component (or store) allows."""


class AttachmentContentMismatch(InvalidAttachment):
    """A file whose bytes are not what its declared media type says (a program sent as a PDF).

    ``declared`` is the media type given, ``looks_like`` what the content looks like.
    """

    def __init__(
        self, field: str, rule: str, *, declared: str | None = None, looks_like: str | None = None
    ) -> None:
        self.declared = declared
        self.looks_like = looks_like
        super().__init__(field, rule)


class MissingComponents(InvalidInput):
    """Mandatory components have no file; ``components`` lists their ids."""

    def __init__(self, components: tuple[str, ...]) -> None:
        self.components = components
        super().__init__(
            "components",
            "every mandatory component needs at least one attached file; missing: "
            + ", ".join(components),
        )


class HomeServiceNotOffered(InvalidInput):
    """Home pick-up or delivery chosen for a procedure that does not offer it."""


class WeakPassword(InvalidInput):
    """A password that is too short or too simple."""


# --- workflow ------------------------------------------------------------------------------


class TransitionNotAllowed(OnestopError):
    """A dossier action that its current status does not allow."""

    def __init__(self, action: str, status: str, allowed_from: tuple[str, ...] = ()) -> None:
        self.action = action
        self.status = status
        self.allowed_from = allowed_from
        hint = f"; allowed from: {', '.join(allowed_from)}" if allowed_from else ""
        super().__init__(f"cannot {action} a dossier that is {status}{hint}")


class CodeSequenceExhausted(OnestopError):
    """An agency has used every sequence number of a day; codes never wrap."""

    def __init__(self, agency: str, day: _dt.date, maximum: int) -> None:
        self.agency = agency
        self.day = day
        self.maximum = maximum
        super().__init__(
            f"agency {agency} has used all {maximum} dossier numbers for {day.isoformat()}; "
            "use a code scheme with a wider sequence"
        )


# --- lookups -------------------------------------------------------------------------------


class NotFound(OnestopError, LookupError):
    """Nothing stored under that key."""

    kind = "record"

    def __init__(self, key: object) -> None:
        self.key = key
        super().__init__(f"no {self.kind} {show_value(key)}")


class AccountNotFound(NotFound):
    kind = "account"


class OfficerNotFound(NotFound):
    kind = "officer"


class AgencyNotFound(NotFound):
    kind = "agency"


class FieldNotFound(NotFound):
    kind = "field"


class ProcedureNotFound(NotFound):
    kind = "procedure"


class DossierNotFound(NotFound):
    kind = "dossier"


class PaymentNotFound(NotFound):
    kind = "payment"


class FileNotFoundInStore(NotFound):
    kind = "stored file"


# --- authentication and permission ---------------------------------------------------------


class AuthenticationError(OnestopError):
    """Logging in or proving an identity failed."""


class InvalidCredentials(AuthenticationError):
    """Unknown email or wrong password: deliberately one error, so accounts can't be listed."""

    def __init__(self) -> None:
        super().__init__("the email or the password is wrong")


class AccountNotVerified(AuthenticationError):
    """The password is right but the email address has not been verified yet."""

    def __init__(self) -> None:
        super().__init__(
            "this account has not been verified yet: follow the link in the mail "
            "'Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến', "
            "or ask for a new one"
        )


class AccountLocked(AuthenticationError):
    """The account is locked, for a while (``until``) or by an administrator (``until`` None)."""

    def __init__(self, until: _dt.datetime | None) -> None:
        self.until = until
        when = f" until {until.isoformat()}" if until is not None else ""
        super().__init__(f"this account is locked{when}")


class InvalidToken(AuthenticationError):
    """A verification or reset token that is forged, malformed or meant for something else."""

    def __init__(self, reason: str = "the link is not valid") -> None:
        super().__init__(reason)


class TokenExpired(InvalidToken):
    """The link has expired; ask for a new one."""

    def __init__(self) -> None:
        super().__init__("the link has expired; ask for a new one")


class TokenAlreadyUsed(InvalidToken):
    """The link has been used already; links work once."""

    def __init__(self) -> None:
        super().__init__("the link has already been used; links work once")


class PermissionDenied(OnestopError):
    """The actor may not see or act on this record."""


# --- storage -------------------------------------------------------------------------------


class ConflictError(OnestopError):
    """The change conflicts with what is stored."""


class DuplicateError(ConflictError):
    """A unique rule would be broken; ``what`` names it (``"account.email"``)."""

    def __init__(self, what: str, value: object = None) -> None:
        self.what = what
        self.value = value
        shown = f" {show_value(value)}" if value is not None else ""
        super().__init__(f"{what}{shown} is already taken")


class ConcurrentUpdate(ConflictError):
    """The record changed since it was read; reload it and try again."""

    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(
            f"{what} {show_value(key)} was changed by someone else; reload it and try again"
        )


class StorageError(OnestopError):
    """The storage failed: a driver error, a lost connection, a full disk."""


class UnitOfWorkError(StorageError):
    """A unit of work used outside its ``with`` block, or after commit/rollback."""


# --- payments ------------------------------------------------------------------------------


class PaymentError(OnestopError):
    """A payment could not be started or confirmed."""


class PaymentNotRequired(PaymentError):
    """Nothing is due: the fees are 0 VND, not due yet, or already paid."""


class PaymentSignatureInvalid(PaymentError):
    """A gateway callback whose signature does not verify."""


class PaymentAmountMismatch(PaymentError):
    """A gateway callback whose amount differs from the payment's."""

    def __init__(self, expected: int, got: int) -> None:
        self.expected = expected
        self.got = got
        super().__init__(
            f"the gateway reported {show_value(got)} VND, the payment is for "
            f"{show_value(expected)} VND"
        )


class PaymentGatewayError(PaymentError):
    """The gateway failed or answered something unexpected."""


# --- mail and files ------------------------------------------------------------------------


class MailError(OnestopError):
    """Mail could not be rendered or sent."""


class MailTemporaryFailure(MailError):
    """Sending failed in a way worth retrying (server down, 4xx reply, timeout)."""


class MailPermanentFailure(MailError):
    """Sending failed in a way not worth retrying (5xx reply, refused recipient)."""


class TemplateError(MailError):
    """A template is unknown, or a placeholder is missing or unexpected."""


class FileStoreError(OnestopError):
    """The file store could not write or read a file."""


class ConfigurationError(OnestopError, ValueError):
    """Settings that cannot work (a bad database URL, an empty secret, a bad scheme)."""
