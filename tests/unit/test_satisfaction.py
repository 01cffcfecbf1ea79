"""Citizens rate returned dossiers and leave complaints (issue 12, DOMAIN section 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop import serialization
from onestop.domain import events as ev
from onestop.domain.dossier import Dossier
from onestop.domain.satisfaction import Complaint, Rating, SatisfactionLevel
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    AlreadyRated,
    DossierNotFound,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
)
from onestop.testing import builders
from tests.unit.conftest import BUDGET, FINANCE, PortalKit, vn

# --- the domain -----------------------------------------------------------------------------


def test_only_a_returned_dossier_can_be_rated() -> None:
    """Rating a decided (not yet returned) dossier is TransitionNotAllowed naming the status."""
    dossier = builders.decided_dossier()
    with pytest.raises(TransitionNotAllowed) as caught:
        Rating.of(dossier, level="satisfied", now=builders.T0)
    assert caught.value.status == "decided"
    assert caught.value.allowed_from == ("result_returned",)


@pytest.mark.parametrize("level", ["", "good", "SATISFIED", 3, None])
def test_a_level_off_the_scale_is_refused(level: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        Rating.of(builders.decided_dossier(), level=level, now=builders.T0)  # type: ignore[arg-type]
    assert caught.value.field == "level"


def test_a_complaint_needs_a_submitted_dossier_and_some_text() -> None:
    with pytest.raises(TransitionNotAllowed):
        Complaint.of(builders.draft_dossier(), id="c-1", text="Chậm", now=builders.T0)
    with pytest.raises(InvalidInput) as caught:
        Complaint.of(builders.submitted_dossier(), id="c-1", text="   ", now=builders.T0)
    assert caught.value.field == "text"


def test_a_complaint_records_the_dossier_agency_and_an_event() -> None:
    dossier = builders.submitted_dossier()
    complaint, event = Complaint.of(dossier, id="c-1", text=" Hồ sơ chậm ", now=builders.T0)
    assert complaint.text == "Hồ sơ chậm"
    assert complaint.agency == dossier.agency
    assert complaint.account_id == dossier.owner_id
    assert event == ev.ComplaintFiled(at=builders.T0, dossier_id=dossier.id, complaint_id="c-1")


def test_only_the_dissatisfied_level_is_poor() -> None:
    assert [level.poor for level in SatisfactionLevel] == [False, False, True]
    assert SatisfactionLevel.VERY_SATISFIED.label_vi == "Rất hài lòng"


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(str.strip)
_AT = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(dt.UTC)
)


@given(level=st.sampled_from(SatisfactionLevel), comment=_TEXT | st.just(""), at=_AT, ident=_TEXT)
def test_records_round_trip_through_json(
    level: SatisfactionLevel, comment: str, at: dt.datetime, ident: str
) -> None:
    rating = Rating(ident, "account-1", "000.00.03.H34", level, comment, at)
    complaint = Complaint(ident, "dossier-1", "account-1", "000.00.03.H34", comment or "x", at)
    assert serialization.loads(serialization.dumps(rating), Rating) == rating
    assert serialization.loads(serialization.dumps(complaint), Complaint) == complaint


# --- the use cases ----------------------------------------------------------------------------


def _returned(kit: PortalKit) -> tuple[str, Dossier]:
    """A dossier of the citizen's taken from submission to a returned result, and its officer."""
    dossier = kit.submitted(BUDGET)
    officer = kit.officer(FINANCE)
    desk = kit.portal.desk
    desk.receive(officer.id, dossier.id)
    desk.start_processing(officer.id, dossier.id)
    desk.decide(officer.id, dossier.id, approved=True, reasons="Đủ điều kiện")
    done = desk.return_result(officer.id, dossier.id)
    assert done.status is DossierStatus.RESULT_RETURNED
    return officer.id, done


def test_a_citizen_rates_a_returned_dossier_once(kit: PortalKit) -> None:
    _, dossier = _returned(kit)
    dossiers = kit.portal.dossiers
    assert dossiers.rating(kit.citizen.id, dossier.id) is None
    rating = dossiers.rate(kit.citizen.id, dossier.id, "very_satisfied", "Nhanh, đúng hẹn")
    assert rating.level is SatisfactionLevel.VERY_SATISFIED
    assert rating.comment == "Nhanh, đúng hẹn"
    assert rating.at == kit.clock.now()
    assert dossiers.rating(kit.citizen.id, dossier.id) == rating
    with pytest.raises(AlreadyRated):
        dossiers.rate(kit.citizen.id, dossier.id, SatisfactionLevel.DISSATISFIED)
    assert dossiers.rating(kit.citizen.id, dossier.id) == rating


def test_rating_before_the_result_is_returned_changes_nothing(kit: PortalKit) -> None:
    dossier = kit.submitted(BUDGET)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.rate(kit.citizen.id, dossier.id, "satisfied")
    assert kit.portal.dossiers.rating(kit.citizen.id, dossier.id) is None


def test_someone_elses_dossier_cannot_be_rated_or_complained_about(kit: PortalKit) -> None:
    _, dossier = _returned(kit)
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.rate(kit.stranger.id, dossier.id, "dissatisfied")
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.complain(kit.stranger.id, dossier.id, "Tôi không hài lòng")
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.complaints(kit.stranger.id, dossier.id)
    assert kit.portal.dossiers.rating(kit.citizen.id, dossier.id) is None


def test_complaints_reach_the_agency_desk_newest_first(kit: PortalKit) -> None:
    officer_id, dossier = _returned(kit)
    dossiers = kit.portal.dossiers
    first = dossiers.complain(kit.citizen.id, dossier.id, "Cán bộ hẹn lại nhiều lần")
    kit.clock.advance(dt.timedelta(minutes=5))
    open_one = kit.submitted(BUDGET)
    second = dossiers.complain(kit.citizen.id, open_one.id, "Chưa thấy tiếp nhận")
    assert dossiers.complaints(kit.citizen.id, dossier.id) == [first]
    page = kit.portal.desk.complaints(officer_id, page=1, page_size=1)
    assert page.items == (second,)
    assert page.total == 2
    assert kit.portal.desk.complaints(officer_id, page=2, page_size=1).items == (first,)
    # Another agency's officer sees none of them.
    other = kit.officer()
    assert kit.portal.desk.complaints(other.id).total == 0


def test_an_inactive_officer_sees_no_complaints(kit: PortalKit) -> None:
    officer_id, _ = _returned(kit)
    kit.portal.desk.deactivate(officer_id)
    with pytest.raises(PermissionDenied):
        kit.portal.desk.complaints(officer_id)


def test_a_bad_page_is_refused(kit: PortalKit) -> None:
    officer_id, _ = _returned(kit)
    with pytest.raises(InvalidInput) as caught:
        kit.portal.desk.complaints(officer_id, page=0)
    assert caught.value.field == "page"


def test_rating_time_is_the_clock(kit: PortalKit) -> None:
    _, dossier = _returned(kit)
    kit.clock.set(vn(2022, 7, 1, 10))
    rating = kit.portal.dossiers.rate(kit.citizen.id, dossier.id, "satisfied")
    assert rating.at == vn(2022, 7, 1, 10)
