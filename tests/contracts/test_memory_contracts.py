"""The contract suites run against the in-memory and standard-library adapters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from onestop.adapters.clocks import FixedClock, ManualClock, SystemClock
from onestop.adapters.fake_payment import FakePaymentGateway
from onestop.adapters.memory import InMemoryStorage
from onestop.adapters.memory_edges import InMemoryFileStore, InMemoryMailTransport
from onestop.adapters.security import HmacTokenSigner, ScryptPasswordHasher
from onestop.domain.payments import Payment, PaymentOutcome
from onestop.errors import (
    InvalidAttachment,
    InvalidInput,
    MailPermanentFailure,
    MailTemporaryFailure,
    PaymentGatewayError,
    PaymentSignatureInvalid,
)
from onestop.ports.edges import Clock, FileStore, PasswordHasher, PaymentRedirect, TokenSigner
from onestop.ports.storage import Storage
from onestop.testing import builders
from onestop.testing.contracts.edges import (
    ClockContract,
    DeliveredMail,
    FileStoreContract,
    MailTransportContract,
    PasswordHasherContract,
    PaymentGatewayContract,
    TokenSignerContract,
)
from onestop.testing.contracts.storage import FailureInjectionContract, StorageContract


class TestInMemoryStorage(StorageContract, FailureInjectionContract):
    def make_storage(self) -> Storage:
        return InMemoryStorage(lock_timeout=10)

    def make_failing_storage(self, fail_on: frozenset[str]) -> Storage:
        return InMemoryStorage(lock_timeout=10, fail_on=fail_on)


class TestInMemoryFileStore(FileStoreContract):
    def make_store(self) -> FileStore:
        return InMemoryFileStore()

    def make_timed_store(self, clock: Clock) -> FileStore:
        return InMemoryFileStore(clock=clock)

    def count_files(self, store: FileStore) -> int | None:
        assert isinstance(store, InMemoryFileStore)
        return len(store)


class TestInMemoryFileStoreSmallChunks(TestInMemoryFileStore):
    """Streams read a few bytes at a time: limits must hold across chunk boundaries."""

    def make_store(self) -> FileStore:
        return InMemoryFileStore(chunk_size=7)

    def make_timed_store(self, clock: Clock) -> FileStore:
        return InMemoryFileStore(chunk_size=7, clock=clock)


class TestInMemoryMailTransport(MailTransportContract[InMemoryMailTransport]):
    def make_transport(self) -> InMemoryMailTransport:
        return InMemoryMailTransport()

    def delivered(self, transport: InMemoryMailTransport) -> Sequence[DeliveredMail]:
        return [
            DeliveredMail(
                message_id=sent.message_id,
                to=sent.message.to,
                subject=sent.message.subject,
                text=sent.message.text,
                html=sent.message.html,
            )
            for sent in transport.sent
        ]


class TestFakePaymentGateway(PaymentGatewayContract[FakePaymentGateway]):
    def make_gateway(self) -> FakePaymentGateway:
        return FakePaymentGateway()

    def make_callback(
        self,
        gateway: FakePaymentGateway,
        payment: Payment,
        redirect: PaymentRedirect,
        outcome: PaymentOutcome,
        amount: int,
    ) -> dict[str, str]:
        if outcome is PaymentOutcome.PAID:
            return gateway.complete(redirect.txn_ref, amount=amount)
        if outcome is PaymentOutcome.FAILED:
            return gateway.fail(redirect.txn_ref, reason="Thẻ bị từ chối")
        if outcome is PaymentOutcome.REVIEW:
            return gateway.review(redirect.txn_ref)
        return gateway.abandon(redirect.txn_ref)

    def pay_at_gateway(
        self, gateway: FakePaymentGateway, payment: Payment, redirect: PaymentRedirect
    ) -> bool:
        gateway.complete(redirect.txn_ref)  # the callback is dropped: a lost IPN
        return True


class TestSystemClock(ClockContract):
    def make_clock(self) -> Clock:
        return SystemClock()


class TestFixedClock(ClockContract):
    def make_clock(self) -> Clock:
        return FixedClock(builders.T0)


class TestManualClock(ClockContract):
    def make_clock(self) -> Clock:
        return ManualClock(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


class TestScryptPasswordHasher(PasswordHasherContract):
    def make_hasher(self) -> PasswordHasher:
        return ScryptPasswordHasher(n=2**10)


class TestScryptPasswordHasherDefaults(PasswordHasherContract):
    """The default (slow) parameters: what a portal runs in production."""

    def make_hasher(self) -> PasswordHasher:
        return ScryptPasswordHasher()


class TestHmacTokenSigner(TokenSignerContract):
    def make_signer(self) -> TokenSigner:
        return HmacTokenSigner(b"0123456789abcdef-test-secret")

    def make_other_signer(self) -> TokenSigner:
        return HmacTokenSigner(b"0123456789abcdef-other-secret")


# --- what only the in-memory edges do ----------------------------------------------------------


def test_fake_gateway_refuses_another_gateways_payment() -> None:
    gateway = FakePaymentGateway()
    with pytest.raises(PaymentGatewayError):
        gateway.start(
            builders.payment(gateway="vnpay"),
            order_info="x",
            return_url="https://example.vn",
            client_ip="127.0.0.1",
            now=builders.T0,
        )


def test_fake_gateway_refuses_a_reused_reference_and_unknown_ones() -> None:
    gateway = FakePaymentGateway()
    first = builders.payment(txn_ref="REF1")

    def start(payment: Payment) -> PaymentRedirect:
        return gateway.start(
            payment,
            order_info="Lệ phí",
            return_url="https://example.vn",
            client_ip="127.0.0.1",
            now=builders.T0,
        )

    assert start(first) == start(first)
    with pytest.raises(PaymentGatewayError):
        start(builders.payment(txn_ref="REF1"))
    with pytest.raises(PaymentGatewayError):
        gateway.complete("NEVER-STARTED")
    assert set(gateway.started) == {"REF1"}


def test_fake_gateway_callbacks_are_bound_to_its_secret() -> None:
    ours, theirs = FakePaymentGateway(), FakePaymentGateway(secret=b"another-secret")
    payment = builders.payment()
    redirect = ours.start(
        payment, order_info="x", return_url="https://e.vn", client_ip="::1", now=builders.T0
    )
    callback = ours.complete(redirect.txn_ref)
    assert ours.verify_callback(callback).gateway_transaction_id is not None
    with pytest.raises(PaymentSignatureInvalid):
        theirs.verify_callback(callback)


def test_mail_transport_fails_on_demand_then_recovers() -> None:
    transport = InMemoryMailTransport()
    transport.fail_next(1)
    transport.fail_next(1, permanent=True)
    message = builders.mail_message()
    with pytest.raises(MailTemporaryFailure):
        transport.send(message, message_id="m1")
    with pytest.raises(MailPermanentFailure):
        transport.send(message, message_id="m1")
    transport.send(message, message_id="m1")
    assert transport.attempts == 3
    assert [s.message_id for s in transport.sent] == ["m1"]
    assert transport.messages_to(" AN.NGUYEN@example.vn ") == [message]
    with pytest.raises(InvalidInput):
        transport.fail_next(-1)


@pytest.mark.parametrize("max_bytes", [-1, True, 1.5])
def test_file_store_refuses_a_bad_limit(max_bytes: object) -> None:
    with pytest.raises(InvalidInput):
        InMemoryFileStore().put(b"x", name="a", media_type="text/plain", max_bytes=max_bytes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "media_type"), [("", "text/plain"), ("a\nb", "text/plain"), ("a", "plain")]
)
def test_file_store_checks_name_and_media_type_first(name: str, media_type: str) -> None:
    store = InMemoryFileStore()
    with pytest.raises(InvalidAttachment):
        store.put(b"x", name=name, media_type=media_type)
    assert len(store) == 0
