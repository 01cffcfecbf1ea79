"""Views a host renders: the guide's success screen, tracking and the officer's dossier."""

from __future__ import annotations

import datetime as dt

import pytest

import onestop.formatting
from onestop.application.views import ACTION_LABELS, DossierView, status_label
from onestop.domain.catalog import Component
from onestop.domain.dossier import Dossier
from onestop.domain.statuses import DossierStatus
from onestop.errors import DossierNotFound, InvalidInput, PermissionDenied
from onestop.formatting import format_date, format_datetime, format_size, format_time, format_vnd
from tests.unit.conftest import BUDGET, BUILD, HKD, PortalKit, vn


def component_of(dossier: Dossier, component_id: str) -> Component:
    return dossier.procedure.component(component_id)


def test_the_success_screen_shows_what_the_guide_shows(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    screen = kit.portal.dossiers.submission_view(kit.citizen.id, dossier.id)
    assert screen.heading == "Nộp hồ sơ thành công"
    assert screen.code == str(dossier.code)
    assert screen.status is DossierStatus.AWAITING_RECEPTION
    assert screen.status_label == status_label(DossierStatus.AWAITING_RECEPTION, "vi")
    assert screen.submitted_at_text == "09:00 22/06/2022"
    assert [line.label for line in screen.applicant] == [
        "Họ tên người nộp",
        "Ngày sinh",
        "CMND",
        "Nơi cấp CMND/ Căn cước",
        "Số điện thoại",
        "Email",
        "Địa chỉ",
    ]
    shown = {line.field: line.value for line in screen.applicant}
    assert shown["full_name"] == dossier.applicant.full_name
    assert shown["email"] == dossier.applicant.email
    if dossier.applicant.date_of_birth is not None:
        assert shown["date_of_birth"] == format_date(dossier.applicant.date_of_birth)
    mandatory = [c for c in screen.components if c.mandatory]
    assert mandatory
    for component in mandatory:
        assert [f.name for f in component.files] == [f"{component.id}.pdf"]
        assert component.copies_text == component_of(dossier, component.id).copies_label_vi
        assert component.files[0].size_text.endswith(" B")
    assert screen.fees.total == dossier.total_fees == 100_000
    assert screen.fees.total_text == "100.000 VND"
    assert [row.amount_text for row in screen.fees.rows] == ["100.000 VND"]
    assert screen.labels["total"] == "Tổng"
    assert screen.labels["unit_amount"] == "Mức lệ phí"


def test_a_procedure_without_fees_totals_zero_vnd_as_in_the_guide(kit: PortalKit) -> None:
    dossier = kit.submitted(BUDGET)
    screen = kit.portal.dossiers.submission_view(kit.citizen.id, dossier.id, locale="en")
    assert screen.heading == "Dossier submitted"
    assert screen.status_label == DossierStatus.AWAITING_RECEPTION.label_en
    assert screen.fees.rows == ()
    assert screen.fees.total_text == "0 VND"
    assert screen.applicant[0].label == "Full name"


def test_the_officer_and_the_applicant_see_the_same_dossier_formatted(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    officer = kit.officer()
    kit.portal.desk.receive(officer.id, dossier.id, note="Đủ giấy tờ")
    desk_view = kit.portal.desk.view(officer.id, dossier.id)
    mine = kit.portal.dossiers.view(kit.citizen.id, dossier.id)
    assert desk_view.code == mine.code
    assert desk_view.due_date_text == mine.due_date_text != ""
    assert desk_view.received_at_text == "09:00 22/06/2022"
    assert desk_view.progress[-1].note == "Đủ giấy tờ"
    assert desk_view.progress[-1].at_text == "09:00 22/06/2022"
    with pytest.raises(PermissionDenied):
        kit.portal.desk.view(kit.officer(BUILD).id, dossier.id)
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.view(kit.stranger.id, dossier.id)


def test_views_can_leave_notes_out_and_refuse_an_unknown_locale(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    officer = kit.officer()
    received = kit.portal.desk.receive(officer.id, dossier.id, note="Ghi chú nội bộ")
    now = kit.clock.now()
    quiet = DossierView.of(received, now=now, with_notes=False)
    assert all(entry.note == "" for entry in quiet.progress)
    with pytest.raises(InvalidInput) as caught:
        kit.portal.dossiers.view(kit.citizen.id, dossier.id, locale="fr")
    assert caught.value.field == "locale"


def test_tracking_shows_formatted_dates_and_no_personal_data(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    officer = kit.officer()
    kit.portal.desk.receive(officer.id, dossier.id)
    second_factor = dossier.applicant.id_number or dossier.applicant.phone
    assert second_factor is not None
    view = kit.portal.dossiers.track(str(dossier.code), second_factor)
    assert view.submitted_at_text == "09:00 22/06/2022"
    assert view.due_date_text == format_date(view.due_date)  # type: ignore[arg-type]
    assert [step.at_text for step in view.steps][:1] == ["09:00 22/06/2022"]
    assert view.steps[-1].label("en") == DossierStatus.RECEIVED.label_en
    assert dossier.applicant.full_name not in repr(view)


def test_the_formatting_helpers_have_one_public_home() -> None:
    assert set(onestop.formatting.__all__) >= {"format_vnd", "format_date", "format_datetime"}
    assert format_vnd(1_250_000) == "1.250.000 VND"
    assert format_date(dt.date(2022, 6, 2)) == "02/06/2022"
    assert format_datetime(vn(2022, 6, 22, 9, 30)) == "09:30 22/06/2022"
    assert format_time(dt.datetime(2022, 6, 21, 17, 5, tzinfo=dt.UTC)) == "00:05"
    assert [format_size(n) for n in (0, 850, 12_800, 1_258_291)] == [
        "0 B",
        "850 B",
        "12,5 KB",
        "1,2 MB",
    ]
    with pytest.raises(InvalidInput):
        format_date("2022-06-02")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        format_size(-1)


def test_every_step_sent_to_the_national_portal_has_a_label_on_screen() -> None:
    """The history on screen and the progress sent to the national portal name the same
    steps (a draft's start is never sent), so no step shows as its bare status."""
    from onestop.application._sync_records import _ACTION_TEXT

    assert set(ACTION_LABELS) - {"draft_started"} == set(_ACTION_TEXT)
