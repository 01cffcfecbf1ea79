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

import datetime as dt
import hashlib
import io
import string
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from onestop.domain.mail import MailMessage
from onestop.domain.payments import Payment, PaymentOutcome
from onestop.errors import (
    AttachmentContentMismatch,
    AttachmentTooLarge,
    FileNotFoundInStore,
    FileStoreError,
    InvalidAttachment,
    InvalidToken,
    PaymentGatewayError,
    PaymentSignatureInvalid,
)
from onestop.ports.edges import (
    Clock,
    FileStore,
    MailTransport,
    PasswordHasher,
    PaymentGateway,
    PaymentRedirect,
    TokenSigner,
)
from onestop.testing import builders
from onestop.testing.contracts._support import _NO_SURROGATES, free_text, one_line_text

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

# Every subclass runs the same property test with another ``self`` (another adapter), which
# is the point of a contract: hypothesis's differing_executors check does not apply.
_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.differing_executors]
_PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=_SUPPRESSED)
_FEW = settings(max_examples=10, deadline=None, suppress_health_check=_SUPPRESSED)

_M = TypeVar("_M", bound=MailTransport)
_G = TypeVar("_G", bound=PaymentGateway)


# --- files ---------------------------------------------------------------------------------


class FileStoreContract:
    """What every :class:`~onestop.ports.edges.FileStore` does."""

    def make_store(self) -> FileStore:
        """A new, empty file store."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_store()")

    def count_files(self, store: FileStore) -> int | None:
        """How many files ``store`` keeps, if the adapter can tell (to check nothing is kept)."""
        return None

    @pytest.mark.parametrize("stream", [False, True], ids=["bytes", "stream"])
    def test_put_and_get(self, stream: bool) -> None:
        store = self.make_store()
        data = b"%PDF-1.4 Gi\xe1\xba\xa5y \xc4\x91\xe1\xbb\x81 ngh\xe1\xbb\x8b\n" * 100
        source: bytes | io.BytesIO = io.BytesIO(data) if stream else data
        ref = store.put(source, name="giấy đề nghị.pdf", media_type="application/pdf")
        assert ref.size == len(data)
        assert ref.sha256 == hashlib.sha256(data).hexdigest()
        assert ref.media_type == "application/pdf"
        assert ref.name == "giấy đề nghị.pdf"
        assert store.exists(ref.key)
        assert store.get(ref.key) == data

    def test_open_streams_what_was_stored(self) -> None:
        """open() gives the bytes back in chunks, as many reads as the caller likes."""
        store = self.make_store()
        data = bytes(range(256)) * 1200  # 300 KiB: more than one chunk of any sensible size
        ref = store.put(io.BytesIO(data), name="bản scan.png", media_type="image/png")
        with store.open(ref.key) as stream:
            parts = list(iter(lambda: stream.read(7_000), b""))
        assert b"".join(parts) == data
        assert len(parts) > 1
        assert max(len(p) for p in parts) <= 7_000
        with store.open(ref.key) as stream:
            assert stream.read() == data
            assert stream.read() == b""
        empty = store.put(b"", name="trống.txt", media_type="text/plain")
        with store.open(empty.key) as stream:
            assert stream.read() == b""

    @pytest.mark.parametrize("key", ["0" * 64, "missing", "", "../../etc/passwd", "a/../b"])
    def test_open_of_an_unknown_key_is_not_found(self, key: str) -> None:
        store = self.make_store()
        store.put(b"something", name="a.pdf", media_type="application/pdf")
        with pytest.raises(FileNotFoundInStore):
            store.open(key)

    @given(data=st.binary(max_size=4096), size=st.integers(min_value=1, max_value=5000))
    @_FEW
    def test_open_reads_any_content_in_any_chunk_size(self, data: bytes, size: int) -> None:
        store = self.make_store()
        ref = store.put(data, name="tệp.bin", media_type="application/octet-stream")
        with store.open(ref.key) as stream:
            assert b"".join(iter(lambda: stream.read(size), b"")) == data

    def test_empty_file(self) -> None:
        store = self.make_store()
        ref = store.put(b"", name="trống.txt", media_type="text/plain")
        assert ref.size == 0
        assert ref.sha256 == hashlib.sha256(b"").hexdigest()
        assert store.get(ref.key) == b""

    def test_large_stream(self) -> None:
        store = self.make_store()
        data = bytes(range(256)) * 1200  # 300 KiB: more than one chunk of any sensible size
        ref = store.put(io.BytesIO(data), name="scan.png", media_type="image/png")
        assert ref.size == len(data)
        assert store.get(ref.key) == data

    def test_same_content_same_key(self) -> None:
        store = self.make_store()
        first = store.put(b"noi dung", name="a.pdf", media_type="application/pdf")
        again = store.put(io.BytesIO(b"noi dung"), name="b.png", media_type="image/png")
        other = store.put(b"noi dung khac", name="a.pdf", media_type="application/pdf")
        assert first.key == again.key
        assert again.name == "b.png"
        assert again.media_type == "image/png"
        assert other.key != first.key
        assert store.get(first.key) == b"noi dung"
        assert store.get(other.key) == b"noi dung khac"

    @pytest.mark.parametrize("stream", [False, True], ids=["bytes", "stream"])
    def test_too_large_keeps_nothing(self, stream: bool) -> None:
        store = self.make_store()
        before = self.count_files(store)
        data = b"x" * 1001
        source: bytes | io.BytesIO = io.BytesIO(data) if stream else data
        with pytest.raises(AttachmentTooLarge):
            store.put(source, name="lớn.pdf", media_type="application/pdf", max_bytes=1000)
        assert self.count_files(store) == before
        assert not store.exists(hashlib.sha256(data).hexdigest())
        exact = b"y" * 1000
        exact_source: bytes | io.BytesIO = io.BytesIO(exact) if stream else exact
        ref = store.put(exact_source, name="vừa.pdf", media_type="application/pdf", max_bytes=1000)
        assert store.get(ref.key) == exact

    @pytest.mark.parametrize("key", ["0" * 64, "missing", "", "../../etc/passwd", "a/../b"])
    def test_unknown_key(self, key: str) -> None:
        store = self.make_store()
        store.put(b"something", name="a.pdf", media_type="application/pdf")
        assert not store.exists(key)
        with pytest.raises(FileNotFoundInStore):
            store.get(key)

    @given(data=st.binary(max_size=4096), stream=st.booleans())
    @_PROPERTY
    def test_round_trip_generated(self, data: bytes, stream: bool) -> None:
        store = self.make_store()
        source: bytes | io.BytesIO = io.BytesIO(data) if stream else data
        ref = store.put(source, name="tệp.bin", media_type="application/octet-stream")
        assert (ref.size, ref.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert store.exists(ref.key)
        assert store.get(ref.key) == data

    @pytest.mark.parametrize(
        "failure",
        [
            ConnectionResetError(104, "Connection reset by peer"),
            OSError(5, "Input/output error"),
            TimeoutError("the client stopped sending"),
            ValueError("I/O operation on closed file."),
            RuntimeError("a host's stream wrapper failed"),
            "text",
            12,
            None,
            [b"x"],
        ],
        ids=repr,
    )
    def test_an_upload_stream_that_fails_is_a_file_store_error_and_keeps_nothing(
        self, failure: object
    ) -> None:
        """read() raising (a reset connection) or giving non-bytes: FileStoreError, no file."""
        store = self.make_store()
        kept = store.put(b"kept", name="kept.pdf", media_type="application/pdf")
        before = self.count_files(store)
        stream = _FailingStream(b"%PDF-1.4 " + b"y" * 3000, failure)
        with pytest.raises(FileStoreError) as caught:
            store.put(stream, name="a.pdf", media_type="application/pdf")  # type: ignore[arg-type]
        if isinstance(failure, BaseException):
            assert caught.value.__cause__ is failure
        assert self.count_files(store) == before
        assert not store.exists(hashlib.sha256(b"%PDF-1.4 " + b"y" * 3000).hexdigest())
        assert store.get(kept.key) == b"kept"
        again = store.put(io.BytesIO(b"after"), name="b.pdf", media_type="application/pdf")
        assert store.get(again.key) == b"after"

    def test_a_library_error_raised_while_reading_passes_unchanged(self) -> None:
        """A content check refusing the file mid-read is not turned into FileStoreError."""
        store = self.make_store()
        before = self.count_files(store)
        refusal = AttachmentContentMismatch("file.content", "must be a PDF document")
        stream = _FailingStream(b"MZ" + b"\x00" * 3000, refusal)
        with pytest.raises(AttachmentContentMismatch) as caught:
            store.put(stream, name="a.pdf", media_type="application/pdf")  # type: ignore[arg-type]
        assert caught.value is refusal
        assert self.count_files(store) == before

    @pytest.mark.parametrize("data", ["text", None, 12, object()], ids=repr)
    def test_data_that_is_neither_bytes_nor_a_stream_is_refused(self, data: object) -> None:
        store = self.make_store()
        before = self.count_files(store)
        with pytest.raises((InvalidAttachment, FileStoreError)):
            store.put(data, name="a.pdf", media_type="application/pdf")  # type: ignore[arg-type]
        assert self.count_files(store) == before

    @pytest.mark.parametrize(
        "name",
        [
            "\u202efdp.exe",  # shows as "exe.pdf"
            "h\u1ed3 s\u01a1\u202e.pdf",
            "a\u202ab.pdf",
            "a\u2066b\u2069.pdf",
            "a\u200eb.pdf",
            "a\u200fb.pdf",
            "a\u061cb.pdf",
            "a\u200bb.pdf",  # zero-width space
            "a\ufeffb.pdf",  # byte-order mark
            "a\u2028b.pdf",  # line separator
            "a\x85b.pdf",  # next line (a C1 control)
            "a\ud800b.pdf",  # lone surrogate
        ],
        ids=repr,
    )
    def test_names_with_bidi_or_invisible_characters_are_refused(self, name: str) -> None:
        store = self.make_store()
        before = self.count_files(store)
        with pytest.raises(InvalidAttachment) as caught:
            store.put(b"%PDF-1.4", name=name, media_type="application/pdf")
        assert caught.value.field == "file.name"
        assert self.count_files(store) == before

    # --- collecting unreferenced files ------------------------------------------------------

    def make_timed_store(self, clock: Clock) -> FileStore:
        """A new, empty store that dates what it stores by ``clock``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement make_timed_store(clock) for the collection tests"
        )

    def _timed(self) -> tuple[FileStore, _Clock]:
        clock = _Clock(builders.T0)
        return self.make_timed_store(clock), clock

    def test_keys_older_than_lists_what_was_stored_before(self) -> None:
        store, clock = self._timed()
        old = store.put(b"old", name="a.pdf", media_type="application/pdf")
        clock.advance(dt.timedelta(hours=2))
        young = store.put(io.BytesIO(b"young"), name="b.pdf", media_type="application/pdf")
        clock.advance(dt.timedelta(minutes=30))
        assert list(store.keys_older_than(dt.timedelta(hours=1))) == [old.key]
        assert sorted(store.keys_older_than(dt.timedelta(minutes=10))) == sorted(
            [old.key, young.key]
        )
        assert list(store.keys_older_than(dt.timedelta(hours=3))) == []

    def test_storing_the_same_bytes_again_makes_them_young(self) -> None:
        store, clock = self._timed()
        first = store.put(b"same", name="a.pdf", media_type="application/pdf")
        clock.advance(dt.timedelta(hours=5))
        again = store.put(io.BytesIO(b"same"), name="b.pdf", media_type="application/pdf")
        assert again.key == first.key
        clock.advance(dt.timedelta(minutes=1))
        assert list(store.keys_older_than(dt.timedelta(hours=1))) == []
        assert not store.delete_if_older(first.key, dt.timedelta(hours=1))
        assert store.get(first.key) == b"same"

    def test_delete_if_older_deletes_old_files_only(self) -> None:
        store, clock = self._timed()
        old = store.put(b"old", name="a.pdf", media_type="application/pdf")
        clock.advance(dt.timedelta(hours=2))
        young = store.put(b"young", name="b.pdf", media_type="application/pdf")
        assert not store.delete_if_older(young.key, dt.timedelta(hours=1))
        assert store.delete_if_older(old.key, dt.timedelta(hours=1))
        assert not store.exists(old.key)
        with pytest.raises(FileNotFoundInStore):
            store.get(old.key)
        assert store.get(young.key) == b"young"
        assert not store.delete_if_older(old.key, dt.timedelta(hours=1))  # already gone
        for key in ("0" * 64, "", "../x", "\x00"):
            assert not store.delete_if_older(key, dt.timedelta(hours=1))
        again = store.put(b"old", name="a.pdf", media_type="application/pdf")
        assert store.get(again.key) == b"old"


class _Clock:
    """A clock moved by hand (the contract cannot import the adapters' ManualClock)."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


class _FailingStream:
    """A client's upload that gives ``data`` in small pieces, then fails with ``failure``.

    ``failure`` is raised when it is an exception, else returned from ``read()`` as is.
    """

    def __init__(self, data: bytes, failure: object) -> None:
        self._data = io.BytesIO(data)
        self._failure = failure
        self._reads = 0

    def read(self, size: int = -1) -> object:
        self._reads += 1
        if self._reads <= 2:
            return self._data.read(min(size, 100) if size and size > 0 else 100)
        if isinstance(self._failure, BaseException):
            raise self._failure
        return self._failure


# --- mail ----------------------------------------------------------------------------------


@attrs.frozen
class DeliveredMail:
    """A message as a mail transport delivered it (what a test's mailbox received)."""

    message_id: str
    to: str
    subject: str
    text: str
    html: str | None = None


def _same_text(delivered: str, sent: str) -> bool:
    """Equal but for line endings and trailing line breaks (SMTP may change both).

    Every character :meth:`str.splitlines` breaks on counts as a line ending: SMTP turns a
    lone ``\r`` into a line break, and a MIME encoder may do the same to the others.
    """

    def norm(text: str) -> str:
        return "\n".join(text.splitlines()).rstrip("\n")

    return norm(delivered) == norm(sent)


class MailTransportContract(Generic[_M]):
    """What every :class:`~onestop.ports.edges.MailTransport` does.

    :meth:`delivered` returns what the transport has delivered so far, oldest first; the
    tests look only at what is new since they started, so it may include earlier tests' mail.
    """

    def make_transport(self) -> _M:
        """A transport that delivers where :meth:`delivered` can see it."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_transport()")

    def delivered(self, transport: _M) -> Sequence[DeliveredMail]:
        """Every message delivered through ``transport`` so far, oldest first."""
        raise NotImplementedError(f"{type(self).__name__} must implement delivered()")

    def _send(self, transport: _M, *messages: tuple[MailMessage, str]) -> list[DeliveredMail]:
        before = len(self.delivered(transport))
        for message, message_id in messages:
            transport.send(message, message_id=message_id)
        return list(self.delivered(transport)[before:])

    def _check(self, got: DeliveredMail, message: MailMessage, message_id: str) -> None:
        assert message_id.strip("<>") in got.message_id
        assert got.to == message.to
        assert got.subject == message.subject
        assert _same_text(got.text, message.text), (got.text, message.text)
        if message.html is None:
            assert got.html is None
        else:
            assert got.html is not None
            assert _same_text(got.html, message.html)

    def test_send_vietnamese_message(self) -> None:
        transport = self.make_transport()
        message = builders.mail_message()
        message_id = builders.new_id("mail") + "@onestop.test"
        [got] = self._send(transport, (message, message_id))
        self._check(got, message, message_id)

    def test_send_text_only(self) -> None:
        transport = self.make_transport()
        message = builders.mail_message(
            subject="Hồ sơ 000.00.03.H34-220622-0001 đã được tiếp nhận",
            text="Ngày hẹn trả kết quả: 27/06/2022.\nTrân trọng.",
            html=None,
        )
        message_id = builders.new_id("mail") + "@onestop.test"
        [got] = self._send(transport, (message, message_id))
        self._check(got, message, message_id)

    def test_messages_arrive_in_order_with_their_ids(self) -> None:
        transport = self.make_transport()
        sent = [
            (builders.mail_message(to=f"nguoi{n}@example.vn", subject=f"Thư số {n}"), f"m{n}@x.vn")
            for n in range(3)
        ]
        got = self._send(transport, *sent)
        assert len(got) == 3
        for delivered, (message, message_id) in zip(got, sent, strict=True):
            self._check(delivered, message, message_id)

    @given(subject=one_line_text(max_size=100), text=free_text(min_size=1, max_size=500))
    @_FEW
    def test_send_generated(self, subject: str, text: str) -> None:
        transport = self.make_transport()
        message = builders.mail_message(subject=subject, text=text, html=None)
        message_id = builders.new_id("mail") + "@onestop.test"
        [got] = self._send(transport, (message, message_id))
        self._check(got, message, message_id)


# --- payment -------------------------------------------------------------------------------


_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
#: Values no callback parameter can hold: wrong types, lone surrogates, absurd sizes.
_HOSTILE_VALUES: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.binary(max_size=16),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    st.builds(object),
    st.text(alphabet=_SURROGATES, min_size=1, max_size=4),
    st.tuples(st.text(max_size=8), _SURROGATES, st.text(max_size=8)).map("".join),
    st.integers(5_000, 100_000).map(lambda n: "x" * n),
)


def hostile_callbacks() -> st.SearchStrategy[object]:
    """What a broken client or an attacker may pass for a callback's parameters.

    Anything but a mapping, and mappings with wrong-typed keys or values, lone surrogates,
    huge values or too many parameters; none of them can be a correctly signed callback.
    """
    keys = st.one_of(st.text(max_size=12), _HOSTILE_VALUES.filter(_hashable))
    return st.one_of(
        _HOSTILE_VALUES,
        st.text(max_size=20),
        st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=4),
        st.dictionaries(keys, st.one_of(st.text(max_size=12), _HOSTILE_VALUES), max_size=6),
        st.dictionaries(st.text(max_size=12), _HOSTILE_VALUES, min_size=1, max_size=6),
        st.integers(101, 300).map(lambda n: {f"vnp_{i}": "1" for i in range(n)}),
    )


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class PaymentGatewayContract(Generic[_G]):
    """What every :class:`~onestop.ports.edges.PaymentGateway` does.

    :meth:`make_callback` stands in for the gateway's server: the parameters it would call
    back with after the payer paid (or failed, or cancelled), signed as it signs them.
    """

    def make_gateway(self) -> _G:
        """A gateway ready to start payments."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_gateway()")

    def make_callback(
        self,
        gateway: _G,
        payment: Payment,
        redirect: PaymentRedirect,
        outcome: PaymentOutcome,
        amount: int,
    ) -> dict[str, str]:
        """The signed callback parameters for ``payment`` (started as ``redirect``).

        ``amount`` is what the gateway reports in VND (only meaningful for PAID).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement make_callback()")

    def signed_keys(self, params: Mapping[str, str]) -> Sequence[str]:
        """The callback parameters the signature covers (changing one must be detected)."""
        return sorted(params)

    def pay_at_gateway(self, gateway: _G, payment: Payment, redirect: PaymentRedirect) -> bool:
        """Make the gateway hold ``payment`` as paid, its callback lost; False: cannot (the
        query and refund tests are then skipped)."""
        return False

    def _paid_at_gateway(self) -> tuple[_G, Payment]:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        if not callable(getattr(type(gateway), "query", None)) or not self.pay_at_gateway(
            gateway, payment, redirect
        ):
            pytest.skip("this gateway cannot be queried here")
        return gateway, payment

    def test_query_reports_a_payment_whose_callback_was_lost(self) -> None:
        gateway, payment = self._paid_at_gateway()
        answer = gateway.query(payment, now=builders.T0)
        assert answer is not None
        assert (answer.txn_ref, answer.outcome, answer.amount) == (
            payment.txn_ref,
            PaymentOutcome.PAID,
            payment.amount,
        )

    def test_query_of_a_payment_never_paid_is_none(self) -> None:
        gateway, _ = self._paid_at_gateway()
        other, _ = self._start(gateway)
        assert gateway.query(other, now=builders.T0) is None

    def test_refund_with_the_same_request_id_refunds_once(self) -> None:
        gateway, payment = self._paid_at_gateway()
        answer = gateway.query(payment, now=builders.T0)
        assert answer is not None
        paid = attrs.evolve(payment, gateway_transaction_id=answer.gateway_transaction_id)
        refund = gateway.refund
        first = refund(paid, request_id="R1", amount=paid.amount, requested_by="o", now=builders.T0)
        again = refund(paid, request_id="R1", amount=paid.amount, requested_by="o", now=builders.T0)
        assert first == again
        assert first.amount == paid.amount
        assert first.transaction_no
        with pytest.raises(PaymentGatewayError):
            refund(paid, request_id="R2", amount=paid.amount, requested_by="o", now=builders.T0)

    def _start(self, gateway: _G, amount: int = 50_000) -> tuple[Payment, PaymentRedirect]:
        payment = builders.payment(
            amount=amount, gateway=gateway.name, txn_ref=builders.new_id("T").replace("-", "")
        )
        redirect = gateway.start(
            payment,
            order_info="Thanh toán lệ phí hồ sơ 000.00.03.H34-220622-0001",
            return_url="https://dichvucong.example.vn/thanh-toan/ket-qua",
            client_ip="203.0.113.7",
            now=builders.T0,
        )
        return payment, redirect

    def test_start_gives_a_redirect(self) -> None:
        gateway = self.make_gateway()
        assert isinstance(gateway.name, str)
        assert gateway.name
        payment, redirect = self._start(gateway)
        assert redirect.txn_ref == payment.txn_ref
        assert isinstance(redirect.url, str)
        assert redirect.url

    @pytest.mark.parametrize("outcome", list(PaymentOutcome), ids=lambda o: o.value)
    def test_callback_verifies(self, outcome: PaymentOutcome) -> None:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        params = self.make_callback(gateway, payment, redirect, outcome, payment.amount)
        callback = gateway.verify_callback(params)
        assert callback.txn_ref == payment.txn_ref
        assert callback.outcome is outcome
        if outcome is PaymentOutcome.PAID:
            assert callback.amount == payment.amount

    def test_callback_reports_the_amount_paid(self) -> None:
        # verify_callback reads the amount; comparing it with the payment is the caller's job.
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway, amount=150_000)
        params = self.make_callback(gateway, payment, redirect, PaymentOutcome.PAID, 149_000)
        assert gateway.verify_callback(params).amount == 149_000

    def test_tampered_callback_is_refused(self) -> None:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        params = self.make_callback(gateway, payment, redirect, PaymentOutcome.PAID, payment.amount)
        keys = self.signed_keys(params)
        assert keys, "a callback must be signed"
        for key in keys:
            changed = dict(params)
            changed[key] = _changed(params[key])
            with pytest.raises(PaymentSignatureInvalid):
                gateway.verify_callback(changed)

    def test_callback_missing_a_parameter_is_refused(self) -> None:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        params = self.make_callback(gateway, payment, redirect, PaymentOutcome.PAID, payment.amount)
        for key in self.signed_keys(params):
            missing = {k: v for k, v in params.items() if k != key}
            with pytest.raises((PaymentSignatureInvalid, PaymentGatewayError)):
                gateway.verify_callback(missing)
        with pytest.raises((PaymentSignatureInvalid, PaymentGatewayError)):
            gateway.verify_callback({})

    @given(amount=st.integers(1, 10**10), outcome=st.sampled_from(PaymentOutcome))
    @_PROPERTY
    def test_callback_generated(self, amount: int, outcome: PaymentOutcome) -> None:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway, amount=amount)
        params = self.make_callback(gateway, payment, redirect, outcome, amount)
        callback = gateway.verify_callback(params)
        assert (callback.txn_ref, callback.outcome) == (payment.txn_ref, outcome)
        if outcome is PaymentOutcome.PAID:
            assert callback.amount == amount

    @given(params=hostile_callbacks())
    @_PROPERTY
    def test_any_input_is_refused_with_a_payment_error(self, params: object) -> None:
        """None, lists, numbers, non-text keys or values, lone surrogates: two errors only."""
        gateway = self.make_gateway()
        with pytest.raises((PaymentSignatureInvalid, PaymentGatewayError)):
            gateway.verify_callback(params)  # type: ignore[arg-type]

    @given(data=st.data())
    @_PROPERTY
    def test_a_signed_callback_with_a_hostile_value_is_refused(self, data: st.DataObject) -> None:
        """A genuine callback with one value (or one extra key) made hostile is refused."""
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        genuine = self.make_callback(
            gateway, payment, redirect, PaymentOutcome.PAID, payment.amount
        )
        params: dict[object, object] = {k: v for k, v in genuine.items()}
        key: object
        if data.draw(st.booleans(), label="replace a value"):
            key = data.draw(st.sampled_from(sorted(self.signed_keys(genuine))), label="key")
        else:
            extra = _HOSTILE_VALUES.filter(lambda k: _hashable(k) and k not in params)
            key = data.draw(extra, label="extra key")
        params[key] = data.draw(_HOSTILE_VALUES, label="value")
        with pytest.raises((PaymentSignatureInvalid, PaymentGatewayError)):
            gateway.verify_callback(params)  # type: ignore[arg-type]


def _changed(value: str) -> str:
    """Another value of the same shape: the last character replaced, or one added.

    A letter is replaced by another letter of the same case, never by its other case: a
    hex signature may be compared without regard to case, so ``a`` and ``A`` are one value.
    """
    if not value:
        return "0"
    last = value[-1]
    for candidate in "01ab" if not last.isupper() else "01AB":
        if candidate != last and (candidate.isdigit() == last.isdigit() or not last.isalnum()):
            return value[:-1] + candidate
    return value + "0"


# --- clock ---------------------------------------------------------------------------------


class ClockContract:
    """What every :class:`~onestop.ports.edges.Clock` does."""

    def make_clock(self) -> Clock:
        raise NotImplementedError(f"{type(self).__name__} must implement make_clock()")

    def test_now_is_aware(self) -> None:
        now = self.make_clock().now()
        assert isinstance(now, dt.datetime)
        assert now.tzinfo is not None
        assert now.utcoffset() is not None

    def test_now_never_goes_back(self) -> None:
        clock = self.make_clock()
        readings = [clock.now() for _ in range(200)]
        assert readings == sorted(readings)


# --- security ------------------------------------------------------------------------------

_PASSWORDS = st.text(
    alphabet=st.characters(exclude_categories=_NO_SURROGATES), min_size=1, max_size=40
)


class PasswordHasherContract:
    """What every :class:`~onestop.ports.edges.PasswordHasher` does (make it fast for tests)."""

    def make_hasher(self) -> PasswordHasher:
        raise NotImplementedError(f"{type(self).__name__} must implement make_hasher()")

    @pytest.mark.parametrize(
        "password", ["correct horse battery staple", "Mật khẩu bí mật 2024!", "🔑" * 8, " "]
    )
    def test_right_and_wrong_password(self, password: str) -> None:
        hasher = self.make_hasher()
        hashed = hasher.hash(password)
        assert isinstance(hashed, str)
        assert password not in hashed
        assert hasher.verify(password, hashed)
        assert not hasher.verify(password + "x", hashed)
        assert not hasher.verify(password.upper() + "X", hashed)
        assert not hasher.verify("", hashed)

    def test_salted(self) -> None:
        hasher = self.make_hasher()
        first, second = hasher.hash("Mật khẩu"), hasher.hash("Mật khẩu")
        assert first != second
        assert hasher.verify("Mật khẩu", first)
        assert hasher.verify("Mật khẩu", second)

    @pytest.mark.parametrize("hashed", ["", "plain", "scrypt$", "$2b$12$abc", "x" * 500])
    def test_unreadable_hash_never_verifies(self, hashed: str) -> None:
        assert not self.make_hasher().verify("plain", hashed)

    @given(password=_PASSWORDS, other=_PASSWORDS)
    @_FEW
    def test_generated_passwords(self, password: str, other: str) -> None:
        hasher = self.make_hasher()
        hashed = hasher.hash(password)
        assert hasher.verify(password, hashed)
        assume(other != password)
        assert not hasher.verify(other, hashed)


_URL_SAFE = frozenset(string.ascii_letters + string.digits + "-._~")
_CLAIM_NAMES = st.text(
    alphabet=st.characters(exclude_categories=_NO_SURROGATES), min_size=1, max_size=12
)
_CLAIMS = st.dictionaries(
    _CLAIM_NAMES,
    st.integers(-(2**62), 2**62) | free_text(max_size=60),
    max_size=6,
)


class TokenSignerContract:
    """What every :class:`~onestop.ports.edges.TokenSigner` does."""

    def make_signer(self) -> TokenSigner:
        raise NotImplementedError(f"{type(self).__name__} must implement make_signer()")

    def make_other_signer(self) -> TokenSigner:
        """A signer of the same kind with another secret."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_other_signer()")

    def test_round_trip(self) -> None:
        signer = self.make_signer()
        claims: dict[str, str | int] = {
            "sub": "account-3f2a9c1b7d4e",
            "purpose": "xác-nhận",
            "exp": 1_655_865_000,
            "jti": "token-1",
        }
        token = signer.sign(claims)
        assert set(token) <= _URL_SAFE, token
        assert urllib.parse.quote(token, safe="") == token
        assert signer.unsign(token) == claims

    def test_another_key_refuses(self) -> None:
        token = self.make_signer().sign({"sub": "account-1"})
        with pytest.raises(InvalidToken):
            self.make_other_signer().unsign(token)

    @pytest.mark.parametrize("garbage", ["", ".", "abc", "abc.def", "a.b.c", "..", "é.é"])
    def test_garbage_is_refused(self, garbage: str) -> None:
        with pytest.raises(InvalidToken):
            self.make_signer().unsign(garbage)

    def test_truncated_or_extended_token_is_refused(self) -> None:
        signer = self.make_signer()
        token = signer.sign({"sub": "account-1", "exp": 99})
        for bad in (token[:-1], token[1:], token + "A", "A" + token, token[: len(token) // 2]):
            with pytest.raises(InvalidToken):
                signer.unsign(bad)

    def test_every_one_character_change_is_detected(self) -> None:
        signer = self.make_signer()
        claims: dict[str, str | int] = {"sub": "account-1", "purpose": "reset", "exp": 1234}
        token = signer.sign(claims)
        for position in range(len(token)):
            for replacement in "Aa0_-.":
                if replacement == token[position]:
                    continue
                tampered = token[:position] + replacement + token[position + 1 :]
                _refused_or_unchanged(signer, tampered, claims)

    @given(claims=_CLAIMS)
    @_PROPERTY
    def test_generated_claims_round_trip(self, claims: dict[str, str | int]) -> None:
        signer = self.make_signer()
        token = signer.sign(claims)
        assert set(token) <= _URL_SAFE
        assert signer.unsign(token) == claims

    @given(claims=_CLAIMS, data=st.data())
    @_PROPERTY
    def test_generated_tampering_is_detected(
        self, claims: dict[str, str | int], data: st.DataObject
    ) -> None:
        signer = self.make_signer()
        token = signer.sign(claims)
        position = data.draw(st.integers(0, len(token) - 1))
        replacement = data.draw(st.sampled_from(sorted(_URL_SAFE - {token[position]})))
        _refused_or_unchanged(
            signer, token[:position] + replacement + token[position + 1 :], claims
        )

    @given(garbage=st.text(max_size=200))
    @_PROPERTY
    def test_generated_garbage_is_refused(self, garbage: str) -> None:
        signer = self.make_signer()
        with pytest.raises(InvalidToken):
            signer.unsign(garbage)


def _refused_or_unchanged(
    signer: TokenSigner, tampered: str, claims: Mapping[str, str | int]
) -> None:
    """A changed token is refused, or (if the change is not one) reads as the same claims."""
    try:
        read = signer.unsign(tampered)
    except InvalidToken:
        return
    assert read == dict(claims), f"a tampered token was accepted with other claims: {tampered}"
