"""The 2025 rules for codes: both agency-id styles, schemes as data, every former scheme read."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop import errors
from onestop.domain import SCHEME_2018, SCHEME_2018_LEFT_TO_RIGHT, SCHEME_2025_CENTRAL
from onestop.domain.catalog import Agency
from onestop.domain.codes import AgencyCode, CodeScheme, DossierCode
from onestop.domain.schemes import FormerScheme, SchemeHistory
from tests.strategies.codes import (
    SHIPPED_SCHEMES,
    agency_codes,
    dossier_codes,
    left_to_right_only_agencies,
)
from tests.unit.conftest import HKD, WARD, PortalKit, vn

CENTRAL_07 = SCHEME_2025_CENTRAL.issued_by("07")
SWITCH_DAY = dt.date(2022, 6, 23)
HISTORY = SchemeHistory(CENTRAL_07, (FormerScheme(SCHEME_2018, dt.date(2019, 1, 1), SWITCH_DAY),))


# --- agency ids in both styles ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixed", "left_to_right"),
    [
        ("000.00.00.H34", "H34"),
        ("000.00.03.H34", "H34.03"),
        ("000.20.01.H34", "H34.01.20"),
        ("001.02.03.H34", "H34.03.02.001"),
        ("000.00.18.G12", "G12.18"),
    ],
)
def test_a_unit_written_in_both_styles_converts_exactly(fixed: str, left_to_right: str) -> None:
    """The 2016 id and the left-to-right id of one unit are equal and convert into each other."""
    a, b = AgencyCode.parse(fixed), AgencyCode.parse(left_to_right)
    assert a == b and hash(a) == hash(b)
    assert (str(a), str(b)) == (fixed, left_to_right)
    assert str(a.written("left_to_right")) == left_to_right
    assert str(b.written("fixed")) == fixed
    assert a.key == b.key == fixed


def test_left_to_right_ids_keep_units_the_2016_widths_cannot_hold() -> None:
    """H56.014.03 has no fixed-width form: it prints left to right and refuses the 2016 style."""
    code = AgencyCode.parse("H56.014.03")
    assert str(code) == code.key == "H56.014.03"
    assert code.units == ("014", "03") and code.depth == 3 and not code.has_fixed_form
    assert str(code.parent) == "H56.014" and code.parent is not None
    assert AgencyCode.parse("H56").is_ancestor_of(code)
    with pytest.raises(errors.InvalidAgencyCode):
        code.written("fixed")


@pytest.mark.parametrize(
    "text",
    [
        "h56.14",  # lower case
        "H56..14",  # empty unit
        "H56.00",  # a zero unit: zeros mean "no unit" in the 2016 style
        "H56.1-4",
        "H00.14",
        "H56." + "1" * 32,  # 36 characters
        "H56.14 ",
    ],
)
def test_malformed_left_to_right_ids_are_refused(text: str) -> None:
    """Lower case, empty or all-zero units, bad level 1 and more than 35 characters fail."""
    with pytest.raises(errors.InvalidAgencyCode):
        AgencyCode.parse(text)


@given(agency_codes("any"))
def test_agency_ids_round_trip_in_their_own_style(agency: AgencyCode) -> None:
    """Any id, either style, prints back as written and parses to an equal id of that style."""
    again = AgencyCode.parse(str(agency))
    assert again == agency and again.style == agency.style and str(again) == str(agency)


@given(agency_codes())
def test_conversion_is_exact_both_ways(agency: AgencyCode) -> None:
    """fixed -> left to right -> fixed gives the same text back."""
    fixed = agency.written("fixed")
    there = AgencyCode.parse(str(fixed.written("left_to_right")))
    assert str(there.written("fixed")) == str(fixed)


def test_agency_found_by_a_former_id(kit: PortalKit) -> None:
    """After a merger an agency records its old ids; a lookup by one of them finds it."""
    merged = Agency(
        AgencyCode.parse("H56.14"),
        "Sở Tài chính tỉnh Khánh Hòa (sau sáp nhập)",
        former_codes=(AgencyCode.parse("000.00.14.H41"),),
    )
    with kit.storage.unit_of_work() as uow:
        uow.catalog.put_agency(merged)
        uow.commit()
    with kit.storage.unit_of_work() as uow:
        assert uow.catalog.get_agency(AgencyCode.parse("H41.14")).code == merged.code
        assert uow.catalog.get_agency(AgencyCode.parse("000.00.14.H56")).code == merged.code
        with pytest.raises(errors.AgencyNotFound):
            uow.catalog.get_agency(AgencyCode.parse("H41.15"))


# --- schemes as data -------------------------------------------------------------------------


def test_the_centralised_scheme_reads_any_system_and_issues_its_own() -> None:
    """TT 04/2025: <left-to-right id>-YYMMDD-AA + at least four digits."""
    read = DossierCode.parse("H56.014.03-250701-050001", SCHEME_2025_CENTRAL)
    assert (read.system, read.seq, str(read)) == ("05", 1, "H56.014.03-250701-050001")
    issued = DossierCode.for_submission(
        AgencyCode.parse("000.00.03.H34"), vn(2025, 7, 1), 7, CENTRAL_07
    )
    assert str(issued) == "H34.03-250701-070007"
    with pytest.raises(errors.InvalidDossierCode) as caught:
        DossierCode(AgencyCode.parse("H34"), dt.date(2025, 7, 1), 1, SCHEME_2025_CENTRAL)
    assert caught.value.field == "dossier_code.system"


def test_a_growing_sequence_writes_ten_thousand_with_five_digits() -> None:
    """A growing scheme needs no new code past 9999; the 2018 scheme stops there."""
    code = DossierCode(AgencyCode.parse("H34.03"), dt.date(2025, 7, 1), 10_000, CENTRAL_07)
    assert str(code) == "H34.03-250701-0710000"
    assert DossierCode.parse(str(code), SCHEME_2025_CENTRAL) == code
    assert SCHEME_2018.max_seq == 9999 and CENTRAL_07.max_seq == 999_999_999
    with pytest.raises(errors.InvalidDossierCode):
        DossierCode(AgencyCode.parse("H34"), dt.date(2025, 7, 1), 10_000, SCHEME_2018)


def test_a_host_defines_a_scheme_without_code() -> None:
    """A scheme is a value: style, date pattern, width, growth and system part."""
    ours = CodeScheme(
        name="province-2026",
        date_pattern="YYYYMMDD",
        seq_width=5,
        seq_grows=True,
        agency_style="any",
        system_width=3,
        system="123",
    )
    code = DossierCode.for_submission(AgencyCode.parse("H56.014"), vn(2026, 2, 1), 42, ours)
    assert str(code) == "H56.014-20260201-12300042"
    assert DossierCode.parse(str(code), ours) == code
    with pytest.raises(errors.ConfigurationError):
        CodeScheme(name="bad", system="12")  # a system part needs a width


@given(st.sampled_from(SHIPPED_SCHEMES).flatmap(dossier_codes))
def test_codes_round_trip_under_every_shipped_scheme(code: DossierCode) -> None:
    """Written and read back under its scheme, a code is equal and prints the same."""
    again = DossierCode.parse(str(code), code.scheme)
    assert again == code and str(again) == str(code) and again.system == code.system


@given(dossier_codes(), st.data())
def test_mutated_codes_are_refused_or_read_as_another_code(
    code: DossierCode, data: st.DataObject
) -> None:
    """One character changed, added or dropped: refused, or read as a different code."""
    text = str(code)
    position = data.draw(st.integers(0, len(text) - 1))
    how = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    char = data.draw(st.sampled_from("0123456789AHZ.-x /"))
    if how == "replace":
        mutated = text[:position] + char + text[position + 1 :]
    elif how == "insert":
        mutated = text[:position] + char + text[position:]
    else:
        mutated = text[:position] + text[position + 1 :]
    if mutated == text:
        return
    try:
        read = DossierCode.parse(mutated, code.scheme)
    except errors.InvalidDossierCode:
        return
    assert str(read) == mutated  # one spelling per code: no padded or restyled variant
    assert read != code or read.agency.style != code.agency.style


@given(left_to_right_only_agencies())
def test_the_2018_scheme_refuses_an_agency_it_cannot_write(agency: AgencyCode) -> None:
    """A left-to-right-only id cannot get a 2018 fixed-width code; a left-to-right scheme can."""
    with pytest.raises(errors.InvalidDossierCode):
        DossierCode(agency, dt.date(2022, 6, 22), 1, SCHEME_2018)
    code = DossierCode(agency, dt.date(2022, 6, 22), 1, SCHEME_2018_LEFT_TO_RIGHT)
    assert DossierCode.parse(str(code), SCHEME_2018_LEFT_TO_RIGHT) == code


# --- the portal's scheme history -------------------------------------------------------------


def test_history_reads_old_and_new_codes() -> None:
    """Codes of the former scheme stay readable after the switch, with their own scheme."""
    old = HISTORY.parse("000.00.03.H34-220622-0001")
    new = HISTORY.parse("H34.03-220623-070001")
    assert old.scheme == SCHEME_2018 and new.scheme == CENTRAL_07
    assert str(old) == "000.00.03.H34-220622-0001" and str(new) == "H34.03-220623-070001"
    with pytest.raises(errors.InvalidDossierCode):
        HISTORY.parse("H34.03-220623-0001")


def test_province_prefix_checked_on_request() -> None:
    """The national portal's rule: the prefix carries the province id (H..), if asked."""
    ministry = "000.00.18.G12-220622-0001"
    assert HISTORY.parse(ministry).agency.kind == "ministry"
    with pytest.raises(errors.InvalidDossierCode) as caught:
        HISTORY.parse(ministry, province=True)
    assert caught.value.field == "dossier_code.agency"
    assert HISTORY.parse("H34.03-220623-070001", province="H34").seq == 1
    with pytest.raises(errors.InvalidDossierCode):
        HISTORY.parse("H34.03-220623-070001", province="H56")


def test_former_scheme_dates_must_make_sense() -> None:
    """A former scheme ends after it begins."""
    with pytest.raises(errors.ConfigurationError):
        FormerScheme(SCHEME_2018, SWITCH_DAY, SWITCH_DAY)


def test_tracking_and_numbering_survive_a_scheme_switch(kit: PortalKit) -> None:
    """track() reads a code issued before the switch; the day's counter just continues."""
    before = kit.submitted(HKD)
    assert str(before.code) == f"{WARD}-220622-0001"
    switched = attrs.evolve(
        kit.portal.context.settings,
        code_scheme=CENTRAL_07,
        former_code_schemes=(FormerScheme(SCHEME_2018, dt.date(2019, 1, 1), SWITCH_DAY),),
    )
    kit.portal.context.settings = switched
    after = kit.submitted(HKD)
    assert str(after.code) == "H34.20.01-220622-070002"  # same agency and day: number 2
    assert kit.portal.dossiers.track(str(before.code), "062090001234").code == str(before.code)
    assert kit.portal.dossiers.track(str(after.code), "062090001234").code == str(after.code)
    with pytest.raises(errors.DossierNotFound):  # another system's code is another code
        kit.portal.dossiers.track("H34.20.01-220622-050002", "062090001234")
