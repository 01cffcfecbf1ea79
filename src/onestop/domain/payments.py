"""Payments of a dossier's fees through a gateway (DOMAIN section 6).

A payment is started (PENDING) and then settles once: CONFIRMED, FAILED or ABANDONED.
Settling twice is a no-op that reports the payment was already settled, never a second
confirmation, with one exception: money is never lost, so a payment the portal abandoned
(expired, replaced by a new one, or cancelled) that the gateway then reports as paid becomes
CONFIRMED; the application counts it on the dossier, or keeps it on record for a refund when
the dossier no longer owes it.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from onestop.domain.codes import require_aware
from onestop.domain.inputs import require_datetime, require_text
from onestop.domain.money import MAX_VND
from onestop.errors import InvalidInput, InvalidMoney, PaymentAmountMismatch, TransitionNotAllowed

__all__ = ["Payment", "PaymentOutcome", "PaymentState"]


class PaymentState(enum.Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    ABANDONED = "abandoned"


class PaymentOutcome(enum.Enum):
    """What a gateway says happened to a payment."""

    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _check_amount(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_VND:
        raise InvalidMoney(
            "payment.amount", f"must be a whole number of VND from 1 to {MAX_VND}", value
        )


def _text(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    require_text(value, f"payment.{attribute.name}")


def _optional_text(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    # Only the type: these hold what a gateway sent, kept as it came for the record.
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"payment.{attribute.name}", "must be text or None", value)


def _instant(_: object, attribute: attrs.Attribute[dt.datetime], value: dt.datetime) -> None:
    require_datetime(value, f"payment.{attribute.name}")


def _optional_instant(
    _: object, attribute: attrs.Attribute[dt.datetime | None], value: dt.datetime | None
) -> None:
    if value is not None:
        require_datetime(value, f"payment.{attribute.name}")


def _state(_: object, attribute: attrs.Attribute[PaymentState], value: PaymentState) -> None:
    if not isinstance(value, PaymentState):
        raise InvalidInput("payment.state", "must be a PaymentState", value)


def _version(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("payment.version", "must be a whole number, 0 or more", value)


@attrs.define(eq=False)
class Payment:
    """One attempt to pay ``amount`` VND for dossier ``dossier_id`` through ``gateway``.

    ``txn_ref`` is the unique reference the gateway knows the payment by (``vnp_TxnRef``).
    """

    id: str = attrs.field(validator=_text)
    dossier_id: str = attrs.field(validator=_text)
    amount: int = attrs.field(validator=_check_amount)
    gateway: str = attrs.field(validator=_text)
    txn_ref: str = attrs.field(validator=_text)
    created_at: dt.datetime = attrs.field(validator=_instant)
    state: PaymentState = attrs.field(default=PaymentState.PENDING, validator=_state)
    settled_at: dt.datetime | None = attrs.field(default=None, validator=_optional_instant)
    gateway_transaction_id: str | None = attrs.field(default=None, validator=_optional_text)
    failure_reason: str | None = attrs.field(default=None, validator=_optional_text)
    version: int = attrs.field(default=0, validator=_version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Payment) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def is_settled(self) -> bool:
        return self.state is not PaymentState.PENDING

    def accepts(self, outcome: PaymentOutcome) -> bool:
        """Whether the gateway's ``outcome`` would change this payment.

        A pending payment accepts any outcome; an abandoned one still accepts PAID (the
        payer's money was taken after all); a confirmed or failed one accepts nothing.
        """
        if self.state is PaymentState.PENDING:
            return True
        return self.state is PaymentState.ABANDONED and outcome is PaymentOutcome.PAID

    def settle(
        self,
        outcome: PaymentOutcome,
        *,
        amount: int,
        now: dt.datetime,
        gateway_transaction_id: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Apply the gateway's outcome once; returns False if it changes nothing (see accepts).

        A PAID outcome whose amount differs from the payment's raises
        :class:`PaymentAmountMismatch` and changes nothing.
        """
        require_aware(now, "now")
        if not isinstance(outcome, PaymentOutcome):
            raise InvalidInput(
                "outcome", "must be a PaymentOutcome (paid, failed, cancelled)", outcome
            )
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidMoney("amount", "must be a whole number of VND (an int)", amount)
        for name, text in (("gateway_transaction_id", gateway_transaction_id), ("reason", reason)):
            if text is not None and not isinstance(text, str):
                raise InvalidInput(name, "must be text or None", text)
        if not self.accepts(outcome):
            return False
        if outcome is PaymentOutcome.PAID:
            if amount != self.amount:
                raise PaymentAmountMismatch(self.amount, amount)
            self.state = PaymentState.CONFIRMED
            self.failure_reason = None
        elif outcome is PaymentOutcome.FAILED:
            self.state = PaymentState.FAILED
            self.failure_reason = reason or "the gateway reported a failure"
        else:
            self.state = PaymentState.ABANDONED
            self.failure_reason = reason or "the payer cancelled"
        self.settled_at = now
        self.gateway_transaction_id = gateway_transaction_id
        return True

    def abandon(self, *, now: dt.datetime, reason: str = "expired") -> None:
        """Give up on a pending payment (expired or replaced)."""
        if self.is_settled:
            raise TransitionNotAllowed("abandon", f"payment {self.state.value}")
        require_aware(now, "now")
        if not isinstance(reason, str):
            raise InvalidInput("reason", "must be text", reason)
        self.state = PaymentState.ABANDONED
        self.failure_reason = reason
        self.settled_at = now
