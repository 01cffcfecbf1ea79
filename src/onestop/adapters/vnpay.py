"""VNPay payments, protocol 2.1.0 (DOMAIN section 6): the signed payment URL and callbacks.

:class:`VnpayGateway` implements the payment port. :meth:`~VnpayGateway.start` builds the
URL the payer is sent to; :meth:`~VnpayGateway.verify_callback` checks and reads what VNPay
sends back, both the payer's return redirect and the server-to-server IPN (the same
parameters, the same signature). :func:`ipn_reply` is the JSON reply VNPay expects to an IPN
(:meth:`PaymentService.handle_ipn <onestop.application.payments.PaymentService.handle_ipn>`
sends it; :func:`handle_ipn` is its deprecated forerunner).

The signature (:func:`signing_data`, HMAC-SHA512 under the merchant's hash secret) and the
characters VNPay's samples sign alike (:func:`check_signable`) are told in
:mod:`onestop.adapters._vnpay_signing`; reading callbacks and the IPN reply in
:mod:`onestop.adapters._vnpay_callbacks`.

The merchant API (``api_url``, ``ONESTOP_VNPAY_API_URL``) answers
:meth:`~VnpayGateway.query` (``querydr``) and :meth:`~VnpayGateway.refund` (``refund``):
JSON POSTs signed with HMAC-SHA512 over the ``|``-joined fields in VNPay's order, whose
responses are signed the same way and refused unless they verify and name the payment asked
about (:mod:`onestop.adapters._vnpay_merchant_api`).

The hash secret and the terminal code come from the host's configuration: constructor
arguments, or :meth:`VnpayGateway.from_env` (``ONESTOP_VNPAY_TMN_CODE``,
``ONESTOP_VNPAY_HASH_SECRET``, ``ONESTOP_VNPAY_URL``, ``ONESTOP_VNPAY_API_URL``). None is
written in this module.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import os
import re
import urllib.parse
import warnings
from collections.abc import Mapping
from typing import Final

from onestop.adapters._callbacks import check_start, text_parameters
from onestop.adapters._vnpay_callbacks import (
    IPN_REPLIES,
    RESPONSE_CODES,
    UNKNOWN_ERROR,
    handle_ipn,
    ipn_reply,
    read_callback,
)
from onestop.adapters._vnpay_merchant_api import (
    QUERY_RESPONSE,
    REFUND_RESPONSE,
    post,
    query_request,
    read_query_answer,
    read_refund_answer,
    refund_request,
)
from onestop.adapters._vnpay_signing import (
    HASH,
    PARAMETER_NAME,
    TXN_REF,
    VERSION,
    check_http_url,
    check_signable,
    plain_order_info,
    sign,
    signing_data,
    vn_date,
)
from onestop.application.payments import CallbackResult
from onestop.domain.codes import require_aware
from onestop.domain.payments import Payment
from onestop.errors import (
    ConfigurationError,
    InvalidInput,
    PaymentGatewayError,
    PaymentSignatureInvalid,
)
from onestop.ports.edges import GatewayCallback, PaymentRedirect, RefundReceipt

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

#: The library's locales ("vi", "en") as VNPay writes them in ``vnp_Locale``.
VNPAY_LOCALES: Final[Mapping[str, str]] = {"vi": "vn", "en": "en"}
_TMN_CODE: Final = re.compile(r"[A-Za-z0-9]{1,20}")
_BANK_CODE: Final = re.compile(r"[A-Z0-9_]{2,20}")


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
        check_http_url(payment_url, "the VNPay payment URL")
        if not isinstance(order_type, str) or not order_type.strip():
            raise ConfigurationError("the VNPay order type must be non-empty")
        check_signable(order_type, "the VNPay order type")
        if api_url is not None:
            check_http_url(api_url, "the VNPay merchant API URL")
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
        return sign(self._secret, params)

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
        check_start(payment, gateway=self.name, now=now)
        if not TXN_REF.fullmatch(payment.txn_ref):
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
        check_http_url(return_url, "the payment return URL")
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
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(payment.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": payment.txn_ref,
            "vnp_OrderInfo": plain_order_info(order_info, payment.txn_ref),
            "vnp_OrderType": self.order_type,
            "vnp_Locale": gateway_locale,
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": str(ip),
            "vnp_CreateDate": vn_date(now),
            "vnp_ExpireDate": vn_date(expires_at),
        }
        if bank_code:
            params["vnp_BankCode"] = bank_code
        query = f"{signing_data(params)}&{HASH}={self.sign(params)}"
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
        given = params.get(HASH, "")
        if not given:
            raise PaymentSignatureInvalid(f"the callback carries no {HASH}")
        odd = sorted(k for k in params if k.startswith("vnp_") and not PARAMETER_NAME.fullmatch(k))
        if odd:
            # A key with '=' or '&' in it could pass for two parameters in the signed text.
            raise PaymentSignatureInvalid(f"the callback has malformed parameter names {odd}")
        expected = self.sign(params)
        if not hmac.compare_digest(given.lower().encode("utf-8"), expected.encode("ascii")):
            raise PaymentSignatureInvalid("the callback's signature does not match its content")
        return read_callback(params, tmn_code=self.tmn_code)

    def query(self, payment: Payment, *, now: dt.datetime) -> GatewayCallback | None:
        """Ask VNPay's merchant API (``querydr``) what became of ``payment``.

        None when VNPay has no such transaction (``91``). PaymentGatewayError when VNPay
        cannot be reached, refuses the request, or answers with a response whose signature
        does not verify or that names another terminal, payment or command.
        """
        require_aware(now, "now")
        request = query_request(
            self._secret, payment, tmn_code=self.tmn_code, server_ip=self.server_ip, now=now
        )
        return read_query_answer(self._post(request, QUERY_RESPONSE, payment), payment.txn_ref)

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
        RefundRefused when it refuses for good (02, 03, 04, 13, 91, 93, 95).
        """
        require_aware(now, "now")
        if not TXN_REF.fullmatch(request_id) or len(request_id) > 32:
            raise InvalidInput(
                "request_id", "must be 1 to 32 letters, digits, '-' or '_'", request_id
            )
        request = refund_request(
            self._secret,
            payment,
            request_id=request_id,
            amount=amount,
            requested_by=requested_by,
            tmn_code=self.tmn_code,
            server_ip=self.server_ip,
            now=now,
        )
        response = self._post(request, REFUND_RESPONSE, payment)
        return read_refund_answer(response, request, amount=amount)

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
            code, message = UNKNOWN_ERROR
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
        if not hmac.compare_digest(request.get(HASH, "").encode(), self.sign(request).encode()):
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
        params[HASH] = self.sign(params)
        return params
