"""VNPay's payment signature (protocol 2.1.0) and the shape of what we send it.

Private to :mod:`onestop.adapters.vnpay`, which re-exports :func:`signing_data` and
:func:`check_signable`.

The signature: take the non-empty ``vnp_*`` parameters except ``vnp_SecureHash`` and
``vnp_SecureHashType``, sort them by key, write each as ``key=value`` with the value
form-urlencoded (UTF-8, space as ``+``, as :func:`urllib.parse.quote_plus` does), join them
with ``&``, and take the HMAC-SHA512 of that text under the merchant's hash secret, in hex
(:func:`sign`).

Values we control are kept to the characters on which VNPay's samples in every language
sign alike: ``~ * ! ' ( )`` and non-ASCII text in the return URL or the order type are
refused when the gateway is configured (:func:`check_signable`); order info loses its
diacritics and special characters (:func:`plain_order_info`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
import urllib.parse
from collections.abc import Mapping
from typing import Final

from onestop.domain.codes import VN_TZ
from onestop.errors import ConfigurationError, PaymentSignatureInvalid

__all__ = [
    "DATE_FORMAT",
    "HASH",
    "PARAMETER_NAME",
    "TXN_REF",
    "VERSION",
    "check_http_url",
    "check_signable",
    "plain_order_info",
    "sign",
    "signing_data",
    "vn_date",
]

VERSION: Final = "2.1.0"
#: The parameter that carries the signature.
HASH: Final = "vnp_SecureHash"
_UNSIGNED: Final = frozenset({HASH, "vnp_SecureHashType"})
#: A well-formed ``vnp_*`` parameter name (no ``=`` or ``&`` to pass for two parameters).
PARAMETER_NAME: Final = re.compile(r"vnp_[A-Za-z0-9_]+")
#: A ``vnp_TxnRef`` (and the shape of a ``vnp_RequestId``).
TXN_REF: Final = re.compile(r"[A-Za-z0-9_-]{1,100}")
#: Dates as VNPay writes them: yyyyMMddHHmmss, Vietnam time.
DATE_FORMAT: Final = "%Y%m%d%H%M%S"
_ORDER_INFO_CHARS: Final = re.compile(r"[^A-Za-z0-9 .,:_-]+")
_ORDER_INFO_MAX: Final = 255
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


def sign(secret: bytes, params: Mapping[str, str]) -> str:
    """The ``vnp_SecureHash`` of ``params``: HMAC-SHA512 of :func:`signing_data`, in hex."""
    try:
        data = signing_data(params).encode("utf-8")
    except UnicodeEncodeError as e:
        raise PaymentSignatureInvalid("the parameters are not valid UTF-8 text") from e
    return hmac.new(secret, data, hashlib.sha512).hexdigest()


def vn_date(instant: dt.datetime) -> str:
    """``instant`` as VNPay writes dates (:data:`DATE_FORMAT`, Vietnam time)."""
    return instant.astimezone(VN_TZ).strftime(DATE_FORMAT)


def plain_order_info(text: str, fallback_ref: str) -> str:
    """Order info as VNPay wants it: no diacritics, no special characters, 255 at most."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = " ".join(_ORDER_INFO_CHARS.sub(" ", bare).split())[:_ORDER_INFO_MAX].strip()
    return cleaned or f"Thanh toan {fallback_ref}"


def check_http_url(url: object, what: str) -> None:
    """ConfigurationError unless ``url`` is an http(s) URL with a host."""
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigurationError(f"{what} must be an http(s) URL, not {url!r}")
