"""What VNPay tells us about a payment, and what we answer to its IPN.

Private to :mod:`onestop.adapters.vnpay`, which re-exports :data:`RESPONSE_CODES`,
:data:`IPN_REPLIES`, :func:`ipn_reply` and :func:`handle_ipn`. :func:`read_callback` reads a
return redirect or IPN whose signature the gateway has checked; :func:`gateway_callback`
turns VNPay's response code and transaction status into the port's
:class:`~onestop.ports.edges.GatewayCallback`, for a callback and a ``querydr`` answer alike.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from onestop.adapters._vnpay_signing import DATE_FORMAT
from onestop.application.payments import CallbackResult, CallbackStatus
from onestop.application.security_log import mask
from onestop.domain.codes import VN_TZ
from onestop.domain.payments import PaymentOutcome
from onestop.errors import PaymentGatewayError
from onestop.ports.edges import GatewayCallback

if TYPE_CHECKING:
    from onestop.application.payments import PaymentService

__all__ = [
    "IPN_REPLIES",
    "RESPONSE_CODES",
    "REVIEW_STATUSES",
    "UNKNOWN_ERROR",
    "gateway_callback",
    "handle_ipn",
    "ipn_reply",
    "read_callback",
    "whole_vnd",
]

# The public module's name: hosts configure (and tests capture) the IPN's log there.
_log = logging.getLogger("onestop.adapters.vnpay")

#: What ``vnp_ResponseCode`` means (VNPay 2.1.0, payment).
RESPONSE_CODES: Final[Mapping[str, str]] = {
    "00": "the payment succeeded",
    "07": "the money was taken but the transaction is suspected of fraud",
    "09": "the card or account is not registered for internet banking",
    "10": "the card or account details were wrong more than 3 times",
    "11": "the payment page expired before the payer paid",
    "12": "the card or account is locked",
    "13": "the one-time password (OTP) was wrong",
    "24": "the payer cancelled the payment",
    "51": "the account balance is too low",
    "65": "the account is over its daily limit",
    "75": "the paying bank is under maintenance",
    "79": "the payment password was wrong too many times",
    "99": "another error",
}

#: The IPN reply for each outcome of :meth:`PaymentService.handle_callback`.
IPN_REPLIES: Final[Mapping[CallbackStatus, tuple[str, str]]] = {
    CallbackStatus.CONFIRMED: ("00", "Confirm Success"),
    # The failure is recorded: VNPay is told it was received, so it stops resending.
    CallbackStatus.FAILED_RECORDED: ("00", "Confirm Success"),
    # Recorded and put under review (07, a reversed, late or double payment).
    CallbackStatus.REVIEW: ("00", "Confirm Success"),
    CallbackStatus.NOT_FOUND: ("01", "Order not found"),
    CallbackStatus.ALREADY_CONFIRMED: ("02", "Order already confirmed"),
    CallbackStatus.AMOUNT_MISMATCH: ("04", "Invalid amount"),
    CallbackStatus.INVALID_SIGNATURE: ("97", "Invalid signature"),
}
#: The IPN reply when the IPN could not be handled: VNPay calls again.
UNKNOWN_ERROR: Final = ("99", "Unknown error")

_AMOUNT: Final = re.compile(r"[0-9]{1,20}")
_CANCELLED_CODES: Final = frozenset({"11", "24"})
#: ``vnp_ResponseCode`` 07 and ``vnp_TransactionStatus`` 04 (reversed after the bank debited)
#: or 07: money may have moved, so an officer reviews the payment.
_REVIEW_CODES: Final = frozenset({"07"})
REVIEW_STATUSES: Final = frozenset({"04", "07"})


def whole_vnd(raw_amount: str) -> int:
    """``vnp_Amount`` (VND times 100) in VND; PaymentGatewayError unless it is that."""
    if not _AMOUNT.fullmatch(raw_amount) or int(raw_amount) % 100:
        raise PaymentGatewayError(f"vnp_Amount must be whole VND times 100, not {raw_amount!r}")
    return int(raw_amount) // 100


def read_callback(params: Mapping[str, str], *, tmn_code: str) -> GatewayCallback:
    """A verified return redirect or IPN as the port reads it; for terminal ``tmn_code`` only."""

    def required(key: str) -> str:
        value = params.get(key, "")
        if not value:
            raise PaymentGatewayError(f"the VNPay callback has no {key}")
        return value

    their_code = required("vnp_TmnCode")
    if their_code != tmn_code:
        raise PaymentGatewayError(
            f"the callback is for terminal {their_code!r}, this gateway is {tmn_code!r}"
        )
    txn_ref = required("vnp_TxnRef")
    amount = whole_vnd(required("vnp_Amount"))
    response_code = required("vnp_ResponseCode")
    status = params.get("vnp_TransactionStatus", "")
    return gateway_callback(params, txn_ref, amount, response_code, status)


def gateway_callback(
    params: Mapping[str, str], txn_ref: str, amount: int, response_code: str, status: str
) -> GatewayCallback:
    """A callback or query answer as the port reads it, with what VNPay told about it."""
    if response_code == "00" and status == "00":
        outcome, reason = PaymentOutcome.PAID, None
    else:
        if response_code in _REVIEW_CODES or status in REVIEW_STATUSES:
            outcome = PaymentOutcome.REVIEW
        elif response_code in _CANCELLED_CODES:
            outcome = PaymentOutcome.CANCELLED
        else:
            outcome = PaymentOutcome.FAILED
        meaning = RESPONSE_CODES.get(response_code, "an unknown response code")
        shown = f", transaction status {status}" if status else ""
        reason = f"VNPay {response_code}: {meaning}{shown}"
    transaction_no = params.get("vnp_TransactionNo", "")
    return GatewayCallback(
        txn_ref=txn_ref,
        outcome=outcome,
        amount=amount,
        gateway_transaction_id=transaction_no if transaction_no.strip("0") else None,
        reason=reason,
        paid_at=_pay_date(params.get("vnp_PayDate", "")),
        bank_code=params.get("vnp_BankCode") or None,
        card_type=params.get("vnp_CardType") or None,
    )


def _pay_date(text: str) -> dt.datetime | None:
    """``vnp_PayDate`` (yyyyMMddHHmmss, Vietnam time) as an instant; None if unreadable."""
    try:
        return dt.datetime.strptime(text, DATE_FORMAT).replace(tzinfo=VN_TZ)
    except ValueError:
        return None


# --- the IPN reply ----------------------------------------------------------------------------


def ipn_reply(result: CallbackResult) -> dict[str, str]:
    """The JSON body VNPay expects in answer to an IPN, for what handling it did."""
    code, message = IPN_REPLIES.get(result.status, UNKNOWN_ERROR)
    return {"RspCode": code, "Message": message}


def handle_ipn(payments: PaymentService, params: Mapping[str, str]) -> dict[str, str]:
    """Deprecated: use ``payments.handle_ipn(params)`` (:meth:`PaymentService.handle_ipn`).

    Applies an IPN through ``payments`` and returns the JSON reply for VNPay: ``00``
    confirmed (or a failure recorded), ``01`` order not found, ``02`` already confirmed,
    ``04`` invalid amount, ``97`` invalid signature, ``99`` anything else (the error is
    logged; VNPay will call again).
    """
    warnings.warn(
        "onestop.adapters.vnpay.handle_ipn(payments, params) is deprecated; "
        "use payments.handle_ipn(params)",
        DeprecationWarning,
        stacklevel=2,
    )
    try:
        result = payments.handle_callback(params)
    except Exception:
        # Whatever failed (the storage, most likely), VNPay gets its JSON reply and retries.
        # The reference is masked: the log is not the place to rebuild a callback from.
        _log.exception("VNPay IPN for reference %s could not be handled", _masked_ref(params))
        code, message = UNKNOWN_ERROR
        return {"RspCode": code, "Message": message}
    return ipn_reply(result)


def _masked_ref(params: object) -> str:
    """The callback's ``vnp_TxnRef`` masked for a log line, whatever ``params`` is."""
    try:
        reference = params.get("vnp_TxnRef") if isinstance(params, Mapping) else None
    except Exception:  # a foreign Mapping may fail in any way
        reference = None
    return mask(reference)
