"""Agency ids, dossier codes, code schemes and Vietnam's local day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from onestop import errors
from onestop.domain.codes import (
    SCHEME_2018,
    SCHEME_WIDE,
    VN_TZ,
    AgencyCode,
    CodeScheme,
    DossierCode,
    local_day,
    local_time,
    require_aware,
)
from tests.strategies.codes import (
    agency_codes,
    aware_datetimes,
    code_schemes,
    dossier_codes,
    scheme_days,
)

UTC_PLUS_7 = dt.timezone(dt.timedelta(hours=7))
KON_TUM_UNIT = AgencyCode("H34", 3, 0, 0)


# --- local day -----------------------------------------------------------------------------


def test_local_day_turns_at_17_utc() -> None:
    """16:59:59 UTC is still day D in Vietnam; 17:00:00 UTC is already D+1."""
    assert local_day(dt.datetime(2022, 6, 21, 16, 59, 59, tzinfo=dt.UTC)) == dt.date(2022, 6, 21)
    assert local_day(dt.datetime(2022, 6, 21, 17, 0, 0, tzinfo=dt.UTC)) == dt.date(2022, 6, 22)


def test_local_day_turns_at_local_midnight_across_a_year() -> None:
    """New Year's Eve 17:00 UTC is already 1 January in Vietnam."""
    instant = dt.datetime(2022, 12, 31, 17, 0, tzinfo=dt.UTC)
    assert local_day(instant) == dt.date(2023, 1, 1)


@given(aware_datetimes())
def test_local_day_agrees_with_a_utc_plus_7_clock(instant: dt.datetime) -> None:
    """Whatever the instant's own zone, its local day is the date on a UTC+7 clock."""
    assert local_day(instant) == instant.astimezone(UTC_PLUS_7).date()


@given(aware_datetimes())
def test_local_time_is_the_same_instant_at_utc_plus_7(instant: dt.datetime) -> None:
    """local_time moves the clock, not the instant."""
    seen = local_time(instant)
    assert seen == instant
    assert seen.utcoffset() == dt.timedelta(hours=7)
    assert seen.tzinfo is VN_TZ


@pytest.mark.parametrize("convert", [local_day, local_time])
def test_naive_datetime_refused(convert: Callable[[dt.datetime], object]) -> None:
    """A datetime without a time zone is not an instant, so it has no local day."""
    with pytest.raises(errors.NaiveDatetime) as caught:
        convert(dt.datetime(2022, 6, 22, 9, 30))
    assert caught.value.field == "instant"


def test_require_aware_names_the_field() -> None:
    """require_aware passes aware values through and names the field of a naive one."""
    aware = dt.datetime(2022, 6, 22, tzinfo=dt.UTC)
    assert require_aware(aware, "received_at") is aware
    with pytest.raises(errors.NaiveDatetime) as caught:
        require_aware(dt.datetime(2022, 6, 22), "received_at")
    assert caught.value.field == "received_at"


def test_instant_beyond_year_9999_refused() -> None:
    """An instant whose local day would be in year 10000 is bad input, not a crash."""
    with pytest.raises(errors.InvalidInput):
        local_day(dt.datetime.max.replace(tzinfo=dt.UTC))


# --- agency ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "kind", "depth"),
    [
        ("000.00.03.H34", AgencyCode("H34", 3, 0, 0), "province", 2),
        ("000.00.00.G12", AgencyCode("G12"), "ministry", 1),
        ("000.00.18.G12", AgencyCode("G12", 18), "ministry", 2),
        ("000.00.00.H29", AgencyCode("H29"), "province", 1),
        ("123.45.67.K01", AgencyCode("K01", 67, 45, 123), "other", 4),
    ],
)
def test_agency_code_examples(text: str, expected: AgencyCode, kind: str, depth: int) -> None:
    """Real ids parse right to left: the letter part is level 1, the first part level 4."""
    parsed = AgencyCode.parse(text)
    assert parsed == expected
    assert str(parsed) == text
    assert parsed.kind == kind
    assert parsed.depth == depth


@given(agency_codes())
def test_agency_code_round_trips(code: AgencyCode) -> None:
    """Any agency id reads back from its text, and the text is canonical."""
    text = str(code)
    assert AgencyCode.parse(text) == code
    assert str(AgencyCode.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("000.00.03.h34", "agency_code.level1"),
        ("000.00.03.H00", "agency_code.level1"),
        ("000.00.03.34", "agency_code.level1"),
        ("000.00.03.HH4", "agency_code.level1"),
        ("000.00.3.H34", "agency_code.level2"),
        ("000.00.0x.H34", "agency_code.level2"),
        ("000.0a.03.H34", "agency_code.level3"),
        ("00.00.03.H34", "agency_code.level4"),
        ("000.00.0٣.H34", "agency_code.level2"),  # an Arabic-Indic digit is not a digit here
        ("000.05.00.H34", "agency_code.level3"),  # a unit cannot hang under a missing one
        ("001.00.03.H34", "agency_code.level4"),
        ("000.00.03", "agency_code"),
        ("000.00.03.H34.1", "agency_code"),
        ("000.00.03.H34 ", "agency_code"),
        ("", "agency_code"),
    ],
)
def test_agency_code_parse_names_the_bad_part(text: str, field: str) -> None:
    """Each malformed part of an agency id is reported under its own field."""
    with pytest.raises(errors.InvalidAgencyCode) as caught:
        AgencyCode.parse(text)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("h34", 0, 0, 0), "agency_code.level1"),
        (("H34", 100, 0, 0), "agency_code.level2"),
        (("H34", -1, 0, 0), "agency_code.level2"),
        (("H34", 1, 100, 0), "agency_code.level3"),
        (("H34", 1, 1, 1000), "agency_code.level4"),
        (("H34", True, 0, 0), "agency_code.level2"),
    ],
)
def test_agency_code_construction_is_validated(args: tuple[object, ...], field: str) -> None:
    """Building an AgencyCode directly enforces the same rules as parsing."""
    with pytest.raises(errors.InvalidAgencyCode) as caught:
        AgencyCode(*args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_agency_code_evolve_is_validated() -> None:
    """attrs.evolve cannot sneak an invalid level past the validators."""
    with pytest.raises(errors.InvalidAgencyCode):
        attrs.evolve(KON_TUM_UNIT, level2=100)


@given(agency_codes())
def test_parent_is_one_level_up_and_an_ancestor(code: AgencyCode) -> None:
    """The parent has depth one less, is an ancestor and sorts first; level 1 has none."""
    parent = code.parent
    if code.depth == 1:
        assert parent is None
        return
    assert parent is not None
    assert parent.depth == code.depth - 1
    assert parent.is_ancestor_of(code)
    assert not code.is_ancestor_of(parent)
    assert parent < code
    assert parent.level1 == code.level1


@given(agency_codes())
def test_every_unit_descends_from_its_level1_unit(code: AgencyCode) -> None:
    """The level-1 unit is an ancestor of every deeper unit; no unit is its own ancestor."""
    top = AgencyCode(code.level1)
    assert top.is_ancestor_of(code) == (code.depth > 1)
    assert not code.is_ancestor_of(code)


@given(agency_codes(), agency_codes())
def test_ancestry_follows_the_parent_chain(a: AgencyCode, b: AgencyCode) -> None:
    """a is an ancestor of b exactly when a is reached by climbing b's parents."""
    chain = []
    above = b.parent
    while above is not None:
        chain.append(above)
        above = above.parent
    assert a.is_ancestor_of(b) == (a in chain)


def test_siblings_are_not_ancestors() -> None:
    """Units side by side under the same parent are unrelated."""
    assert not AgencyCode("H34", 3).is_ancestor_of(AgencyCode("H34", 4, 1))
    assert not AgencyCode("H34").is_ancestor_of(AgencyCode("G34", 3))


@given(agency_codes(), agency_codes())
def test_agency_order_is_level_tuple_order(a: AgencyCode, b: AgencyCode) -> None:
    """Agency ids sort by (level1, level2, level3, level4, tail), whatever their style."""
    key_a = (a.level1, a.level2, a.level3, a.level4, a.tail)
    key_b = (b.level1, b.level2, b.level3, b.level4, b.tail)
    assert (a < b) == (key_a < key_b)
    assert (a <= b) == (key_a <= key_b)
    assert (a == b) == (key_a == key_b)
    assert (hash(a) == hash(b)) or a != b


# --- code schemes --------------------------------------------------------------------------


@given(st.data())
def test_scheme_day_round_trips(data: st.DataObject) -> None:
    """Every scheme reads back every day it can write."""
    scheme = data.draw(code_schemes())
    day = data.draw(scheme_days(scheme))
    text = scheme.format_day(day)
    assert len(text) == len(scheme.date_pattern)
    assert scheme.parse_day(text) == day


@given(code_schemes(), st.integers(1, 10**9 - 1))
def test_scheme_seq_round_trips(scheme: CodeScheme, seq: int) -> None:
    """Sequence numbers within range are written at least at full width and read back."""
    if seq > scheme.max_seq:
        with pytest.raises(errors.InvalidDossierCode):
            scheme.format_seq(seq)
        return
    text = scheme.format_seq(seq)
    assert len(text) == max(scheme.seq_width, len(str(seq)) if scheme.seq_grows else 0)
    assert scheme.parse_seq(text) == seq


def test_two_digit_years_are_2000_to_2099() -> None:
    """YY means a year of this century: 00 is 2000, 99 is 2099."""
    assert SCHEME_2018.parse_day("000101") == dt.date(2000, 1, 1)
    assert SCHEME_2018.parse_day("991231") == dt.date(2099, 12, 31)
    with pytest.raises(errors.InvalidDossierCode) as caught:
        SCHEME_2018.format_day(dt.date(1999, 12, 31))
    assert caught.value.field == "dossier_code.day"


@pytest.mark.parametrize("text", ["221322", "220230", "220000", "210229", "22062", "2206x2"])
def test_impossible_days_refused(text: str) -> None:
    """Month 13, 30 February, day 0, 29 February of a common year and non-digits are refused."""
    with pytest.raises(errors.InvalidDossierCode) as caught:
        SCHEME_2018.parse_day(text)
    assert caught.value.field == "dossier_code.day"


def test_leap_day_accepted() -> None:
    """29 February exists in leap years."""
    assert SCHEME_2018.parse_day("240229") == dt.date(2024, 2, 29)


def test_shipped_schemes() -> None:
    """The 2018 scheme allows 9999 dossiers a day, the wide one 999999."""
    assert SCHEME_2018.max_seq == 9999
    assert SCHEME_WIDE.max_seq == 999_999
    assert SCHEME_2018.format_day(dt.date(2022, 6, 22)) == "220622"
    assert SCHEME_WIDE.format_day(dt.date(2022, 6, 22)) == "20220622"
    assert SCHEME_2018.format_seq(1) == "0001"
    assert SCHEME_WIDE.format_seq(1) == "000001"


def test_token_order_is_configurable() -> None:
    """A scheme may write the day first, e.g. DDMMYYYY."""
    scheme = CodeScheme(name="dmy", date_pattern="DDMMYYYY")
    assert scheme.format_day(dt.date(2022, 6, 22)) == "22062022"
    assert scheme.parse_day("22062022") == dt.date(2022, 6, 22)


@pytest.mark.parametrize(
    "changes",
    [
        {"seq_width": 0},
        {"seq_width": -1},
        {"seq_width": 10},
        {"date_pattern": "YYMMDDHH"},
        {"date_pattern": "YYMM"},
        {"date_pattern": "YYMMDDDD"},
        {"date_pattern": "YYYYYYMMDD"},
        {"date_pattern": "yymmdd"},
        {"date_pattern": ""},
        {"separator": ""},
        {"separator": "."},
        {"separator": " "},
        {"separator": "x"},
        {"separator": "1"},
        {"name": " "},
    ],
)
def test_nonsense_schemes_refused(changes: dict[str, Any]) -> None:
    """A scheme that could not write or read codes unambiguously is a configuration error."""
    with pytest.raises(errors.ConfigurationError):
        attrs.evolve(SCHEME_2018, **changes)


# --- dossier codes -------------------------------------------------------------------------


def test_portal_guide_example() -> None:
    """The code on the portal guide's success screen reads as H34's unit 03, 2022-06-22, #1."""
    code = DossierCode.parse("000.00.03.H34-220622-0001")
    assert code.agency == AgencyCode.parse("000.00.03.H34")
    assert code.day == dt.date(2022, 6, 22)
    assert code.seq == 1
    assert code.scheme == SCHEME_2018
    assert str(code) == "000.00.03.H34-220622-0001"


def test_wide_scheme_example() -> None:
    """The same code written under the wide scheme has a 4-digit year and 6-digit number."""
    code = DossierCode(KON_TUM_UNIT, dt.date(2022, 6, 22), 1, SCHEME_WIDE)
    assert str(code) == "000.00.03.H34-20220622-000001"
    assert DossierCode.parse(str(code), SCHEME_WIDE) == code


@given(dossier_codes())
def test_dossier_code_round_trips_under_every_scheme(code: DossierCode) -> None:
    """Any code reads back from its text under its own scheme, giving the same text."""
    text = str(code)
    parsed = DossierCode.parse(text, code.scheme)
    assert parsed == code
    assert parsed.scheme == code.scheme
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("000.00.03.H34-221322-0001", "dossier_code.day"),  # month 13
        ("000.00.03.H34-220230-0001", "dossier_code.day"),  # 30 February
        ("000.00.03.H34-20220622-0001", "dossier_code.day"),  # a wide-scheme day
        ("000.00.03.H34-220622-0000", "dossier_code.seq"),
        ("000.00.03.H34-220622-001", "dossier_code.seq"),
        ("000.00.03.H34-220622-00001", "dossier_code.seq"),
        ("000.00.03.H34-220622-00a1", "dossier_code.seq"),
        ("000.00.03.H34-220622-", "dossier_code.seq"),
        ("000.00.03.H34-220622-0001x", "dossier_code"),
        ("000.00.03.H34-220622-0001 ", "dossier_code"),
        ("000.00.03.H34-220622-0001\n", "dossier_code"),
        ("000.00.03.H34-220622-0001-2", "dossier_code"),
        ("000.00.03.H34-220622", "dossier_code"),
        ("000.00.03.H34", "dossier_code"),
        ("", "dossier_code"),
        ("000.00.03.h34-220622-0001", "dossier_code.agency"),
        (" 000.00.03.H34-220622-0001", "dossier_code.agency"),
        ("00.00.03.H34-220622-0001", "dossier_code.agency"),
    ],
)
def test_bad_dossier_code_names_the_bad_part(text: str, field: str) -> None:
    """Each kind of malformed code is refused under the field of the part that is wrong."""
    with pytest.raises(errors.InvalidDossierCode) as caught:
        DossierCode.parse(text)
    assert caught.value.field == field


def test_bad_agency_in_code_keeps_the_agency_error_as_cause() -> None:
    """A lowercase agency letter is reported on the agency, chained to the agency id error."""
    with pytest.raises(errors.InvalidDossierCode) as caught:
        DossierCode.parse("000.00.03.h34-220622-0001")
    cause = caught.value.__cause__
    assert isinstance(cause, errors.InvalidAgencyCode)
    assert cause.field == "agency_code.level1"


_MUTATION_CHARS = "0123456789AHGZahz.-_/ \n٣０"


@st.composite
def mutated_codes(draw: st.DrawFn) -> tuple[str, CodeScheme]:
    """A valid code's text with one character replaced, deleted or inserted."""
    code = draw(dossier_codes())
    text = str(code)
    alphabet = _MUTATION_CHARS + code.scheme.separator
    operation = draw(st.sampled_from(["replace", "delete", "insert"]))
    if operation == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(alphabet)) + text[at:], code.scheme
    at = draw(st.integers(0, len(text) - 1))
    if operation == "delete":
        return text[:at] + text[at + 1 :], code.scheme
    return text[:at] + draw(st.sampled_from(alphabet)) + text[at + 1 :], code.scheme


@given(mutated_codes())
@example(("000.00.03.H34-220622-0001", SCHEME_2018))
@example(("000.00.03.H34-220622-0002", SCHEME_2018))
@example(("000.00.03.H34-220622-00010", SCHEME_2018))
def test_mutated_code_is_refused_or_read_exactly(mutated: tuple[str, CodeScheme]) -> None:
    """A one-character change never silently reads as a code written differently."""
    text, scheme = mutated
    try:
        parsed = DossierCode.parse(text, scheme)
    except errors.InvalidDossierCode:
        return
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("seq", "scheme"), [(0, SCHEME_2018), (10_000, SCHEME_2018), (-1, SCHEME_WIDE)]
)
def test_seq_outside_the_scheme_refused(seq: int, scheme: CodeScheme) -> None:
    """Numbers start at 1 and end at the scheme's max_seq; they never wrap."""
    with pytest.raises(errors.InvalidDossierCode) as caught:
        DossierCode(KON_TUM_UNIT, dt.date(2022, 6, 22), seq, scheme)
    assert caught.value.field == "dossier_code.seq"


def test_wide_scheme_allows_numbers_past_9999() -> None:
    """A day's 10000th dossier needs the wider scheme."""
    code = DossierCode(KON_TUM_UNIT, dt.date(2022, 6, 22), 10_000, SCHEME_WIDE)
    assert str(code).endswith("-010000")


def test_day_must_be_a_plain_date() -> None:
    """A datetime is refused as a code's day: its local day is for_submission's job."""
    with pytest.raises(errors.InvalidDossierCode) as caught:
        DossierCode(KON_TUM_UNIT, dt.datetime(2022, 6, 22, tzinfo=dt.UTC), 1)
    assert caught.value.field == "dossier_code.day"


def test_day_outside_the_scheme_refused() -> None:
    """A two-digit-year scheme cannot write a day in 1999."""
    with pytest.raises(errors.InvalidDossierCode) as caught:
        DossierCode(KON_TUM_UNIT, dt.date(1999, 12, 31), 1)
    assert caught.value.field == "dossier_code.day"


@given(dossier_codes(), dossier_codes())
def test_code_order_is_agency_day_seq_order(a: DossierCode, b: DossierCode) -> None:
    """Codes compare by (agency, day, seq, system part), whatever scheme writes them."""
    key_a = (a.agency, a.day, a.seq, a.system)
    key_b = (b.agency, b.day, b.seq, b.system)
    assert (a < b) == (key_a < key_b)
    assert (a >= b) == (key_a >= key_b)
    assert (a == b) == (key_a == key_b)


@given(dossier_codes(SCHEME_2018))
def test_scheme_does_not_change_identity(code: DossierCode) -> None:
    """The same agency, day and number are the same code, under any scheme."""
    wide = attrs.evolve(code, scheme=SCHEME_WIDE)
    assert wide == code
    assert hash(wide) == hash(code)
    assert str(wide) != str(code)


def test_for_submission_uses_the_local_day() -> None:
    """A dossier submitted at 17:30 UTC on 21 June gets a 22 June code."""
    submitted_at = dt.datetime(2022, 6, 21, 17, 30, tzinfo=dt.UTC)
    code = DossierCode.for_submission(KON_TUM_UNIT, submitted_at, 1)
    assert str(code) == "000.00.03.H34-220622-0001"


@given(agency_codes(), aware_datetimes(dt.datetime(2000, 1, 2), dt.datetime(2099, 12, 30)))
def test_for_submission_day_is_the_local_day(agency: AgencyCode, instant: dt.datetime) -> None:
    """for_submission always files a dossier under the submission's day in UTC+7."""
    code = DossierCode.for_submission(agency, instant, 1)
    assert code.day == instant.astimezone(UTC_PLUS_7).date()


def test_for_submission_refuses_naive_time() -> None:
    """A naive submission time is refused and named as such."""
    with pytest.raises(errors.NaiveDatetime) as caught:
        DossierCode.for_submission(KON_TUM_UNIT, dt.datetime(2022, 6, 22, 9, 0), 1)
    assert caught.value.field == "submitted_at"
