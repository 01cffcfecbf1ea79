"""The desk's due-soon list, the due-date history in views, and deadline policies in the
catalog file (issue 11: deadlines as per-procedure policy)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from onestop import errors
from onestop.application.context import Settings
from onestop.application.pagination import Page
from onestop.domain.deadlines import TimeLimit
from onestop.domain.dossier import Dossier, DueDateReason
from tests.unit.conftest import (
    BUDGET,
    CATALOG_JSON,
    FINANCE,
    HKD,
    WARD,
    PortalKit,
    make_kit,
    vn,
)

#: Certified copies: 8 working hours, restart after a supplement, no cutoff.
COPIES = "2.000815"


def _with_hour_procedure(kit: PortalKit) -> None:
    """Loads, from catalog JSON, a procedure whose limit is in working hours."""
    catalog = json.loads(CATALOG_JSON.read_text(encoding="utf-8"))
    entry = dict(next(p for p in catalog["procedures"] if p["code"] == HKD))
    entry.update(
        code=COPIES,
        name="Chứng thực bản sao từ bản chính",
        working_days=None,
        working_hours=8,
        cutoff=None,
        supplement_rule="restart",
        fees=[],
    )
    kit.portal.catalog.load_json_text(json.dumps({"procedures": [entry]}))


def _received(kit: PortalKit, officer_id: str, procedure: str) -> Dossier:
    dossier = kit.submitted(procedure)
    return kit.portal.desk.receive(officer_id, dossier.id)


def test_catalog_json_carries_hours_and_the_supplement_rule(kit: PortalKit) -> None:
    """working_hours, working_days null and supplement_rule load from JSON and dump back."""
    _with_hour_procedure(kit)
    procedure = kit.portal.catalog.get_procedure(COPIES)
    assert procedure.time_limit == TimeLimit(8, "hours")
    assert procedure.deadline.supplement == "restart" and procedure.cutoff is None
    dumped = json.loads(kit.portal.catalog.dump_json())
    entry = next(p for p in dumped["procedures"] if p["code"] == COPIES)
    assert (entry["working_days"], entry["working_hours"], entry["supplement_rule"]) == (
        None,
        8,
        "restart",
    )
    # A file written before (no working_hours, no supplement_rule) still loads as days.
    assert kit.portal.catalog.get_procedure(HKD).time_limit == TimeLimit(3, "days")


def test_catalog_json_with_both_limits_is_refused_by_path(kit: PortalKit) -> None:
    catalog = json.loads(CATALOG_JSON.read_text(encoding="utf-8"))
    entry = dict(catalog["procedures"][0], working_hours=8)
    with pytest.raises(errors.InvalidCatalog) as caught:
        kit.portal.catalog.load_json_text(json.dumps({"procedures": [entry]}))
    assert "procedures[0]" in caught.value.rule and "working_days" in caught.value.rule


def test_due_soon_lists_the_agencys_running_dossiers_soonest_first(kit: PortalKit) -> None:
    """Within 3 working days: the hours dossier (due tomorrow 09:00) before the HKD one
    (due Monday); a dossier of another agency, an overdue and a paused one are left out."""
    _with_hour_procedure(kit)
    officer = kit.officer(WARD).id
    other = kit.officer(FINANCE).id
    hkd = _received(kit, officer, HKD)  # Wed 22/06 09:00: due Mon 27/06
    kit.clock.advance(dt.timedelta(hours=1))
    copies = _received(kit, officer, COPIES)  # Wed 10:00 + 8 working hours: Thu 10:00
    paused = _received(kit, officer, HKD)
    kit.portal.desk.start_processing(officer, paused.id)
    kit.portal.desk.pause(officer, paused.id, "Chờ xác minh")
    _received(kit, other, BUDGET)
    assert copies.due_at == vn(2022, 6, 23, 10)
    page = kit.portal.desk.due_soon(officer, within=TimeLimit(3, "days"))
    assert isinstance(page, Page)
    assert [d.id for d in page.items] == [copies.id, hkd.id]
    assert page.total == 2
    tomorrow = kit.portal.desk.due_soon(officer)  # one working day: up to Thursday 17:00
    assert [d.id for d in tomorrow.items] == [copies.id]
    within_hours = kit.portal.desk.due_soon(officer, within=TimeLimit(4, "hours"))
    assert within_hours.items == ()
    kit.clock.set(vn(2022, 6, 23, 10, 30))  # the hours dossier is now overdue
    assert [d.id for d in kit.portal.desk.due_soon(officer, within=dt.timedelta(days=7)).items] == [
        hkd.id
    ]


def test_due_soon_pages_and_checks_its_arguments(kit: PortalKit) -> None:
    officer = kit.officer(WARD).id
    ids = [_received(kit, officer, HKD).id for _ in range(3)]
    first = kit.portal.desk.due_soon(officer, within=dt.timedelta(days=30), page_size=2)
    second = kit.portal.desk.due_soon(officer, within=dt.timedelta(days=30), page=2, page_size=2)
    assert [d.id for d in first.items + second.items] == sorted(ids)  # same due date: by id
    assert (first.total, first.pages, second.has_next) == (3, 2, False)
    for bad in (dt.timedelta(days=-1), dt.timedelta(days=400)):
        with pytest.raises(errors.InvalidInput) as caught:
            kit.portal.desk.due_soon(officer, within=bad)
        assert caught.value.field == "within"
    with pytest.raises(errors.InvalidInput) as caught:
        kit.portal.desk.due_soon(officer, within="tomorrow")  # type: ignore[arg-type]
    assert caught.value.field.endswith("within")


def test_due_soon_refuses_an_inactive_officer(kit: PortalKit) -> None:
    officer = kit.officer(WARD).id
    kit.portal.desk.deactivate(officer)
    with pytest.raises(errors.PermissionDenied):
        kit.portal.desk.due_soon(officer)
    with pytest.raises(errors.OfficerNotFound):
        kit.portal.desk.due_soon("nobody")


def test_views_show_every_due_date_and_the_due_time(kit: PortalKit) -> None:
    """The officer's view names who set each date; public tracking leaves names out."""
    _with_hour_procedure(kit)
    officer = kit.officer(WARD, name="Lê Văn Cường").id
    dossier = _received(kit, officer, HKD)
    kit.portal.desk.send_apology(officer, dossier.id, reason="Cần xác minh")
    view = kit.portal.desk.view(officer, dossier.id)
    assert [line.reason for line in view.due_dates] == [
        DueDateReason.RECEIPT,
        DueDateReason.APOLOGY,
    ]
    assert [line.due_text for line in view.due_dates] == ["27/06/2022", "30/06/2022"]
    assert view.due_dates[-1].reason_label == "Xin lỗi và hẹn lại ngày trả kết quả"
    assert {line.by for line in view.due_dates} == {"Lê Văn Cường"}
    assert view.due_date_text == "30/06/2022" and view.due_at_text == ""
    english = kit.portal.desk.view(officer, dossier.id, locale="en")
    assert english.due_dates[0].reason_label == "Set at receipt"
    tracked = kit.portal.dossiers.track(str(dossier.code), "062090001234")
    assert [line.due_text for line in tracked.due_dates] == ["27/06/2022", "30/06/2022"]
    assert {line.by for line in tracked.due_dates} == {""}
    copies = _received(kit, officer, COPIES)
    assert kit.portal.desk.view(officer, copies.id).due_at_text == "09:00 23/06/2022"


# --- the portal's settings ------------------------------------------------------------------


def _kit_with(settings: Settings) -> PortalKit:
    kit = make_kit()
    kit.portal.context.settings = settings
    return kit


def test_the_portal_supplement_rule_and_apology_day_come_from_settings() -> None:
    """Settings(supplement_rule="restart", apology_days_before=0): HKD has no rule of its
    own, so a supplement restarts its 3 days; an apology may come on the due date itself."""
    kit = _kit_with(Settings(supplement_rule="restart", apology_days_before=0))
    officer = kit.officer(WARD).id
    dossier = _received(kit, officer, HKD)  # Wed 22/06 09:00: due Mon 27/06
    kit.portal.desk.request_supplement(officer, dossier.id, "Thiếu bản sao")
    kit.clock.set(vn(2022, 6, 24, 10))  # Friday: complete again
    kit.portal.dossiers.resubmit(kit.citizen.id, dossier.id)
    assert kit.portal.desk.get(officer, dossier.id).due_date == dt.date(2022, 6, 29)
    kit.clock.set(vn(2022, 6, 29, 16))  # the due date itself
    moved = kit.portal.desk.send_apology(officer, dossier.id, reason="Quá tải")
    assert moved.due_date == dt.date(2022, 7, 4)


@pytest.mark.parametrize(
    "arguments",
    [{"supplement_rule": "pause"}, {"apology_days_before": -1}, {"apology_days_before": 31}],
)
def test_settings_refuse_unknown_rules_and_far_apology_days(arguments: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        Settings(**arguments)  # type: ignore[arg-type]


def test_the_receipt_mail_gives_the_hour_of_a_limit_in_hours(kit: PortalKit) -> None:
    """Received Wednesday 09:00 with 8 working hours: due Thursday 09:00, and the mail
    says so with the hour; a limit in days keeps the date alone."""
    _with_hour_procedure(kit)
    officer = kit.officer(WARD).id
    _received(kit, officer, COPIES)
    _received(kit, officer, HKD)
    with kit.storage.unit_of_work() as uow:
        texts = [e.message.text for e in uow.outbox.list() if e.message.template == "received"]
    assert sum("09:00 23/06/2022" in text for text in texts) == 1
    assert sum("27/06/2022" in text for text in texts) == 1


def test_the_national_portal_is_told_the_due_instant_of_a_limit_in_hours(
    kit: PortalKit,
) -> None:
    """Received Wednesday 09:00 with 8 working hours: NgayHenTra and each progress row's
    NgayKetThucTheoQuyDinh say Thursday 09:00; a limit in days says the end of the office's
    last session on the due date."""
    _with_hour_procedure(kit)
    officer = kit.officer(WARD).id
    in_hours = _received(kit, officer, COPIES)
    in_days = _received(kit, officer, HKD)
    with kit.storage.unit_of_work() as uow:
        last = {d.id: uow.sync.last_for(d.id) for d in (in_hours, in_days)}
    hours, days = last[in_hours.id], last[in_days.id]
    assert hours is not None and days is not None
    assert hours.record["NgayHenTra"] == "20220623090000"
    assert {row["NgayKetThucTheoQuyDinh"] for row in hours.progress} == {"20220623090000"}
    assert days.record["NgayHenTra"] == "20220627170000"
