"""Refunds of a payment under review: one open at a time, never beyond what was paid, and
each request id once (an answer for it must refund once)."""

from __future__ import annotations

import attrs
import pytest

from onestop.domain.payments import PaymentState
from onestop.errors import InvalidMoney, TransitionNotAllowed
from onestop.testing import builders

T0 = builders.T0


def test_a_request_id_asked_before_is_refused_whatever_became_of_it() -> None:
    payment = attrs.evolve(builders.payment(amount=100_000), state=PaymentState.REVIEW)
    payment.request_refund(request_id="r1", amount=40_000, requested_by="ke-toan", now=T0)
    with pytest.raises(TransitionNotAllowed):  # one open at a time
        payment.request_refund(request_id="r2", amount=10_000, requested_by="ke-toan", now=T0)
    payment.complete_refund("r1", transaction_no="vnp-1", now=T0)
    before = payment.refunds
    with pytest.raises(TransitionNotAllowed, match="r1"):  # done: never a second time
        payment.request_refund(request_id="r1", amount=60_000, requested_by="ke-toan", now=T0)
    payment.request_refund(request_id="r2", amount=60_000, requested_by="ke-toan", now=T0)
    payment.refuse_refund("r2", refusal="94: trùng yêu cầu", now=T0)
    with pytest.raises(TransitionNotAllowed, match="r2"):  # refused: a new refund is a new id
        payment.request_refund(request_id="r2", amount=60_000, requested_by="ke-toan", now=T0)
    assert payment.refunds[: len(before)] == before
    with pytest.raises(InvalidMoney):  # never beyond what was paid
        payment.request_refund(request_id="r3", amount=60_001, requested_by="ke-toan", now=T0)
    payment.request_refund(request_id="r3", amount=60_000, requested_by="ke-toan", now=T0)
    payment.complete_refund("r3", transaction_no="vnp-3", now=T0)
    assert payment.state is PaymentState.REFUNDED
    assert [r.request_id for r in payment.refunds] == ["r1", "r2", "r3"]
