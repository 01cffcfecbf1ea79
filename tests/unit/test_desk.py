"""The officer's desk (OfficerDesk) over the in-memory portal (issue 3, Officer desk)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop import errors
from onestop.domain.codes import AgencyCode
from onestop.domain.dossier import Dossier
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    AgencyNotFound,
    DossierNotFound,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
)
from onestop.testing import builders
from tests.unit.conftest import (
    BUDGET,
    BUILD,
    FINANCE,
    HKD,
    HOLIDAYS,
    PERMIT,
    WARD,
    PortalKit,
    make_kit,
    outbox,
    vn,
)

S = DossierStatus


def templates(kit: PortalKit) -> list[str]:
    return [template for template, _ in outbox(kit)]


def received(kit: PortalKit, procedure: str = HKD) -> tuple[str, Dossier]:
    """An officer of the procedure's agency and a dossier they received an hour after it came."""
    dossier = kit.submitted(procedure)
    officer = kit.officer(str(dossier.procedure.agency))
    kit.clock.advance(dt.timedelta(hours=1))
    kit.portal.desk.receive(officer.id, dossier.id)
    return officer.id, kit.portal.desk.get(officer.id, dossier.id)


def processing(kit: PortalKit, procedure: str = HKD) -> tuple[str, Dossier]:
    officer_id, dossier = received(kit, procedure)
    kit.clock.advance(dt.timedelta(hours=1))
    kit.portal.desk.start_processing(officer_id, dossier.id)
    return officer_id, kit.portal.desk.get(officer_id, dossier.id)


# --- officers, queue, permissions -----------------------------------------------------------


def test_an_officer_belongs_to_a_known_agency(kit: PortalKit) -> None:
    officer = kit.officer(WARD)
    assert officer.agency == AgencyCode.parse(WARD)
    assert officer.active
    with pytest.raises(AgencyNotFound):
        kit.portal.desk.register_officer("000.00.99.H34", "Lê Văn Cường", "c@kontum.gov.vn")


def test_the_queue_holds_the_agencys_submitted_dossiers_only(kit: PortalKit) -> None:
    ward, build = kit.officer(WARD), kit.officer(BUILD)
    first = kit.submitted(HKD)
    kit.clock.advance(dt.timedelta(minutes=1))
    permit = kit.submitted(PERMIT)
    kit.clock.advance(dt.timedelta(minutes=1))
    second = kit.submitted("2.000575", account=kit.stranger)
    kit.draft(HKD)  # a draft is nobody's business but the applicant's
    assert [d.id for d in kit.portal.desk.queue(ward.id)] == [first.id, second.id]
    assert [d.id for d in kit.portal.desk.queue(build.id)] == [permit.id]
    assert kit.portal.desk.queue(kit.officer(FINANCE).id) == []
    kit.portal.desk.receive(ward.id, first.id)
    waiting = kit.portal.desk.queue(ward.id, statuses=frozenset({S.AWAITING_RECEPTION}))
    assert [d.id for d in waiting] == [second.id]


ACTIONS: dict[str, Callable[[PortalKit, str, str], object]] = {
    "get": lambda k, o, d: k.portal.desk.get(o, d),
    "receive": lambda k, o, d: k.portal.desk.receive(o, d),
    "refuse_reception": lambda k, o, d: k.portal.desk.refuse_reception(o, d, "Sai thủ tục"),
    "request_supplement": lambda k, o, d: k.portal.desk.request_supplement(o, d, "Bổ sung"),
    "start_processing": lambda k, o, d: k.portal.desk.start_processing(o, d),
    "pause": lambda k, o, d: k.portal.desk.pause(o, d, "Chờ xác minh"),
    "resume": lambda k, o, d: k.portal.desk.resume(o, d),
    "decide": lambda k, o, d: k.portal.desk.decide(o, d, approved=True),
    "return_result": lambda k, o, d: k.portal.desk.return_result(o, d),
    "stop_processing": lambda k, o, d: k.portal.desk.stop_processing(o, d, "Dừng"),
    "send_apology": lambda k, o, d: k.portal.desk.send_apology(o, d, reason="Quá tải"),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_an_officer_never_acts_on_another_agencys_dossier(kit: PortalKit, action: str) -> None:
    _, dossier = received(kit)
    outsider = kit.officer(BUILD)
    before = kit.snapshot()
    with pytest.raises(PermissionDenied):
        ACTIONS[action](kit, outsider.id, dossier.id)
    assert kit.snapshot() == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_an_inactive_officer_can_do_nothing(kit: PortalKit, action: str) -> None:
    dossier = kit.submitted(HKD)
    retired = builders.officer(agency=AgencyCode.parse(WARD), active=False)
    with kit.storage.unit_of_work() as uow:
        uow.officers.add(retired)
        uow.commit()
    before = kit.snapshot()
    with pytest.raises(PermissionDenied):
        ACTIONS[action](kit, retired.id, dossier.id)
    with pytest.raises(PermissionDenied):
        kit.portal.desk.queue(retired.id)
    assert kit.snapshot() == before


def test_an_officer_does_not_see_drafts(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    officer = kit.officer(WARD)
    with pytest.raises(DossierNotFound):
        kit.portal.desk.get(officer.id, draft.id)
    with pytest.raises(DossierNotFound):
        kit.portal.desk.receive(officer.id, draft.id)


# --- reception and the appointment date -----------------------------------------------------


def _receive_at(kit: PortalKit, procedure: str, at: dt.datetime) -> dt.date:
    kit.clock.set(at)
    dossier = kit.submitted(procedure)
    officer = kit.officer(str(dossier.procedure.agency))
    received = kit.portal.desk.receive(officer.id, dossier.id)
    due = received.due_date
    assert due is not None
    stored = kit.portal.desk.get(officer.id, dossier.id)
    assert received.status is stored.status is S.RECEIVED
    assert (stored.due_date, stored.version) == (due, received.version)
    assert stored.received_at == at
    return due


@pytest.mark.parametrize(
    ("procedure", "at", "due"),
    [
        # 2.000720: 3 working days, cutoff 15:00.
        (HKD, vn(2022, 6, 22, 9), dt.date(2022, 6, 27)),  # Wed -> Mon, over the weekend
        (HKD, vn(2022, 6, 24, 14, 59), dt.date(2022, 6, 29)),  # Fri before the cutoff
        (HKD, vn(2022, 6, 24, 15, 0), dt.date(2022, 6, 30)),  # Fri at the cutoff: from Mon
        (HKD, vn(2022, 6, 25, 10), dt.date(2022, 6, 30)),  # Sat: counts from Mon
        (HKD, vn(2022, 8, 31, 9), dt.date(2022, 9, 7)),  # National Day 1-2 Sep and weekend
        (HKD, vn(2022, 9, 1, 10), dt.date(2022, 9, 8)),  # received on the holiday itself
        (HKD, vn(2022, 8, 30, 16), dt.date(2022, 9, 7)),  # Tue after the cutoff: from Wed
        # 2.000488: 10 working days, no cutoff: late Friday still counts from Friday.
        ("2.000488", vn(2022, 6, 24, 16, 45), dt.date(2022, 7, 8)),
        # 1.005439: 2 working days, the library's default cutoff: late Friday counts from Monday.
        (BUDGET, vn(2022, 6, 24, 16, 45), dt.date(2022, 6, 29)),
        # 1.009974: 20 working days, cutoff 16:30.
        (PERMIT, vn(2022, 8, 25, 16, 29), dt.date(2022, 9, 26)),
        (PERMIT, vn(2022, 8, 25, 16, 30), dt.date(2022, 9, 27)),
    ],
)
def test_the_appointment_date_follows_the_working_calendar(
    kit: PortalKit, procedure: str, at: dt.datetime, due: dt.date
) -> None:
    assert _receive_at(kit, procedure, at) == due


def test_the_cutoff_is_read_in_vietnam_time(kit: PortalKit) -> None:
    # 08:00 UTC is 15:00 in Vietnam: at the cutoff, though early in UTC.
    at = dt.datetime(2022, 6, 22, 8, 0, tzinfo=dt.UTC)
    assert _receive_at(kit, HKD, at) == dt.date(2022, 6, 28)


@settings(max_examples=30, deadline=None)
@given(
    day=st.dates(dt.date(2022, 8, 22), dt.date(2022, 9, 9)),
    minute=st.integers(7 * 60, 17 * 60),
)
def test_appointment_dates_are_working_days_after_reception(day: dt.date, minute: int) -> None:
    kit = make_kit(vn(day.year, day.month, day.day, minute // 60, minute % 60))
    due = _receive_at(kit, HKD, kit.clock.now())
    calendar = kit.portal.context.calendar
    assert calendar.is_working_day(due)
    assert due not in HOLIDAYS
    assert due.weekday() < 5
    # Exactly 3 working days after the day reception counts from.
    late = minute >= 15 * 60 or not calendar.is_working_day(day)
    start = calendar.next_working_day(day) if late else day
    assert calendar.working_days_between(start, due) == 3


def test_receive_queues_the_appointment_mail(kit: PortalKit) -> None:
    officer_id, dossier = received(kit)
    assert templates(kit) == ["submission_receipt", "received"]
    with kit.storage.unit_of_work() as uow:
        mail = sorted(uow.outbox.list(), key=lambda e: e.created_at)[-1].message
    assert mail.to == kit.citizen.email
    assert "27/06/2022" in mail.text
    before = kit.snapshot()
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.receive(officer_id, dossier.id)
    assert kit.snapshot() == before


def test_refuse_reception_needs_a_reason_and_mails_it(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    officer = kit.officer(WARD)
    before = kit.snapshot()
    with pytest.raises(InvalidInput) as caught:
        kit.portal.desk.refuse_reception(officer.id, dossier.id, " ")
    assert caught.value.field == "reason"
    assert kit.snapshot() == before
    kit.clock.advance(dt.timedelta(minutes=10))
    refused = kit.portal.desk.refuse_reception(officer.id, dossier.id, "Không thuộc thẩm quyền")
    assert refused.status is S.RECEPTION_REFUSED
    assert refused.history[-1].note == "Không thuộc thẩm quyền"
    assert templates(kit) == ["submission_receipt", "reception_refused"]
    with kit.storage.unit_of_work() as uow:
        texts = [e.message.text for e in uow.outbox.list()]
    assert any("Không thuộc thẩm quyền" in t for t in texts)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.receive(officer.id, dossier.id)


def test_request_supplement_mails_the_note(kit: PortalKit) -> None:
    officer_id, dossier = received(kit)
    with pytest.raises(InvalidInput):
        kit.portal.desk.request_supplement(officer_id, dossier.id, "")
    kit.clock.advance(dt.timedelta(minutes=1))
    asked = kit.portal.desk.request_supplement(officer_id, dossier.id, "Bổ sung sổ hộ khẩu")
    assert asked.status is S.SUPPLEMENT_REQUESTED
    assert templates(kit)[-1] == "supplement_requested"


# --- processing, pause and resume -----------------------------------------------------------


def test_start_processing_sends_no_mail(kit: PortalKit) -> None:
    officer_id, dossier = processing(kit)
    assert dossier.status is S.PROCESSING
    assert templates(kit) == ["submission_receipt", "received"]
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.start_processing(officer_id, dossier.id)


@pytest.mark.parametrize(
    ("received_at", "paused_at", "resumed_at", "due", "moved"),
    [
        # Due Mon 27/06; paused Thu 23, resumed Tue 28: Fri 24, Mon 27, Tue 28 -> 3 days later.
        (vn(2022, 6, 22, 9), vn(2022, 6, 23, 9), vn(2022, 6, 28, 9), (6, 27), (6, 30)),
        # Paused and resumed the same day: nothing moves.
        (vn(2022, 6, 22, 9), vn(2022, 6, 23, 9), vn(2022, 6, 23, 16), (6, 27), (6, 27)),
        # Over the weekend only: Mon 27 counts once.
        (vn(2022, 6, 22, 9), vn(2022, 6, 24, 9), vn(2022, 6, 27, 9), (6, 27), (6, 28)),
        # Due Wed 07/09; paused Wed 31/08, resumed Mon 05/09: holidays and weekend do not count.
        (vn(2022, 8, 31, 9), vn(2022, 8, 31, 10), vn(2022, 9, 5, 9), (9, 7), (9, 8)),
    ],
)
def test_resume_moves_the_due_date_by_the_working_days_paused(
    received_at: dt.datetime,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
    due: tuple[int, int],
    moved: tuple[int, int],
) -> None:
    kit = make_kit(received_at)
    dossier = kit.submitted(HKD)
    officer = kit.officer(WARD)
    assert kit.portal.desk.receive(officer.id, dossier.id).due_date == dt.date(2022, *due)
    kit.portal.desk.start_processing(officer.id, dossier.id)
    kit.clock.set(paused_at)
    paused = kit.portal.desk.pause(officer.id, dossier.id, "Chờ ý kiến cơ quan thuế")
    assert paused.is_paused
    assert paused.status is S.PROCESSING
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.pause(officer.id, dossier.id, "lần hai")
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.decide(officer.id, dossier.id, approved=True)  # resume first
    kit.clock.set(resumed_at)
    resumed = kit.portal.desk.resume(officer.id, dossier.id)
    assert not resumed.is_paused
    assert resumed.due_date == dt.date(2022, *moved)
    assert kit.portal.desk.get(officer.id, dossier.id).due_date == dt.date(2022, *moved)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.resume(officer.id, dossier.id)
    assert [h.action for h in resumed.history][-2:] == ["paused", "resumed"]


def test_pause_needs_a_reason(kit: PortalKit) -> None:
    officer_id, dossier = processing(kit)
    before = kit.snapshot()
    with pytest.raises(InvalidInput):
        kit.portal.desk.pause(officer_id, dossier.id, "")
    assert kit.snapshot() == before


# --- decision and result --------------------------------------------------------------------


def test_approve_then_return_once_paid(kit: PortalKit) -> None:
    officer_id, dossier = processing(kit, BUDGET)  # no fees
    kit.clock.advance(dt.timedelta(hours=1))
    decided = kit.portal.desk.decide(officer_id, dossier.id, approved=True)
    assert decided.status is S.DECIDED
    assert decided.decision is not None
    assert decided.decision.approved
    assert decided.decision.officer_id == officer_id
    assert templates(kit)[-1] == "result_ready"
    kit.clock.advance(dt.timedelta(hours=1))
    done = kit.portal.desk.return_result(officer_id, dossier.id, "Trả qua bưu điện")
    assert done.status is S.RESULT_RETURNED
    assert done.status.is_terminal
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.return_result(officer_id, dossier.id)


def test_an_approved_result_waits_for_the_fees(kit: PortalKit) -> None:
    officer_id, dossier = processing(kit, HKD)  # 100 000 VND, unpaid
    kit.portal.desk.decide(officer_id, dossier.id, approved=True)
    before = kit.snapshot()
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.return_result(officer_id, dossier.id)
    assert kit.snapshot() == before


def test_a_refusal_needs_reasons_and_mails_them(kit: PortalKit) -> None:
    officer_id, dossier = processing(kit, HKD)
    before = kit.snapshot()
    with pytest.raises(InvalidInput) as caught:
        kit.portal.desk.decide(officer_id, dossier.id, approved=False)
    assert caught.value.field == "reasons"
    assert kit.snapshot() == before
    refused = kit.portal.desk.decide(
        officer_id, dossier.id, approved=False, reasons="Tên hộ kinh doanh bị trùng"
    )
    assert refused.decision is not None
    assert not refused.decision.approved
    assert refused.decision.reasons == "Tên hộ kinh doanh bị trùng"
    with kit.storage.unit_of_work() as uow:
        last = sorted(uow.outbox.list(), key=lambda e: e.created_at)[-1].message
    assert last.template == "result_ready"
    assert "Tên hộ kinh doanh bị trùng" in last.text
    # A refused result is handed back even with the fees unpaid.
    returned = kit.portal.desk.return_result(officer_id, dossier.id)
    assert returned.status is S.RESULT_RETURNED


def test_decide_only_while_processing(kit: PortalKit) -> None:
    officer_id, dossier = received(kit)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.decide(officer_id, dossier.id, approved=True)


# --- overdue and apology --------------------------------------------------------------------


def test_overdue_lists_the_agencys_late_running_dossiers(kit: PortalKit) -> None:
    officer_id, late = processing(kit, BUDGET)  # Wed 22/06, 2 days: due Fri 24/06
    _, paused = processing(kit, "1.005430")  # same agency, 30 days: not late
    other_officer, other = processing(kit, PERMIT)  # another agency
    assert late.due_date == dt.date(2022, 6, 24)
    kit.clock.set(vn(2022, 6, 24, 16))
    assert kit.portal.desk.overdue(officer_id) == []  # due today is not late
    kit.clock.set(vn(2022, 6, 27, 8))
    assert [d.id for d in kit.portal.desk.overdue(officer_id)] == [late.id]
    kit.portal.desk.pause(officer_id, late.id, "Chờ xác minh")
    assert kit.portal.desk.overdue(officer_id) == []  # the clock is stopped
    assert paused.id not in {d.id for d in kit.portal.desk.overdue(officer_id)}
    assert other.id not in {d.id for d in kit.portal.desk.overdue(other_officer)}


def test_apology_with_a_new_appointment_date(kit: PortalKit) -> None:
    """Sent before the due date, the apology gives the procedure's time limit again from
    the due date, mails the applicant and keeps the old date in the due-date history."""
    officer_id, dossier = processing(kit)  # due Mon 27/06
    kit.clock.set(vn(2022, 6, 24, 9))  # Friday: the working day before, the last one allowed
    new_date = kit.portal.desk.send_apology(
        officer_id, dossier.id, reason="Hồ sơ cần xác minh"
    ).due_date
    # By default: the procedure's 3 working days from the current due date.
    assert new_date == dt.date(2022, 6, 30)
    stored = kit.portal.desk.get(officer_id, dossier.id)
    assert stored.due_date == new_date
    assert stored.history[-1].action == "rescheduled"
    assert [c.due_date for c in stored.due_dates] == [dt.date(2022, 6, 27), new_date]
    assert [c.reason.value for c in stored.due_dates] == ["receipt", "apology"]
    assert stored.due_dates[-1].by.id == officer_id
    with kit.storage.unit_of_work() as uow:
        last = sorted(uow.outbox.list(), key=lambda e: e.created_at)[-1].message
    assert last.template == "apology"
    assert "30/06/2022" in last.text
    assert "27/06/2022" in last.text


def test_an_apology_on_the_due_date_is_too_late(kit: PortalKit) -> None:
    """The rule: at the latest the working day before the due date (Settings)."""
    officer_id, dossier = processing(kit)  # due Mon 27/06; Fri 24/06 is the last day
    kit.clock.set(vn(2022, 6, 27, 8))
    before = kit.snapshot()
    with pytest.raises(errors.ApologyTooLate) as caught:
        kit.portal.desk.send_apology(officer_id, dossier.id, reason="Quá tải")
    assert caught.value.params == {
        "due_date": dt.date(2022, 6, 27),
        "latest": dt.date(2022, 6, 24),
    }
    assert kit.snapshot() == before


def test_a_new_date_is_given_only_once(kit: PortalKit) -> None:
    """A second apology for the same dossier is refused, whatever its date."""
    officer_id, dossier = processing(kit)
    kit.portal.desk.send_apology(officer_id, dossier.id, reason="Quá tải")
    with pytest.raises(errors.AlreadyRescheduled):
        kit.portal.desk.send_apology(
            officer_id, dossier.id, reason="Lần nữa", new_due_date=dt.date(2022, 8, 1)
        )


def test_apology_with_a_chosen_date_must_move_it_later(kit: PortalKit) -> None:
    officer_id, dossier = processing(kit)  # due Mon 27/06
    before = kit.snapshot()
    for bad in (dt.date(2022, 6, 22), dt.date(2022, 6, 27)):
        with pytest.raises(InvalidInput) as caught:
            kit.portal.desk.send_apology(officer_id, dossier.id, reason="Quá tải", new_due_date=bad)
        assert caught.value.field == "new_due_date"
    with pytest.raises(InvalidInput):
        kit.portal.desk.send_apology(officer_id, dossier.id, reason=" ")
    assert kit.snapshot() == before
    chosen = dt.date(2022, 7, 4)
    assert (
        kit.portal.desk.send_apology(
            officer_id, dossier.id, reason="Quá tải", new_due_date=chosen
        ).due_date
        == chosen
    )
    assert kit.portal.desk.get(officer_id, dossier.id).due_date == chosen


def test_the_whole_desk_flow_mails_each_step_once(kit: PortalKit) -> None:
    dossier = kit.submitted(BUDGET)
    officer = kit.officer(FINANCE)
    desk = kit.portal.desk
    steps: list[Callable[[], object]] = [
        lambda: desk.receive(officer.id, dossier.id),
        lambda: desk.start_processing(officer.id, dossier.id),
        lambda: desk.request_supplement(officer.id, dossier.id, "Bổ sung quyết định"),
        lambda: kit.portal.dossiers.resubmit(kit.citizen.id, dossier.id),
        lambda: desk.pause(officer.id, dossier.id, "Chờ"),
        lambda: desk.resume(officer.id, dossier.id),
        lambda: desk.send_apology(officer.id, dossier.id, reason="Quá tải"),
        lambda: desk.decide(officer.id, dossier.id, approved=True),
        lambda: desk.return_result(officer.id, dossier.id),
    ]
    for step in steps:
        kit.clock.advance(dt.timedelta(hours=2))
        step()
    assert templates(kit) == [
        "submission_receipt",
        "received",
        "supplement_requested",
        "apology",
        "result_ready",
    ]
    final = desk.get(officer.id, dossier.id)
    assert [h.action for h in final.history] == [
        "draft_started",
        "submitted",
        "received",
        "processing_started",
        "supplement_requested",
        "resubmitted",
        "paused",
        "resumed",
        "rescheduled",
        "approved",
        "result_returned",
    ]


def test_two_officers_racing_on_one_dossier_one_wins(kit: PortalKit) -> None:
    import threading

    from onestop.errors import ConcurrentUpdate

    dossier = kit.submitted(HKD)
    first, second = kit.officer(WARD), kit.officer(WARD, "Phạm Thị Dung")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(officer_id: str, refuse: bool) -> None:
        barrier.wait()
        try:
            if refuse:
                kit.portal.desk.refuse_reception(officer_id, dossier.id, "Sai thủ tục")
            else:
                kit.portal.desk.receive(officer_id, dossier.id)
            outcomes.append("ok")
        except (ConcurrentUpdate, TransitionNotAllowed):
            outcomes.append("lost")

    threads = [
        threading.Thread(target=act, args=(first.id, False)),
        threading.Thread(target=act, args=(second.id, True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost", "ok"]
    final = kit.portal.desk.get(first.id, dossier.id)
    assert final.status in {S.RECEIVED, S.RECEPTION_REFUSED}
    assert [h.action for h in final.history][:2] == ["draft_started", "submitted"]
    assert len(final.history) == 3
    assert len(templates(kit)) == 2  # the receipt and the winner's mail only
