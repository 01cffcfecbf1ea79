"""Pay a dossier's fees through VNPay (protocol 2.1.0), rehearsed without the network.

A citizen submits a dossier whose fees (150.000 VND) are due at submission and asks to pay:
the portal prints the signed VNPay URL the browser would be sent to. VNPay's part is played
by a VNPay-like merchant API on loopback (:mod:`onestop.testing.vnpay_server`) with a
sandbox-style secret: the payer pays, the return redirect shows "pending" until the IPN
records the payment, a repeated and a forged IPN get VNPay's replies.

Then what goes wrong in production: a second dossier's IPN is lost, and
``portal.payments.reconcile()`` (``onestop payments reconcile``) asks VNPay and confirms it;
a third dossier is paid twice (the payer used two tabs), the second payment goes to review
and an officer refunds it through VNPay's merchant API.

The terminal code and secret below are obviously fake. A portal sets
``ONESTOP_VNPAY_TMN_CODE``, ``ONESTOP_VNPAY_HASH_SECRET``, ``ONESTOP_VNPAY_URL`` and
``ONESTOP_VNPAY_API_URL``, wires ``portal.payments.handle_ipn`` to its IPN endpoint and
``portal.payments.handle_return`` to its return URL, and runs ``onestop payments reconcile``
every few minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from urllib.parse import parse_qsl, urlsplit

from _demo import CATALOG, submit_with_files, verified_citizen

from onestop import bootstrap
from onestop.adapters import InMemoryMailTransport, ManualClock
from onestop.adapters.vnpay import SANDBOX_URL, VnpayGateway
from onestop.application import PaymentStatusView
from onestop.domain import VN_TZ, OfficerRole, format_vnd
from onestop.testing.vnpay_server import VnpayMerchantServer

PROCEDURE = "1.001066"  # Đăng ký thay đổi nội dung đăng ký kinh doanh: 150.000 VND
# Sandbox-style settings, obviously not real: never put a real secret in code.
DEMO_TMN_CODE = "DEMO0001"
DEMO_HASH_SECRET = "SANDBOXDEMOSECRETNOTREAL000000000"


def show(status: PaymentStatusView) -> None:
    print(
        f"  Lệ phí: {format_vnd(status.total_fees)}, đã nộp {format_vnd(status.paid_amount)}, "
        f"còn {format_vnd(status.amount_due)} ({status.payment_status.value})"
    )


def main(argv: list[str] | None = None) -> int:
    del argv
    clock = ManualClock(dt.datetime(2022, 6, 22, 9, 30, tzinfo=VN_TZ))
    mail = InMemoryMailTransport()
    with VnpayMerchantServer(tmn_code=DEMO_TMN_CODE, hash_secret=DEMO_HASH_SECRET) as vnpay:
        gateway = VnpayGateway(
            tmn_code=DEMO_TMN_CODE,
            hash_secret=DEMO_HASH_SECRET,
            payment_url=SANDBOX_URL,
            api_url=vnpay.api_url,
        )
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

            # VNPay's part: the payer paid; the browser may come back before VNPay's server
            # calls the IPN endpoint. The return page only shows what is stored.
            clock.advance(dt.timedelta(minutes=2))
            paid = vnpay.checkout(redirect.url, paid_at=clock.now())
            returned = portal.payments.handle_return(paid)
            print(f"Return redirect before the IPN: {returned.status.value} (đang chờ xác nhận)")
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
            print(f"{confirmed[0].gateway_transaction_id}, bank {confirmed[0].bank_code})")
            report = portal.dispatcher.dispatch_once()
            for sent in mail.sent[-report.sent :]:
                print(f"Mail: {sent.message.subject}")

            # A lost IPN: the payer paid, VNPay's call never reached the portal.
            second = submit_with_files(portal, citizen, PROCEDURE)
            url = portal.payments.start(citizen.id, second.id, client_ip="203.113.0.7").url
            vnpay.checkout(url, paid_at=clock.now())  # the IPN is lost on the way
            clock.advance(dt.timedelta(minutes=16))  # past the payment's expiry
            reconciled = portal.payments.reconcile()
            print(f"Lost IPN, reconcile: {len(reconciled.confirmed)} confirmed")
            show(portal.payments.status(citizen.id, second.id))

            # A double payment: two tabs, both paid; the second goes to review, then back.
            third = submit_with_files(portal, citizen, PROCEDURE)
            tab1 = portal.payments.start(citizen.id, third.id, client_ip="203.113.0.7").url
            tab2 = portal.payments.start(citizen.id, third.id, client_ip="203.113.0.7").url
            for tab in (tab1, tab2):
                portal.payments.handle_ipn(vnpay.checkout(tab, paid_at=clock.now()))
            accountant = portal.desk.register_officer(
                third.agency,
                "Lê Thị Kế Toán",
                "ke-toan@example.vn",
                roles=frozenset({OfficerRole.ACCOUNTING}),
            )
            [double] = portal.payments.in_review(accountant.id)
            print(f"Under review: {format_vnd(double.amount)} ({double.review_reason})")
            refund = portal.payments.refund(accountant.id, double.id)
            print(
                f"Refunded {format_vnd(refund.amount)}, VNPay transaction {refund.transaction_no}"
            )
            again = portal.payments.refund(accountant.id, double.id)
            print(f"Refund asked again: the same refund ({again == refund})")
            show(portal.payments.status(citizen.id, third.id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
