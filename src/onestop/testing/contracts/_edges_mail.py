"""The mail transport contract (re-exported by :mod:`onestop.testing.contracts.edges`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

import attrs
from hypothesis import given

from onestop.domain.mail import MailMessage
from onestop.ports.edges import (
    MailTransport,
)
from onestop.testing import builders
from onestop.testing.contracts._edges_base import _FEW
from onestop.testing.contracts._support import free_text, one_line_text

__all__ = [
    "DeliveredMail",
    "MailTransportContract",
]

_M = TypeVar("_M", bound=MailTransport)


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
