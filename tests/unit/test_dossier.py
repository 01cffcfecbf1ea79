"""The dossier aggregate: guards, history, events, clock pauses, payments."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from onestop.domain import events as ev
from onestop.domain.accounts import Applicant
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.catalog import Component, FeesDue, Procedure
from onestop.domain.codes import AgencyCode, DossierCode, local_day
from onestop.domain.dossier import Actor, Dossier, PaymentStatus
from onestop.domain.files import FileRef
from onestop.domain.money import FeeItem, FeeKind
from onestop.domain.statuses import TERMINAL_STATUSES, DossierStatus
from onestop.errors import (
    ApologyTooLate,
    HomeServiceNotOffered,
    InvalidAttachment,
    InvalidInput,
    InvalidMoney,
    MissingComponents,
    PaymentNotRequired,
    PermissionDenied,
    TransitionNotAllowed,
)

S = DossierStatus
AGENCY = AgencyCode.parse("000.00.03.H34")
CAL = WorkingCalendar()
UTC = dt.UTC
OFFICER = Actor.officer("officer-1", "Trần Văn B")
OWNER = "account-1"
APPLICANT = Actor.applicant(OWNER)
# Monday 22 June 2022, 09:00 in Vietnam.
T0 = dt.datetime(2022, 6, 22, 2, 0, tzinfo=UTC)


def procedure(*, fees: int = 0, pickup: bool = True, delivery: bool = True) -> Procedure:
    return Procedure(
        code="1.001234",
        name="Đăng ký kinh doanh hộ kinh doanh",
        agency=AGENCY,
        field="dang-ky-kinh-doanh",
        working_days=3,
        components=(
            Component(id="don", name="Giấy đề nghị đăng ký", originals=1),
            Component(id="cccd", name="Bản sao căn cước", originals=0, copies=1),
            Component(id="phu-luc", name="Phụ lục", mandatory=False),
        ),
        fees=(FeeItem(FeeKind.LE_PHI, fees, "Lệ phí đăng ký"),) if fees else (),
        fees_due=FeesDue.AT_SUBMISSION,
        home_pickup=pickup,
        home_delivery=delivery,
    )


def pdf(n: int = 0) -> FileRef:
    return FileRef(
        key=f"{n:064x}",
        name=f"tep-{n}.pdf",
        media_type="application/pdf",
        size=1000 + n,
        sha256=f"{n:064x}",
    )


def draft(*, fees: int = 0) -> Dossier:
    return Dossier.start(
        id="d-1",
        owner_id=OWNER,
        procedure=procedure(fees=fees),
        applicant=Applicant(full_name="Nguyễn Trung Hiếu", email="nthieu@example.vn"),
        now=T0,
    )


def code_at(now: dt.datetime, seq: int = 1) -> DossierCode:
    return DossierCode(AGENCY, local_day(now), seq)


def submitted(*, fees: int = 0) -> Dossier:
    d = draft(fees=fees)
    d.attach("don", pdf(1))
    d.attach("cccd", pdf(2))
    d.submit(code=code_at(T0), now=T0)
    return d


def later(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def test_a_draft_has_no_code_and_one_history_entry() -> None:
    """A new draft has no code, status DRAFT and a 'draft_started' entry."""
    d = draft()
    assert d.code is None
    assert d.status is S.DRAFT
    assert [h.action for h in d.history] == ["draft_started"]
    assert d.status.national_code is None


def test_submit_refuses_missing_mandatory_components_and_changes_nothing() -> None:
    """Submitting without every mandatory component names them and leaves the draft as is."""
    d = draft()
    d.attach("don", pdf(1))
    with pytest.raises(MissingComponents) as info:
        d.submit(code=code_at(T0), now=T0)
    assert info.value.components == ("cccd",)
    assert d.status is S.DRAFT and d.code is None and len(d.history) == 1


def test_submit_sets_code_fees_history_and_event() -> None:
    """A submitted dossier has its code, fee lines, a history entry and one event."""
    d = draft(fees=150_000)
    d.attach("don", pdf(1))
    d.attach("cccd", pdf(2))
    d.submit(code=code_at(T0), now=T0, idempotency_key="k")
    assert d.status is S.AWAITING_RECEPTION
    assert str(d.code) == "000.00.03.H34-220622-0001"
    assert d.total_fees == 150_000 and d.payment_status is PaymentStatus.UNPAID
    assert d.history[-1].from_status is S.DRAFT
    assert d.history[-1].to_status is S.AWAITING_RECEPTION
    assert d.pull_events() == [ev.DossierSubmitted(T0, "d-1", "000.00.03.H34-220622-0001")]
    assert d.pull_events() == []


def test_submit_refuses_a_code_of_another_agency_or_day() -> None:
    """The code must carry the receiving agency and the local day of submission."""
    d = draft()
    d.attach("don", pdf(1))
    d.attach("cccd", pdf(2))
    other = DossierCode(AgencyCode.parse("000.00.00.G12"), local_day(T0), 1)
    with pytest.raises(InvalidInput, match="code"):
        d.submit(code=other, now=T0)
    with pytest.raises(InvalidInput, match="code"):
        d.submit(code=DossierCode(AGENCY, dt.date(2022, 6, 23), 1), now=T0)
    assert d.status is S.DRAFT and d.code is None


def test_attach_checks_the_component_rules() -> None:
    """A file of a refused media type is refused; the same file twice is kept once."""
    d = draft()
    with pytest.raises(InvalidAttachment):
        d.attach(
            "don",
            FileRef(
                key="k",
                name="a.exe",
                media_type="application/x-msdownload",
                size=10,
                sha256="0" * 64,
            ),
        )
    d.attach("don", pdf(1))
    d.attach("don", pdf(1))
    assert d.files_for("don") == (pdf(1),)
    d.detach("don", pdf(1).key)
    assert d.files_for("don") == ()


def test_home_services_only_where_offered() -> None:
    """Pick-up and delivery are refused when the procedure does not offer them."""
    d = Dossier.start(
        id="d-2",
        owner_id=OWNER,
        procedure=procedure(pickup=False, delivery=False),
        applicant=Applicant(full_name="A", email="a@example.vn"),
        now=T0,
    )
    with pytest.raises(HomeServiceNotOffered):
        d.choose_home_pickup("12 Lê Lợi")
    with pytest.raises(HomeServiceNotOffered):
        d.choose_home_delivery("12 Lê Lợi")
    ok = draft()
    ok.choose_home_delivery("  12 Lê Lợi, Kon Tum ")
    assert ok.home_delivery_address == "12 Lê Lợi, Kon Tum"


def test_receive_sets_the_appointment_from_working_days() -> None:
    """Received Wednesday 09:00 local with 3 working days: due Monday."""
    d = submitted()
    due = d.receive(officer=OFFICER, now=later(1), calendar=CAL)
    assert due == dt.date(2022, 6, 27)
    assert d.status is S.RECEIVED and d.due_date == due


def test_supplement_during_processing_moves_the_due_date() -> None:
    """Days spent waiting for a supplement during processing push the due date back."""
    d = submitted()
    d.receive(officer=OFFICER, now=later(1), calendar=CAL)
    d.start_processing(officer=OFFICER, now=later(2))
    d.request_supplement(officer=OFFICER, now=later(3), note="Thiếu bản sao")
    assert d.is_paused
    d.resubmit(actor=APPLICANT, now=later(3 + 48), calendar=CAL)  # Friday
    assert d.status is S.PROCESSING
    assert d.due_date == dt.date(2022, 6, 29)  # Monday + 2 working days


def test_supplement_before_reception_returns_to_awaiting() -> None:
    """A supplement asked before reception sends the dossier back to awaiting reception."""
    d = submitted()
    d.request_supplement(officer=OFFICER, now=later(1), note="Bổ sung đơn")
    d.resubmit(actor=APPLICANT, now=later(2), calendar=CAL)
    assert d.status is S.AWAITING_RECEPTION and d.due_date is None


def test_only_the_owner_resubmits_or_withdraws() -> None:
    """Someone else than the owner cannot resubmit or withdraw."""
    d = submitted()
    d.request_supplement(officer=OFFICER, now=later(1), note="x")
    with pytest.raises(PermissionDenied):
        d.resubmit(actor=Actor.applicant("someone-else"), now=later(2), calendar=CAL)
    with pytest.raises(PermissionDenied):
        d.withdraw(actor=OFFICER, now=later(2), reason="x")


def test_pause_and_resume() -> None:
    """Pausing stops the clock; deciding while paused is refused; resuming moves the date."""
    d = submitted()
    d.receive(officer=OFFICER, now=later(1), calendar=CAL)
    d.start_processing(officer=OFFICER, now=later(1))
    d.pause(officer=OFFICER, now=later(2), reason="Chờ xác minh")
    with pytest.raises(TransitionNotAllowed):
        d.pause(officer=OFFICER, now=later(2), reason="again")
    with pytest.raises(TransitionNotAllowed):
        d.decide(officer=OFFICER, now=later(3), approved=True)
    d.resume(officer=OFFICER, now=later(24), calendar=CAL)
    assert d.due_date == dt.date(2022, 6, 28)
    with pytest.raises(TransitionNotAllowed):
        d.resume(officer=OFFICER, now=later(25), calendar=CAL)


def test_refusal_needs_reasons() -> None:
    """Refusing without reasons is refused; approving needs none."""
    d = submitted()
    d.receive(officer=OFFICER, now=later(1), calendar=CAL)
    d.start_processing(officer=OFFICER, now=later(1))
    with pytest.raises(InvalidInput, match="reasons"):
        d.decide(officer=OFFICER, now=later(2), approved=False, reasons="  ")
    before = (d.status, d.decision, len(d.history), len(d.pull_events()))
    with pytest.raises(InvalidInput, match="signed_by"):  # checked before anything changes
        d.decide(officer=OFFICER, now=later(2), approved=True, signed_by="x" * 5000)
    assert (d.status, d.decision, len(d.history), len(d.pull_events())) == (*before[:3], 0)
    d.decide(officer=OFFICER, now=later(2), approved=False, reasons="Không đủ điều kiện")
    assert d.decision is not None and not d.decision.approved
    d.return_result(officer=OFFICER, now=later(3))
    assert d.status is S.RESULT_RETURNED and d.status.national_code == 10


def test_result_of_an_approved_dossier_waits_for_payment() -> None:
    """An approved result with unpaid fees cannot be returned; a payment counts once."""
    d = submitted(fees=50_000)
    d.receive(officer=OFFICER, now=later(1), calendar=CAL)
    d.start_processing(officer=OFFICER, now=later(1))
    d.decide(officer=OFFICER, now=later(2), approved=True)
    with pytest.raises(TransitionNotAllowed, match="fees not paid"):
        d.return_result(officer=OFFICER, now=later(3))
    assert d.record_payment(payment_id="p1", amount=50_000, now=later(3), calendar=CAL)
    assert not d.record_payment(payment_id="p1", amount=50_000, now=later(3), calendar=CAL)
    assert d.payment_status is PaymentStatus.PAID
    d.return_result(officer=OFFICER, now=later(4))


def test_payment_requested_returns_to_processing_once_paid() -> None:
    """Payment requested pauses; the full payment sends the dossier back to processing."""
    d = submitted(fees=30_000)
    d.receive(officer=OFFICER, now=later(1), calendar=CAL)
    d.start_processing(officer=OFFICER, now=later(1))
    d.request_payment(officer=OFFICER, now=later(2))
    assert d.status is S.PAYMENT_REQUESTED
    with pytest.raises(InvalidMoney):
        d.record_payment(payment_id="p", amount=40_000, now=later(3), calendar=CAL)
    d.record_payment(payment_id="p", amount=30_000, now=later(3), calendar=CAL)
    assert d.status is S.PROCESSING and not d.is_paused


def test_nothing_to_pay_cannot_be_requested() -> None:
    """A 0 VND dossier needs no payment request."""
    d = submitted()
    d.receive(officer=OFFICER, now=later(1), calendar=CAL)
    with pytest.raises(PaymentNotRequired):
        d.request_payment(officer=OFFICER, now=later(2))


def test_overdue_is_derived_and_rescheduling_apologises() -> None:
    """Past the due date the dossier is overdue; a new date sent in time moves it."""
    d = submitted()
    d.receive(officer=OFFICER, now=later(1), calendar=CAL)  # due Monday 27/06
    assert not d.is_overdue(later(24))
    late = dt.datetime(2022, 6, 28, 3, tzinfo=UTC)
    assert d.is_overdue(late)
    with pytest.raises(ApologyTooLate):  # the due date has passed
        d.reschedule(officer=OFFICER, now=late, new_due_date=dt.date(2022, 7, 1), reason="x")
    in_time = dt.datetime(2022, 6, 24, 3, tzinfo=UTC)  # Friday, the working day before
    with pytest.raises(InvalidInput, match="new_due_date"):
        d.reschedule(officer=OFFICER, now=in_time, new_due_date=dt.date(2022, 6, 27), reason="x")
    d.reschedule(officer=OFFICER, now=in_time, new_due_date=dt.date(2022, 7, 1), reason="Chậm")
    assert not d.is_overdue(late)
    assert isinstance(d.pull_events()[-1], ev.DossierRescheduled)


def test_time_never_goes_backwards_in_history() -> None:
    """A step dated before the previous one is refused and changes nothing."""
    d = submitted()
    with pytest.raises(InvalidInput, match="now"):
        d.receive(officer=OFFICER, now=T0 - dt.timedelta(seconds=1), calendar=CAL)
    assert d.status is S.AWAITING_RECEPTION


# --- the state machine -----------------------------------------------------------------------

ACTIONS = (
    "submit",
    "receive",
    "refuse_reception",
    "request_supplement",
    "resubmit",
    "start_processing",
    "pause",
    "resume",
    "request_payment",
    "pay",
    "decide",
    "return_result",
    "withdraw",
    "stop_processing",
)

# What each action may do from each status (status -> allowed actions). This table is the
# specification; the aggregate must agree with it for every status it can reach.
ALLOWED: dict[S, set[str]] = {
    S.DRAFT: {"submit"},
    S.AWAITING_RECEPTION: {
        "receive",
        "refuse_reception",
        "request_supplement",
        "withdraw",
        "pay",
    },
    S.RECEIVED: {
        "request_supplement",
        "start_processing",
        "request_payment",
        "withdraw",
        "stop_processing",
        "pay",
    },
    S.PROCESSING: {
        "request_supplement",
        "pause",
        "resume",
        "request_payment",
        "decide",
        "withdraw",
        "stop_processing",
        "pay",
    },
    S.SUPPLEMENT_REQUESTED: {"resubmit", "withdraw", "stop_processing", "pay"},
    S.PAYMENT_REQUESTED: {"withdraw", "stop_processing", "pay"},
    S.DECIDED: {"return_result", "pay"},
}


class DossierMachine(RuleBasedStateMachine):
    """Random sequences of actions: only allowed ones succeed; history only grows."""

    @initialize(fees=st.sampled_from([0, 20_000]))
    def start(self, fees: int) -> None:
        self.dossier = draft(fees=fees)
        self.dossier.attach("don", pdf(1))
        self.dossier.attach("cccd", pdf(2))
        self.now = T0
        self.seq = 0
        self.history_len = len(self.dossier.history)
        self.was_terminal = False

    def _do(self, action: str, approved: bool) -> None:
        d, now = self.dossier, self.now
        if action == "submit":
            self.seq += 1
            d.submit(code=DossierCode(AGENCY, local_day(now), self.seq), now=now)
        elif action == "receive":
            d.receive(officer=OFFICER, now=now, calendar=CAL)
        elif action == "refuse_reception":
            d.refuse_reception(officer=OFFICER, now=now, reason="Sai thẩm quyền")
        elif action == "request_supplement":
            d.request_supplement(officer=OFFICER, now=now, note="Bổ sung")
        elif action == "resubmit":
            d.resubmit(actor=APPLICANT, now=now, calendar=CAL)
        elif action == "start_processing":
            d.start_processing(officer=OFFICER, now=now)
        elif action == "pause":
            d.pause(officer=OFFICER, now=now, reason="Chờ")
        elif action == "resume":
            d.resume(officer=OFFICER, now=now, calendar=CAL)
        elif action == "request_payment":
            d.request_payment(officer=OFFICER, now=now)
        elif action == "pay":
            d.record_payment(
                payment_id=f"p{len(d.history)}", amount=d.amount_due or 1, now=now, calendar=CAL
            )
        elif action == "decide":
            d.decide(officer=OFFICER, now=now, approved=approved, reasons="Lý do")
        elif action == "return_result":
            d.return_result(officer=OFFICER, now=now)
        elif action == "withdraw":
            d.withdraw(actor=APPLICANT, now=now, reason="Không cần nữa")
        elif action == "stop_processing":
            d.stop_processing(officer=OFFICER, now=now, reason="Dừng")

    @rule(
        action=st.sampled_from(ACTIONS),
        approved=st.booleans(),
        step=st.integers(min_value=0, max_value=30 * 3600),
    )
    def act(self, action: str, approved: bool, step: int) -> None:
        self.now += dt.timedelta(seconds=step)
        d = self.dossier
        before = (d.status, len(d.history), d.code, d.due_date, d.paid_amount)
        expected = action in ALLOWED.get(d.status, set())
        try:
            self._do(action, approved)
        except (TransitionNotAllowed, PaymentNotRequired, InvalidMoney) as e:
            assert (d.status, len(d.history), d.code, d.due_date, d.paid_amount) == before
            if isinstance(e, TransitionNotAllowed) and action not in ALLOWED.get(before[0], set()):
                return
            # Allowed by status, refused by a finer guard (paused, nothing due, unpaid fees).
            assert expected, f"{action} from {before[0]} raised {e!r}"
            return
        assert expected, f"{action} from {before[0]} succeeded but is not allowed"

    @invariant()
    def history_only_grows(self) -> None:
        assert len(self.dossier.history) >= self.history_len
        self.history_len = len(self.dossier.history)

    @invariant()
    def terminal_statuses_are_final(self) -> None:
        if self.was_terminal:
            assert self.dossier.status in TERMINAL_STATUSES
        self.was_terminal = self.dossier.status in TERMINAL_STATUSES

    @invariant()
    def code_exactly_when_submitted(self) -> None:
        assert (self.dossier.code is None) == (self.dossier.status is S.DRAFT)

    @invariant()
    def history_is_a_chain(self) -> None:
        h = self.dossier.history
        for a, b in itertools.pairwise(h):
            assert b.from_status is a.to_status
            assert b.at >= a.at
        assert h[-1].to_status is self.dossier.status

    @invariant()
    def never_paid_more_than_due(self) -> None:
        assert 0 <= self.dossier.paid_amount <= max(self.dossier.total_fees, 0)

    @precondition(lambda self: self.dossier.status is S.DECIDED)
    @rule()
    def decided_has_a_decision(self) -> None:
        assert self.dossier.decision is not None


TestDossierMachine = DossierMachine.TestCase
TestDossierMachine.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)


@given(st.sampled_from(list(S)))
def test_every_status_has_labels_and_national_codes(status: S) -> None:
    """Each status has Vietnamese and English labels; national codes are 1..10 and unique."""
    assert status.label_vi and status.label_en
    if status is not S.DRAFT:
        assert S.from_national_code(status.national_code or 0) is status
    codes = [s.national_code for s in S if s is not S.DRAFT]
    assert sorted(c for c in codes if c is not None) == list(range(1, 11))
