"""Pay a dossier's fees through VNPay (protocol 2.1.0), rehearsed without the network.

A citizen submits a dossier whose fees (150.000 VND) are due at submission and asks to pay:
the portal prints the signed VNPay URL the browser would be sent to. The example then plays
VNPay's part with the sandbox-style secret: it feeds the library the IPN that VNPay's server
would send after the payer paid, and the payer's return redirect, and a repeated and a
forged IPN, printing VNPay's JSON reply to each. The dossier ends up paid, once.

The terminal code and secret below are obviously fake. A portal sets
``ONESTOP_VNPAY_TMN_CODE``, ``ONESTOP_VNPAY_HASH_SECRET`` and ``ONESTOP_VNPAY_URL`` (this
example uses them too when they are set) and wires ``portal.payments.handle_ipn`` to its IPN
endpoint and ``portal.payments.handle_return`` to its return URL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from urllib.parse import parse_qsl, urlsplit

from _demo import CATALOG, submit_with_files, verified_citizen

from onestop import bootstrap
from onestop.adapters import InMemoryMailTransport, ManualClock
from onestop.adapters.vnpay import SANDBOX_URL, VnpayGateway
from onestop.application import PaymentStatusView
from onestop.domain import VN_TZ, format_vnd

PROCEDURE = "1.001066"  # Đăng ký thay đổi nội dung đăng ký kinh doanh: 150.000 VND
# Sandbox-style settings, obviously not real: never put a real secret in code.
DEMO_TMN_CODE = "DEMO0001"
DEMO_HASH_SECRET = "SANDBOXDEMOSECRETNOTREAL000000000"


def gateway_from_settings() -> VnpayGateway:
    """The host's VNPay settings when it has them, else the sandbox-style demo ones."""
    if os.environ.get("ONESTOP_VNPAY_HASH_SECRET"):
        return VnpayGateway.from_env()
    return VnpayGateway(
        tmn_code=DEMO_TMN_CODE, hash_secret=DEMO_HASH_SECRET, payment_url=SANDBOX_URL
    )


def show(status: PaymentStatusView) -> None:
    print(
        f"  Lệ phí: {format_vnd(status.total_fees)}, đã nộp {format_vnd(status.paid_amount)}, "
        f"còn {format_vnd(status.amount_due)} ({status.payment_status.value})"
    )


def main(argv: list[str] | None = None) -> int:
    del argv
    clock = ManualClock(dt.datetime(2022, 6, 22, 9, 30, tzinfo=VN_TZ))
    mail = InMemoryMailTransport()
    gateway = gateway_from_settings()
    with bootstrap(clock=clock, mail_transport=mail, payment_gateway=gateway) as portal:
        portal.catalog.load_json(CATALOG)
        citizen = verified_citizen(
            portal, mail, "vo.thi.e@example.vn", "Mat-khau-an-toan-3", "Võ Thị E"
        )
        dossier = submit_with_files(portal, citizen, PROCEDURE)
        print(f"Nộp hồ sơ thành công: {dossier.code} ({dossier.procedure.name})")
        show(portal.payments.status(citizen.id, dossier.id))

        # The citizen presses "Thanh toán": the browser goes to this URL.
        redirect = portal.payments.start(citizen.id, dossier.id, client_ip="203.113.0.7")
        print("Chuyển tới VNPay:")
        print(f"  {redirect.url}")
        for key, value in parse_qsl(urlsplit(redirect.url).query):
            print(f"    {key}={value}")

        # VNPay's part: the payer paid; its server calls the IPN endpoint, then the
        # payer's browser comes back to the return URL with the same signed parameters.
        clock.advance(dt.timedelta(minutes=2))
        paid = gateway.callback_for(redirect.url, transaction_no="14123456")
        print(f"IPN reply: {json.dumps(portal.payments.handle_ipn(paid))}")
        returned = portal.payments.handle_return(paid)
        print(f"Return redirect: {returned.status.value}")
        print(f"Repeated IPN reply: {json.dumps(portal.payments.handle_ipn(paid))}")
        forged = dict(paid, vnp_Amount="100")
        print(f"Forged IPN reply: {json.dumps(portal.payments.handle_ipn(forged))}")

        status = portal.payments.status(citizen.id, dossier.id)
        show(status)
        confirmed = [p for p in status.payments if p.state.value == "confirmed"]
        print(f"  Payments confirmed: {len(confirmed)} (VNPay transaction ", end="")
        print(f"{confirmed[0].gateway_transaction_id})")
        report = portal.dispatcher.dispatch_once()
        for sent in mail.sent[-report.sent :]:
            print(f"Mail: {sent.message.subject}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
