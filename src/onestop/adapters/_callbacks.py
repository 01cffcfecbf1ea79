"""What every payment gateway adapter checks first in a callback: that it is readable text.

A callback is what a stranger's browser (the return redirect) or a server we do not control
(the IPN) sent: the host hands over whatever its web framework parsed, which may be ``None``,
a list, a mapping with numbers in it or text holding a lone surrogate. :func:`text_parameters`
turns it into a plain ``dict[str, str]`` of valid Unicode, or refuses it with
:class:`~onestop.errors.PaymentSignatureInvalid`: nothing that is not text can carry a valid
signature, so the gateway answers it as it answers a forged one.

:func:`check_start` is what every gateway's ``start`` checks first: an aware ``now`` and a
payment meant for this gateway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

from onestop.domain.codes import require_aware
from onestop.domain.inputs import is_valid_unicode
from onestop.domain.payments import Payment
from onestop.errors import PaymentGatewayError, PaymentSignatureInvalid

__all__ = ["MAX_PARAMETERS", "MAX_PARAMETER_LENGTH", "check_start", "text_parameters"]

#: More parameters than any gateway sends (VNPay sends about a dozen).
MAX_PARAMETERS: Final = 100
#: Longest key or value accepted, in characters (a return URL or order info is far shorter).
MAX_PARAMETER_LENGTH: Final = 4096


def text_parameters(params: object) -> dict[str, str]:
    """``params`` as a plain dict of valid Unicode text; PaymentSignatureInvalid otherwise."""
    if not isinstance(params, Mapping):
        raise PaymentSignatureInvalid(
            f"the callback's parameters must be a mapping of text, not {type(params).__name__}"
        )
    try:
        items = list(params.items())
    except Exception as e:  # a foreign Mapping may fail in any way while being read
        raise PaymentSignatureInvalid("the callback's parameters cannot be read") from e
    if len(items) > MAX_PARAMETERS:
        raise PaymentSignatureInvalid(
            f"the callback has {len(items)} parameters, more than {MAX_PARAMETERS}"
        )
    checked: dict[str, str] = {}
    for key, value in items:
        if not isinstance(key, str) or not isinstance(value, str):
            raise PaymentSignatureInvalid("the callback's parameter names and values must be text")
        # Plain str copies: a str subclass may override the methods signing relies on.
        key, value = str.__str__(key), str.__str__(value)
        if max(len(key), len(value)) > MAX_PARAMETER_LENGTH:
            raise PaymentSignatureInvalid(
                f"a callback parameter is longer than {MAX_PARAMETER_LENGTH} characters"
            )
        if not (is_valid_unicode(key) and is_valid_unicode(value)):
            raise PaymentSignatureInvalid(
                "the callback's parameters must be valid Unicode (one holds a lone surrogate)"
            )
        checked[key] = value
    return checked


def check_start(payment: Payment, *, gateway: str, now: dt.datetime) -> None:
    """Refuse to start ``payment`` on ``gateway`` unless it is meant for it and ``now`` is aware."""
    require_aware(now, "now")
    if payment.gateway != gateway:
        raise PaymentGatewayError(
            f"payment {payment.id} is for gateway {payment.gateway!r}, not {gateway!r}"
        )
