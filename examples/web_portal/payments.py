"""Paying a dossier's fees: "Thanh toán", the gateway's return page, and its IPN endpoint.

The portal sends the payer to the gateway's signed URL (``portal.payments.start``). VNPay
calls the IPN endpoint server to server (``handle_ipn``, which records the outcome and gives
VNPay the JSON it expects) and sends the payer back to the return URL, which only shows what
is stored (``handle_return``). In demo mode the gateway is VNPay's protocol on a local page
(``demo.py``), signed with an obviously fake secret.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from onestop.application.payments import CallbackStatus
from onestop.errors import OnestopError

from .support import citizen_required, current_account, portal

bp = Blueprint("payments", __name__)

#: What the return page says for each outcome.
OUTCOMES: dict[CallbackStatus, tuple[str, str]] = {
    CallbackStatus.CONFIRMED: ("Thanh toán thành công", "success"),
    CallbackStatus.ALREADY_CONFIRMED: ("Thanh toán thành công", "success"),
    CallbackStatus.PENDING: (
        "Giao dịch đang chờ xác nhận từ cổng thanh toán. Vui lòng tải lại trang sau ít phút.",
        "info",
    ),
    CallbackStatus.FAILED_RECORDED: ("Thanh toán không thành công hoặc đã bị hủy.", "error"),
    CallbackStatus.REVIEW: (
        "Giao dịch cần được kiểm tra lại; cán bộ sẽ liên hệ với Ông/Bà.",
        "info",
    ),
}
UNKNOWN = ("Không đọc được kết quả thanh toán. Vui lòng liên hệ bộ phận hỗ trợ.", "error")


@bp.post("/dossiers/<dossier_id>/pay")
@citizen_required
def pay(dossier_id: str) -> ResponseReturnValue:
    """Thanh toán: a new payment of what is due; the browser goes to the gateway."""
    account = current_account()
    assert account is not None  # citizen_required
    try:
        redirect_to = portal().payments.start(
            account.id, dossier_id, client_ip=request.remote_addr or "127.0.0.1"
        )
    except OnestopError as error:
        flash(error.message("vi"), "error")
        return redirect(url_for("citizen.dossier", dossier_id=dossier_id))
    return redirect(redirect_to.url)


@bp.get("/payments/return")
def payment_return() -> ResponseReturnValue:
    """Where the gateway sends the payer back: the outcome as stored (changes nothing)."""
    result = portal().payments.handle_return(request.args.to_dict())
    text, kind = OUTCOMES.get(result.status, UNKNOWN)
    return render_template("paid.html", text=text, kind=kind, dossier_id=result.dossier_id)


@bp.get("/payments/ipn")
def payment_ipn() -> ResponseReturnValue:
    """VNPay's server-to-server call: record the outcome once, answer with its JSON."""
    return jsonify(portal().payments.handle_ipn(request.args.to_dict()))
