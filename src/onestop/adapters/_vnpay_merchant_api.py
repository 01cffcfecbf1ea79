"""VNPay's merchant API (``querydr``, ``refund``): the request hash, the POST, the answer.

Private to :mod:`onestop.adapters.vnpay`, whose :class:`~onestop.adapters.vnpay.VnpayGateway`
builds the requests and reads the answers. Requests are JSON POSTs signed with HMAC-SHA512
over the ``|``-joined fields in VNPay's order (:func:`pipe_hash`); answers are signed the
same way and refused (:func:`post`) unless they verify and name the payment asked about.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Final

from onestop.application.security_log import log_security_event, mask
from onestop.errors import PaymentGatewayError

__all__ = ["pipe_hash", "post", "request_id"]

_HASH: Final = "vnp_SecureHash"
#: Statuses of a querydr answer: the payer has not finished (01), refund states (05, 06, 09).
_UNFINISHED_STATUS: Final = "01"
_REFUND_STATUSES: Final = frozenset({"05", "06", "09"})
_NOT_FOUND: Final = "91"
_QUERY_REQUEST: Final = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
    "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
_QUERY_RESPONSE: Final = (
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
_REFUND_RESPONSE: Final = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
    "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
    "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo",
)  # fmt: skip
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
    given = response.get(_HASH, "").lower()
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
