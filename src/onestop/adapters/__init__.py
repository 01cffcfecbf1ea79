"""Adapters: the ports implemented with concrete technology.

This package re-exports the adapters that need nothing beyond the standard library and the
core dependencies. Adapters that need an optional dependency (SQL, SMTP, VNPay, disk) live
in their own modules and are imported from there, so importing ``onestop.adapters`` never
imports a driver or connects to anything.
"""

from onestop.adapters.clocks import FixedClock, ManualClock, SystemClock
from onestop.adapters.fake_payment import FakePaymentGateway, StartedPayment
from onestop.adapters.memory import InMemoryStorage, InMemoryUnitOfWork
from onestop.adapters.memory_edges import InMemoryFileStore, InMemoryMailTransport, SentMail
from onestop.adapters.security import HmacTokenSigner, ScryptPasswordHasher

__all__ = [
    "FakePaymentGateway",
    "FixedClock",
    "HmacTokenSigner",
    "InMemoryFileStore",
    "InMemoryMailTransport",
    "InMemoryStorage",
    "InMemoryUnitOfWork",
    "ManualClock",
    "ScryptPasswordHasher",
    "SentMail",
    "StartedPayment",
    "SystemClock",
]
