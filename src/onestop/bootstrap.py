"""One function that wires a complete portal: :func:`bootstrap`.

Every adapter can be replaced by an argument; explicit arguments beat the environment
(read once, by :meth:`onestop.config.Config.from_env`), which beats the defaults. Storage is
chosen in this order: the ``storage`` argument, the ``database_url`` argument, the
``ONESTOP_DATABASE_URL`` environment variable, and last the in-memory storage. Nothing
connects at import time; a SQL storage is only imported and opened when a URL asks for it.

It fails closed: with a database URL, a portal whose mail would go nowhere, whose payments
would be faked or whose links would die with the process is refused with a
:class:`~onestop.errors.ConfigurationError` naming the missing settings, before anything
is opened (see :meth:`onestop.config.Config.problems`).
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import attrs

from onestop.adapters.clocks import SystemClock
from onestop.adapters.fake_payment import FakePaymentGateway
from onestop.adapters.memory import InMemoryStorage
from onestop.adapters.memory_edges import InMemoryFileStore, InMemoryMailTransport
from onestop.adapters.security import HmacTokenSigner, ScryptPasswordHasher
from onestop.application.accounts import AccountService
from onestop.application.audit import AuditService
from onestop.application.catalog import CatalogService
from onestop.application.context import AppContext, Settings, new_id
from onestop.application.desk import OfficerDesk
from onestop.application.dispatcher import MailDispatcher
from onestop.application.dossiers import DossierService
from onestop.application.files import FileService
from onestop.application.forms import FormService
from onestop.application.indicators import IndicatorService
from onestop.application.national_login import NationalLoginService
from onestop.application.payments import PaymentService
from onestop.application.reports import ReportService
from onestop.application.sync import SyncDispatcher, SyncService
from onestop.config import DATABASE_URL_ENV, SECRET_KEY_ENV, Config
from onestop.domain.calendar import WorkingCalendar
from onestop.errors import ConfigurationError
from onestop.ports.edges import (
    Clock,
    FileStore,
    MailTransport,
    PasswordHasher,
    PaymentGateway,
    TokenSigner,
)
from onestop.ports.identity_provider import IdentityProvider
from onestop.ports.national import NationalPortal
from onestop.ports.storage import Storage

__all__ = ["DATABASE_URL_ENV", "SECRET_KEY_ENV", "Portal", "bootstrap", "default_calendar"]


@attrs.define
class Portal:
    """A wired portal: the use cases a host calls, and the context they share."""

    context: AppContext
    accounts: AccountService
    catalog: CatalogService
    dossiers: DossierService
    desk: OfficerDesk
    payments: PaymentService
    dispatcher: MailDispatcher
    files: FileService
    #: The audit trail (verify, checkpoint); built from ``context`` when not given.
    audit: AuditService = attrs.field(
        default=attrs.Factory(lambda portal: AuditService(portal.context), takes_self=True)
    )
    #: The national portal sync outbox: status and retry (``onestop sync``).
    sync: SyncService = attrs.field(
        default=attrs.Factory(lambda portal: SyncService(portal.context), takes_self=True)
    )
    #: Service indicators per agency and period (Decision 766/QĐ-TTg), counted by storage
    #: (aggregate queries on a database), and the dossiers behind each figure.
    reports: ReportService = attrs.field(
        default=attrs.Factory(lambda portal: ReportService(portal.context), takes_self=True)
    )
    #: The printable forms of a dossier (receipt, supplement request, ...), PDF or HTML.
    forms: FormService = attrs.field(
        default=attrs.Factory(lambda portal: FormService(portal.context), takes_self=True)
    )
    #: Where the sync dispatcher sends to; None when no national portal is configured.
    national_portal: NationalPortal | None = None
    #: Logging in with the national identity (VNeID); without a provider, every use case
    #: raises ConfigurationError.
    national_login: NationalLoginService = attrs.field(
        default=attrs.Factory(
            lambda portal: NationalLoginService(
                portal.context, None, accounts=portal.accounts, desk=portal.desk
            ),
            takes_self=True,
        )
    )
    #: The national identity provider; None when none is configured.
    identity_provider: IdentityProvider | None = None

    def sync_dispatcher(self, **options: Any) -> SyncDispatcher:
        """A dispatcher of the sync outbox to ``national_portal`` (options as SyncDispatcher)."""
        if self.national_portal is None:
            raise ConfigurationError(
                "no national portal is configured: set ONESTOP_NATIONAL_URL (and "
                "ONESTOP_NATIONAL_USERNAME / ONESTOP_NATIONAL_PASSWORD if it needs a login), "
                "or pass national_portal= to bootstrap"
            )
        return SyncDispatcher(self.context, self.national_portal, **options)

    @property
    def indicators(self) -> IndicatorService:
        """Deprecated: the indicators computed in Python over every dossier; use
        :attr:`reports` (``portal.reports.indicators(agency, start, end)``)."""
        warnings.warn(
            "portal.indicators is deprecated and goes in the next release: use "
            "portal.reports.indicators(agency, start, end, with_sub_agencies=...), which "
            "storage counts (in SQL on a database) and whose figures list their dossiers",
            DeprecationWarning,
            stacklevel=2,
        )
        return IndicatorService(self.context)

    @property
    def storage(self) -> Storage:
        return self.context.storage

    def close(self) -> None:
        """Release the storage's connections (and the national portal's, if it has any)."""
        for adapter in (self.national_portal, self.identity_provider):
            close_adapter = getattr(adapter, "close", None)
            if callable(close_adapter):
                close_adapter()
        self.context.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def default_calendar(year: int) -> WorkingCalendar:
    """Vietnam's working days around ``year``: holidays from the ``holidays`` package when it
    is installed, else the fixed solar holidays only (add the year's official plan either way).
    """
    from onestop.calendars import fixed_vietnam_holidays, vietnam_calendar

    years = range(year - 1, year + 3)
    try:
        return vietnam_calendar(years)
    except ConfigurationError:
        days = {d for y in years for d in fixed_vietnam_holidays(y)}
        return WorkingCalendar(holidays=frozenset(days))


def _storage_from_url(url: str) -> tuple[Storage, FileStore]:
    try:
        from onestop.adapters.sql import SqlFileStore, SqlStorage
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            "SQL storage needs SQLAlchemy: pip install 'onestop[sql]' "
            "(and 'onestop[postgres]' for PostgreSQL)"
        ) from e
    storage = SqlStorage.from_url(url)
    return storage, SqlFileStore(storage.engine)


def bootstrap(
    *,
    storage: Storage | None = None,
    database_url: str | None = None,
    clock: Clock | None = None,
    mail_transport: MailTransport | None = None,
    payment_gateway: PaymentGateway | None = None,
    file_store: FileStore | None = None,
    password_hasher: PasswordHasher | None = None,
    token_signer: TokenSigner | None = None,
    secret_key: str | bytes | None = None,
    calendar: WorkingCalendar | None = None,
    settings: Settings | None = None,
    id_factory: Callable[[], str] = new_id,
    environ: Mapping[str, str] | None = None,
    national_portal: NationalPortal | None = None,
    identity_provider: IdentityProvider | None = None,
) -> Portal:
    """Wire a portal; explicit arguments beat the environment, which beats the defaults.

    The environment is ``environ`` (``os.environ`` by default), read by
    :meth:`onestop.config.Config.from_env`: ``ONESTOP_DATABASE_URL``,
    ``ONESTOP_SECRET_KEY``, ``ONESTOP_SMTP_*``, ``ONESTOP_VNPAY_*``, ``ONESTOP_FILES_DIR``,
    ``ONESTOP_PORTAL_NAME``, ``ONESTOP_BASE_URL`` and the link URLs, ``ONESTOP_ALLOW_FAKES``,
    ``ONESTOP_NATIONAL_*`` (the national portal the sync dispatcher sends to; none by default:
    changes then wait in the sync outbox), ``ONESTOP_OIDC_*`` (the national identity
    provider ``portal.national_login`` uses; none by default).

    Defaults: in-memory storage (or SQL when a database URL is given, with attachments
    stored in the same database, and a new empty database created through the shipped
    migrations), the system clock, an in-memory mail transport (read
    ``portal.context.mail_transport.sent``), the fake payment gateway, scrypt password
    hashing, links signed with a random per-process key, and Vietnam's working calendar.

    With a database URL those in-memory defaults are refused: configure SMTP, VNPay and a
    secret key of 32 characters or more, pass the adapters, or set ``ONESTOP_ALLOW_FAKES=1``
    (which accepts the fakes, never a weak key).
    """
    config = Config.from_env(environ)
    url = database_url or config.database_url
    if storage is not None and database_url:
        raise ConfigurationError("give either storage or database_url, not both")
    if storage is None:
        problems = config.problems(
            database_url=url,
            mail_transport=mail_transport is not None,
            payment_gateway=payment_gateway is not None,
            secret_key=secret_key,
            token_signer=token_signer is not None,
        )
        if problems:
            raise ConfigurationError(
                "refusing to start a portal on a database with unsafe settings: "
                + "; ".join(problems)
                + " (onestop config check shows the whole setup)"
            )
    clock = SystemClock() if clock is None else clock
    # Built before the storage is opened, so that a broken setting leaves no trace.
    if mail_transport is None:
        mail_transport = config.mail_transport()
    if payment_gateway is None:
        payment_gateway = config.payment_gateway()
    if file_store is None:
        file_store = config.file_store(clock=clock)
    if settings is None:
        settings = config.make_settings()
    if identity_provider is None:
        identity_provider = config.identity_provider()
    login_settings = config.national_login_settings()
    # A gateway that signs the return URL refuses one it would sign unlike its own samples.
    # Looked up on the class: the CLI's stand-in gateway refuses any attribute asked of it.
    if callable(getattr(type(payment_gateway), "check_return_url", None)):
        payment_gateway.check_return_url(settings.payment_return_url)  # type: ignore[union-attr]
    if storage is None:
        if url:
            storage, sql_files = _storage_from_url(url)
            if file_store is None:
                file_store = sql_files
        else:
            storage = InMemoryStorage()

    if token_signer is None:
        key = secret_key or config.secret_key or secrets.token_bytes(32)
        token_signer = HmacTokenSigner(key.encode() if isinstance(key, str) else key)

    context = AppContext(
        storage=storage,
        clock=clock,
        # ``is None``, not ``or``: an empty store or transport may well be falsy.
        mail_transport=InMemoryMailTransport() if mail_transport is None else mail_transport,
        payment_gateway=FakePaymentGateway() if payment_gateway is None else payment_gateway,
        file_store=InMemoryFileStore(clock=clock) if file_store is None else file_store,
        password_hasher=ScryptPasswordHasher() if password_hasher is None else password_hasher,
        token_signer=token_signer,
        calendar=default_calendar(clock.now().year) if calendar is None else calendar,
        settings=settings,
        new_id=id_factory,
    )
    accounts = AccountService(context)
    desk = OfficerDesk(context)
    return Portal(
        context=context,
        accounts=accounts,
        catalog=CatalogService(context),
        dossiers=DossierService(context),
        desk=desk,
        payments=PaymentService(context),
        dispatcher=MailDispatcher(context),
        files=FileService(context),
        national_portal=config.national_portal() if national_portal is None else national_portal,
        national_login=NationalLoginService(
            context, identity_provider, accounts=accounts, desk=desk, settings=login_settings
        ),
        identity_provider=identity_provider,
    )
