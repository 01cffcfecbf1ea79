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

The hash secret and the terminal code come from the host's configuration: constructor
arguments, or :meth:`VnpayGateway.from_env` (``ONESTOP_VNPAY_TMN_CODE``,
``ONESTOP_VNPAY_HASH_SECRET``, ``ONESTOP_VNPAY_URL``). None is written in this module.
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
import urllib.parse
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from onestop.adapters._callbacks import text_parameters
from onestop.application.payments import CallbackResult, CallbackStatus
from onestop.application.security_log import mask
from onestop.domain.codes import VN_TZ, require_aware
from onestop.domain.payments import Payment, PaymentOutcome
from onestop.errors import (
    ConfigurationError,
    InvalidInput,
    PaymentGatewayError,
    PaymentSignatureInvalid,
)
from onestop.ports.edges import GatewayCallback, PaymentRedirect

if TYPE_CHECKING:
    from onestop.application.payments import PaymentService

__all__ = [
    "IPN_REPLIES",
    "RESPONSE_CODES",
    "SANDBOX_URL",
    "VNPAY_ENV",
    "VNPAY_LOCALES",
    "VnpayGateway",
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
}

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
    CallbackStatus.NOT_FOUND: ("01", "Order not found"),
    CallbackStatus.ALREADY_CONFIRMED: ("02", "Order already confirmed"),
    CallbackStatus.AMOUNT_MISMATCH: ("04", "Invalid amount"),
    CallbackStatus.INVALID_SIGNATURE: ("97", "Invalid signature"),
}
_UNKNOWN_ERROR: Final = ("99", "Unknown error")

_VERSION: Final = "2.1.0"
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
    ``payment_url`` VNPay's payment page (:data:`SANDBOX_URL` for tests). The payer has
    ``expire_after`` to pay (``vnp_ExpireDate``); ``order_type`` is VNPay's goods category.
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
        if not isinstance(expire_after, dt.timedelta) or expire_after <= dt.timedelta(0):
            raise ConfigurationError("expire_after must be a positive duration")
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError("a payment gateway needs a non-empty name")
        self.name = name
        self.tmn_code = tmn_code
        self.payment_url = payment_url
        self.order_type = order_type.strip()
        self.expire_after = expire_after
        self._secret = hash_secret

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> VnpayGateway:
        """A gateway configured by ``ONESTOP_VNPAY_*`` variables (all three required).

        Keyword ``overrides`` (``order_type=``, ``expire_after=``, ...) are passed on.
        """
        env = os.environ if environ is None else environ
        missing = [var for var in VNPAY_ENV.values() if not env.get(var, "").strip()]
        if missing:
            raise ConfigurationError(f"set {', '.join(missing)} to take payments through VNPay")
        settings = {name: env[var].strip() for name, var in VNPAY_ENV.items()}
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
    ) -> PaymentRedirect:
        """The signed VNPay payment URL for ``payment``; its ``vnp_TxnRef`` is ``txn_ref``.

        ``locale`` is "vi" or "en" (sent as VNPay's ``vn``/``en``); VNPay's own ``"vn"`` is
        still accepted for one release, with a DeprecationWarning.
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
            "vnp_ExpireDate": (local_now + self.expire_after).strftime(_DATE_FORMAT),
        }
        query = f"{signing_data(params)}&{_HASH}={self.sign(params)}"
        return PaymentRedirect(url=f"{self.payment_url}?{query}", txn_ref=payment.txn_ref)

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
        transaction_no = params.get("vnp_TransactionNo", "")
        if response_code == "00" and status == "00":
            outcome, reason = PaymentOutcome.PAID, None
        else:
            outcome = (
                PaymentOutcome.CANCELLED
                if response_code in _CANCELLED_CODES
                else PaymentOutcome.FAILED
            )
            meaning = RESPONSE_CODES.get(response_code, "an unknown response code")
            shown = f", transaction status {status}" if status else ""
            reason = f"VNPay {response_code}: {meaning}{shown}"
        return GatewayCallback(
            txn_ref=txn_ref,
            outcome=outcome,
            amount=int(raw_amount) // 100,
            gateway_transaction_id=transaction_no if transaction_no.strip("0") else None,
            reason=reason,
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
