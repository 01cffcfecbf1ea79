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
from onestop.ports.storage import (
    AccountRepository,
    CatalogRepository,
    CodeSequence,
    DossierRepository,
    MailOutbox,
    OfficerRepository,
    PaymentRepository,
    Storage,
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
    "OfficerRepository",
    "PasswordHasher",
    "PaymentGateway",
    "PaymentRedirect",
    "PaymentRepository",
    "Storage",
    "TokenLedger",
    "TokenSigner",
    "UnitOfWork",
]
