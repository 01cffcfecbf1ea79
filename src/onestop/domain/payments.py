"""Payments of a dossier's fees through a gateway (DOMAIN section 6).

A payment is started (PENDING) and then settles once: CONFIRMED, FAILED or ABANDONED.
Settling twice is a no-op that reports the payment was already settled, never a second
confirmation, with one exception: money is never lost, so a payment the portal abandoned
(expired, replaced by a new one, or cancelled) that the gateway then reports as paid becomes
CONFIRMED when the dossier still owes it.

Money that moved but is not cleanly paid goes to REVIEW for an officer: the gateway's
``07`` (taken, suspected fraud), a reversed transaction (VNPay status ``04``), a late or a
double payment the dossier no longer owes. A payment under review is resolved by asking the
gateway again (it may then be CONFIRMED or FAILED) or by refunding it (REFUNDED once the
whole amount went back). Each refund is a :class:`Refund` kept on the payment.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from onestop.domain.codes import require_aware
from onestop.domain.inputs import require_datetime, require_text
from onestop.domain.money import MAX_VND
from onestop.errors import InvalidInput, InvalidMoney, PaymentAmountMismatch, TransitionNotAllowed

__all__ = ["Payment", "PaymentOutcome", "PaymentState", "Refund"]


class PaymentState(enum.Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    ABANDONED = "abandoned"
    #: Money moved but the payment is not cleanly paid: an officer queries or refunds it.
    REVIEW = "review"
    #: The whole amount went back to the payer.
    REFUNDED = "refunded"


class PaymentOutcome(enum.Enum):
    """What a gateway says happened to a payment."""

    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    #: Money may have moved without a clean payment (VNPay ``07``, status ``04``).
    REVIEW = "review"


@attrs.frozen
class Refund:
    """One refund of (part of) a payment: asked for by ``requested_by``, done once the
    gateway answered with its ``transaction_no``, or refused for good (``refusal`` says what
    the gateway answered; nothing went back and the request is never sent again).

    ``request_id`` is unique per refund (:meth:`Payment.request_refund` refuses one asked
    before), so an answer for it refunds once.
    """

    request_id: str
    amount: int
    requested_by: str
    requested_at: dt.datetime
    transaction_no: str | None = None
    completed_at: dt.datetime | None = None
    refused_at: dt.datetime | None = None
    refusal: str | None = None

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def is_refused(self) -> bool:
        return self.refused_at is not None

    @property
    def is_open(self) -> bool:
        """Asked for, and neither carried out nor refused yet: send it again, same id."""
        return not self.is_done and not self.is_refused


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


def _refunds(values: object) -> tuple[Refund, ...]:
    if not isinstance(values, list | tuple) or not all(isinstance(r, Refund) for r in values):
        raise InvalidInput("payment.refunds", "must be a list of refunds", values)
    return tuple(values)


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
    #: What the gateway told us when it settled: when it was paid, the bank or method, the
    #: card type (VNPay's ``vnp_PayDate``, ``vnp_BankCode``, ``vnp_CardType``).
    paid_at: dt.datetime | None = attrs.field(default=None, validator=_optional_instant)
    bank_code: str | None = attrs.field(default=None, validator=_optional_text)
    card_type: str | None = attrs.field(default=None, validator=_optional_text)
    #: The bank or method the payer chose at the start (``vnp_BankCode``), if any.
    requested_bank_code: str | None = attrs.field(default=None, validator=_optional_text)
    #: Why the payment is under review (REVIEW), kept after it is resolved.
    review_reason: str | None = attrs.field(default=None, validator=_optional_text)
    refunds: tuple[Refund, ...] = attrs.field(default=(), converter=_refunds)
    #: A payment abandoned locally (replaced) that the gateway was since asked about.
    gateway_checked: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Payment) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def is_settled(self) -> bool:
        return self.state is not PaymentState.PENDING

    @property
    def refunded_amount(self) -> int:
        """What went back to the payer so far (refunds the gateway confirmed)."""
        return sum(r.amount for r in self.refunds if r.is_done)

    @property
    def open_refund(self) -> Refund | None:
        """A refund asked for whose answer from the gateway is not recorded yet."""
        return next((r for r in self.refunds if r.is_open), None)

    def accepts(self, outcome: PaymentOutcome) -> bool:
        """Whether the gateway's ``outcome`` would change this payment.

        A pending payment accepts any outcome; an abandoned one still accepts PAID or REVIEW
        (the payer's money was taken after all); one under review accepts PAID (the gateway
        cleared it) and FAILED (no money moved); a confirmed, failed or refunded one accepts
        nothing.
        """
        if self.state is PaymentState.PENDING:
            return True
        if self.state is PaymentState.ABANDONED:
            return outcome in (PaymentOutcome.PAID, PaymentOutcome.REVIEW)
        if self.state is PaymentState.REVIEW:
            return outcome in (PaymentOutcome.PAID, PaymentOutcome.FAILED) and all(
                r.is_refused for r in self.refunds
            )
        return False

    def settle(
        self,
        outcome: PaymentOutcome,
        *,
        amount: int,
        now: dt.datetime,
        gateway_transaction_id: str | None = None,
        reason: str | None = None,
        paid_at: dt.datetime | None = None,
        bank_code: str | None = None,
        card_type: str | None = None,
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
        texts = (
            ("gateway_transaction_id", gateway_transaction_id),
            ("reason", reason),
            ("bank_code", bank_code),
            ("card_type", card_type),
        )
        if paid_at is not None:
            require_aware(paid_at, "paid_at")
        for name, text in texts:
            if text is not None and not isinstance(text, str):
                raise InvalidInput(name, "must be text or None", text)
        if not self.accepts(outcome):
            return False
        if outcome is PaymentOutcome.PAID:
            if amount != self.amount:
                raise PaymentAmountMismatch(self.amount, amount)
            self.state = PaymentState.CONFIRMED
            self.failure_reason = None
        elif outcome is PaymentOutcome.REVIEW:
            self.state = PaymentState.REVIEW
            self.review_reason = reason or "the gateway reported money moved without a payment"
        elif outcome is PaymentOutcome.FAILED:
            self.state = PaymentState.FAILED
            self.failure_reason = reason or "the gateway reported a failure"
        else:
            self.state = PaymentState.ABANDONED
            self.failure_reason = reason or "the payer cancelled"
        self.settled_at = now
        self.gateway_transaction_id = gateway_transaction_id or self.gateway_transaction_id
        self.paid_at = paid_at or self.paid_at
        self.bank_code = bank_code or self.bank_code
        self.card_type = card_type or self.card_type
        return True

    def hold_for_review(self, *, reason: str, now: dt.datetime) -> None:
        """Put a confirmed payment the dossier does not count (late, double) under review."""
        require_aware(now, "now")
        if self.state is not PaymentState.CONFIRMED:
            raise TransitionNotAllowed("hold_for_review", f"payment {self.state.value}")
        require_text(reason, "reason")
        self.state = PaymentState.REVIEW
        self.review_reason = reason
        self.settled_at = now

    def request_refund(
        self, *, request_id: str, amount: int, requested_by: str, now: dt.datetime
    ) -> Refund:
        """Record that ``amount`` VND is being refunded (one refund open at a time).

        Only a payment under review is refunded, and never beyond what was paid; a
        ``request_id`` asked before (done, refused or open) is TransitionNotAllowed.
        """
        require_aware(now, "now")
        require_text(request_id, "request_id")
        require_text(requested_by, "requested_by")
        if self.state is not PaymentState.REVIEW:
            raise TransitionNotAllowed("refund", f"payment {self.state.value}")
        if self.open_refund is not None:
            raise TransitionNotAllowed("refund", "payment with a refund in progress")
        if any(r.request_id == request_id for r in self.refunds):
            raise TransitionNotAllowed("refund", f"payment whose refund {request_id} was asked")
        left = self.amount - self.refunded_amount
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= left:
            raise InvalidMoney("amount", f"must be a whole number of VND from 1 to {left}", amount)
        refund = Refund(request_id, amount, requested_by, now)
        self.refunds = (*self.refunds, refund)
        return refund

    def complete_refund(self, request_id: str, *, transaction_no: str, now: dt.datetime) -> Refund:
        """Record the gateway's answer to the open refund; REFUNDED once all went back."""
        require_aware(now, "now")
        require_text(transaction_no, "transaction_no")
        refund = self.open_refund
        if refund is None or refund.request_id != request_id:
            raise TransitionNotAllowed("complete_refund", f"refund {request_id} not open")
        done = attrs.evolve(refund, transaction_no=transaction_no, completed_at=now)
        self.refunds = tuple(done if r is refund else r for r in self.refunds)
        if self.refunded_amount == self.amount:
            self.state = PaymentState.REFUNDED
        return done

    def refuse_refund(self, request_id: str, *, refusal: str, now: dt.datetime) -> Refund:
        """Record that the gateway refused the open refund for good: nothing went back, the
        request is closed (a new refund is a new request) and the payment stays under review.
        """
        require_aware(now, "now")
        require_text(refusal, "refusal")
        refund = self.open_refund
        if refund is None or refund.request_id != request_id:
            raise TransitionNotAllowed("refuse_refund", f"refund {request_id} not open")
        refused = attrs.evolve(refund, refused_at=now, refusal=refusal)
        self.refunds = tuple(refused if r is refund else r for r in self.refunds)
        return refused

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
