"""Pay a dossier's fees online through the (fake) payment gateway.

A citizen submits a dossier of a procedure whose fees (150.000 VND) are due at submission,
starts paying, the card is declined, starts again and pays. The gateway's callback then
arrives twice (the IPN and the return redirect), and a forged one arrives too: the payment
is counted once, the forgery changes nothing. The payment status is printed after each step.

The fake gateway stands in for VNPay (``examples/vnpay_checkout.py``): a test or an example
drives it to success, failure or abandonment and gets the signed callback the real gateway
would send.
"""

from __future__ import annotations

import datetime as dt
import sys

from _demo import CATALOG, submit_with_files, verified_citizen

from onestop import Portal, bootstrap
from onestop.adapters import FakePaymentGateway, InMemoryMailTransport, ManualClock
from onestop.application import PaymentStatusView
from onestop.domain import VN_TZ, format_vnd
from onestop.errors import OnestopError

PROCEDURE = "1.001066"  # Đăng ký thay đổi nội dung đăng ký kinh doanh: 150.000 VND


def show(status: PaymentStatusView) -> None:
    """One line on where the fees stand."""
    print(
        f"  Lệ phí: {format_vnd(status.total_fees)}, đã nộp {format_vnd(status.paid_amount)}, "
        f"còn {format_vnd(status.amount_due)} ({status.payment_status.value})"
    )


def pay_once(portal: Portal, account_id: str, dossier_id: str) -> str:
    """Start a payment and return the gateway's reference of it."""
    redirect = portal.payments.start(account_id, dossier_id, client_ip="203.113.0.7")
    print(f"  Chuyển tới cổng thanh toán: {redirect.url}")
    return redirect.txn_ref


def main(argv: list[str] | None = None) -> int:
    del argv
    clock = ManualClock(dt.datetime(2022, 6, 22, 9, 30, tzinfo=VN_TZ))
    mail = InMemoryMailTransport()
    gateway = FakePaymentGateway()
    with bootstrap(clock=clock, mail_transport=mail, payment_gateway=gateway) as portal:
        portal.catalog.load_json(CATALOG)
        citizen = verified_citizen(
            portal, mail, "pham.van.d@example.vn", "Mat-khau-an-toan-2", "Phạm Văn D"
        )
        dossier = submit_with_files(portal, citizen, PROCEDURE)
        print(f"Nộp hồ sơ thành công: {dossier.code} ({dossier.procedure.name})")
        for line in dossier.fee_lines:
            print(f"  {line.kind.label_vi}: {line.description} {format_vnd(line.amount)}")
        show(portal.payments.status(citizen.id, dossier.id))

        print("Lần 1: thẻ bị từ chối")
        txn = pay_once(portal, citizen.id, dossier.id)
        result = portal.payments.handle_callback(gateway.fail(txn, reason="thẻ hết hạn"))
        print(f"  Callback: {result.status.value}")
        show(portal.payments.status(citizen.id, dossier.id))

        print("Lần 2: thanh toán thành công")
        clock.advance(dt.timedelta(minutes=3))
        txn = pay_once(portal, citizen.id, dossier.id)
        paid = gateway.complete(txn)
        for source in ("IPN", "return redirect"):
            result = portal.payments.handle_callback(paid)
            print(f"  Callback ({source}): {result.status.value}")
        forged = dict(paid, amount="1")
        print(f"  Forged callback: {portal.payments.handle_callback(forged).status.value}")
        try:  # paying again: nothing is due, and the citizen is told so in Vietnamese
            pay_once(portal, citizen.id, dossier.id)
        except OnestopError as refused:
            print(f"  Lần 3: {refused.message('vi')}")
        status = portal.payments.status(citizen.id, dossier.id)
        show(status)
        confirmed = [p for p in status.payments if p.state.value == "confirmed"]
        print(f"  Payments on record: {len(status.payments)}, confirmed: {len(confirmed)}")
        report = portal.dispatcher.dispatch_once()
        print(f"Mail sent since the submission: {report.sent}")
        for sent in mail.sent[-report.sent :]:
            print(f"  -> {sent.message.to}: {sent.message.subject}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
