"""SmtpMailTransport against a real SMTP server (aiosmtpd) on loopback.

What arrives is read back from the server's raw bytes with the email parser, so encoded
headers and bodies are checked as a mail client would decode them.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop import bootstrap
from onestop.adapters import FixedClock, ManualClock, ScryptPasswordHasher
from onestop.adapters.smtp import Security, SmtpMailTransport
from onestop.bootstrap import Portal
from onestop.domain.mail import MailMessage, OutboxState
from onestop.errors import (
    ConfigurationError,
    MailPermanentFailure,
    MailTemporaryFailure,
)
from onestop.testing.contracts._support import one_line_text
from onestop.testing.contracts.edges import DeliveredMail, MailTransportContract
from onestop.testing.smtp_server import LocalSmtpServer
from tests.support import require_program

SUBJECT = "Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến"
TEXT = "Kính gửi Ông/Bà Nguyễn Thị Ánh Tuyết,\n\nhttp://localhost:8000/verify?token=abc.DEF-123\n"
HTML = '<p>Kính gửi Ông/Bà Nguyễn Thị Ánh Tuyết,</p><p><a href="http://x/">Xác nhận</a></p>\n'
SENT_AT = dt.datetime(2022, 6, 22, 2, 0, tzinfo=dt.UTC)


def message(**changes: str | None) -> MailMessage:
    fields: dict[str, str | None] = {
        "to": "tuyet.nguyen@example.vn",
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
    }
    fields.update(changes)
    return MailMessage(**fields)  # type: ignore[arg-type]


def transport_to(server: LocalSmtpServer, **options: object) -> SmtpMailTransport:
    settings: dict[str, object] = {
        "sender": "no-reply@dichvucong.kontum.gov.vn",
        "sender_name": "Cổng dịch vụ công tỉnh Kon Tum",
        "security": "none",
        "timeout": 10.0,
        "clock": FixedClock(SENT_AT),
    }
    settings.update(options)
    return SmtpMailTransport(server.host, server.port, **settings)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer() as running:
        yield running


def normalized(text: str | None) -> str | None:
    return None if text is None else text.replace("\r\n", "\n")


# --- what arrives ---------------------------------------------------------------------------


def test_vietnamese_subject_text_and_html_arrive_intact(server: LocalSmtpServer) -> None:
    transport_to(server).send(message(), message_id="<entry-1@dichvucong.kontum.gov.vn>")
    [received] = server.messages
    parsed = received.parsed()
    assert received.subject == SUBJECT
    assert normalized(received.text) == TEXT
    assert normalized(received.html) == HTML
    assert parsed.get_content_type() == "multipart/alternative"
    assert received.message_id == "<entry-1@dichvucong.kontum.gov.vn>"
    assert received.recipients == ("tuyet.nguyen@example.vn",)
    assert received.mail_from == "no-reply@dichvucong.kontum.gov.vn"
    assert (
        str(parsed["From"]) == "Cổng dịch vụ công tỉnh Kon Tum <no-reply@dichvucong.kontum.gov.vn>"
    )
    assert str(parsed["To"]) == "tuyet.nguyen@example.vn"
    assert parsed["Date"].datetime == SENT_AT
    assert str(parsed["Content-Language"]) == "vi"
    assert str(parsed["Auto-Submitted"]) == "auto-generated"
    # Encoded on the wire: every header line is ASCII, so any relay passes it on.
    head = received.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()


def test_text_only_mail_has_no_html_part(server: LocalSmtpServer) -> None:
    transport_to(server).send(message(html=None), message_id="<plain@x>")
    [received] = server.messages
    assert received.parsed().get_content_type() == "text/plain"
    assert received.html is None
    assert normalized(received.text) == TEXT


def test_a_retry_carries_the_same_message_id(server: LocalSmtpServer) -> None:
    """A message id without brackets gets them; the same id gives the same header."""
    transport = transport_to(server)
    transport.send(message(), message_id="entry-7@portal")
    transport.send(message(), message_id="entry-7@portal")
    assert [m.message_id for m in server.messages] == ["<entry-7@portal>", "<entry-7@portal>"]


@settings(max_examples=15, deadline=None)
@given(subject=one_line_text(max_size=80), body=st.text(max_size=300))
def test_any_subject_and_body_arrive_unchanged(subject: str, body: str) -> None:
    """Whatever one-line subject and text: decoded on arrival, they are what was sent."""
    body = "".join(c for c in body if c not in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    body = "".join(c for c in body if not 0xD800 <= ord(c) <= 0xDFFF)
    with LocalSmtpServer() as server:
        transport_to(server).send(
            message(subject=subject, text=body, html=None), message_id="<p@x>"
        )
        [received] = server.messages
    assert received.subject == subject
    # The MIME encoder ends every line, the last one too, with a line break.
    assert normalized(received.text) == "\n".join(body.splitlines()) + "\n"


@pytest.mark.parametrize("message_id", ["<a b@x>", "<a\r\nBcc: victim@x>", "", "<é@x>"])
def test_a_malformed_message_id_is_refused_before_connecting(message_id: str) -> None:
    transport = SmtpMailTransport("127.0.0.1", 9, sender="a@example.vn", security="none")
    with pytest.raises(MailPermanentFailure, match="Message-ID"):
        transport.send(message(), message_id=message_id)


# --- failures -------------------------------------------------------------------------------


def test_a_refused_recipient_5xx_is_permanent(server: LocalSmtpServer) -> None:
    server.refuse_next(reply="550 5.1.1 <tuyet.nguyen@example.vn>: Recipient address rejected")
    with pytest.raises(MailPermanentFailure, match="550"):
        transport_to(server).send(message(), message_id="<m@x>")
    assert server.messages == []


def test_a_refused_recipient_4xx_is_temporary(server: LocalSmtpServer) -> None:
    server.refuse_next(reply="450 4.2.1 Mailbox busy, try later")
    with pytest.raises(MailTemporaryFailure, match="450"):
        transport_to(server).send(message(), message_id="<m@x>")


def test_content_refused_5xx_is_permanent_and_4xx_temporary(server: LocalSmtpServer) -> None:
    server.refuse_next(reply="554 5.6.0 Message content rejected", at="data")
    server.refuse_next(reply="451 4.3.0 Local error, try again", at="data")
    transport = transport_to(server)
    with pytest.raises(MailPermanentFailure, match="554"):
        transport.send(message(), message_id="<m@x>")
    with pytest.raises(MailTemporaryFailure, match="451"):
        transport.send(message(), message_id="<m@x>")
    transport.send(message(), message_id="<m@x>")
    assert len(server.messages) == 1


def test_a_server_that_is_down_is_temporary(server: LocalSmtpServer) -> None:
    server.stop()
    with pytest.raises(MailTemporaryFailure, match="cannot reach"):
        transport_to(server).send(message(), message_id="<m@x>")


def test_a_server_that_never_answers_times_out_as_temporary() -> None:
    """The TCP connection is accepted (backlog) but no greeting ever comes."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        host, port = silent.getsockname()
        transport = SmtpMailTransport(
            host, port, sender="a@example.vn", security="none", timeout=0.3
        )
        with pytest.raises(MailTemporaryFailure, match="cannot reach"):
            transport.send(message(), message_id="<m@x>")


@pytest.mark.parametrize(("user", "password"), [("portal", "s3cret-pw"), ("cổng", "mật-khẩu")])
def test_login_with_the_right_password_then_a_wrong_one(user: str, password: str) -> None:
    """ASCII or Vietnamese credentials; a refused login is temporary (the settings are wrong)."""
    with LocalSmtpServer(credentials=(user, password)) as server:
        transport_to(server, username=user, password=password).send(message(), message_id="<m@x>")
        assert len(server.messages) == 1
        for wrong in ("wrong", "sai-mật-khẩu"):
            with pytest.raises(MailTemporaryFailure, match="login"):
                transport_to(server, username=user, password=wrong).send(
                    message(), message_id="<m@x>"
                )
        with pytest.raises(MailTemporaryFailure, match="requires a login"):
            transport_to(server).send(message(), message_id="<m@x>")  # no login at all
        assert len(server.messages) == 1


def test_starttls_asked_of_a_server_without_it_is_temporary(server: LocalSmtpServer) -> None:
    with pytest.raises(MailTemporaryFailure, match="security"):
        transport_to(server, security="starttls").send(message(), message_id="<m@x>")


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    require_program("openssl")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_delivers_when_the_certificate_is_trusted(
    certificate: tuple[Path, Path], security: str
) -> None:
    context = server_context(certificate)
    options = {"starttls_context": context} if security == "starttls" else {"tls_context": context}
    with LocalSmtpServer(**options) as server:  # type: ignore[arg-type]
        trusted = ssl.create_default_context(cafile=str(certificate[0]))
        transport_to(server, security=security, ssl_context=trusted).send(
            message(), message_id="<tls@x>"
        )
        assert [m.subject for m in server.messages] == [SUBJECT]
        # The system's trust store does not know the test certificate: refused, temporary.
        with pytest.raises(MailTemporaryFailure, match="SSL"):
            transport_to(server, security=security).send(message(), message_id="<tls@x>")
        assert len(server.messages) == 1


# --- configuration --------------------------------------------------------------------------


def test_default_ports_follow_the_security() -> None:
    securities: tuple[Security, ...] = ("starttls", "tls", "none")
    ports = {
        s: SmtpMailTransport("mail.example.vn", sender="a@example.vn", security=s).port
        for s in securities
    }
    assert ports == {"starttls": 587, "tls": 465, "none": 25}


@pytest.mark.parametrize(
    "options",
    [
        {"security": "ssl"},
        {"port": 0},
        {"port": 70000},
        {"timeout": 0},
        {"username": "only-a-user"},
        {"sender": "not an address"},
        {"host": " "},
    ],
)
def test_bad_settings_are_refused(options: dict[str, object]) -> None:
    arguments: dict[str, object] = {"host": "mail.example.vn", "sender": "a@example.vn"}
    arguments.update(options)
    with pytest.raises(ConfigurationError):
        SmtpMailTransport(**arguments)  # type: ignore[arg-type]


def test_from_env_reads_the_settings_and_never_shows_the_password() -> None:
    transport = SmtpMailTransport.from_env(
        {
            "ONESTOP_SMTP_HOST": "mail.example.vn",
            "ONESTOP_SMTP_PORT": "2525",
            "ONESTOP_SMTP_SECURITY": "tls",
            "ONESTOP_SMTP_USERNAME": "portal",
            "ONESTOP_SMTP_PASSWORD": "s3cret-pw",
            "ONESTOP_SMTP_FROM": "no-reply@example.vn",
        }
    )
    assert (transport.host, transport.port, transport.security) == ("mail.example.vn", 2525, "tls")
    assert "s3cret-pw" not in repr(transport)
    with pytest.raises(ConfigurationError, match="ONESTOP_SMTP_FROM"):
        SmtpMailTransport.from_env({"ONESTOP_SMTP_HOST": "mail.example.vn"})
    with pytest.raises(ConfigurationError, match="ONESTOP_SMTP_PORT"):
        SmtpMailTransport.from_env(
            {"ONESTOP_SMTP_HOST": "h", "ONESTOP_SMTP_FROM": "a@b.vn", "ONESTOP_SMTP_PORT": "x"}
        )


# --- end to end: a portal sending through SMTP ----------------------------------------------

START = dt.datetime(2022, 6, 22, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def smtp_portal(server: LocalSmtpServer, clock: ManualClock) -> Portal:
    return bootstrap(
        mail_transport=transport_to(server, clock=clock),
        clock=clock,
        password_hasher=ScryptPasswordHasher(n=2**10),
        secret_key="test-secret-key-that-is-long-enough-0123",
        environ={},
    )


def token_in(text: str | None) -> str:
    assert text is not None
    found = re.search(r"https?://\S+/verify\?token=\S+", text)
    assert found is not None, text
    return parse_qs(urlsplit(found.group(0)).query)["token"][0]


def outbox_states(portal: Portal) -> list[tuple[OutboxState, int]]:
    with portal.storage.unit_of_work() as uow:
        return [(e.state, e.attempts) for e in uow.outbox.list()]


def test_the_verification_mail_arrives_and_its_link_verifies(server: LocalSmtpServer) -> None:
    clock = ManualClock(START)
    with smtp_portal(server, clock) as portal:
        portal.accounts.register_citizen(
            "tuyet.nguyen@example.vn", "Mat-khau-an-toan-1", "Nguyễn Thị Ánh Tuyết"
        )
        report = portal.dispatcher.dispatch_once()
        assert (report.sent, report.retried, report.failed) == (1, 0, 0)
        [received] = server.messages
        assert received.subject == SUBJECT
        assert "Nguyễn Thị Ánh Tuyết" in (received.text or "")
        assert received.html is not None
        with portal.storage.unit_of_work() as uow:
            [entry] = uow.outbox.list()
        assert received.message_id == portal.dispatcher.message_id(entry)
        portal.accounts.verify(token_in(received.text))
        account = portal.accounts.log_in("tuyet.nguyen@example.vn", "Mat-khau-an-toan-1")
        assert account.email == "tuyet.nguyen@example.vn"
        assert outbox_states(portal) == [(OutboxState.SENT, 1)]


def test_server_down_then_back_delivers_exactly_once(server: LocalSmtpServer) -> None:
    """Down: the mail stays pending with a retry scheduled. Back: sent once, never again."""
    clock = ManualClock(START)
    with smtp_portal(server, clock) as portal:
        server.stop()
        portal.accounts.register_citizen("an@example.vn", "Mat-khau-an-toan-1", "Lê Văn An")
        report = portal.dispatcher.dispatch_once()
        assert (report.sent, report.retried) == (0, 1)
        with portal.storage.unit_of_work() as uow:
            [entry] = uow.outbox.list()
        assert entry.state is OutboxState.PENDING
        assert entry.next_attempt_at is not None and entry.next_attempt_at > clock.now()
        assert entry.last_error is not None and "cannot reach" in entry.last_error

        server.start()
        assert portal.dispatcher.dispatch_once().sent == 0  # the retry is not due yet
        assert server.messages == []

        clock.set(entry.next_attempt_at)
        assert portal.dispatcher.dispatch_once().sent == 1
        portal.accounts.verify(token_in(server.messages[0].text))
        clock.advance(dt.timedelta(days=1))
        assert portal.dispatcher.dispatch_once().handled == 0
        assert len(server.messages) == 1
        assert outbox_states(portal) == [(OutboxState.SENT, 2)]


def test_a_temporary_refusal_is_retried_and_then_delivered(server: LocalSmtpServer) -> None:
    clock = ManualClock(START)
    with smtp_portal(server, clock) as portal:
        server.refuse_next(reply="451 4.7.1 Greylisted, try again later")
        portal.accounts.register_citizen("an@example.vn", "Mat-khau-an-toan-1", "Lê Văn An")
        assert portal.dispatcher.dispatch_once().retried == 1
        clock.advance(dt.timedelta(hours=2))
        assert portal.dispatcher.dispatch_once().sent == 1
        assert len(server.messages) == 1


def test_a_5xx_rejection_fails_the_mail_for_good(server: LocalSmtpServer) -> None:
    clock = ManualClock(START)
    with smtp_portal(server, clock) as portal:
        server.refuse_next(reply="550 5.1.1 User unknown")
        portal.accounts.register_citizen("an@example.vn", "Mat-khau-an-toan-1", "Lê Văn An")
        assert portal.dispatcher.dispatch_once().failed == 1
        with portal.storage.unit_of_work() as uow:
            [entry] = uow.outbox.list()
        assert entry.state is OutboxState.FAILED
        assert entry.last_error is not None and "550 5.1.1 User unknown" in entry.last_error
        clock.advance(dt.timedelta(days=1))
        assert portal.dispatcher.dispatch_once().handled == 0
        assert server.messages == []


# --- the port's contract ----------------------------------------------------------------------


class TestSmtpMailTransportContract(MailTransportContract[SmtpMailTransport]):
    """The MailTransport contract suite, through a real SMTP server on loopback."""

    server: LocalSmtpServer

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _server(cls) -> Iterator[None]:
        with LocalSmtpServer() as server:
            cls.server = server
            yield

    def make_transport(self) -> SmtpMailTransport:
        return transport_to(self.server)

    def delivered(self, transport: SmtpMailTransport) -> Sequence[DeliveredMail]:
        return [
            DeliveredMail(
                message_id=mail.message_id or "",
                to=str(mail.parsed()["To"]),
                subject=mail.subject,
                text=mail.text or "",
                html=mail.html,
            )
            for mail in self.server.messages
        ]


# --- the SQL outbox: mail survives the process, two dispatchers never send one mail twice ---


def sql_smtp_portal(server: LocalSmtpServer, clock: ManualClock, url: str) -> Portal:
    return bootstrap(
        database_url=url,
        mail_transport=transport_to(server, clock=clock),
        clock=clock,
        password_hasher=ScryptPasswordHasher(n=2**10),
        secret_key="test-secret-key-that-is-long-enough-0123",
        environ={"ONESTOP_ALLOW_FAKES": "1"},  # the fake gateway: payments are not under test
    )


def test_sql_outbox_server_down_then_back_delivers_once_from_a_new_process(
    server: LocalSmtpServer, sql_url: str
) -> None:
    """The mail queued while the server is down waits in the database; a portal started
    later (another process, as after a restart) delivers it once, and the link works."""
    clock = ManualClock(START)
    server.stop()
    with sql_smtp_portal(server, clock, sql_url) as portal:
        portal.accounts.register_citizen("an@example.vn", "Mat-khau-an-toan-1", "Lê Văn An")
        assert portal.dispatcher.dispatch_once().retried == 1
        [(state, attempts)] = outbox_states(portal)
        assert (state, attempts) == (OutboxState.PENDING, 1)
    server.start()
    clock.advance(dt.timedelta(hours=1))
    with sql_smtp_portal(server, clock, sql_url) as restarted:
        assert restarted.dispatcher.dispatch_once().sent == 1
        assert restarted.dispatcher.dispatch_once().handled == 0
        [received] = server.messages
        assert received.subject == SUBJECT
        restarted.accounts.verify(token_in(received.text))
        assert outbox_states(restarted) == [(OutboxState.SENT, 2)]


def test_two_dispatchers_on_one_sql_outbox_send_each_mail_once(
    server: LocalSmtpServer, sql_url: str
) -> None:
    clock = ManualClock(START)
    first = sql_smtp_portal(server, clock, sql_url)
    second = sql_smtp_portal(server, clock, sql_url)
    try:
        for n in range(12):
            first.accounts.register_citizen(
                f"citizen{n}@example.vn", "Mat-khau-an-toan-1", f"Nguyễn Văn {n}"
            )
        stop = threading.Event()
        reports: list[int] = []

        def drain(portal: Portal) -> None:
            while not stop.is_set():
                report = portal.dispatcher.dispatch_once()
                reports.append(report.sent)
                if report.handled == 0 and sum(reports) >= 12:
                    return

        threads = [threading.Thread(target=drain, args=(p,)) for p in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        stop.set()
        assert sum(reports) == 12
        ids = [m.message_id for m in server.messages]
        assert len(ids) == 12 and len(set(ids)) == 12
        assert sorted(r for m in server.messages for r in m.recipients) == sorted(
            f"citizen{n}@example.vn" for n in range(12)
        )
        assert outbox_states(first) == [(OutboxState.SENT, 1)] * 12
    finally:
        first.close()
        second.close()
