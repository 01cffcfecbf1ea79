"""Reconciliation and refunds against a VNPay-like merchant API on loopback (issue 13).

The server (:mod:`onestop.testing.vnpay_server`) is started by the tests; it records what the
payer did, hands back the IPN VNPay would send (delivered or lost as each test needs) and
answers ``querydr`` and ``refund`` with its own reading of VNPay's field orders.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest

from onestop.adapters import ManualClock
from onestop.adapters.vnpay import SANDBOX_URL, VnpayGateway
from onestop.application.payments import CallbackStatus
from onestop.bootstrap import Portal
from onestop.domain.accounts import OfficerRole
from onestop.domain.payments import Payment, PaymentOutcome, PaymentState
from onestop.errors import (
    ConfigurationError,
    PaymentGatewayError,
    PermissionDenied,
    RefundRefused,
    TransitionNotAllowed,
)
from onestop.testing.vnpay_server import VnpayMerchantServer
from tests.adapters.vnpay_support import SECRET, TMN, dossier_due

TTL = dt.timedelta(minutes=15)


@attrs.define
class Desk:
    portal: Portal
    server: VnpayMerchantServer
    clock: ManualClock
    account_id: str
    dossier_id: str
    #: An officer of the dossier's agency with the accounting role.
    accountant: str

    def pay_url(self, **options: str) -> str:
        return self.portal.payments.start(
            self.account_id, self.dossier_id, client_ip="127.0.0.1", **options
        ).url

    def payments(self) -> list[Payment]:
        with self.portal.storage.unit_of_work() as uow:
            return list(uow.payments.list_by_dossier(self.dossier_id))

    def paid(self) -> int:
        with self.portal.storage.unit_of_work() as uow:
            return uow.dossiers.get(self.dossier_id).paid_amount

    def expire(self) -> None:
        self.clock.advance(TTL + dt.timedelta(seconds=1))


@pytest.fixture
def desk() -> Iterator[Desk]:
    with VnpayMerchantServer(tmn_code=TMN, hash_secret=SECRET) as server:
        gateway = VnpayGateway(
            tmn_code=TMN, hash_secret=SECRET, payment_url=SANDBOX_URL, api_url=server.api_url
        )
        with dossier_due(gateway) as due:
            accountant = due.portal.desk.register_officer(
                due.agency,
                "Lê Thị Kế Toán",
                "ke-toan@example.vn",
                roles=frozenset({OfficerRole.ACCOUNTING}),
            )
            yield Desk(due.portal, server, due.clock, due.account_id, due.dossier_id, accountant.id)


def test_a_lost_ipn_is_recovered_by_reconcile(desk: Desk) -> None:
    """The payer paid, the IPN never came: reconcile asks VNPay and confirms, storing details."""
    desk.server.checkout(desk.pay_url(), bank_code="NCB", card_type="ATM")  # IPN lost
    assert desk.portal.payments.reconcile().confirmed == ()  # not expired yet: not asked
    desk.expire()
    report = desk.portal.payments.reconcile()
    [payment] = desk.payments()
    assert report.confirmed == (payment.id,)
    assert payment.state is PaymentState.CONFIRMED
    assert (payment.bank_code, payment.gateway_transaction_id) == ("NCB", "14000001")
    assert payment.paid_at is not None
    assert desk.paid() == 100_000
    assert desk.portal.payments.reconcile() == type(report)()  # nothing left to ask about


def test_an_unpaid_expired_payment_is_abandoned_only_after_asking(desk: Desk) -> None:
    desk.pay_url()  # the payer never reached VNPay's page: VNPay answers 91
    desk.expire()
    report = desk.portal.payments.reconcile()
    [payment] = desk.payments()
    assert report.abandoned == (payment.id,)
    assert payment.state is PaymentState.ABANDONED
    assert [r["vnp_Command"] for r in desk.server.requests] == ["querydr"]


def test_expire_pending_asks_the_gateway_too(desk: Desk) -> None:
    desk.server.checkout(desk.pay_url())  # IPN lost
    desk.expire()
    assert desk.portal.payments.expire_pending() == []
    assert desk.payments()[0].state is PaymentState.CONFIRMED


def test_gateway_down_during_reconcile_leaves_the_payment_pending(desk: Desk) -> None:
    desk.server.checkout(desk.pay_url())
    desk.expire()
    desk.server.available = False
    report = desk.portal.payments.reconcile()
    assert report.unreachable == (desk.payments()[0].id,)
    assert desk.payments()[0].state is PaymentState.PENDING
    desk.server.available = True  # retried later
    assert desk.portal.payments.reconcile().confirmed == (desk.payments()[0].id,)


@pytest.mark.parametrize("forgery", ["forge", "answer_for_txn_ref"])
def test_forged_or_mismatched_query_answers_are_refused(desk: Desk, forgery: str) -> None:
    """A forger says "paid": nothing is confirmed, the payment waits for a true answer."""
    desk.server.checkout(desk.pay_url())
    desk.expire()
    setattr(desk.server, forgery, True if forgery == "forge" else "SOMEONEELSE")
    report = desk.portal.payments.reconcile()
    assert report.unreachable == (desk.payments()[0].id,)
    assert desk.payments()[0].state is PaymentState.PENDING
    assert desk.paid() == 0


def test_ipn_and_reconcile_racing_confirm_once(desk: Desk) -> None:
    ipn = desk.server.checkout(desk.pay_url())
    desk.expire()
    barrier = threading.Barrier(6)

    def ipn_once() -> str:
        barrier.wait()
        return desk.portal.payments.handle_ipn(ipn)["RspCode"]

    def reconcile_once() -> str:
        barrier.wait()
        return "R" + str(len(desk.portal.payments.reconcile().confirmed))

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(ipn_once) for _ in range(3)]
        futures += [pool.submit(reconcile_once) for _ in range(3)]
        results = [f.result() for f in futures]
    confirmations = results.count("00") + sum(int(r[1:]) for r in results if r[0] == "R")
    assert confirmations == 1
    assert desk.paid() == 100_000
    with desk.portal.storage.unit_of_work() as uow:
        mails = [e for e in uow.outbox.list() if "payment_confirmed" in repr(e)]
    assert len(mails) == 1


def test_07_goes_to_review_and_is_refunded_once(desk: Desk) -> None:
    ipn = desk.server.checkout(desk.pay_url(), response_code="07")
    assert desk.portal.payments.handle_ipn(ipn)["RspCode"] == "00"
    [payment] = desk.portal.payments.in_review()
    assert payment.state is PaymentState.REVIEW
    assert "07" in (payment.review_reason or "")
    assert desk.paid() == 0
    # Asking again: VNPay still says 07, the payment stays under review.
    assert desk.portal.payments.review_query(desk.accountant, payment.id).state is (
        PaymentState.REVIEW
    )
    refund = desk.portal.payments.refund(desk.accountant, payment.id)
    assert (refund.amount, refund.transaction_no) == (100_000, "14000002")
    again = desk.portal.payments.refund(desk.accountant, payment.id)
    assert again == refund
    assert len(desk.server.refund_requests) == 1
    assert desk.server.refund_requests[0]["vnp_TransactionType"] == "02"
    assert desk.payments()[0].state is PaymentState.REFUNDED
    assert desk.portal.payments.in_review() == []
    actions = [r.action for r in desk.portal.audit.records("admin")]
    assert actions.count("payment.refunded") == 1
    assert actions.count("payment.refund_requested") == 1
    assert "payment.review_queried" in actions
    assert {r.actor for r in desk.portal.audit.records("admin") if "refund" in r.action} == {
        desk.accountant
    }


def test_a_refund_the_gateway_did_not_answer_is_resent_with_the_same_request(
    desk: Desk,
) -> None:
    ipn = desk.server.checkout(desk.pay_url(), transaction_status="04")  # reversed
    desk.portal.payments.handle_ipn(ipn)
    [payment] = desk.portal.payments.in_review()
    desk.server.available = False
    with pytest.raises(PaymentGatewayError):
        desk.portal.payments.refund(desk.accountant, payment.id)
    desk.server.available = True
    refund = desk.portal.payments.refund(desk.accountant, payment.id)
    ids = {r["vnp_RequestId"] for r in desk.server.requests if r["vnp_Command"] == "refund"}
    assert len(ids) == 1
    assert refund.transaction_no is not None
    actions = [r.action for r in desk.portal.audit.records("admin")]
    assert actions.count("payment.refund_unanswered") == 1
    assert actions.count("payment.refund_requested") == 1


def test_a_refund_refused_for_good_is_closed_not_resent(desk: Desk) -> None:
    ipn = desk.server.checkout(desk.pay_url(), response_code="07")
    desk.portal.payments.handle_ipn(ipn)
    [payment] = desk.portal.payments.in_review()
    desk.server.refund_answer = "91"  # VNPay: transaction not found
    with pytest.raises(RefundRefused) as refused:
        desk.portal.payments.refund(desk.accountant, payment.id)
    assert refused.value.gateway_code == "91"
    [stored] = desk.payments()
    assert stored.state is PaymentState.REVIEW
    assert stored.open_refund is None
    assert [r.is_refused for r in stored.refunds] == [True]
    assert "91" in (stored.refunds[0].refusal or "")
    desk.server.refund_answer = None
    refund = desk.portal.payments.refund(desk.accountant, payment.id)
    ids = [r["vnp_RequestId"] for r in desk.server.requests if r["vnp_Command"] == "refund"]
    assert len(ids) == 2 and ids[0] != ids[1]  # a new request, not the refused one again
    assert refund.request_id == ids[1]
    assert desk.payments()[0].state is PaymentState.REFUNDED
    actions = [r.action for r in desk.portal.audit.records("admin")]
    assert actions.count("payment.refund_refused") == 1
    assert actions.count("payment.refunded") == 1


def test_only_an_accountant_of_the_agency_may_query_or_refund(desk: Desk) -> None:
    ipn = desk.server.checkout(desk.pay_url(), response_code="07")
    desk.portal.payments.handle_ipn(ipn)
    [payment] = desk.portal.payments.in_review()
    dossier_agency = desk.portal.dossiers.get(desk.account_id, desk.dossier_id).agency
    receptionist = desk.portal.desk.register_officer(
        dossier_agency,
        "Trần Văn Tiếp",
        "tiep-nhan@example.vn",
        roles=frozenset({OfficerRole.RECEPTION}),
    )
    stranger = desk.portal.desk.register_officer(
        "000.00.04.H34",
        "Phạm Thị Khác",
        "khac@example.vn",
        roles=frozenset({OfficerRole.ACCOUNTING}),
    )
    for officer in (receptionist.id, stranger.id):
        with pytest.raises(PermissionDenied):
            desk.portal.payments.refund(officer, payment.id)
        with pytest.raises(PermissionDenied):
            desk.portal.payments.review_query(officer, payment.id)
    with pytest.raises(PermissionDenied):
        desk.portal.payments.in_review(receptionist.id)
    assert desk.portal.payments.in_review(stranger.id) == []
    assert [p.id for p in desk.portal.payments.in_review(desk.accountant)] == [payment.id]
    desk.portal.desk.deactivate(desk.accountant)
    with pytest.raises(PermissionDenied):
        desk.portal.payments.refund(desk.accountant, payment.id)
    assert desk.server.refund_requests == []
    assert desk.payments()[0].refunds == ()


def test_partial_refund_is_type_03(desk: Desk) -> None:
    ipn = desk.server.checkout(desk.pay_url(), response_code="07")
    desk.portal.payments.handle_ipn(ipn)
    [payment] = desk.portal.payments.in_review()
    desk.portal.payments.refund(desk.accountant, payment.id, amount=40_000)
    assert desk.server.refund_requests[-1]["vnp_TransactionType"] == "03"
    assert desk.payments()[0].state is PaymentState.REVIEW
    desk.portal.payments.refund(desk.accountant, payment.id)
    assert desk.payments()[0].state is PaymentState.REFUNDED
    assert desk.payments()[0].refunded_amount == 100_000


def test_a_double_payment_is_reviewed_and_refunded(desk: Desk) -> None:
    first = desk.pay_url()
    desk.clock.advance(dt.timedelta(minutes=1))
    second = desk.pay_url()  # replaces the first, which the payer had open in another tab
    for url in (first, second):
        reply = desk.portal.payments.handle_ipn(desk.server.checkout(url))
        assert reply["RspCode"] == "00"
    assert desk.paid() == 100_000
    [double] = desk.portal.payments.in_review()
    assert double.txn_ref in second
    desk.portal.payments.refund(desk.accountant, double.id)
    states = [p.state for p in desk.payments()]
    assert states == [PaymentState.CONFIRMED, PaymentState.REFUNDED]


def test_only_a_payment_under_review_is_refunded(desk: Desk) -> None:
    desk.portal.payments.handle_ipn(desk.server.checkout(desk.pay_url()))
    with pytest.raises(TransitionNotAllowed):
        desk.portal.payments.refund(desk.accountant, desk.payments()[0].id)


def test_the_return_redirect_shows_the_stored_outcome_only(desk: Desk) -> None:
    ipn = desk.server.checkout(desk.pay_url())
    shown = desk.portal.payments.handle_return(ipn)
    assert (shown.status, shown.state) == (CallbackStatus.PENDING, PaymentState.PENDING)
    assert desk.payments()[0].state is PaymentState.PENDING
    desk.portal.payments.handle_ipn(ipn)
    assert desk.portal.payments.handle_return(ipn).status is CallbackStatus.CONFIRMED


def test_bank_code_and_the_one_expiry_setting_reach_vnpay(desk: Desk) -> None:
    url = desk.pay_url(bank_code="VNPAYQR")
    assert "vnp_BankCode=VNPAYQR" in url
    assert "vnp_CreateDate=20220622090000" in url
    assert "vnp_ExpireDate=20220622091500" in url  # Settings.payment_ttl, 15 minutes


@pytest.mark.parametrize(
    "return_url",
    ["https://dichvucong.example.vn/(ket-qua)", "https://x.vn/~a", "https://x.vn/kết-quả"],
)
def test_configuration_vnpay_samples_would_sign_differently_is_refused(return_url: str) -> None:
    with pytest.raises(ConfigurationError, match="sign differently"):
        VnpayGateway(tmn_code=TMN, hash_secret=SECRET, payment_url=SANDBOX_URL).check_return_url(
            return_url
        )
    with pytest.raises(ConfigurationError, match="sign differently"):
        VnpayGateway(
            tmn_code=TMN, hash_secret=SECRET, payment_url=SANDBOX_URL, order_type="bill'payment"
        )


def test_query_maps_vnpay_statuses(desk: Desk) -> None:
    gateway = desk.portal.context.payment_gateway
    assert isinstance(gateway, VnpayGateway)
    desk.server.checkout(desk.pay_url(), response_code="24", transaction_status="02")
    [payment] = desk.payments()
    answer = gateway.query(payment, now=desk.clock.now())
    assert answer is not None
    assert answer.outcome is PaymentOutcome.FAILED
