"""A VNPay-like merchant API on loopback, for tests and examples (DOMAIN section 6).

:class:`VnpayMerchantServer` plays VNPay's side: it records what the payer did on the
payment page (:meth:`~VnpayMerchantServer.checkout`, which also returns the IPN VNPay would
send, for the test to deliver or lose) and answers ``querydr`` and ``refund`` JSON POSTs on
``http://127.0.0.1:<port>/merchant_webapi/api/transaction`` (:attr:`~VnpayMerchantServer.api_url`)
as VNPay does: requests are checked against their ``|``-joined HMAC-SHA512 and answers are
signed the same way. The field orders are written here again from VNPay's documentation,
not taken from the adapter, so the adapter is checked against an independent reading.

To rehearse what goes wrong: :attr:`~VnpayMerchantServer.available` False answers HTTP 503,
:attr:`~VnpayMerchantServer.forge` signs answers with another secret,
:attr:`~VnpayMerchantServer.refund_answer` refuses refunds with a given code, and
:attr:`~VnpayMerchantServer.answer_for_txn_ref` answers (correctly signed) about another
payment. Runs ``http.server`` in a daemon thread; use it as a context manager.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import itertools
import json
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

import attrs

from onestop.domain.codes import VN_TZ
from onestop.testing._loopback import LoopbackHttpServer

__all__ = ["MerchantTransaction", "VnpayMerchantServer"]

_QUERY_REQUEST: Final = [
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
]
_QUERY_RESPONSE: Final = [
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
]
_REFUND_REQUEST: Final = [
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
]
_REFUND_RESPONSE: Final = [
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
]
_PATH: Final = "/merchant_webapi/api/transaction"


@attrs.define
class MerchantTransaction:
    """What VNPay knows of one payment (``amount`` in VND)."""

    txn_ref: str
    amount: int
    response_code: str
    transaction_status: str
    transaction_no: str
    bank_code: str
    card_type: str
    pay_date: str
    order_info: str
    refunded: int = 0


def _pipe_hash(secret: bytes, params: Mapping[str, Any], fields: list[str]) -> str:
    data = "|".join(str(params.get(f) or "") for f in fields)
    return hmac.new(secret, data.encode("utf-8"), hashlib.sha512).hexdigest()


class VnpayMerchantServer(LoopbackHttpServer):
    """VNPay's payment page outcome and merchant API for one terminal, on 127.0.0.1."""

    def __init__(self, *, tmn_code: str, hash_secret: str | bytes) -> None:
        self.tmn_code = tmn_code
        self._secret = hash_secret.encode() if isinstance(hash_secret, str) else hash_secret
        self._lock = threading.Lock()
        self._transactions: dict[str, MerchantTransaction] = {}
        self._refund_answers: dict[str, dict[str, str]] = {}
        self._numbers = itertools.count(14_000_001)
        self._responses = itertools.count(1)
        #: False: every request is answered HTTP 503 (VNPay down).
        self.available = True
        #: True: answers are signed with another secret (a forger between us and VNPay).
        self.forge = False
        #: Set: every new refund request is refused with this vnp_ResponseCode (``91``,
        #: ``95``...; ``94`` a refund already in progress, ``99`` unknown).
        self.refund_answer: str | None = None
        #: Set: answers (correctly signed) name this payment instead of the one asked about.
        self.answer_for_txn_ref: str | None = None
        #: Every request received, as parsed JSON.
        self.requests: list[dict[str, Any]] = []

    # --- lifecycle ------------------------------------------------------------------------

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner._serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet tests

        return Handler

    @property
    def api_url(self) -> str:
        return f"{self.origin}{_PATH}"

    # --- the payment page -----------------------------------------------------------------

    def checkout(
        self,
        payment_url: str,
        *,
        response_code: str = "00",
        transaction_status: str | None = None,
        bank_code: str = "NCB",
        card_type: str = "ATM",
        paid_at: dt.datetime | None = None,
    ) -> dict[str, str]:
        """The payer went through ``payment_url``: recorded, and VNPay's IPN returned.

        The IPN may be delivered or dropped (a lost IPN); a query finds the payment anyway.
        Checking out the same payment again (a double payment) overwrites nothing but the
        outcome.
        """
        request = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(payment_url).query))
        status = transaction_status or response_code
        pay_date = (paid_at or dt.datetime.now(dt.UTC)).astimezone(VN_TZ)
        transaction = MerchantTransaction(
            txn_ref=request["vnp_TxnRef"],
            amount=int(request["vnp_Amount"]) // 100,
            response_code=response_code,
            transaction_status=status,
            transaction_no=str(next(self._numbers)) if response_code in {"00", "07"} else "0",
            bank_code=request.get("vnp_BankCode") or bank_code,
            card_type=card_type,
            pay_date=pay_date.strftime("%Y%m%d%H%M%S"),
            order_info=request["vnp_OrderInfo"],
        )
        with self._lock:
            self._transactions[transaction.txn_ref] = transaction
        ipn = {
            "vnp_Amount": str(transaction.amount * 100),
            "vnp_BankCode": transaction.bank_code,
            "vnp_CardType": card_type,
            "vnp_OrderInfo": transaction.order_info,
            "vnp_PayDate": transaction.pay_date,
            "vnp_ResponseCode": response_code,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionNo": transaction.transaction_no,
            "vnp_TransactionStatus": status,
            "vnp_TxnRef": transaction.txn_ref,
        }
        signed = "&".join(f"{k}={urllib.parse.quote_plus(v)}" for k, v in sorted(ipn.items()) if v)
        ipn["vnp_SecureHash"] = hmac.new(
            self._secret, signed.encode("utf-8"), hashlib.sha512
        ).hexdigest()
        return ipn

    def transaction(self, txn_ref: str) -> MerchantTransaction:
        with self._lock:
            return self._transactions[txn_ref]

    @property
    def refund_requests(self) -> list[dict[str, Any]]:
        """The refund requests VNPay carried out (a repeated RequestId counts once)."""
        with self._lock:
            return [r for r in self.requests if r.get("vnp_RequestId") in self._refund_answers]

    # --- the merchant API -----------------------------------------------------------------

    def _serve(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        if not self.available:
            handler.send_error(503, "VNPay is under maintenance")
            return
        length = int(handler.headers.get("Content-Length") or 0)
        try:
            request = json.loads(handler.rfile.read(length))
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError:
            self._reply(handler, {"vnp_ResponseCode": "03", "vnp_Message": "Invalid format"})
            return
        with self._lock:
            self.requests.append(request)
            command = request.get("vnp_Command")
            if command == "querydr":
                answer = self._query(request)
            elif command == "refund":
                answer = self._refund(request)
            else:
                answer = {"vnp_ResponseCode": "03", "vnp_Message": "Invalid command"}
        self._reply(handler, answer)

    def _reply(self, handler: http.server.BaseHTTPRequestHandler, body: Mapping[str, str]) -> None:
        data = json.dumps(body).encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(
        self,
        request: Mapping[str, Any],
        fields: list[str],
        code: str,
        message: str,
        transaction: MerchantTransaction | None = None,
        **extra: str,
    ) -> dict[str, str]:
        answer = {
            "vnp_ResponseId": f"RSP{next(self._responses):08d}",
            "vnp_Command": str(request.get("vnp_Command", "")),
            "vnp_ResponseCode": code,
            "vnp_Message": message,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": self.answer_for_txn_ref or str(request.get("vnp_TxnRef", "")),
        }
        if transaction is not None:
            answer |= {
                "vnp_Amount": str(transaction.amount * 100),
                "vnp_BankCode": transaction.bank_code,
                "vnp_PayDate": transaction.pay_date,
                "vnp_TransactionNo": transaction.transaction_no,
                "vnp_TransactionType": "01",
                "vnp_TransactionStatus": transaction.transaction_status,
                "vnp_OrderInfo": transaction.order_info,
            }
        answer |= extra
        secret = b"forged-" + self._secret if self.forge else self._secret
        answer["vnp_SecureHash"] = _pipe_hash(secret, answer, fields)
        return answer

    def _checked(self, request: Mapping[str, Any], fields: list[str]) -> str | None:
        given = str(request.get("vnp_SecureHash", ""))
        if not hmac.compare_digest(given, _pipe_hash(self._secret, request, fields)):
            return "97"
        if request.get("vnp_TmnCode") != self.tmn_code:
            return "02"
        return None

    def _query(self, request: Mapping[str, Any]) -> dict[str, str]:
        refused = self._checked(request, _QUERY_REQUEST)
        if refused:
            return self._answer(request, _QUERY_RESPONSE, refused, "Invalid request")
        transaction = self._transactions.get(str(request.get("vnp_TxnRef")))
        if transaction is None:
            return self._answer(request, _QUERY_RESPONSE, "91", "Transaction not found")
        return self._answer(request, _QUERY_RESPONSE, "00", "QueryDR Success", transaction)

    def _refund(self, request: Mapping[str, Any]) -> dict[str, str]:
        refused = self._checked(request, _REFUND_REQUEST)
        if refused:
            return self._answer(request, _REFUND_RESPONSE, refused, "Invalid request")
        request_id = str(request.get("vnp_RequestId"))
        if request_id in self._refund_answers:
            return self._refund_answers[request_id]  # the same request: refunded once
        if self.refund_answer is not None:
            return self._answer(request, _REFUND_RESPONSE, self.refund_answer, "Refund refused")
        transaction = self._transactions.get(str(request.get("vnp_TxnRef")))
        if transaction is None:
            return self._answer(request, _REFUND_RESPONSE, "91", "Transaction not found")
        amount = int(str(request.get("vnp_Amount", "0"))) // 100
        if transaction.response_code not in {"00", "07"} or not (
            0 < amount <= transaction.amount - transaction.refunded
        ):
            return self._answer(request, _REFUND_RESPONSE, "95", "Refund refused")
        transaction.refunded += amount
        transaction.transaction_status = "05"
        answer = self._answer(
            request,
            _REFUND_RESPONSE,
            "00",
            "Refund success",
            transaction,
            vnp_Amount=str(amount * 100),
            vnp_TransactionNo=str(next(self._numbers)),
            vnp_TransactionType=str(request.get("vnp_TransactionType", "")),
        )
        self._refund_answers[request_id] = answer
        return answer
