"""Paying a dossier's fees (PaymentService) with the fake gateway (issue 3, Payments)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.adapters.fake_payment import FakePaymentGateway
from onestop.application.payments import CallbackStatus
from onestop.domain.dossier import Dossier, PaymentStatus
from onestop.domain.payments import PaymentState
from onestop.domain.statuses import DossierStatus
from onestop.errors import DossierNotFound, PaymentNotRequired
from onestop.ports.edges import PaymentRedirect
from tests.unit.conftest import (
    BUDGET,
    HKD,
    PERMIT,
    PortalKit,
    make_kit,
    outbox,
)

CONFIRMED = CallbackStatus.CONFIRMED
IP = "203.113.1.10"


def start(kit: PortalKit, dossier: Dossier) -> PaymentRedirect:
    return kit.portal.payments.start(kit.citizen.id, dossier.id, client_ip=IP)


def mails(kit: PortalKit, template: str) -> int:
    return sum(1 for t, _ in outbox(kit) if t == template)


# --- when a payment is needed ---------------------------------------------------------------


def test_zero_fees_need_no_payment(kit: PortalKit) -> None:
    dossier = kit.submitted(BUDGET)
    before = kit.snapshot()
    with pytest.raises(PaymentNotRequired):
        start(kit, dossier)
    assert kit.snapshot() == before
    assert kit.gateway.started == {}
    view = kit.portal.payments.status(kit.citizen.id, dossier.id)
    assert view.payment_status is PaymentStatus.NOT_REQUIRED
    assert view.total_fees == 0
    assert not view.payable_now


def test_a_draft_is_not_paid(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    with pytest.raises(PaymentNotRequired):
        start(kit, draft)
    assert kit.gateway.started == {}


def test_fees_due_at_reception_wait_for_reception(kit: PortalKit) -> None:
    dossier = kit.submitted(PERMIT)
    assert not kit.portal.payments.status(kit.citizen.id, dossier.id).payable_now
    with pytest.raises(PaymentNotRequired):
        start(kit, dossier)
    officer = kit.officer(str(dossier.procedure.agency))
    kit.portal.desk.receive(officer.id, dossier.id)
    assert kit.portal.payments.status(kit.citizen.id, dossier.id).payable_now
    redirect = start(kit, dossier)
    assert kit.gateway.started[redirect.txn_ref].amount == 100_000


def test_someone_elses_dossier_cannot_be_paid_or_seen(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    with pytest.raises(DossierNotFound):
        kit.portal.payments.start(kit.stranger.id, dossier.id, client_ip=IP)
    with pytest.raises(DossierNotFound):
        kit.portal.payments.status(kit.stranger.id, dossier.id)


# --- a payment through the gateway ----------------------------------------------------------


def test_start_records_a_pending_payment_of_what_is_due(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    redirect = start(kit, dossier)
    assert redirect.url.startswith("fake-pay://checkout?")
    started = kit.gateway.started[redirect.txn_ref]
    assert started.amount == 100_000
    assert started.client_ip == IP
    assert str(dossier.code) in started.order_info
    view = kit.portal.payments.status(kit.citizen.id, dossier.id)
    assert view.payment_status is PaymentStatus.UNPAID
    assert view.amount_due == 100_000
    assert view.payable_now
    (payment,) = view.payments
    assert payment.state is PaymentState.PENDING
    assert payment.txn_ref == redirect.txn_ref
    assert payment.amount == 100_000


def test_a_completed_payment_is_counted_once(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    redirect = start(kit, dossier)
    callback = kit.gateway.complete(redirect.txn_ref)
    kit.clock.advance(dt.timedelta(minutes=2))
    result = kit.portal.payments.handle_callback(callback)
    assert result.status is CONFIRMED
    assert result.dossier_id == dossier.id
    view = kit.portal.payments.status(kit.citizen.id, dossier.id)
    assert view.payment_status is PaymentStatus.PAID
    assert view.paid_amount == 100_000
    assert view.amount_due == 0
    assert not view.payable_now
    assert view.payments[0].state is PaymentState.CONFIRMED
    assert view.payments[0].gateway_transaction_id is not None
    assert mails(kit, "payment_confirmed") == 1
    # The IPN and the return redirect both arrive: the second changes nothing.
    before = kit.snapshot()
    again = kit.portal.payments.handle_callback(callback)
    assert again.status is CallbackStatus.ALREADY_CONFIRMED
    assert kit.snapshot() == before
    assert kit.portal.payments.status(kit.citizen.id, dossier.id).paid_amount == 100_000
    with pytest.raises(PaymentNotRequired):
        start(kit, dossier)


@pytest.mark.parametrize(
    ("drive", "state"),
    [("fail", PaymentState.FAILED), ("abandon", PaymentState.ABANDONED)],
)
def test_a_failed_or_abandoned_payment_leaves_the_fees_due(
    kit: PortalKit, drive: str, state: PaymentState
) -> None:
    dossier = kit.submitted(HKD)
    redirect = start(kit, dossier)
    callback = getattr(kit.gateway, drive)(redirect.txn_ref)
    result = kit.portal.payments.handle_callback(callback)
    assert result.status is CallbackStatus.FAILED_RECORDED
    view = kit.portal.payments.status(kit.citizen.id, dossier.id)
    assert view.payment_status is PaymentStatus.UNPAID
    assert view.payments[0].state is state
    assert view.payments[0].failure_reason
    assert mails(kit, "payment_confirmed") == 0
    before = kit.snapshot()
    assert kit.portal.payments.handle_callback(callback).status is (
        CallbackStatus.ALREADY_CONFIRMED
    )
    assert kit.snapshot() == before
    if state is PaymentState.FAILED:
        # A later "paid" for a failed payment changes nothing either.
        late = kit.portal.payments.handle_callback(kit.gateway.complete(redirect.txn_ref))
        assert late.status is CallbackStatus.ALREADY_CONFIRMED
        assert kit.snapshot() == before
    else:
        return  # an abandoned one is confirmed by a late "paid": see the tests below
    # The payer tries again, and pays.
    retry = start(kit, dossier)
    assert retry.txn_ref != redirect.txn_ref
    assert kit.portal.payments.handle_callback(kit.gateway.complete(retry.txn_ref)).status is (
        CONFIRMED
    )
    assert kit.portal.payments.status(kit.citizen.id, dossier.id).payment_status is (
        PaymentStatus.PAID
    )


def test_a_wrong_amount_is_refused_and_changes_nothing(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    redirect = start(kit, dossier)
    before = kit.snapshot()
    for amount in (1, 99_999, 100_001, 200_000):
        result = kit.portal.payments.handle_callback(
            kit.gateway.complete(redirect.txn_ref, amount=amount)
        )
        assert result.status is CallbackStatus.AMOUNT_MISMATCH
    assert kit.snapshot() == before
    assert kit.portal.payments.status(kit.citizen.id, dossier.id).payments[0].state is (
        PaymentState.PENDING
    )
    # The genuine callback still goes through.
    assert kit.portal.payments.handle_callback(kit.gateway.complete(redirect.txn_ref)).status is (
        CONFIRMED
    )


def test_a_forged_callback_is_refused_and_changes_nothing(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    redirect = start(kit, dossier)
    genuine = kit.gateway.complete(redirect.txn_ref)
    forger = FakePaymentGateway(secret=b"not-the-gateway-secret")
    forger.start(
        kit.portal.payments.status(kit.citizen.id, dossier.id).payments[0],
        order_info="x",
        return_url="http://x",
        client_ip=IP,
        now=kit.clock.now(),
    )
    forgeries = [
        {**genuine, "amount": "1"},  # changed after signing
        {k: v for k, v in genuine.items() if k != "amount"} | {"amount": "100000 "},
        {k: v for k, v in genuine.items() if k in {"txn_ref", "amount", "outcome"}},  # unsigned
        forger.complete(redirect.txn_ref),  # signed with another key
        {**kit.gateway.fail(redirect.txn_ref), "outcome": "paid"},
    ]
    before = kit.snapshot()
    for params in forgeries:
        result = kit.portal.payments.handle_callback(params)
        assert result.status is CallbackStatus.INVALID_SIGNATURE, params
    assert kit.snapshot() == before
    assert kit.portal.payments.handle_callback(genuine).status is CONFIRMED


def test_a_callback_for_an_unknown_payment_is_not_found(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    redirect = start(kit, dossier)
    other = make_kit()  # same gateway secret, another portal: its payment is unknown here
    other_dossier = other.submitted(HKD)
    other_redirect = other.portal.payments.start(other.citizen.id, other_dossier.id, client_ip=IP)
    before = kit.snapshot()
    result = kit.portal.payments.handle_callback(other.gateway.complete(other_redirect.txn_ref))
    assert result.status is CallbackStatus.NOT_FOUND
    assert kit.snapshot() == before
    assert redirect.txn_ref != other_redirect.txn_ref


def test_a_new_payment_replaces_the_pending_one(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    first = start(kit, dossier)
    kit.clock.advance(dt.timedelta(minutes=1))
    second = start(kit, dossier)
    states = {
        p.txn_ref: p.state for p in kit.portal.payments.status(kit.citizen.id, dossier.id).payments
    }
    assert states == {first.txn_ref: PaymentState.ABANDONED, second.txn_ref: PaymentState.PENDING}
    # The payer had paid the replaced one after all: the money is not lost, it counts.
    late = kit.portal.payments.handle_callback(kit.gateway.complete(first.txn_ref))
    assert late.status is CallbackStatus.CONFIRMED
    view = kit.portal.payments.status(kit.citizen.id, dossier.id)
    assert view.paid_amount == view.total_fees
    assert mails(kit, "payment_confirmed") == 1
    # Then the second one is paid too: a double payment, under review for a refund, never
    # counted twice on the dossier.
    twice = kit.portal.payments.handle_callback(kit.gateway.complete(second.txn_ref))
    assert twice.status is CallbackStatus.REVIEW
    view = kit.portal.payments.status(kit.citizen.id, dossier.id)
    assert view.paid_amount == view.total_fees
    assert [p.state for p in view.payments] == [PaymentState.CONFIRMED, PaymentState.REVIEW]
    assert mails(kit, "payment_confirmed") == 1


def test_expire_pending_abandons_stale_payments_only(kit: PortalKit) -> None:
    old = kit.submitted(HKD)
    stale = start(kit, old)
    kit.clock.advance(dt.timedelta(minutes=10))
    fresh_dossier = kit.submitted("2.000575")
    fresh = start(kit, fresh_dossier)
    kit.clock.advance(dt.timedelta(minutes=4))
    assert kit.portal.payments.expire_pending() == []  # 14 minutes: not yet
    kit.clock.advance(dt.timedelta(minutes=2))
    expired = kit.portal.payments.expire_pending()
    assert [p.txn_ref for p in expired] == [stale.txn_ref]
    assert expired[0].state is PaymentState.ABANDONED
    assert kit.portal.payments.expire_pending() == []  # once
    status = kit.portal.payments.status(kit.citizen.id, fresh_dossier.id)
    assert status.payments[0].state is PaymentState.PENDING
    assert fresh.txn_ref == status.payments[0].txn_ref
    # A failure or cancellation arriving after expiry changes nothing...
    before = kit.snapshot()
    for params in (kit.gateway.fail(stale.txn_ref), kit.gateway.abandon(stale.txn_ref)):
        late = kit.portal.payments.handle_callback(params)
        assert late.status is CallbackStatus.ALREADY_CONFIRMED
    assert kit.snapshot() == before
    # ...but a payment arriving after expiry is not lost: it counts.
    paid = kit.portal.payments.handle_callback(kit.gateway.complete(stale.txn_ref))
    assert paid.status is CallbackStatus.CONFIRMED
    assert kit.portal.payments.status(kit.citizen.id, old.id).amount_due == 0


def test_a_payment_requested_by_the_officer_restarts_processing(kit: PortalKit) -> None:
    dossier = kit.submitted("1.010007")  # fees at result, 15 working days
    officer = kit.officer(str(dossier.procedure.agency))
    desk = kit.portal.desk
    due = desk.receive(officer.id, dossier.id).due_date
    assert due is not None
    desk.start_processing(officer.id, dossier.id)
    with pytest.raises(PaymentNotRequired):
        start(kit, dossier)  # not due yet
    kit.clock.advance(dt.timedelta(hours=1))
    desk.request_payment(officer.id, dossier.id, "Nộp lệ phí trước khi xử lý tiếp")
    assert desk.get(officer.id, dossier.id).status is DossierStatus.PAYMENT_REQUESTED
    assert desk.get(officer.id, dossier.id).is_paused
    redirect = start(kit, dossier)
    kit.clock.advance(dt.timedelta(days=1))  # Thursday: one working day waiting
    assert kit.portal.payments.handle_callback(kit.gateway.complete(redirect.txn_ref)).status is (
        CONFIRMED
    )
    back = desk.get(officer.id, dossier.id)
    assert back.status is DossierStatus.PROCESSING
    assert not back.is_paused
    assert back.due_date == kit.portal.context.calendar.extend(due, 1)
    desk.decide(officer.id, dossier.id, approved=True)
    assert desk.return_result(officer.id, dossier.id).status is DossierStatus.RESULT_RETURNED


def test_an_approved_result_is_returned_once_paid(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    officer = kit.officer(str(dossier.procedure.agency))
    kit.portal.desk.receive(officer.id, dossier.id)
    kit.portal.desk.start_processing(officer.id, dossier.id)
    kit.portal.desk.decide(officer.id, dossier.id, approved=True)
    redirect = start(kit, dossier)
    kit.portal.payments.handle_callback(kit.gateway.complete(redirect.txn_ref))
    returned = kit.portal.desk.return_result(officer.id, dossier.id)
    assert returned.status is DossierStatus.RESULT_RETURNED


# --- any order of callbacks -----------------------------------------------------------------

CALLBACKS = st.lists(
    st.sampled_from(["complete", "fail", "abandon", "mismatch", "forged", "repeat"]),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(script=CALLBACKS)
def test_any_callbacks_first_genuine_decides_and_money_is_kept(script: list[str]) -> None:
    kit = make_kit()
    dossier = kit.submitted(HKD)
    redirect = start(kit, dossier)
    sent: list[dict[str, str]] = []
    decided: str | None = None
    for step in script:
        if step == "repeat":
            if not sent:
                continue
            params = sent[-1]
        elif step == "mismatch":
            params = kit.gateway.complete(redirect.txn_ref, amount=50_000)
        elif step == "forged":
            params = {**kit.gateway.complete(redirect.txn_ref), "amount": "1"}
        else:
            params = getattr(kit.gateway, step)(redirect.txn_ref)
            decided = decided or step
        sent.append(params)
        kit.portal.payments.handle_callback(params)
    view = kit.portal.payments.status(kit.citizen.id, dossier.id)
    if decided == "abandon" and "complete" in script:
        decided = "complete"  # the payer paid after all: an abandoned payment accepts it
    expected = {
        None: PaymentState.PENDING,
        "complete": PaymentState.CONFIRMED,
        "fail": PaymentState.FAILED,
        "abandon": PaymentState.ABANDONED,
    }[decided]
    assert view.payments[0].state is expected
    assert view.paid_amount == (100_000 if decided == "complete" else 0)
    assert mails(kit, "payment_confirmed") == (1 if decided == "complete" else 0)


def test_a_signed_but_unreadable_callback_changes_nothing(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    redirect = start(kit, dossier)
    params = {"txn_ref": redirect.txn_ref, "amount": "1e5", "outcome": "paid"}
    # Signed with the gateway's own key, as a buggy gateway would send it.
    params["signature"] = kit.gateway._sign(params)
    before = kit.snapshot()
    assert kit.portal.payments.handle_callback(params).status is CallbackStatus.UNREADABLE
    assert kit.snapshot() == before
