"""Mail through an SMTP server, on the standard library (``smtplib``, ``email``).

:class:`SmtpMailTransport` opens one connection per message (STARTTLS, implicit TLS or
plain), logs in when given a user name, and sends a UTF-8 message: plain text, with the
template's HTML as an alternative when there is one. The ``Message-ID`` header is the
outbox entry's stable id, so a retried mail carries the same id and a receiving system can
drop the duplicate.

SMTP failures are sorted for the dispatcher: a 4xx reply, a refused connection, a lost
connection, a TLS failure or a timeout raise :class:`~onestop.errors.MailTemporaryFailure`
(worth a retry); a 5xx reply to the sender, a recipient or the content raises
:class:`~onestop.errors.MailPermanentFailure`. A refused or missing login (535, 530) is
temporary on purpose: the message is fine, the settings are not, and the mail should go
once they are fixed (the dispatcher still gives up after its number of attempts).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Final, Literal, get_args

from onestop.adapters.clocks import SystemClock
from onestop.domain.mail import MailMessage
from onestop.errors import ConfigurationError, MailPermanentFailure, MailTemporaryFailure
from onestop.ports.edges import Clock

__all__ = ["SMTP_ENV", "Security", "SmtpMailTransport"]

Security = Literal["starttls", "tls", "none"]

# RFC 4954: the server wants a login first. Like a refused login, a matter of settings.
_AUTHENTICATION_REQUIRED: Final = 530
_DEFAULT_PORTS: Final[Mapping[str, int]] = {"starttls": 587, "tls": 465, "none": 25}

#: Environment variables read by :meth:`SmtpMailTransport.from_env`.
SMTP_ENV: Final = {
    "host": "ONESTOP_SMTP_HOST",
    "port": "ONESTOP_SMTP_PORT",
    "security": "ONESTOP_SMTP_SECURITY",
    "username": "ONESTOP_SMTP_USERNAME",
    "password": "ONESTOP_SMTP_PASSWORD",
    "sender": "ONESTOP_SMTP_FROM",
    "sender_name": "ONESTOP_SMTP_FROM_NAME",
}


class SmtpMailTransport:
    """Sends each message through an SMTP server; safe to share between threads.

    ``security`` is ``"starttls"`` (upgrade a plain connection, port 587 by default),
    ``"tls"`` (TLS from the first byte, port 465) or ``"none"`` (plain, port 25; only for a
    relay on the same host or network). ``timeout`` bounds every network operation, in
    seconds. Mail comes from ``sender``, shown as ``sender_name`` when given.
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        sender: str,
        sender_name: str | None = None,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(host, str) or not host.strip():
            raise ConfigurationError("the SMTP host must be a non-empty name or address")
        if security not in get_args(Security):
            raise ConfigurationError(
                f"SMTP security must be one of {', '.join(get_args(Security))}, not {security!r}"
            )
        if port is None:
            port = _DEFAULT_PORTS[security]
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ConfigurationError(f"the SMTP port must be 1 to 65535, not {port!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigurationError(f"the SMTP timeout must be a positive number, not {timeout!r}")
        if (username is None) != (password is None):
            raise ConfigurationError("give both an SMTP username and password, or neither")
        try:
            self._sender = Address(display_name=sender_name or "", addr_spec=sender)
        except (ValueError, TypeError, IndexError) as e:
            raise ConfigurationError(f"the sender {sender!r} is not one email address") from e
        self.host = host.strip()
        self.port = port
        self.security: Security = security
        self.timeout = float(timeout)
        self._username = username
        self._password = password
        self._ssl_context = ssl_context
        self._local_hostname = local_hostname
        self._clock: Clock = clock or SystemClock()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> SmtpMailTransport:
        """A transport configured by ``ONESTOP_SMTP_*`` variables (see :data:`SMTP_ENV`).

        ``ONESTOP_SMTP_HOST`` and ``ONESTOP_SMTP_FROM`` are required; keyword ``overrides``
        (``timeout=``, ``ssl_context=``, ...) win over the environment.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            name: env[var] for name, var in SMTP_ENV.items() if env.get(var, "").strip()
        }
        if "port" in values:
            try:
                values["port"] = int(str(values["port"]))
            except ValueError as e:
                raise ConfigurationError(
                    f"{SMTP_ENV['port']} must be a port number, not {values['port']!r}"
                ) from e
        values.update(overrides)
        missing = [SMTP_ENV[n] for n in ("host", "sender") if n not in values]
        if missing:
            raise ConfigurationError(f"set {' and '.join(missing)} to send mail through SMTP")
        host = values.pop("host")
        return cls(host, **values)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        login = f", username={self._username!r}" if self._username else ""
        return (
            f"SmtpMailTransport({self.host!r}, {self.port}, security={self.security!r}, "
            f"sender={self._sender.addr_spec!r}{login})"
        )

    # --- building ----------------------------------------------------------------------------

    def build(self, message: MailMessage, *, message_id: str) -> EmailMessage:
        """The MIME message that :meth:`send` would send (for inspection and tests)."""
        mime = EmailMessage()
        try:
            mime["Subject"] = message.subject
            mime["From"] = self._sender
            mime["To"] = message.to
            mime["Date"] = format_datetime(self._clock.now().astimezone(dt.UTC))
            mime["Message-ID"] = _angle_bracketed(message_id)
            mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
            mime.set_content(message.text, charset="utf-8")
            if message.html is not None:
                mime.add_alternative(message.html, subtype="html", charset="utf-8")
            if message.locale:  # after set_content, which clears every Content-* header
                mime["Content-Language"] = message.locale
        except (ValueError, TypeError, IndexError) as e:
            # Header values the email package refuses: retrying will not help.
            raise MailPermanentFailure(f"cannot build the mail to {message.to!r}: {e}") from e
        return mime

    # --- sending -----------------------------------------------------------------------------

    def send(self, message: MailMessage, *, message_id: str) -> None:
        """Deliver one message, or raise MailTemporaryFailure / MailPermanentFailure."""
        mime = self.build(message, message_id=message_id)
        where = f"{self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self.security == "starttls":
                    smtp.starttls(context=self._context())
                if self._username is not None and self._password is not None:
                    _login(smtp, self._username, self._password)
                refused = smtp.send_message(mime)
        except smtplib.SMTPRecipientsRefused as e:
            code, reply = next(iter(e.recipients.values()), (550, b"recipient refused"))
            raise _by_code(code, f"{where} refused {message.to}: {code} {_text(reply)}") from e
        except smtplib.SMTPAuthenticationError as e:
            raise MailTemporaryFailure(
                f"{where} refused the login ({e.smtp_code} {_text(e.smtp_error)}); "
                "check the SMTP username and password"
            ) from e
        except smtplib.SMTPResponseException as e:
            if e.smtp_code == _AUTHENTICATION_REQUIRED:
                raise MailTemporaryFailure(
                    f"{where} requires a login ({e.smtp_code} {_text(e.smtp_error)}); "
                    "set the SMTP username and password"
                ) from e
            # SMTPSenderRefused, SMTPDataError, SMTPHeloError and other replies with a code.
            raise _by_code(
                e.smtp_code, f"{where} answered {e.smtp_code} {_text(e.smtp_error)}"
            ) from e
        except smtplib.SMTPNotSupportedError as e:
            raise MailTemporaryFailure(
                f"{where} does not support what the settings ask for ({e}); "
                "check the SMTP security setting"
            ) from e
        except (smtplib.SMTPException, OSError) as e:
            # Refused or lost connections, timeouts (TimeoutError is an OSError) and TLS
            # failures (ssl.SSLError is one too): the server may be back soon.
            raise MailTemporaryFailure(f"cannot reach {where}: {type(e).__name__}: {e}") from e
        if refused:  # only possible with several recipients; kept for completeness
            raise MailPermanentFailure(f"{where} refused {', '.join(sorted(refused))}")

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self._local_hostname,
                timeout=self.timeout,
                context=self._context(),
            )
        return smtplib.SMTP(
            self.host, self.port, local_hostname=self._local_hostname, timeout=self.timeout
        )

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    if username.isascii() and password.isascii():
        smtp.login(username, password)
        return
    # smtplib encodes credentials as ASCII; AUTH PLAIN (RFC 4616) carries UTF-8, so a
    # Vietnamese password is sent that way.
    smtp.ehlo_or_helo_if_needed()
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPNotSupportedError(
            "a non-ASCII username or password needs AUTH PLAIN, which the server does not offer"
        )
    credentials = b"\0" + username.encode("utf-8") + b"\0" + password.encode("utf-8")
    code, reply = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(credentials).decode("ascii"))
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _angle_bracketed(message_id: str) -> str:
    if not isinstance(message_id, str) or not message_id.strip("<> "):
        raise MailPermanentFailure(f"a Message-ID must be non-empty text, not {message_id!r}")
    if any(c.isspace() or not c.isprintable() or not c.isascii() for c in message_id):
        raise MailPermanentFailure(
            f"a Message-ID must be printable ASCII without spaces, not {message_id!r}"
        )
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def _by_code(code: int, text: str) -> MailTemporaryFailure | MailPermanentFailure:
    # RFC 5321: 4yz is a transient negative reply, 5yz a permanent one. Anything else is
    # unexpected here and treated as transient, so no mail is given up on by surprise.
    if 500 <= code < 600:
        return MailPermanentFailure(text)
    return MailTemporaryFailure(text)


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return reply
