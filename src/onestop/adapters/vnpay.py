"""VNPay payments, protocol 2.1.0 (DOMAIN section 6): the signed payment URL and callbacks.

:class:`VnpayGateway` implements the payment port. :meth:`~VnpayGateway.start` builds the
URL the payer is sent to; :meth:`~VnpayGateway.verify_callback` checks and reads what VNPay
sends back, both the payer's return redirect and the server-to-server IPN (the same
parameters, the same signature). :func:`handle_ipn` answers the IPN with the JSON reply
VNPay expects.

The signature: take the non-empty ``vnp_*`` parameters except ``vnp_SecureHash`` and
``vnp_SecureHashType``, sort them by key, write each as ``key=value`` with the value
form-urlencoded (UTF-8, space as ``+``, as :func:`urllib.parse.quote_plus` does), join them
with ``&``, and take the HMAC-SHA512 of that text under the merchant's hash secret, in hex.

The merchant API (``api_url``, ``ONESTOP_VNPAY_API_URL``) answers
:meth:`~VnpayGateway.query` (``querydr``) and :meth:`~VnpayGateway.refund` (``refund``):
JSON POSTs signed with HMAC-SHA512 over the ``|``-joined fields in VNPay's order, whose
responses are signed the same way and refused unless they verify and name the payment asked
about.

Values we control are kept to the characters on which VNPay's samples in every language
sign alike: ``~ * ! ' ( )`` and non-ASCII text in the return URL or the order type are
refused when the gateway is configured (:func:`check_signable`).

The hash secret and the terminal code come from the host's configuration: constructor
arguments, or :meth:`VnpayGateway.from_env` (``ONESTOP_VNPAY_TMN_CODE``,
``ONESTOP_VNPAY_HASH_SECRET``, ``ONESTOP_VNPAY_URL``, ``ONESTOP_VNPAY_API_URL``). None is
written in this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from onestop.adapters._callbacks import text_parameters
from onestop.adapters._vnpay_merchant_api import (
    _NOT_FOUND,
    _QUERY_REQUEST,
    _QUERY_RESPONSE,
    _REFUND_REQUEST,
    _REFUND_RESPONSE,
    _REFUND_STATUSES,
    _UNFINISHED_STATUS,
    pipe_hash,
    post,
)
from onestop.adapters._vnpay_merchant_api import (
    request_id as _request_id,
)
from onestop.application.payments import CallbackResult, CallbackStatus
from onestop.application.security_log import mask
from onestop.domain.codes import VN_TZ, require_aware
from onestop.domain.payments import Payment, PaymentOutcome
from onestop.errors import (
    ConfigurationError,
    InvalidInput,
    PaymentGatewayError,
    PaymentSignatureInvalid,
    RefundRefused,
)
from onestop.ports.edges import GatewayCallback, PaymentRedirect, RefundReceipt

if TYPE_CHECKING:
    from onestop.application.payments import PaymentService

__all__ = [
    "IPN_REPLIES",
    "RESPONSE_CODES",
    "SANDBOX_URL",
    "VNPAY_ENV",
    "VNPAY_LOCALES",
    "VnpayGateway",
    "check_signable",
    "handle_ipn",
    "ipn_reply",
    "signing_data",
]

_log = logging.getLogger(__name__)

#: VNPay's sandbox payment page; production URLs come from the merchant contract.
SANDBOX_URL: Final = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"

#: Environment variables read by :meth:`VnpayGateway.from_env`.
VNPAY_ENV: Final = {
    "tmn_code": "ONESTOP_VNPAY_TMN_CODE",
    "hash_secret": "ONESTOP_VNPAY_HASH_SECRET",
    "payment_url": "ONESTOP_VNPAY_URL",
    "api_url": "ONESTOP_VNPAY_API_URL",
}
_OPTIONAL_ENV: Final = frozenset({"api_url"})

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
_UNKNOWN_ERROR: Final = ("99", "Unknown error")

_VERSION: Final = "2.1.0"
#: Refund answers that no repetition of the request can change (VNPay's merchant API):
#: 02 more than the payment, 03 malformed request, 04 a full refund after a partial one,
#: 13 only a partial refund allowed, 91 transaction not found, 93 invalid amount,
#: 95 the transaction failed at VNPay. 94 (a refund in progress), 97 and 99 are not final.
_REFUND_REFUSED_FOR_GOOD: Final = frozenset({"02", "03", "04", "13", "91", "93", "95"})
_HASH: Final = "vnp_SecureHash"
_UNSIGNED: Final = frozenset({_HASH, "vnp_SecureHashType"})
_KEY: Final = re.compile(r"vnp_[A-Za-z0-9_]+")
_TXN_REF: Final = re.compile(r"[A-Za-z0-9_-]{1,100}")
_TMN_CODE: Final = re.compile(r"[A-Za-z0-9]{1,20}")
_AMOUNT: Final = re.compile(r"[0-9]{1,20}")
_ORDER_INFO_CHARS: Final = re.compile(r"[^A-Za-z0-9 .,:_-]+")
_ORDER_INFO_MAX: Final = 255
#: The library's locales ("vi", "en") as VNPay writes them in ``vnp_Locale``.
VNPAY_LOCALES: Final[Mapping[str, str]] = {"vi": "vn", "en": "en"}
_DATE_FORMAT: Final = "%Y%m%d%H%M%S"
_CANCELLED_CODES: Final = frozenset({"11", "24"})
#: ``vnp_ResponseCode`` 07 and ``vnp_TransactionStatus`` 04 (reversed after the bank debited)
#: or 07: money may have moved, so an officer reviews the payment.
_REVIEW_CODES: Final = frozenset({"07"})
_REVIEW_STATUSES: Final = frozenset({"04", "07"})
_BANK_CODE: Final = re.compile(r"[A-Z0-9_]{2,20}")
#: Where VNPay's samples in other languages encode differently from quote_plus.
_UNSIGNABLE: Final = frozenset("~*!'()")


def check_signable(value: str, what: str) -> str:
    """``value`` if VNPay's samples in every language sign it alike, else ConfigurationError.

    They disagree on ``~ * ! ' ( )`` and on non-ASCII text, which would make VNPay answer
    "Sai chữ ký" (wrong signature) to a correct request.
    """
    odd = sorted({c for c in value if c in _UNSIGNABLE or not c.isascii()})
    if odd:
        raise ConfigurationError(
            f"{what} contains {''.join(odd)!r}, which VNPay's samples sign differently: "
            "leave these characters out (or percent-encode them yourself)"
        )
    return value


def signing_data(params: Mapping[str, str]) -> str:
    """The text VNPay signs: non-empty ``vnp_*`` parameters sorted, ``key=quote_plus(value)``."""
    return "&".join(
        f"{key}={urllib.parse.quote_plus(value, safe='', encoding='utf-8')}"
        for key, value in sorted(params.items())
        if key.startswith("vnp_") and key not in _UNSIGNED and value != ""
    )


class VnpayGateway:
    """The payment port on VNPay 2.1.0; stateless, so any process may verify any callback.

    ``tmn_code`` and ``hash_secret`` are the merchant's terminal code and secret,
    ``payment_url`` VNPay's payment page (:data:`SANDBOX_URL` for tests), ``api_url`` its
    merchant API (``querydr``, ``refund``; without it the gateway cannot be queried). The
    payer has until ``expires_at`` given to :meth:`start` (the portal's ``payment_ttl``) to
    pay, ``expire_after`` when none is given; ``order_type`` is VNPay's goods category.
    ``server_ip`` is the portal's own address, sent with merchant API requests.
    """

    def __init__(
        self,
        *,
        tmn_code: str,
        hash_secret: str | bytes,
        payment_url: str,
        order_type: str = "other",
        expire_after: dt.timedelta = dt.timedelta(minutes=15),
        name: str = "vnpay",
        api_url: str | None = None,
        server_ip: str = "127.0.0.1",
        timeout: float = 10.0,
    ) -> None:
        if not isinstance(tmn_code, str) or not _TMN_CODE.fullmatch(tmn_code):
            raise ConfigurationError(
                "the VNPay terminal code (vnp_TmnCode) must be 1 to 20 letters or digits"
            )
        if isinstance(hash_secret, str):
            hash_secret = hash_secret.encode("utf-8")
        if not isinstance(hash_secret, bytes) or not hash_secret.strip():
            raise ConfigurationError("the VNPay hash secret must be non-empty")
        _check_http_url(payment_url, "the VNPay payment URL")
        if not isinstance(order_type, str) or not order_type.strip():
            raise ConfigurationError("the VNPay order type must be non-empty")
        check_signable(order_type, "the VNPay order type")
        if api_url is not None:
            _check_http_url(api_url, "the VNPay merchant API URL")
        try:
            ipaddress.ip_address(server_ip)
        except (ValueError, TypeError) as e:
            raise ConfigurationError(f"server_ip must be an IP address, not {server_ip!r}") from e
        if not isinstance(expire_after, dt.timedelta) or expire_after <= dt.timedelta(0):
            raise ConfigurationError("expire_after must be a positive duration")
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError("a payment gateway needs a non-empty name")
        self.name = name
        self.tmn_code = tmn_code
        self.payment_url = payment_url
        self.order_type = order_type.strip()
        self.expire_after = expire_after
        self.api_url = api_url
        self.server_ip = server_ip
        self.timeout = timeout
        self._secret = hash_secret

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> VnpayGateway:
        """A gateway configured by ``ONESTOP_VNPAY_*`` variables (all but the API URL required).

        Keyword ``overrides`` (``order_type=``, ``expire_after=``, ...) are passed on.
        """
        env = os.environ if environ is None else environ
        missing = [
            var
            for name, var in VNPAY_ENV.items()
            if name not in _OPTIONAL_ENV and not env.get(var, "").strip()
        ]
        if missing:
            raise ConfigurationError(f"set {', '.join(missing)} to take payments through VNPay")
        settings = {
            name: env[var].strip() for name, var in VNPAY_ENV.items() if env.get(var, "").strip()
        }
        return cls(**settings, **overrides)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        # Never the secret.
        return f"VnpayGateway(tmn_code={self.tmn_code!r}, payment_url={self.payment_url!r})"

    # --- signing --------------------------------------------------------------------------

    def sign(self, params: Mapping[str, str]) -> str:
        """The ``vnp_SecureHash`` of ``params``: HMAC-SHA512 of :func:`signing_data`, in hex."""
        try:
            data = signing_data(params).encode("utf-8")
        except UnicodeEncodeError as e:
            raise PaymentSignatureInvalid("the parameters are not valid UTF-8 text") from e
        return hmac.new(self._secret, data, hashlib.sha512).hexdigest()

    # --- the port -------------------------------------------------------------------------

    def start(
        self,
        payment: Payment,
        *,
        order_info: str,
        return_url: str,
        client_ip: str,
        now: dt.datetime,
        locale: str = "vi",
        expires_at: dt.datetime | None = None,
        bank_code: str | None = None,
    ) -> PaymentRedirect:
        """The signed VNPay payment URL for ``payment``; its ``vnp_TxnRef`` is ``txn_ref``.

        ``locale`` is "vi" or "en" (sent as VNPay's ``vn``/``en``); VNPay's own ``"vn"`` is
        still accepted for one release, with a DeprecationWarning. ``expires_at`` is
        ``vnp_ExpireDate`` (``now + expire_after`` when None); ``bank_code`` is
        ``vnp_BankCode`` (``VNPAYQR``, ``VNBANK``, ``INTCARD`` or a bank's code).
        """
        require_aware(now, "now")
        if payment.gateway != self.name:
            raise PaymentGatewayError(
                f"payment {payment.id} is for gateway {payment.gateway!r}, not {self.name!r}"
            )
        if not _TXN_REF.fullmatch(payment.txn_ref):
            raise PaymentGatewayError(
                f"VNPay needs a txn_ref of 1 to 100 letters, digits, '-' or '_', "
                f"not {payment.txn_ref!r}"
            )
        if locale == "vn":
            warnings.warn(
                "locale='vn' is deprecated: the library's locales are 'vi' and 'en', mapped "
                "to VNPay's own by the gateway",
                DeprecationWarning,
                stacklevel=2,
            )
            locale = "vi"
        gateway_locale = VNPAY_LOCALES.get(locale) if isinstance(locale, str) else None
        if gateway_locale is None:
            raise InvalidInput("locale", "must be 'vi' or 'en'", locale)
        try:
            ip = ipaddress.ip_address(client_ip.strip())
        except (ValueError, AttributeError) as e:
            raise InvalidInput("client_ip", "must be an IPv4 or IPv6 address", client_ip) from e
        _check_http_url(return_url, "the payment return URL")
        self.check_return_url(return_url)
        if bank_code is not None and (
            not isinstance(bank_code, str) or not _BANK_CODE.fullmatch(bank_code)
        ):
            raise InvalidInput(
                "bank_code", "must be VNPAYQR, VNBANK, INTCARD or a bank's code", bank_code
            )
        if expires_at is None:
            expires_at = now + self.expire_after
        require_aware(expires_at, "expires_at")
        if expires_at <= now:
            raise InvalidInput("expires_at", "must be after now", expires_at)
        local_now = now.astimezone(VN_TZ)
        params = {
            "vnp_Version": _VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(payment.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": payment.txn_ref,
            "vnp_OrderInfo": _plain_order_info(order_info, payment.txn_ref),
            "vnp_OrderType": self.order_type,
            "vnp_Locale": gateway_locale,
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": str(ip),
            "vnp_CreateDate": local_now.strftime(_DATE_FORMAT),
            "vnp_ExpireDate": expires_at.astimezone(VN_TZ).strftime(_DATE_FORMAT),
        }
        if bank_code:
            params["vnp_BankCode"] = bank_code
        query = f"{signing_data(params)}&{_HASH}={self.sign(params)}"
        return PaymentRedirect(url=f"{self.payment_url}?{query}", txn_ref=payment.txn_ref)

    def check_return_url(self, return_url: str) -> None:
        """ConfigurationError if VNPay's samples would sign ``return_url`` differently."""
        check_signable(return_url, "the payment return URL")

    def verify_callback(self, params: Mapping[str, str]) -> GatewayCallback:
        """Check the signature of a return redirect or IPN and read it.

        PaymentSignatureInvalid when the signature is missing or wrong (compared in constant
        time) and for anything that is not a mapping of valid Unicode text; PaymentGatewayError
        when a correctly signed callback is unreadable or meant for another terminal. No other
        error, whatever the input.
        """
        params = text_parameters(params)
        given = params.get(_HASH, "")
        if not given:
            raise PaymentSignatureInvalid(f"the callback carries no {_HASH}")
        odd = sorted(k for k in params if k.startswith("vnp_") and not _KEY.fullmatch(k))
        if odd:
            # A key with '=' or '&' in it could pass for two parameters in the signed text.
            raise PaymentSignatureInvalid(f"the callback has malformed parameter names {odd}")
        expected = self.sign(params)
        if not hmac.compare_digest(given.lower().encode("utf-8"), expected.encode("ascii")):
            raise PaymentSignatureInvalid("the callback's signature does not match its content")
        return self._read(params)

    def _read(self, params: Mapping[str, str]) -> GatewayCallback:
        def required(key: str) -> str:
            value = params.get(key, "")
            if not value:
                raise PaymentGatewayError(f"the VNPay callback has no {key}")
            return value

        tmn_code = required("vnp_TmnCode")
        if tmn_code != self.tmn_code:
            raise PaymentGatewayError(
                f"the callback is for terminal {tmn_code!r}, this gateway is {self.tmn_code!r}"
            )
        txn_ref = required("vnp_TxnRef")
        raw_amount = required("vnp_Amount")
        if not _AMOUNT.fullmatch(raw_amount) or int(raw_amount) % 100:
            raise PaymentGatewayError(f"vnp_Amount must be whole VND times 100, not {raw_amount!r}")
        response_code = required("vnp_ResponseCode")
        status = params.get("vnp_TransactionStatus", "")
        return _callback(params, txn_ref, int(raw_amount) // 100, response_code, status)

    def query(self, payment: Payment, *, now: dt.datetime) -> GatewayCallback | None:
        """Ask VNPay's merchant API (``querydr``) what became of ``payment``.

        None when VNPay has no such transaction (``91``). PaymentGatewayError when VNPay
        cannot be reached, refuses the request, or answers with a response whose signature
        does not verify or that names another terminal, payment or command.
        """
        require_aware(now, "now")
        request = {
            "vnp_RequestId": _request_id(_vn_date(now)),
            "vnp_Version": _VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": payment.txn_ref,
            "vnp_OrderInfo": f"Truy van giao dich {payment.txn_ref}",
            "vnp_TransactionDate": _vn_date(payment.created_at),
            "vnp_CreateDate": _vn_date(now),
            "vnp_IpAddr": self.server_ip,
        }
        request["vnp_SecureHash"] = pipe_hash(self._secret, request, _QUERY_REQUEST)
        response = self._post(request, _QUERY_RESPONSE, payment)
        code = response["vnp_ResponseCode"]
        if code == _NOT_FOUND:
            return None
        if code != "00":
            raise PaymentGatewayError(f"VNPay refused the query: {code} {response['vnp_Message']}")
        raw_amount = response["vnp_Amount"]
        if not _AMOUNT.fullmatch(raw_amount) or int(raw_amount) % 100:
            raise PaymentGatewayError(f"vnp_Amount must be whole VND times 100, not {raw_amount!r}")
        status = response["vnp_TransactionStatus"]
        if status == _UNFINISHED_STATUS:
            pay_code = "24"  # never paid: the payer left the page (cancelled)
        elif status == "00":
            pay_code = "00"
        elif status in _REVIEW_STATUSES or status in _REFUND_STATUSES:
            pay_code = "07" if status in {"07", *_REFUND_STATUSES} else "00"
        else:
            pay_code = "99"
        return _callback(response, payment.txn_ref, int(raw_amount) // 100, pay_code, status)

    def refund(
        self,
        payment: Payment,
        *,
        request_id: str,
        amount: int,
        requested_by: str,
        now: dt.datetime,
    ) -> RefundReceipt:
        """Ask VNPay's merchant API to refund ``amount`` VND of ``payment`` (``refund``).

        A full refund is ``vnp_TransactionType`` ``02``, a partial one ``03``. The same
        ``request_id`` (``vnp_RequestId``) is the same request. PaymentGatewayError when
        VNPay cannot be reached, answers something that does not verify or is not sure;
        RefundRefused when it refuses for good (see ``_REFUND_REFUSED_FOR_GOOD``).
        """
        require_aware(now, "now")
        if not _TXN_REF.fullmatch(request_id) or len(request_id) > 32:
            raise InvalidInput(
                "request_id", "must be 1 to 32 letters, digits, '-' or '_'", request_id
            )
        request = {
            "vnp_RequestId": request_id,
            "vnp_Version": _VERSION,
            "vnp_Command": "refund",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionType": "02" if amount == payment.amount else "03",
            "vnp_TxnRef": payment.txn_ref,
            "vnp_Amount": str(amount * 100),
            "vnp_OrderInfo": f"Hoan tien {payment.txn_ref}",
            "vnp_TransactionNo": payment.gateway_transaction_id or "",
            "vnp_TransactionDate": _vn_date(payment.created_at),
            "vnp_CreateBy": _plain_order_info(requested_by, "onestop")[:250],
            "vnp_CreateDate": _vn_date(now),
            "vnp_IpAddr": self.server_ip,
        }
        request["vnp_SecureHash"] = pipe_hash(self._secret, request, _REFUND_REQUEST)
        response = self._post(request, _REFUND_RESPONSE, payment)
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
        return RefundReceipt(request_id=request_id, amount=amount, transaction_no=number)

    def _post(
        self, request: Mapping[str, str], signed: tuple[str, ...], payment: Payment
    ) -> dict[str, str]:
        """POST ``request`` to the merchant API; the verified response, as text values."""
        return post(
            request,
            signed,
            api_url=self.api_url,
            timeout=self.timeout,
            secret=self._secret,
            gateway=self.name,
            tmn_code=self.tmn_code,
            txn_ref=payment.txn_ref,
        )

    def ipn_reply(self, result: CallbackResult | None) -> dict[str, str]:
        """The JSON body VNPay expects in answer to an IPN (None: it could not be handled).

        Used by :meth:`PaymentService.handle_ipn
        <onestop.application.payments.PaymentService.handle_ipn>`.
        """
        if result is None:
            code, message = _UNKNOWN_ERROR
            return {"RspCode": code, "Message": message}
        return ipn_reply(result)

    # --- rehearsals -----------------------------------------------------------------------

    def callback_for(
        self,
        payment_url: str,
        *,
        response_code: str = "00",
        transaction_status: str | None = None,
        amount: int | None = None,
        transaction_no: str = "14000001",
        bank_code: str = "NCB",
    ) -> dict[str, str]:
        """The callback VNPay would send for a URL this gateway built, signed like VNPay's.

        For tests, examples and sandbox rehearsals: ``amount`` (VND) overrides the amount,
        ``transaction_status`` defaults to ``response_code``.
        """
        query = urllib.parse.urlsplit(payment_url).query
        request = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if not hmac.compare_digest(request.get(_HASH, "").encode(), self.sign(request).encode()):
            raise PaymentGatewayError("that payment URL was not built by this gateway")
        params = {
            "vnp_Amount": str(amount * 100) if amount is not None else request["vnp_Amount"],
            "vnp_BankCode": bank_code,
            "vnp_BankTranNo": f"VNP{transaction_no}" if response_code == "00" else "",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": request["vnp_OrderInfo"],
            "vnp_PayDate": request["vnp_CreateDate"],
            "vnp_ResponseCode": response_code,
            "vnp_TmnCode": request["vnp_TmnCode"],
            "vnp_TransactionNo": transaction_no if response_code == "00" else "0",
            "vnp_TransactionStatus": transaction_status or response_code,
            "vnp_TxnRef": request["vnp_TxnRef"],
        }
        params = {k: v for k, v in params.items() if v}
        params[_HASH] = self.sign(params)
        return params


# --- the IPN reply ----------------------------------------------------------------------------


def ipn_reply(result: CallbackResult) -> dict[str, str]:
    """The JSON body VNPay expects in answer to an IPN, for what handling it did."""
    code, message = IPN_REPLIES.get(result.status, _UNKNOWN_ERROR)
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
        code, message = _UNKNOWN_ERROR
        return {"RspCode": code, "Message": message}
    return ipn_reply(result)


# --- helpers ----------------------------------------------------------------------------------


def _masked_ref(params: object) -> str:
    """The callback's ``vnp_TxnRef`` masked for a log line, whatever ``params`` is."""
    try:
        reference = params.get("vnp_TxnRef") if isinstance(params, Mapping) else None
    except Exception:  # a foreign Mapping may fail in any way
        reference = None
    return mask(reference)


def _callback(
    params: Mapping[str, str], txn_ref: str, amount: int, response_code: str, status: str
) -> GatewayCallback:
    """A callback or query answer as the port reads it, with what VNPay told about it."""
    if response_code == "00" and status == "00":
        outcome, reason = PaymentOutcome.PAID, None
    else:
        if response_code in _REVIEW_CODES or status in _REVIEW_STATUSES:
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
        return dt.datetime.strptime(text, _DATE_FORMAT).replace(tzinfo=VN_TZ)
    except ValueError:
        return None


def _vn_date(instant: dt.datetime) -> str:
    return instant.astimezone(VN_TZ).strftime(_DATE_FORMAT)


def _plain_order_info(text: str, fallback_ref: str) -> str:
    """Order info as VNPay wants it: no diacritics, no special characters, 255 at most."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = " ".join(_ORDER_INFO_CHARS.sub(" ", bare).split())[:_ORDER_INFO_MAX].strip()
    return cleaned or f"Thanh toan {fallback_ref}"


def _check_http_url(url: object, what: str) -> None:
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigurationError(f"{what} must be an http(s) URL, not {url!r}")
