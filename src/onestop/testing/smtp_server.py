"""A real SMTP server on loopback for tests and examples, collecting what it receives.

:class:`LocalSmtpServer` runs aiosmtpd in a thread on ``127.0.0.1`` and a free port, keeps
every message it accepts (:attr:`~LocalSmtpServer.messages`), and can be told to refuse
(:meth:`~LocalSmtpServer.refuse_next`), to require a login, or to speak TLS. It can be
stopped and started again on the same port, to play a server that goes down and comes back.

A message is in :attr:`~LocalSmtpServer.messages` by the time the client's ``DATA`` command
returns: the server answers only after keeping it, so tests need no waiting.

Needs aiosmtpd (``pip install 'onestop[test]'``); importing this module without it raises
ImportError saying so.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Literal, Self

import attrs

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError as e:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "onestop.testing.smtp_server needs aiosmtpd: pip install 'onestop[test]'"
    ) from e

__all__ = ["LocalSmtpServer", "ReceivedMail"]

_STARTUP_TRIES = 5


@attrs.frozen
class ReceivedMail:
    """One message the server accepted: the envelope and the raw bytes, with readers."""

    mail_from: str
    recipients: tuple[str, ...]
    data: bytes

    def parsed(self) -> EmailMessage:
        """The message parsed with the modern policy (headers decoded to text)."""
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message

    @property
    def subject(self) -> str:
        """The Subject header, decoded (``=?utf-8?...?=`` words turned back into text)."""
        return str(self.parsed()["Subject"])

    @property
    def message_id(self) -> str | None:
        value = self.parsed()["Message-ID"]
        return None if value is None else str(value)

    @property
    def text(self) -> str | None:
        """The plain-text body, decoded, or None."""
        return _body(self.parsed(), "plain")

    @property
    def html(self) -> str | None:
        """The HTML alternative, decoded, or None."""
        return _body(self.parsed(), "html")


def _body(message: EmailMessage, subtype: Literal["plain", "html"]) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    assert isinstance(content, str)
    return content


class _Handler:
    """aiosmtpd handler: keeps accepted messages, answers refusals it was told to give."""

    def __init__(self, server: LocalSmtpServer) -> None:
        self._server = server

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd looks for
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self._server._take_refusal("rcpt")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd looks for
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        refusal = self._server._take_refusal("data")
        if refusal is not None:
            return refusal
        data = envelope.original_content or envelope.content
        self._server._keep(
            ReceivedMail(
                mail_from=str(envelope.mail_from),
                recipients=tuple(envelope.rcpt_tos),
                data=bytes(data),
            )
        )
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """An SMTP server on loopback; use as a context manager or call start() and stop().

    ``starttls_context`` offers STARTTLS with that certificate, ``tls_context`` speaks TLS
    from the first byte; ``credentials`` (user, password) requires a login (allowed
    without TLS, as this server only listens on loopback).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        starttls_context: ssl.SSLContext | None = None,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port or _free_port(host)
        # A port we chose may be swapped for another if taken before the first start; a
        # port given, or one already served on, is kept: clients are configured with it.
        self._port_chosen = port is None
        self._starttls_context = starttls_context
        self._tls_context = tls_context
        self._credentials = credentials
        self._lock = threading.Lock()
        self._messages: list[ReceivedMail] = []
        self._refusals: dict[str, list[str]] = {"rcpt": [], "data": []}
        self._controller: Any = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalSmtpServer {self.address} {state}, {len(self.messages)} received>"

    @property
    def address(self) -> str:
        """``host:port``, as the examples take it on the command line."""
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def messages(self) -> list[ReceivedMail]:
        """Every message accepted so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def __iter__(self) -> Iterator[ReceivedMail]:
        return iter(self.messages)

    def clear(self) -> None:
        """Forget the messages received so far."""
        with self._lock:
            self._messages.clear()

    def refuse_next(
        self,
        n: int = 1,
        *,
        reply: str = "550 5.1.1 No such user here",
        at: Literal["rcpt", "data"] = "rcpt",
    ) -> None:
        """Answer the next ``n`` RCPT (or DATA) commands with ``reply``; a 4xx one is transient."""
        with self._lock:
            self._refusals[at].extend([reply] * n)

    def start(self) -> Self:
        """Listen (again) on :attr:`port`; returns the server, for chaining."""
        if self._controller is not None:
            return self
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": True}
        if self._starttls_context is not None:
            kwargs["tls_context"] = self._starttls_context
        if self._tls_context is not None:
            kwargs["ssl_context"] = self._tls_context
        if self._credentials is not None:
            # Logging in without TLS is what the loopback tests want; aiosmtpd warns about it.
            warnings.filterwarnings(
                "ignore", message="Requiring AUTH while not requiring TLS", category=UserWarning
            )
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        for attempt in range(_STARTUP_TRIES):
            controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
            try:
                controller.start()
            except OSError:
                # The free port was taken between choosing and binding it: choose another.
                controller.stop(no_assert=True)
                if not self._port_chosen or attempt == _STARTUP_TRIES - 1:
                    raise
                self.port = _free_port(self.host)
                continue
            self._controller = controller
            self._port_chosen = False
            break
        return self

    def stop(self) -> None:
        """Stop listening; connections are refused until :meth:`start` is called again."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- called by the handler, on the server's thread -------------------------------------

    def _take_refusal(self, at: str) -> str | None:
        with self._lock:
            queue = self._refusals[at]
            return queue.pop(0) if queue else None

    def _keep(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._messages.append(mail)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        login = getattr(auth_data, "login", None)
        password = getattr(auth_data, "password", None)
        expected = self._credentials
        if expected is None or not isinstance(login, bytes) or not isinstance(password, bytes):
            return AuthResult(success=False, handled=False)
        given = (login.decode("utf-8", "replace"), password.decode("utf-8", "replace"))
        return AuthResult(success=given == expected, handled=False)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
