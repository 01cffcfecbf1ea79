"""One function that wires a complete portal: :func:`bootstrap`.

Every adapter can be replaced by an argument. Storage is chosen in this order: the
``storage`` argument, the ``database_url`` argument, the ``ONESTOP_DATABASE_URL``
environment variable, and last the in-memory storage. Nothing connects at import time; a
SQL storage is only imported and opened when a URL asks for it.
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Self

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
from onestop.application.payments import PaymentService
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
from onestop.ports.storage import Storage

__all__ = ["DATABASE_URL_ENV", "SECRET_KEY_ENV", "Portal", "bootstrap", "default_calendar"]

#: Environment variable naming the database (``sqlite:///portal.db``, ``postgresql+psycopg://…``).
DATABASE_URL_ENV = "ONESTOP_DATABASE_URL"
#: Environment variable holding the secret that signs verification and reset links.
SECRET_KEY_ENV = "ONESTOP_SECRET_KEY"


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

    @property
    def storage(self) -> Storage:
        return self.context.storage

    def close(self) -> None:
        """Release the storage's connections."""
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
) -> Portal:
    """Wire a portal; explicit arguments beat the environment, which beats the defaults.

    Defaults: in-memory storage (or SQL when ``database_url``/``ONESTOP_DATABASE_URL`` is
    set, with attachments stored in the same database), the system clock, an in-memory mail
    transport (read ``portal.context.mail_transport.sent``), the fake payment gateway, scrypt
    password hashing, links signed with ``secret_key`` or ``ONESTOP_SECRET_KEY`` (a random
    per-process key otherwise, with a warning when the storage outlives the process), and
    Vietnam's working calendar.
    """
    env = os.environ if environ is None else environ
    url = database_url or env.get(DATABASE_URL_ENV) or None
    if storage is None:
        if url:
            storage, sql_files = _storage_from_url(url)
            if file_store is None:
                file_store = sql_files
        else:
            storage = InMemoryStorage()
    elif url and database_url:
        raise ConfigurationError("give either storage or database_url, not both")

    if token_signer is None:
        key = secret_key or env.get(SECRET_KEY_ENV)
        if not key:
            if url:
                warnings.warn(
                    f"{SECRET_KEY_ENV} is not set: verification links will stop working when "
                    "this process ends",
                    RuntimeWarning,
                    stacklevel=2,
                )
            key = secrets.token_bytes(32)
        token_signer = HmacTokenSigner(key.encode() if isinstance(key, str) else key)

    clock = SystemClock() if clock is None else clock
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
        settings=Settings() if settings is None else settings,
        new_id=id_factory,
    )
    return Portal(
        context=context,
        accounts=AccountService(context),
        catalog=CatalogService(context),
        dossiers=DossierService(context),
        desk=OfficerDesk(context),
        payments=PaymentService(context),
        dispatcher=MailDispatcher(context),
        files=FileService(context),
    )
