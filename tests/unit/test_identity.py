"""Ids and contact details: phones, CMND/CCCD, tax codes, emails, names."""

from __future__ import annotations

import datetime as dt
import string
import time
import unicodedata
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onestop.domain.identity import (
    CCCD_PROVINCE_CODES,
    Sex,
    check_cccd,
    check_citizen_id,
    check_cmnd,
    check_name,
    check_tax_code,
    check_text,
    normalize_email,
    normalize_phone,
)
from onestop.errors import InvalidIdentity, InvalidInput
from tests.strategies.hostile_domain import anything, calls_answer_or_refuse, hostile_text
from tests.strategies.people import (
    CccdCase,
    cccd_cases,
    cmnd_numbers,
    emails,
    landline_numbers,
    mobile_numbers,
    person_names,
    phone_spellings,
    tax_codes,
)

# --- phones --------------------------------------------------------------------------------


@given(st.data(), mobile_numbers())
def test_every_spelling_of_a_mobile_number_normalises_to_the_same_canonical_form(
    data: st.DataObject, canonical: str
) -> None:
    """0/+84/84 prefixes, separators and outer spaces all give 0XXXXXXXXX."""
    spelled = data.draw(phone_spellings(canonical))
    assert normalize_phone(spelled) == canonical


@given(mobile_numbers())
def test_the_canonical_phone_form_is_a_fixed_point(canonical: str) -> None:
    """Normalising a normalised number changes nothing."""
    assert normalize_phone(canonical) == canonical
    assert normalize_phone(normalize_phone(canonical)) == canonical


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0912345678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("0912-345-678", "0912345678"),
        (" 0356 789 012 ", "0356789012"),
        ("+84-77-123-4567", "0771234567"),
    ],
)
def test_phone_examples_normalise(text: str, expected: str) -> None:
    """Numbers as people write them come out as 0XXXXXXXXX."""
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "091234567",  # 9 digits
        "09123456789",  # 11 digits
        "+840912345678",  # +84 and the 0 as well
        "+0912345678",
        "++84912345678",
        "8491234567",  # 84 and only 8 digits
        "0912345678a",
        "091/234/5678",
        "-0912345678",
        "0912345678-",
        "(091) 234 5678",
        "０９１２３４５６７８",  # full-width digits
        "٠٩١٢٣٤٥٦٧٨",  # Arabic-Indic digits
        "+ 84912345678",
    ],
)
def test_malformed_phone_numbers_are_refused(text: str) -> None:
    """Anything but 10 digits with 0, or 9 after +84/84, is refused and the field named."""
    with pytest.raises(InvalidIdentity) as caught:
        normalize_phone(text)
    assert caught.value.field == "phone"
    assert "mobile number" in caught.value.rule


@given(landline_numbers())
def test_landline_and_unassigned_prefixes_are_refused(number: str) -> None:
    """Only 03, 05, 07, 08 and 09 numbers are mobile numbers."""
    with pytest.raises(InvalidIdentity) as caught:
        normalize_phone(number)
    assert "3, 5, 7, 8 or 9" in caught.value.rule


def test_phone_errors_name_the_callers_field() -> None:
    """The caller's field name is used, and the error is a ValueError too."""
    with pytest.raises(InvalidIdentity) as caught:
        normalize_phone("12", "home_delivery.phone")
    assert caught.value.field == "home_delivery.phone"
    assert isinstance(caught.value, InvalidInput)
    assert isinstance(caught.value, ValueError)


# --- CMND ----------------------------------------------------------------------------------


@given(cmnd_numbers())
def test_any_nine_digits_are_a_cmnd(number: str) -> None:
    """An old identity card number is 9 digits."""
    assert check_cmnd(number) == number
    assert check_cmnd(f" {number} ") == number


@pytest.mark.parametrize(
    "text", ["", "12345678", "1234567890", "12345678a", "123 456 789", "١٢٣٤٥٦٧٨٩", "123456789\n0"]
)
def test_cmnd_that_is_not_nine_digits_is_refused(text: str) -> None:
    """8 or 10 digits, letters, inner spaces and non-ASCII digits are refused."""
    with pytest.raises(InvalidIdentity) as caught:
        check_cmnd(text)
    assert caught.value.field == "cmnd"


# --- CCCD ----------------------------------------------------------------------------------

_CIRCULAR_07_2016_PROVINCES = (
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
    "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
    "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096"
)


def test_province_codes_are_the_63_of_circular_07_2016() -> None:
    """The list is the circular's, no more and no less."""
    assert set(_CIRCULAR_07_2016_PROVINCES.split()) == CCCD_PROVINCE_CODES
    assert len(CCCD_PROVINCE_CODES) == 63


@given(cccd_cases())
def test_a_cccd_built_from_a_birth_date_sex_and_province_passes(case: CccdCase) -> None:
    """PPP G YY SSSSSS made for a person agrees with that person."""
    assert check_cccd(case.number, case.date_of_birth, case.sex) == case.number
    assert check_cccd(case.number) == case.number
    assert check_citizen_id(case.number, case.date_of_birth, case.sex) == case.number


@given(cccd_cases(), st.integers(0, 9))
def test_a_cccd_with_another_century_digit_fails_on_the_century(case: CccdCase, digit: int) -> None:
    """A century digit of another century is refused as cccd.century."""
    assume(digit // 2 != int(case.number[3]) // 2)
    changed = case.number[:3] + str(digit) + case.number[4:]
    with pytest.raises(InvalidIdentity) as caught:
        check_cccd(changed, case.date_of_birth)
    assert caught.value.field == "cccd.century"


@given(cccd_cases(), st.integers(0, 99))
def test_a_cccd_with_another_birth_year_fails_on_the_birth_year(case: CccdCase, yy: int) -> None:
    """Year digits that are not the end of the birth year are refused as cccd.birth_year."""
    assume(yy != case.date_of_birth.year % 100)
    changed = f"{case.number[:4]}{yy:02d}{case.number[6:]}"
    with pytest.raises(InvalidIdentity) as caught:
        check_cccd(changed, case.date_of_birth, case.sex)
    assert caught.value.field == "cccd.birth_year"


@given(cccd_cases())
def test_a_cccd_of_the_other_sex_fails_on_the_sex(case: CccdCase) -> None:
    """The century digit's parity must match the sex given."""
    other = Sex.FEMALE if case.sex is Sex.MALE else Sex.MALE
    with pytest.raises(InvalidIdentity) as caught:
        check_cccd(case.number, case.date_of_birth, other)
    assert caught.value.field == "cccd.sex"
    assert check_cccd(case.number, sex=case.sex) == case.number


@given(cccd_cases(), st.integers(0, 999).map(lambda n: f"{n:03d}"))
def test_a_cccd_from_an_unknown_province_fails_on_the_province(
    case: CccdCase, province: str
) -> None:
    """The first three digits must be one of the 63 province codes."""
    assume(province not in CCCD_PROVINCE_CODES)
    with pytest.raises(InvalidIdentity) as caught:
        check_cccd(province + case.number[3:], case.date_of_birth)
    assert caught.value.field == "cccd.province"


@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        ("001099012345", dt.date(1999, 3, 4), Sex.MALE),
        ("079199000001", dt.date(1999, 12, 31), Sex.FEMALE),
        ("034205001234", dt.date(2005, 1, 1), Sex.MALE),
        ("096305999999", dt.date(2005, 6, 1), Sex.FEMALE),
        ("001400000000", dt.date(2100, 1, 1), Sex.MALE),
    ],
)
def test_cccd_examples_pass(number: str, born: dt.date, sex: Sex) -> None:
    """Real-shaped numbers for people born in the 1900s, 2000s and 2100s."""
    assert check_cccd(number, born, sex) == number


@pytest.mark.parametrize(
    ("number", "born", "field"),
    [
        ("00109901234", None, "cccd"),
        ("0010990123456", None, "cccd"),
        ("00109901234a", None, "cccd"),
        ("003099012345", None, "cccd.province"),
        ("000099012345", None, "cccd.province"),
        ("097099012345", None, "cccd.province"),
        ("001299012345", dt.date(1999, 3, 4), "cccd.century"),
        ("001098012345", dt.date(1999, 3, 4), "cccd.birth_year"),
        ("001099012345", dt.date(1899, 3, 4), "cccd.century"),
        ("001899012345", dt.date(2499, 3, 4), "cccd.century"),
    ],
)
def test_cccd_examples_fail_naming_the_part(number: str, born: dt.date | None, field: str) -> None:
    """Each broken part is named: length, province, century, birth year."""
    with pytest.raises(InvalidIdentity) as caught:
        check_cccd(number, born)
    assert caught.value.field == field


def test_citizen_id_dispatches_on_length() -> None:
    """9 digits is a CMND, 12 a CCCD checked against the birth date, anything else refused."""
    assert check_citizen_id(" 123456789 ") == "123456789"
    assert check_citizen_id("123456789", dt.date(1990, 1, 1)) == "123456789"
    assert check_citizen_id("001099012345", dt.date(1999, 3, 4)) == "001099012345"
    with pytest.raises(InvalidIdentity) as caught:
        check_citizen_id("001099012345", dt.date(1998, 3, 4))
    assert caught.value.field == "citizen_id.birth_year"
    for wrong in ("", "1234567890", "12345678901", "abcdefghi"):
        with pytest.raises(InvalidIdentity) as caught:
            check_citizen_id(wrong)
        assert caught.value.field == "citizen_id"


@given(st.text(alphabet=string.digits, max_size=14))
def test_citizen_id_accepts_only_9_or_12_digits(text: str) -> None:
    """Lengths other than 9 and 12 are always refused."""
    assume(len(text) not in (9, 12))
    with pytest.raises(InvalidIdentity):
        check_citizen_id(text, field="id_number")


# --- tax codes -----------------------------------------------------------------------------


@given(tax_codes())
def test_tax_codes_of_ten_digits_with_an_optional_branch_pass(code: str) -> None:
    """10 digits, or 10 + '-' + 3 digits, pass unchanged (no checksum is verified)."""
    assert check_tax_code(code) == code
    assert check_tax_code(f"  {code}\t") == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "123456789",
        "12345678901",
        "0101234567-",
        "0101234567-01",
        "0101234567-0011",
        "0101234567_001",
        "0101234567 001",
        "01012345a7",
        "0101234567001",
    ],
)
def test_malformed_tax_codes_are_refused(text: str) -> None:
    """Wrong length, wrong branch suffix or letters are refused as tax_code."""
    with pytest.raises(InvalidIdentity) as caught:
        check_tax_code(text)
    assert caught.value.field == "tax_code"


# --- emails --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nthieu.stc@kontum.gov.vn", "nthieu.stc@kontum.gov.vn"),
        ("  NTHieu.STC@KonTum.Gov.VN ", "nthieu.stc@kontum.gov.vn"),
        ("a@b.co", "a@b.co"),
        ("first+tag@sub.example-domain.vn", "first+tag@sub.example-domain.vn"),
        ("o'brien@example.com", "o'brien@example.com"),
        ("x@xn--tnhng-0ua8b.vn", "x@xn--tnhng-0ua8b.vn"),
        ("a" * 64 + "@example.com", "a" * 64 + "@example.com"),
    ],
)
def test_valid_emails_are_stripped_and_lowercased(text: str, expected: str) -> None:
    """Valid addresses come back stripped and lowercased."""
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plainaddress",
        "@example.com",
        "user@",
        "user@localhost",
        "user@@example.com",
        "a@b@example.com",
        "user name@example.com",
        "user@exa mple.com",
        ".user@example.com",
        "user.@example.com",
        "us..er@example.com",
        "user@-example.com",
        "user@example-.com",
        "user@example..com",
        "user@.example.com",
        "user@example.com.",
        "user@exam_ple.com",
        "user@192.168.0.1",
        "người@example.com",
        "user@tỉnh.vn",
        "a" * 65 + "@example.com",
        "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 63 + ".vn",
        "user@example.com\nbcc@evil.com",
        '"quoted"@example.com',
    ],
)
def test_invalid_emails_are_refused(text: str) -> None:
    """Addresses breaking the pragmatic rules are refused, naming the field."""
    with pytest.raises(InvalidIdentity) as caught:
        normalize_email(text, "applicant.email")
    assert caught.value.field == "applicant.email"


@given(emails())
def test_normalised_email_is_a_fixed_point(address: str) -> None:
    """Valid addresses normalise to lowercase, and normalising again changes nothing."""
    once = normalize_email(address)
    assert once == address.lower()
    assert normalize_email(once) == once


@given(emails())
def test_emails_differing_only_in_case_normalise_alike(address: str) -> None:
    """Portals treat addresses case-insensitively, so case variants are one address."""
    assert normalize_email(address.upper()) == normalize_email(address.swapcase())


# --- names and text ------------------------------------------------------------------------


@given(person_names())
def test_names_come_back_stripped_and_stay_fixed(name: str) -> None:
    """A name is returned stripped; checking it again changes nothing."""
    checked = check_name(f"  {name} ", "full_name")
    assert checked == name.strip()
    assert check_name(checked, "full_name") == checked


def test_names_are_stored_precomposed() -> None:
    """A name typed with combining marks equals the same name typed precomposed."""
    decomposed = unicodedata.normalize("NFD", "Nguyễn Trung Hiếu")
    assert decomposed != "Nguyễn Trung Hiếu"
    assert check_name(decomposed, "full_name") == "Nguyễn Trung Hiếu"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("x" * 201, "at most 200"),
        ("Nguyễn\nVăn A", "control"),
        ("Nguyễn\x00", "control"),
        ("Nguyễn\u200bVăn", "control"),
        ("Nguyễn\u2028Văn", "control"),
    ],
)
def test_bad_names_are_refused_naming_the_field(text: str, rule: str) -> None:
    """Empty, too long, or holding control characters: refused with the caller's field."""
    with pytest.raises(InvalidIdentity) as caught:
        check_name(text, "organisation_name")
    assert caught.value.field == "organisation_name"
    assert rule in caught.value.rule


def test_a_name_of_exactly_200_characters_passes() -> None:
    """The limit is inclusive."""
    assert check_name("ễ" * 200, "full_name") == "ễ" * 200


def test_free_text_takes_its_own_length_limit() -> None:
    """Addresses may be longer than names."""
    address = "Số 1, đường Trần Hưng Đạo, " * 10
    assert check_text(address, "address", max_length=500) == address.strip()
    with pytest.raises(InvalidIdentity):
        check_name(address, "address")


@pytest.mark.parametrize("value", [None, 42, b"an@example.vn", ["an@example.vn"]])
def test_an_email_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(InvalidIdentity, match="must be text") as caught:
        normalize_email(value, "email")  # type: ignore[arg-type]
    assert caught.value.field == "email"


# --- any input at all ------------------------------------------------------------------------

_CHECKS = [
    pytest.param(normalize_phone, "phone", id="normalize_phone"),
    pytest.param(check_cmnd, "cmnd", id="check_cmnd"),
    pytest.param(check_cccd, "cccd", id="check_cccd"),
    pytest.param(check_citizen_id, "citizen_id", id="check_citizen_id"),
    pytest.param(check_tax_code, "tax_code", id="check_tax_code"),
    pytest.param(normalize_email, "email", id="normalize_email"),
    pytest.param(lambda v: check_text(v, "address"), "address", id="check_text"),
    pytest.param(lambda v: check_name(v, "full_name"), "full_name", id="check_name"),
]


@pytest.mark.parametrize(("check", "field"), _CHECKS)
@given(value=st.one_of(anything(), hostile_text(), st.text()))
def test_every_identity_check_answers_any_input(check: Any, field: str, value: Any) -> None:
    """Any value of any type: the canonical text, or InvalidIdentity naming the field."""
    result = calls_answer_or_refuse(check, value)
    if isinstance(result, Exception):
        assert isinstance(result, InvalidIdentity)
        assert result.field.split(".")[0] == field
        assert str(result)
    else:
        assert isinstance(result, str)


@pytest.mark.parametrize(("check", "field"), _CHECKS)
@pytest.mark.parametrize(
    "value",
    [None, 987654321, 10**5000, b"0912345678", ["0912345678"], {}, 2.5, "\ud800" * 8],
    ids=lambda v: type(v).__name__,
)
def test_identity_checks_refuse_what_is_not_valid_text(check: Any, field: str, value: Any) -> None:
    """A number, bytes, a list or a lone surrogate: InvalidIdentity, not AttributeError."""
    with pytest.raises(InvalidIdentity) as caught:
        check(value)
    assert caught.value.field == field
    assert "text" in caught.value.rule


@pytest.mark.parametrize(("check", "field"), _CHECKS)
def test_a_megabyte_of_input_is_refused_at_once(check: Any, field: str) -> None:
    """Far too long input is refused before any pattern or normalisation walks it."""
    for value in ("9" * 1_000_000, " 1" * 500_000, "a\u0301" * 500_000):
        started = time.perf_counter()
        with pytest.raises(InvalidIdentity):
            check(value)
        assert time.perf_counter() - started < 0.5


@given(date_of_birth=anything(), sex=anything())
def test_check_cccd_answers_any_birth_date_and_sex(date_of_birth: Any, sex: Any) -> None:
    """The details a number is checked against may be of any type too."""
    result = calls_answer_or_refuse(check_cccd, "001200012345", date_of_birth, sex)
    if isinstance(result, Exception):
        assert isinstance(result, InvalidIdentity)
        assert result.field.startswith("cccd.")
    else:
        assert result == "001200012345"


@pytest.mark.parametrize("field", [None, "", 7, "\ud800", "a\nb", "x" * 101])
def test_a_field_name_that_names_nothing_is_refused(field: Any) -> None:
    """The caller's own name for the input is checked too: an error always names a field."""
    for call in (
        lambda: normalize_phone("0912345678", field),
        lambda: check_cccd("001200012345", field=field),
        lambda: check_text("Hà Nội", field),
        lambda: normalize_email("an@example.vn", field),
    ):
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.field == "field"


@pytest.mark.parametrize("max_length", [None, 0, -1, "200", 2.5])
def test_check_text_refuses_a_length_that_is_no_whole_number_above_zero(max_length: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_text("Hà Nội", "address", max_length=max_length)
    assert caught.value.field == "max_length"
