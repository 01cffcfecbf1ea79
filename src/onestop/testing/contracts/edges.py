"""Contracts for the ports other than storage: files, mail, payment, clock and security.

Subclass one, name the subclass ``Test...`` and implement its factory method(s)::

    class TestDiskFileStore(FileStoreContract):
        def make_store(self) -> FileStore:
            return DiskFileStore(tempfile.mkdtemp())

* :class:`FileStoreContract`: ``make_store()``; optionally ``count_files(store)``.
* :class:`MailTransportContract`: ``make_transport()`` and ``delivered(transport)``.
* :class:`PaymentGatewayContract`: ``make_gateway()`` and ``make_callback(...)``; optionally
  ``signed_keys(params)``.
* :class:`ClockContract`: ``make_clock()``.
* :class:`PasswordHasherContract`: ``make_hasher()`` (make it fast: few rounds).
* :class:`TokenSignerContract`: ``make_signer()`` and ``make_other_signer()``.

The factories are called inside each test, never through a function-scoped fixture, so
the property tests (hypothesis) can use them too.
"""

from __future__ import annotations

from onestop.testing.contracts._edges_files import FileStoreContract
from onestop.testing.contracts._edges_mail import DeliveredMail, MailTransportContract
from onestop.testing.contracts._edges_payments import PaymentGatewayContract, hostile_callbacks
from onestop.testing.contracts._edges_security import (
    ClockContract,
    PasswordHasherContract,
    TokenSignerContract,
)

__all__ = [
    "ClockContract",
    "DeliveredMail",
    "FileStoreContract",
    "MailTransportContract",
    "PasswordHasherContract",
    "PaymentGatewayContract",
    "TokenSignerContract",
    "hostile_callbacks",
]
