"""Ports: what the workflow needs from the outside world, as typed protocols."""

from onestop.ports.edges import (
    Clock,
    FileStore,
    GatewayCallback,
    MailTransport,
    PasswordHasher,
    PaymentGateway,
    PaymentRedirect,
    TokenSigner,
)
from onestop.ports.national import NationalPortal
from onestop.ports.storage import (
    AccountRepository,
    CatalogRepository,
    CodeSequence,
    DossierRepository,
    MailOutbox,
    OfficerRepository,
    PaymentRepository,
    Storage,
    SyncOutbox,
    TokenLedger,
    UnitOfWork,
)

__all__ = [
    "AccountRepository",
    "CatalogRepository",
    "Clock",
    "CodeSequence",
    "DossierRepository",
    "FileStore",
    "GatewayCallback",
    "MailOutbox",
    "MailTransport",
    "NationalPortal",
    "OfficerRepository",
    "PasswordHasher",
    "PaymentGateway",
    "PaymentRedirect",
    "PaymentRepository",
    "Storage",
    "SyncOutbox",
    "TokenLedger",
    "TokenSigner",
    "UnitOfWork",
]
