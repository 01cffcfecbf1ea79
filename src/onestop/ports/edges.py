"""Ports to the outside world other than storage: mail, payment, files, clock, security."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import BinaryIO, Protocol

import attrs

from onestop.domain.files import FileRef
from onestop.domain.mail import MailMessage
from onestop.domain.payments import Payment, PaymentOutcome

__all__ = [
    "Clock",
    "FileStore",
    "GatewayCallback",
    "MailTransport",
    "PasswordHasher",
    "PaymentGateway",
    "PaymentRedirect",
    "RefundReceipt",
    "TokenSigner",
]


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, time-zone aware."""


class MailTransport(Protocol):
    def send(self, message: MailMessage, *, message_id: str) -> None:
        """Deliver one message, or raise MailTemporaryFailure / MailPermanentFailure.

        ``message_id`` is stable across retries of the same outbox entry.
        """


@attrs.frozen
class PaymentRedirect:
    """Where to send the payer to pay, and the reference the gateway will call back with."""

    url: str
    txn_ref: str


@attrs.frozen
class GatewayCallback:
    """A verified callback: which payment, what the gateway says happened, for how much."""

    txn_ref: str
    outcome: PaymentOutcome
    amount: int
    gateway_transaction_id: str | None = None
    reason: str | None = None
    #: When the payer paid, the bank or method and the card type, as the gateway says.
    paid_at: dt.datetime | None = None
    bank_code: str | None = None
    card_type: str | None = None


@attrs.frozen
class RefundReceipt:
    """The gateway's answer to a refund it carried out: its own transaction number."""

    request_id: str
    amount: int
    transaction_no: str


class PaymentGateway(Protocol):
    """Where payers pay; ``query`` and ``refund`` talk to the gateway's merchant API.

    A gateway without a merchant API may leave out ``query`` and ``refund``: the portal then
    gives up on expired payments without asking (and cannot refund).
    """

    name: str

    def start(
        self,
        payment: Payment,
        *,
        order_info: str,
        return_url: str,
        client_ip: str,
        now: dt.datetime,
        locale: str = "vi",
        expires_at: dt.datetime | None = None,
        bank_code: str | None = None,
    ) -> PaymentRedirect:
        """The URL the payer is sent to for ``payment`` (its ``txn_ref`` is the reference).

        ``locale`` is the library's ("vi" or "en"); the adapter maps it to the gateway's own
        (VNPay's ``vn``). ``expires_at`` is when the payer's page closes (the portal's
        ``payment_ttl`` after ``now``), ``bank_code`` the bank or method chosen in advance.
        """

    def verify_callback(self, params: Mapping[str, str]) -> GatewayCallback:
        """Check a callback's signature and read it; PaymentSignatureInvalid if forged."""

    def query(self, payment: Payment, *, now: dt.datetime) -> GatewayCallback | None:
        """What the gateway knows of ``payment`` (None: it has no such transaction).

        PaymentGatewayError when it cannot be asked (down, a refusal) or its answer does
        not verify, is for another payment or is unreadable: nothing is to be concluded.
        """

    def refund(
        self,
        payment: Payment,
        *,
        request_id: str,
        amount: int,
        requested_by: str,
        now: dt.datetime,
    ) -> RefundReceipt:
        """Give ``amount`` VND of ``payment`` back (all of it: a full refund).

        The same ``request_id`` again refunds once. RefundRefused when the gateway refused
        for good (no such transaction, more than what is left): the request is closed.
        PaymentGatewayError when it could not be reached, answered something that does not
        verify, or is not sure: the same request may be sent again.
        """


class FileStore(Protocol):
    def put(
        self,
        data: bytes | BinaryIO,
        *,
        name: str,
        media_type: str,
        max_bytes: int | None = None,
    ) -> FileRef:
        """Store bytes; AttachmentTooLarge past ``max_bytes`` (nothing is kept then).

        ``name`` is the user's name for the file, kept for display only.
        """

    def get(self, key: str) -> bytes:
        """The stored bytes, or FileNotFoundInStore."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a binary stream read in chunks, or FileNotFoundInStore.

        The caller closes it (it is a context manager). Reading never holds the whole file
        in memory; an error while reading is FileStoreError.
        """

    def exists(self, key: str) -> bool:
        """True when ``key`` is stored."""

    def keys_older_than(self, older_than: dt.timedelta) -> Iterable[str]:
        """The keys stored more than ``older_than`` ago by the store's clock.

        Storing bytes that are already stored counts as storing them again: their key is
        young again. (What collecting unreferenced files relies on: an attach stores the
        file, then references it.)
        """

    def delete_if_older(self, key: str, older_than: dt.timedelta) -> bool:
        """Delete ``key`` unless it was stored (again) within ``older_than``; True if deleted.

        Atomic with respect to :meth:`put`: bytes stored again at the same moment are kept.
        False for a key that is not stored.
        """


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """A slow salted hash of ``password``, self-describing (algorithm and parameters)."""

    def verify(self, password: str, hashed: str) -> bool:
        """True when ``password`` matches ``hashed`` (compared in constant time)."""


class TokenSigner(Protocol):
    def sign(self, claims: Mapping[str, str | int]) -> str:
        """A URL-safe token carrying ``claims``, signed so that it cannot be forged."""

    def unsign(self, token: str) -> dict[str, str | int]:
        """The claims of a token signed by this signer, or InvalidToken."""
