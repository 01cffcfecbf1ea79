"""A payment gateway for tests and examples: no network, callbacks made on demand.

:class:`FakePaymentGateway` answers ``start`` with a ``fake-pay://checkout?...`` URL and
remembers the payment. A test (or an example standing in for the payer) then asks it for
the callback the gateway would send: :meth:`~FakePaymentGateway.complete` (paid),
:meth:`~FakePaymentGateway.fail` or :meth:`~FakePaymentGateway.abandon`. Callbacks are
signed with HMAC-SHA256 like a real gateway's, so :meth:`~FakePaymentGateway.verify_callback`
refuses any that was changed on the way.

The gateway remembers what it said: :meth:`~FakePaymentGateway.query` answers with the last
callback made for a payment (a callback a test drops is a lost IPN), and
:meth:`~FakePaymentGateway.refund` refunds once per request id. Setting ``available`` to
False makes both fail as a gateway that cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import re
import threading
import urllib.parse
from collections.abc import Mapping

import attrs

from onestop.adapters._callbacks import check_start, text_parameters
from onestop.domain.codes import require_aware
from onestop.domain.payments import Payment, PaymentOutcome
from onestop.errors import (
    ConfigurationError,
    PaymentGatewayError,
    PaymentSignatureInvalid,
    RefundRefused,
)
from onestop.ports.edges import GatewayCallback, PaymentRedirect, RefundReceipt

__all__ = ["FakePaymentGateway", "StartedPayment"]

_SIGNATURE = "signature"
_FIELDS = frozenset({"txn_ref", "amount", "outcome", "transaction_id", "reason"})


@attrs.frozen
class StartedPayment:
    """What the fake gateway was asked to collect."""

    txn_ref: str
    amount: int
    payment_id: str
    order_info: str
    return_url: str
    client_ip: str
    locale: str
    started_at: dt.datetime
    expires_at: dt.datetime | None = None
    bank_code: str | None = None


class FakePaymentGateway:
    """An in-process stand-in for a payment gateway such as VNPay; thread-safe."""

    def __init__(self, name: str = "fake", secret: bytes = b"fake-gateway-secret-key") -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError("a payment gateway needs a non-empty name")
        if not isinstance(secret, bytes) or not secret:
            raise ConfigurationError("the fake gateway's secret must be non-empty bytes")
        self.name = name
        self._secret = secret
        self._lock = threading.Lock()
        self._started: dict[str, StartedPayment] = {}
        self._transaction_numbers = itertools.count(1)
        self._outcomes: dict[str, GatewayCallback] = {}
        self._refunds: dict[str, tuple[str, RefundReceipt]] = {}  # request id: txn_ref, receipt
        #: False: query and refund fail as if the gateway could not be reached.
        self.available = True

    def __repr__(self) -> str:
        return f"FakePaymentGateway(name={self.name!r})"

    @property
    def started(self) -> dict[str, StartedPayment]:
        """The payments started so far, by ``txn_ref`` (a copy)."""
        with self._lock:
            return dict(self._started)

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
        """The checkout URL for ``payment``; starting the same payment again gives the same URL."""
        check_start(payment, gateway=self.name, now=now)
        started = StartedPayment(
            txn_ref=payment.txn_ref,
            amount=payment.amount,
            payment_id=payment.id,
            order_info=order_info,
            return_url=return_url,
            client_ip=client_ip,
            locale=locale,
            started_at=now,
            expires_at=expires_at,
            bank_code=bank_code,
        )
        with self._lock:
            earlier = self._started.setdefault(payment.txn_ref, started)
        if (earlier.payment_id, earlier.amount) != (payment.id, payment.amount):
            raise PaymentGatewayError(
                f"txn_ref {payment.txn_ref!r} was already used for another payment or amount"
            )
        query = urllib.parse.urlencode({"txn_ref": payment.txn_ref, "amount": payment.amount})
        return PaymentRedirect(url=f"fake-pay://checkout?{query}", txn_ref=payment.txn_ref)

    # --- what a test drives --------------------------------------------------------------

    def complete(self, txn_ref: str, *, amount: int | None = None) -> dict[str, str]:
        """The signed callback saying the payer paid (``amount`` overrides, to test mismatches)."""
        started = self._get(txn_ref)
        with self._lock:
            number = next(self._transaction_numbers)
        return self._callback(
            started,
            PaymentOutcome.PAID,
            amount=started.amount if amount is None else amount,
            transaction_id=f"FAKE{number:08d}",
        )

    def review(
        self, txn_ref: str, *, reason: str = "money taken, suspected fraud"
    ) -> dict[str, str]:
        """The signed callback saying money moved without a clean payment (VNPay ``07``)."""
        started = self._get(txn_ref)
        with self._lock:
            number = next(self._transaction_numbers)
        return self._callback(
            started, PaymentOutcome.REVIEW, transaction_id=f"FAKE{number:08d}", reason=reason
        )

    def fail(self, txn_ref: str, *, reason: str = "the card was declined") -> dict[str, str]:
        """The signed callback saying the payment failed."""
        return self._callback(self._get(txn_ref), PaymentOutcome.FAILED, reason=reason)

    def abandon(self, txn_ref: str, *, reason: str = "the payer cancelled") -> dict[str, str]:
        """The signed callback saying the payer gave up."""
        return self._callback(self._get(txn_ref), PaymentOutcome.CANCELLED, reason=reason)

    def _get(self, txn_ref: str) -> StartedPayment:
        with self._lock:
            started = self._started.get(txn_ref)
        if started is None:
            raise PaymentGatewayError(f"the fake gateway never started a payment {txn_ref!r}")
        return started

    def _callback(
        self,
        started: StartedPayment,
        outcome: PaymentOutcome,
        *,
        amount: int | None = None,
        transaction_id: str | None = None,
        reason: str | None = None,
    ) -> dict[str, str]:
        params = {
            "txn_ref": started.txn_ref,
            "amount": str(started.amount if amount is None else amount),
            "outcome": outcome.value,
        }
        if transaction_id is not None:
            params["transaction_id"] = transaction_id
        if reason is not None:
            params["reason"] = reason
        params[_SIGNATURE] = self._sign(params)
        with self._lock:
            self._outcomes[started.txn_ref] = GatewayCallback(
                txn_ref=started.txn_ref,
                outcome=outcome,
                amount=int(params["amount"]),
                gateway_transaction_id=transaction_id,
                reason=reason,
                paid_at=started.started_at if outcome is PaymentOutcome.PAID else None,
                bank_code=started.bank_code or "FAKEBANK",
                card_type="ATM",
            )
        return params

    def _sign(self, params: Mapping[str, str]) -> str:
        # Sorted, URL-encoded key=value pairs: no two parameter sets sign the same text.
        signed = urllib.parse.urlencode(
            sorted((k, v) for k, v in params.items() if k != _SIGNATURE)
        )
        return hmac.new(self._secret, signed.encode("utf-8"), hashlib.sha256).hexdigest()

    # --- the port ------------------------------------------------------------------------

    def verify_callback(self, params: Mapping[str, str]) -> GatewayCallback:
        """Check the callback's signature and read it; PaymentSignatureInvalid if forged.

        Any input at all is answered with PaymentSignatureInvalid (not text, forged) or
        PaymentGatewayError (signed but unreadable), never another error.
        """
        params = text_parameters(params)
        signature = params.get(_SIGNATURE)
        if signature is None:
            raise PaymentSignatureInvalid("the callback carries no signature")
        if not hmac.compare_digest(signature.encode("utf-8"), self._sign(params).encode("ascii")):
            raise PaymentSignatureInvalid("the callback's signature does not match its content")
        unknown = sorted(set(params) - _FIELDS - {_SIGNATURE})
        if unknown or not {"txn_ref", "amount", "outcome"} <= set(params):
            raise PaymentGatewayError(f"unexpected callback parameters {sorted(params)}")
        if not re.fullmatch(r"[0-9]{1,18}", params["amount"], flags=re.ASCII):
            raise PaymentGatewayError(
                f"the callback's amount must be whole VND, not {params['amount']!r}"
            )
        try:
            outcome = PaymentOutcome(params["outcome"])
        except ValueError as e:
            raise PaymentGatewayError(f"unreadable callback: {e}") from e
        return GatewayCallback(
            txn_ref=params["txn_ref"],
            outcome=outcome,
            amount=int(params["amount"]),
            gateway_transaction_id=params.get("transaction_id"),
            reason=params.get("reason"),
        )

    def query(self, payment: Payment, *, now: dt.datetime) -> GatewayCallback | None:
        """The last callback made for ``payment`` (None: the payer never got that far)."""
        require_aware(now, "now")
        if not self.available:
            raise PaymentGatewayError("the fake gateway is unavailable")
        with self._lock:
            known = payment.txn_ref in self._started
            return self._outcomes.get(payment.txn_ref) if known else None

    def refund(
        self,
        payment: Payment,
        *,
        request_id: str,
        amount: int,
        requested_by: str,
        now: dt.datetime,
    ) -> RefundReceipt:
        """Refund ``amount`` of a paid (or reviewed) payment once per ``request_id``.

        RefundRefused (for good) when no money was taken or the amount is more than what
        is left; PaymentGatewayError when ``available`` is False.
        """
        require_aware(now, "now")
        if not self.available:
            raise PaymentGatewayError("the fake gateway is unavailable")
        with self._lock:
            earlier = self._refunds.get(request_id)
            if earlier is not None:
                return earlier[1]
            outcome = self._outcomes.get(payment.txn_ref)
            if outcome is None or outcome.outcome not in (
                PaymentOutcome.PAID,
                PaymentOutcome.REVIEW,
            ):
                raise RefundRefused("91", f"no money was taken for {payment.txn_ref!r}")
            refunded = sum(r.amount for ref, r in self._refunds.values() if ref == payment.txn_ref)
            if amount > outcome.amount - refunded:
                raise RefundRefused("93", "the refund is more than what is left of the payment")
            number = next(self._transaction_numbers)
            receipt = RefundReceipt(request_id, amount, f"FAKER{number:08d}")
            self._refunds[request_id] = (payment.txn_ref, receipt)
        return receipt

    @property
    def refunds(self) -> list[RefundReceipt]:
        """The refunds carried out so far, oldest first."""
        with self._lock:
            return [receipt for _, receipt in self._refunds.values()]
