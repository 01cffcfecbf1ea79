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
from onestop.ports.identity_provider import AuthorizationRequest, IdentityProvider, ProvenIdentity
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
    "AuthorizationRequest",
    "CatalogRepository",
    "Clock",
    "CodeSequence",
    "DossierRepository",
    "FileStore",
    "GatewayCallback",
    "IdentityProvider",
    "MailOutbox",
    "MailTransport",
    "NationalPortal",
    "OfficerRepository",
    "PasswordHasher",
    "PaymentGateway",
    "PaymentRedirect",
    "PaymentRepository",
    "ProvenIdentity",
    "Storage",
    "SyncOutbox",
    "TokenLedger",
    "TokenSigner",
    "UnitOfWork",
]
