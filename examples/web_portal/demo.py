"""Demo mode only: "Hộp thư" (the mail the portal sent) and VNPay's payment page, locally.

The mail transport is the library's in-memory one, so a visitor without a mail server reads
the verification mail here and clicks its link. The payment page plays VNPay's part of
protocol 2.1.0 on this very server: the payer pays or cancels,
:class:`~onestop.testing.vnpay_server.VnpayMerchantServer` records it and signs the IPN
with the demo terminal's secret; this page delivers the IPN to the portal's IPN endpoint
over HTTP, as VNPay's server would, then sends the browser to the return URL. Unlike
VNPay it does not check the signature of the payment URL it is sent to: a demo, not a
gateway to test a merchant against (``onestop.testing.vnpay_server`` is that).
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from onestop.domain import format_vnd

from .support import web

bp = Blueprint("demo", __name__, url_prefix="/demo")

_URL = re.compile(r"https?://[^\s<>\"']+")
#: VNPay's response codes the demo page can produce: paid, and cancelled by the payer.
PAID, CANCELLED = "00", "24"


def linkify(text: str) -> Markup:
    """Mail text as HTML: escaped, its links clickable."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', escaped))


@bp.route("/mailbox")
def mailbox() -> ResponseReturnValue:
    """Hộp thư: every mail the worker has sent, newest first."""
    box = web().mailbox
    sent = list(reversed(box.sent)) if box is not None else []
    return render_template("mailbox.html", sent=sent, linkify=linkify)


@bp.route("/vnpay/pay", methods=["GET", "POST"])
def vnpay_page() -> ResponseReturnValue:
    """VNPay's payment page (mô phỏng): the amount and the order, "Thanh toán" or "Hủy"."""
    vnpay = web().vnpay
    if vnpay is None:
        abort(404)
    payment_url = request.form.get("payment_url") if request.method == "POST" else request.url
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(payment_url or "").query))
    if "vnp_TxnRef" not in params or not params.get("vnp_Amount", "").isdigit():
        abort(400)
    if request.method == "GET":
        return render_template(
            "vnpay.html",
            payment_url=payment_url,
            amount=format_vnd(int(params["vnp_Amount"]) // 100),
            order_info=params.get("vnp_OrderInfo", ""),
            txn_ref=params["vnp_TxnRef"],
        )
    code = PAID if request.form.get("action") == "pay" else CANCELLED
    callback = vnpay.checkout(payment_url or "", response_code=code)
    query = urllib.parse.urlencode(callback)
    # VNPay's server calls the IPN endpoint; the payer's browser goes to the return URL.
    ipn = url_for("payments.payment_ipn", _external=True) + "?" + query
    with urllib.request.urlopen(ipn, timeout=10) as answer:  # our own IPN endpoint
        answer.read()
    return redirect(url_for("payments.payment_return") + "?" + query)
