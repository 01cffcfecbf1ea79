"""What every use case needs: the ports, the rules a host may configure, and id making."""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

import attrs

from onestop.application.templates import (
    DEFAULT_PORTAL_NAME,
    MailTemplates,
    load_mail_templates,
)
from onestop.domain.accounts import DEFAULT_LOCK_FOR, DEFAULT_MAX_FAILED_LOGINS
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import SCHEME_2018, CodeScheme
from onestop.domain.deadlines import Deadlines, OfficeHours, SupplementRule
from onestop.domain.schemes import FormerScheme, SchemeHistory
from onestop.ports.edges import (
    Clock,
    FileStore,
    MailTransport,
    PasswordHasher,
    PaymentGateway,
    TokenSigner,
)
from onestop.ports.storage import Storage

__all__ = ["AppContext", "Settings", "link_to", "new_id"]


def new_id() -> str:
    """A random, unguessable id (the only randomness, kept at the edge)."""
    return uuid.uuid4().hex


@attrs.frozen
class Settings:
    """Rules a host configures; each default is the library's one copy of it."""

    #: Base URL of the portal, used to build the links in mail (``{base}/verify?token=...``).
    base_url: str = "http://localhost:8000"
    #: Language of mail and labels: "vi" (default) or "en".
    locale: str = "vi"
    #: The dossier-code scheme new codes are issued under (TT 01/2018 by default).
    code_scheme: CodeScheme = SCHEME_2018
    #: The schemes the portal issued codes under before, with their dates: their codes stay
    #: valid for tracking and at the desk (``FormerScheme(SCHEME_2018, since, until)``).
    former_code_schemes: tuple[FormerScheme, ...] = ()
    #: How long a verification link works.
    verification_ttl: dt.timedelta = dt.timedelta(hours=24)
    #: How long a password-reset link works.
    reset_ttl: dt.timedelta = dt.timedelta(hours=1)
    #: Failed logins in a row that lock an account, and for how long.
    max_failed_logins: int = DEFAULT_MAX_FAILED_LOGINS
    lockout: dt.timedelta = DEFAULT_LOCK_FOR
    #: Shortest password accepted.
    min_password_length: int = 8
    #: Page size of searches when the caller gives none, and the largest allowed.
    page_size: int = 20
    max_page_size: int = 100
    #: How long a started payment may stay pending before it is abandoned.
    payment_ttl: dt.timedelta = dt.timedelta(minutes=15)
    #: Where the gateway sends the payer back to.
    payment_return_url: str = "http://localhost:8000/payments/return"
    #: Name of the portal, shown in mail.
    portal_name: str = DEFAULT_PORTAL_NAME
    #: The page a verification link opens (the token is added as ``?token=...``).
    verification_url: str = attrs.field(
        default=attrs.Factory(lambda self: _under(self.base_url, "verify"), takes_self=True)
    )
    #: The page a password-reset link opens (the token is added as ``?token=...``).
    password_reset_url: str = attrs.field(
        default=attrs.Factory(lambda self: _under(self.base_url, "reset-password"), takes_self=True)
    )
    #: The public tracking page (the dossier code is added as ``?code=...``).
    tracking_url: str = attrs.field(
        default=attrs.Factory(lambda self: _under(self.base_url, "track"), takes_self=True)
    )
    #: The office's working hours (07:00-11:30 and 13:30-17:00, Monday to Friday by default;
    #: ``OfficeHours(by_weekday={5: ((time(7), time(11, 30)),)})`` with a calendar whose
    #: weekend is ``{6}`` for Saturday mornings): limits in working hours count them.
    office_hours: OfficeHours = attrs.field(factory=OfficeHours)
    #: What a supplement does to the due date of a procedure that does not say:
    #: "exclude_wait" (it moves by the working time spent waiting) or "restart".
    supplement_rule: SupplementRule = attrs.field(
        default="exclude_wait", validator=attrs.validators.in_(("restart", "exclude_wait"))
    )
    #: The apology and new date may be sent at the latest this many working days before the
    #: due date (1: the working day before; 0: on the due date itself, before it ends).
    apology_days_before: int = attrs.field(
        default=1,
        validator=[attrs.validators.instance_of(int), attrs.validators.in_(range(31))],
    )
    #: A directory of the host's mail templates (``mail/vi/received.txt``, ...): each file
    #: there replaces the packaged one; None uses the packaged templates only.
    template_dir: str | os.PathLike[str] | None = None

    @property
    def code_schemes(self) -> SchemeHistory:
        """The current code scheme and the former ones: what tracking and the desk read."""
        return SchemeHistory(self.code_scheme, self.former_code_schemes)


@functools.lru_cache(maxsize=8)
def _deadlines(calendar: WorkingCalendar, hours: OfficeHours, rule: SupplementRule) -> Deadlines:
    # Kept, so the per-year index of working minutes is built once per portal, not per call.
    return Deadlines(calendar, hours, rule)


def _under(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}"


def link_to(url: str, **query: str) -> str:
    """``url`` with ``query`` added to its query string (``?`` or ``&`` as it needs)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode(query)}"


@attrs.define
class AppContext:
    """The ports and settings the use cases share; built by :func:`onestop.bootstrap`."""

    storage: Storage
    clock: Clock
    mail_transport: MailTransport
    payment_gateway: PaymentGateway
    file_store: FileStore
    password_hasher: PasswordHasher
    token_signer: TokenSigner
    calendar: WorkingCalendar
    settings: Settings = attrs.field(factory=Settings)
    new_id: Callable[[], str] = new_id
    #: Every mail template compiled and checked, the host's (``settings.template_dir``)
    #: first: built with the context, so a broken template fails at startup.
    mail_templates: MailTemplates = attrs.field(
        default=attrs.Factory(
            lambda self: load_mail_templates(self.settings.template_dir), takes_self=True
        )
    )

    @property
    def deadlines(self) -> Deadlines:
        """The portal's deadline arithmetic: its calendar, office hours and supplement rule."""
        settings = self.settings
        return _deadlines(self.calendar, settings.office_hours, settings.supplement_rule)
