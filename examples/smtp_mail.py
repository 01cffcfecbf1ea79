"""Send the verification mail of a registration through a real SMTP server.

``python examples/smtp_mail.py mail.example.vn:587 --security starttls --to you@example.vn``
registers an account for ``--to`` and sends its verification mail through that server
(log in with ``ONESTOP_SMTP_USERNAME`` / ``ONESTOP_SMTP_PASSWORD`` when set). A development
mail catcher on ``localhost:1025`` needs no options.

With no server given, the example starts an SMTP server on loopback itself (aiosmtpd, from
the ``test`` extra), sends the mail there, prints what arrived (subject, sender, Message-ID,
the link) and follows the link, as the citizen would.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from typing import Literal, cast
from urllib.parse import parse_qs, urlsplit

from onestop import Portal, bootstrap
from onestop.adapters import FakePaymentGateway
from onestop.adapters.smtp import SmtpMailTransport

SENDER = "no-reply@dichvucong.example.vn"
SENDER_NAME = "Cổng dịch vụ công trực tuyến"
PASSWORD = "Mat-khau-an-toan-4"
NAME = "Đặng Thị Hồng Nhung"

Security = Literal["starttls", "tls", "none"]


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("server", nargs="?", help="host:port of the SMTP server to send through")
    parser.add_argument("--security", choices=["none", "starttls", "tls"], default="none")
    parser.add_argument("--to", default="nhung.dang@example.vn", help="who registers")
    parser.add_argument("--sender", default=SENDER, help="the From address")
    return parser.parse_args(argv)


def host_and_port(server: str) -> tuple[str, int]:
    host, _, port = server.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"give the server as host:port, not {server!r}")
    return host.strip("[]"), int(port)


def register_and_send(portal: Portal, email: str) -> bool:
    """Register ``email`` and run the dispatcher once; True when the mail went out."""
    portal.accounts.register_citizen(email, PASSWORD, NAME)
    report = portal.dispatcher.dispatch_once()
    if report.sent:
        return True
    with portal.storage.unit_of_work() as uow:
        errors = [entry.last_error for entry in uow.outbox.list() if entry.last_error]
    fate = "it stays in the outbox for a retry" if report.retried else "it was given up on"
    print(f"The mail was not sent, {fate}: {errors[-1] if errors else 'no error recorded'}")
    return False


def token_of(text: str) -> str | None:
    found = re.search(r"https?://\S+/verify\?token=\S+", text)
    return parse_qs(urlsplit(found.group(0)).query)["token"][0] if found else None


def send_to(server: str, security: Security, email: str, sender: str) -> int:
    """Send through a server the user runs; the mail is read in their mail client."""
    host, port = host_and_port(server)
    username = os.environ.get("ONESTOP_SMTP_USERNAME") or None
    password = os.environ.get("ONESTOP_SMTP_PASSWORD") or None
    transport = SmtpMailTransport(
        host,
        port,
        sender=sender,
        sender_name=SENDER_NAME,
        security=security,
        username=username,
        password=password if username else None,
        timeout=15,
    )
    with bootstrap(
        mail_transport=transport,
        payment_gateway=FakePaymentGateway(),
        secret_key=secrets.token_urlsafe(32),
    ) as portal:
        if not register_and_send(portal, email):
            return 1
    print(f"Verification mail sent to {email} through {host}:{port} ({security}).")
    print("Open it in the mail client: the subject is 'Xác nhận đăng ký tài khoản ...'.")
    return 0


def send_locally(email: str, sender: str) -> int:
    """Start an SMTP server on loopback, send through it, and show what arrived."""
    try:
        from onestop.testing.smtp_server import LocalSmtpServer
    except ImportError:
        print(
            "Without a server argument this example starts its own SMTP server, which needs "
            "aiosmtpd:\n    pip install 'onestop[test]'\n"
            "or give a server to send through: python examples/smtp_mail.py localhost:1025",
            file=sys.stderr,
        )
        return 2
    with LocalSmtpServer() as server:
        print(f"Local SMTP server listening on {server.address}")
        transport = SmtpMailTransport(
            server.host, server.port, sender=sender, sender_name=SENDER_NAME, security="none"
        )
        with bootstrap(
            mail_transport=transport,
            payment_gateway=FakePaymentGateway(),
            secret_key=secrets.token_urlsafe(32),
        ) as portal:
            if not register_and_send(portal, email):
                return 1
            [received] = server.messages
            print("Received:")
            print(f"  From: {received.parsed()['From']}")
            print(f"  To: {', '.join(received.recipients)}")
            print(f"  Subject: {received.subject}")
            print(f"  Message-ID: {received.message_id}")
            print(f"  Parts: text{' + HTML' if received.html else ''}")
            text = received.text or ""
            link = re.search(r"https?://\S+/verify\?token=\S+", text)
            print(f"  Link: {link.group(0) if link else '(none)'}")
            token = token_of(text)
            if token is None:
                print("The mail carries no verification link.")
                return 1
            account = portal.accounts.verify(token)
            print(f"Account verified: {account.email} ({account.status.value})")
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    if arguments.server:
        security = cast(Security, arguments.security)
        return send_to(arguments.server, security, arguments.to, arguments.sender)
    return send_locally(arguments.to, arguments.sender)


if __name__ == "__main__":
    sys.exit(main())
