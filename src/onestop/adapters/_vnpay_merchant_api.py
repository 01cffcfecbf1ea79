"""VNPay's merchant API (``querydr``, ``refund``): the requests, the POST, the answers.

Private to :mod:`onestop.adapters.vnpay`, whose :class:`~onestop.adapters.vnpay.VnpayGateway`
calls :func:`query_request` or :func:`refund_request`, sends the request with :func:`post`
and reads the answer with :func:`read_query_answer` or :func:`read_refund_answer`. Requests
are JSON POSTs signed with HMAC-SHA512 over the ``|``-joined fields in VNPay's order
(:func:`pipe_hash`); answers are signed the same way and refused (:func:`post`) unless they
verify and name the payment asked about.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Final

from onestop.adapters._vnpay_callbacks import REVIEW_STATUSES, gateway_callback, whole_vnd
from onestop.adapters._vnpay_signing import HASH, VERSION, plain_order_info, vn_date
from onestop.application.security_log import log_security_event, mask
from onestop.domain.payments import Payment
from onestop.errors import PaymentGatewayError, RefundRefused
from onestop.ports.edges import GatewayCallback, RefundReceipt

__all__ = [
    "QUERY_RESPONSE",
    "REFUND_RESPONSE",
    "pipe_hash",
    "post",
    "query_request",
    "read_query_answer",
    "read_refund_answer",
    "refund_request",
    "request_id",
]

#: Statuses of a querydr answer: the payer has not finished (01), refund states (05, 06, 09).
_UNFINISHED_STATUS: Final = "01"
_REFUND_STATUSES: Final = frozenset({"05", "06", "09"})
_NOT_FOUND: Final = "91"
_QUERY_REQUEST: Final = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
    "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
QUERY_RESPONSE: Final = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
    "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
    "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
    "vnp_PromotionAmount",
)  # fmt: skip
_REFUND_REQUEST: Final = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType",
    "vnp_TxnRef", "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy",
    "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
REFUND_RESPONSE: Final = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
    "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
    "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo",
)  # fmt: skip
#: Refund answers that no repetition of the request can change (VNPay's merchant API):
#: 02 more than the payment, 03 malformed request, 04 a full refund after a partial one,
#: 13 only a partial refund allowed, 91 transaction not found, 93 invalid amount,
#: 95 the transaction failed at VNPay. 94 (a refund in progress), 97 and 99 are not final.
_REFUND_REFUSED_FOR_GOOD: Final = frozenset({"02", "03", "04", "13", "91", "93", "95"})
_REQUEST_IDS: Final = itertools.count(1)


def pipe_hash(secret: bytes, params: Mapping[str, object], fields: tuple[str, ...]) -> str:
    """HMAC-SHA512 (hex) of the ``fields`` of ``params`` joined by ``|`` (missing: empty)."""
    data = "|".join(str(params.get(field, "") or "") for field in fields)
    return hmac.new(secret, data.encode("utf-8"), hashlib.sha512).hexdigest()


def request_id(vn_now: str) -> str:
    """A ``vnp_RequestId`` for a request made at ``vn_now`` (yyyyMMddHHmmss, Vietnam time)."""
    # Unique per request and process: VNPay refuses a RequestId it saw recently.
    return f"{vn_now}{os.getpid() % 10_000:04d}{next(_REQUEST_IDS) % 100_000:05d}"


def post(
    request: Mapping[str, str],
    signed: tuple[str, ...],
    *,
    api_url: str | None,
    timeout: float,
    secret: bytes,
    gateway: str,
    tmn_code: str,
    txn_ref: str,
) -> dict[str, str]:
    """POST ``request`` to the merchant API; the verified response, as text values."""
    if api_url is None:
        raise PaymentGatewayError(
            "no VNPay merchant API: pass api_url= or set ONESTOP_VNPAY_API_URL"
        )
    http = urllib.request.Request(
        api_url,
        data=json.dumps(request).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    command = request["vnp_Command"]
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:
            body = answer.read(1_000_000)
    except (OSError, ValueError) as e:  # URLError, HTTPError, timeouts, a refused socket
        raise PaymentGatewayError(f"VNPay's merchant API could not be reached: {e}") from e
    try:
        raw = json.loads(body)
    except ValueError as e:
        raise PaymentGatewayError(f"VNPay's {command} answer is not JSON") from e
    if not isinstance(raw, dict):
        raise PaymentGatewayError(f"VNPay's {command} answer is not a JSON object")
    response = {
        str(k): "" if v is None else str(v)
        for k, v in raw.items()
        if isinstance(v, str | int | None) and not isinstance(v, bool)
    }
    given = response.get(HASH, "").lower()
    expected = pipe_hash(secret, response, signed)
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("ascii")):
        log_security_event(
            "payment.response_forged",
            f"a VNPay {command} answer was refused: its signature does not verify",
            gateway=gateway,
            txn_ref=mask(txn_ref),
        )
        raise PaymentGatewayError(f"VNPay's {command} answer does not verify (forged?)")
    for field in signed:
        response.setdefault(field, "")
    mismatched = [
        field
        for field, value in (
            ("vnp_Command", command),
            ("vnp_TmnCode", tmn_code),
            ("vnp_TxnRef", txn_ref),
        )
        if response[field] != value
    ]
    if mismatched:
        raise PaymentGatewayError(
            f"VNPay's {command} answer is about another payment ({', '.join(mismatched)})"
        )
    return response


def query_request(
    secret: bytes, payment: Payment, *, tmn_code: str, server_ip: str, now: dt.datetime
) -> dict[str, str]:
    """The signed ``querydr`` request asking what became of ``payment``."""
    request = {
        "vnp_RequestId": request_id(vn_date(now)),
        "vnp_Version": VERSION,
        "vnp_Command": "querydr",
        "vnp_TmnCode": tmn_code,
        "vnp_TxnRef": payment.txn_ref,
        "vnp_OrderInfo": f"Truy van giao dich {payment.txn_ref}",
        "vnp_TransactionDate": vn_date(payment.created_at),
        "vnp_CreateDate": vn_date(now),
        "vnp_IpAddr": server_ip,
    }
    request[HASH] = pipe_hash(secret, request, _QUERY_REQUEST)
    return request


def read_query_answer(response: Mapping[str, str], txn_ref: str) -> GatewayCallback | None:
    """A verified ``querydr`` answer as the port reads it; None when VNPay has no such payment."""
    code = response["vnp_ResponseCode"]
    if code == _NOT_FOUND:
        return None
    if code != "00":
        raise PaymentGatewayError(f"VNPay refused the query: {code} {response['vnp_Message']}")
    amount = whole_vnd(response["vnp_Amount"])
    status = response["vnp_TransactionStatus"]
    if status == _UNFINISHED_STATUS:
        pay_code = "24"  # never paid: the payer left the page (cancelled)
    elif status == "00":
        pay_code = "00"
    elif status in REVIEW_STATUSES or status in _REFUND_STATUSES:
        pay_code = "07" if status in {"07", *_REFUND_STATUSES} else "00"
    else:
        pay_code = "99"
    return gateway_callback(response, txn_ref, amount, pay_code, status)


def refund_request(
    secret: bytes,
    payment: Payment,
    *,
    request_id: str,
    amount: int,
    requested_by: str,
    tmn_code: str,
    server_ip: str,
    now: dt.datetime,
) -> dict[str, str]:
    """The signed ``refund`` request: full (``02``) or partial (``03``), by ``request_id``."""
    request = {
        "vnp_RequestId": request_id,
        "vnp_Version": VERSION,
        "vnp_Command": "refund",
        "vnp_TmnCode": tmn_code,
        "vnp_TransactionType": "02" if amount == payment.amount else "03",
        "vnp_TxnRef": payment.txn_ref,
        "vnp_Amount": str(amount * 100),
        "vnp_OrderInfo": f"Hoan tien {payment.txn_ref}",
        "vnp_TransactionNo": payment.gateway_transaction_id or "",
        "vnp_TransactionDate": vn_date(payment.created_at),
        "vnp_CreateBy": plain_order_info(requested_by, "onestop")[:250],
        "vnp_CreateDate": vn_date(now),
        "vnp_IpAddr": server_ip,
    }
    request[HASH] = pipe_hash(secret, request, _REFUND_REQUEST)
    return request


def read_refund_answer(
    response: Mapping[str, str], request: Mapping[str, str], *, amount: int
) -> RefundReceipt:
    """A verified ``refund`` answer: the receipt, RefundRefused, or PaymentGatewayError."""
    code = response["vnp_ResponseCode"]
    if code in _REFUND_REFUSED_FOR_GOOD:
        raise RefundRefused(code, response["vnp_Message"])
    if code != "00":
        # 94 (a refund of it is being processed), 97, 99: unclear; the same request,
        # sent again, refunds at most once.
        raise PaymentGatewayError(f"VNPay refused the refund: {code} {response['vnp_Message']}")
    if response["vnp_Amount"] != request["vnp_Amount"]:
        raise PaymentGatewayError("VNPay's refund answer is for another amount")
    number = response["vnp_TransactionNo"]
    if not number:
        raise PaymentGatewayError("VNPay's refund answer has no vnp_TransactionNo")
    return RefundReceipt(request_id=request["vnp_RequestId"], amount=amount, transaction_no=number)
