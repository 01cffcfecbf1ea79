"""Hypothesis strategies for people: names, phones, emails, citizen ids, tax codes, accounts."""

from __future__ import annotations

import datetime as dt
import string
import unicodedata

import attrs
from hypothesis import strategies as st

from onestop.domain.accounts import Account, Applicant, Officer
from onestop.domain.identity import CCCD_PROVINCE_CODES, Sex
from onestop.domain.national_identity import LEVELS_OF_ASSURANCE, NationalIdentity
from tests.strategies.codes import agency_codes

__all__ = [
    "VIETNAMESE_LETTERS",
    "CccdCase",
    "applicants",
    "birth_dates",
    "cccd_cases",
    "cccd_century_digit",
    "citizen_accounts",
    "cmnd_numbers",
    "emails",
    "landline_numbers",
    "mobile_numbers",
    "national_identities",
    "officers",
    "person_names",
    "phone_spellings",
    "province_codes",
    "sexes",
    "tax_codes",
    "utc_instants",
    "vietnamese_words",
]

_VOWELS = "aăâeêioôơuưy"
_CONSONANTS = "bcdđghklmnpqrstvx"
# No mark, huyền, sắc, hỏi, ngã, nặng.
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")

_lower = [unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES]
_lower += list(_CONSONANTS)
#: Every letter of the Vietnamese alphabet, toned vowels included, both cases, NFC.
VIETNAMESE_LETTERS: tuple[str, ...] = tuple(sorted(set(_lower) | {c.upper() for c in _lower}))

_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi")
_GIVEN = ("Trung", "Hiếu", "Thị", "Văn", "Minh", "Ngọc", "Đức", "Thảo", "Hương", "Quốc", "Anh")


def sexes() -> st.SearchStrategy[Sex]:
    """Either sex."""
    return st.sampled_from(Sex)


def province_codes() -> st.SearchStrategy[str]:
    """The province codes a CCCD may start with."""
    return st.sampled_from(sorted(CCCD_PROVINCE_CODES))


def birth_dates(
    min_value: dt.date = dt.date(1900, 1, 1), max_value: dt.date = dt.date(2399, 12, 31)
) -> st.SearchStrategy[dt.date]:
    """Dates of birth a CCCD can encode (1900 to 2399)."""
    return st.dates(min_value=min_value, max_value=max_value)


def cccd_century_digit(year: int, sex: Sex) -> int:
    """The 4th CCCD digit, spelled out independently of the code under test."""
    # 20th century (1900s) 0/1, 21st 2/3, 22nd 4/5, 23rd 6/7, 24th 8/9: male/female.
    first_of_pair = {19: 0, 20: 2, 21: 4, 22: 6, 23: 8}[year // 100]
    return first_of_pair + (1 if sex is Sex.FEMALE else 0)


@attrs.frozen
class CccdCase:
    """A valid CCCD number and the person it was made for."""

    number: str
    date_of_birth: dt.date
    sex: Sex
    province: str


@st.composite
def cccd_cases(draw: st.DrawFn) -> CccdCase:
    """A CCCD built from a random date of birth, sex, province and serial."""
    born = draw(birth_dates())
    sex = draw(sexes())
    province = draw(province_codes())
    serial = draw(st.integers(0, 999_999))
    number = f"{province}{cccd_century_digit(born.year, sex)}{born.year % 100:02d}{serial:06d}"
    return CccdCase(number, born, sex, province)


def cmnd_numbers() -> st.SearchStrategy[str]:
    """Old 9-digit identity card numbers."""
    return st.text(alphabet=string.digits, min_size=9, max_size=9)


def mobile_numbers() -> st.SearchStrategy[str]:
    """Mobile numbers in canonical form: 0, a mobile prefix digit (3/5/7/8/9), 8 digits."""
    return st.builds(
        lambda prefix, rest: f"0{prefix}{rest}",
        st.sampled_from("35789"),
        st.text(alphabet=string.digits, min_size=8, max_size=8),
    )


def landline_numbers() -> st.SearchStrategy[str]:
    """Ten-digit numbers whose second digit is not a mobile prefix (landlines, unused ranges)."""
    return st.builds(
        lambda second, rest: f"0{second}{rest}",
        st.sampled_from("01246"),
        st.text(alphabet=string.digits, min_size=8, max_size=8),
    )


@st.composite
def phone_spellings(draw: st.DrawFn, canonical: str) -> str:
    """``canonical`` written as a person might: 0/+84/84 prefix, separators, outer spaces."""
    national = canonical[1:]
    prefix = draw(st.sampled_from(["0", "+84", "84"]))
    digits = prefix.removeprefix("+") + national
    out = "+" if prefix.startswith("+") else ""
    for i, digit in enumerate(digits):
        if i and draw(st.integers(0, 3)) == 0:
            out += draw(st.sampled_from([" ", ".", "-", " - ", "  "]))
        out += digit
    padding = st.sampled_from(["", " ", "\t"])
    return draw(padding) + out + draw(padding)


def tax_codes() -> st.SearchStrategy[str]:
    """Tax codes: 10 digits, sometimes with a branch suffix ``-NNN``."""
    ten = st.text(alphabet=string.digits, min_size=10, max_size=10)
    branch = st.text(alphabet=string.digits, min_size=3, max_size=3)
    return ten | st.builds(lambda main, b: f"{main}-{b}", ten, branch)


_ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
_LABEL_CHARS = string.ascii_letters + string.digits


@st.composite
def _domain_labels(draw: st.DrawFn) -> str:
    inner = draw(st.text(alphabet=_LABEL_CHARS + "-", max_size=10))
    ends = draw(st.text(alphabet=_LABEL_CHARS, min_size=1, max_size=2))
    return ends[0] + inner + ends[1:] if len(ends) == 2 else ends


def emails() -> st.SearchStrategy[str]:
    """Syntactically valid addresses in mixed case (dotted local parts, subdomains)."""
    atoms = st.text(alphabet=_ATEXT, min_size=1, max_size=8)
    local = st.lists(atoms, min_size=1, max_size=3).map(".".join).filter(lambda s: len(s) <= 64)
    top_level = st.builds(
        str.__add__, st.sampled_from(string.ascii_letters), st.text(_LABEL_CHARS, max_size=5)
    )
    domain = st.builds(
        lambda labels, top: ".".join((*labels, top)),
        st.lists(_domain_labels(), min_size=1, max_size=3),
        top_level,
    )
    return st.builds(lambda lp, d: f"{lp}@{d}", local, domain)


def vietnamese_words(max_letters: int = 8) -> st.SearchStrategy[str]:
    """Words made of Vietnamese letters (toned vowels, đ), any case."""
    return st.text(alphabet=st.sampled_from(VIETNAMESE_LETTERS), min_size=1, max_size=max_letters)


def person_names() -> st.SearchStrategy[str]:
    """Names as typed on a form: real-looking ones and random Vietnamese words, 1 to 4 words."""
    real = st.builds(
        lambda s, g: " ".join((s, *g)),
        st.sampled_from(_SURNAMES),
        st.lists(st.sampled_from(_GIVEN), min_size=1, max_size=3),
    )
    random_words = st.lists(vietnamese_words(), min_size=1, max_size=4).map(" ".join)
    return real | random_words


def utc_instants() -> st.SearchStrategy[dt.datetime]:
    """Aware instants in UTC between 2000 and 2100."""
    return st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    )


@st.composite
def applicants(draw: st.DrawFn) -> Applicant:
    """Valid applicants with or without optional details; a CCCD agrees with the birth date."""
    case = draw(cccd_cases())
    with_id = draw(st.sampled_from(["none", "cmnd", "cccd"]))
    id_number = {"none": None, "cmnd": draw(cmnd_numbers()), "cccd": case.number}[with_id]
    organisation = draw(st.booleans())
    maybe = st.booleans()
    return Applicant.create(
        draw(person_names()),
        draw(emails()),
        phone=draw(mobile_numbers()) if draw(maybe) else None,
        address=draw(person_names()) if draw(maybe) else None,
        date_of_birth=case.date_of_birth if with_id == "cccd" or draw(maybe) else None,
        id_number=id_number,
        id_issued_by="Cục Cảnh sát QLHC về TTXH" if id_number else None,
        organisation_name=draw(person_names()) if organisation else None,
        tax_code=draw(tax_codes()) if organisation else None,
    )


@st.composite
def citizen_accounts(draw: st.DrawFn, verified: bool = True) -> Account:
    """Citizen accounts registered at a random instant, verified unless told otherwise."""
    now = draw(utc_instants())
    account = Account.register_citizen(
        draw(st.uuids()).hex,
        draw(emails()),
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        draw(person_names()),
        now,
        phone=draw(st.none() | mobile_numbers()),
    )
    if verified:
        account.verify(now)
    if draw(st.booleans()):
        account.link_national_identity(draw(national_identities(now)))
    account.pull_events()
    return account


@st.composite
def national_identities(draw: st.DrawFn, now: dt.datetime | None = None) -> NationalIdentity:
    """National identities (VNeID) as a provider vouches for them, with or without an id."""
    id_number = draw(st.none() | cccd_cases().map(lambda c: c.number) | cmnd_numbers())
    return NationalIdentity.vouched(
        draw(st.text(alphabet="0123456789abcdef-", min_size=1, max_size=40)),
        draw(st.sampled_from(["https://sso.dichvucong.gov.vn", "http://127.0.0.1:8080"])),
        draw(st.sampled_from(LEVELS_OF_ASSURANCE)),
        id_number,
        draw(utc_instants()) if now is None else now,
    )


def officers() -> st.SearchStrategy[Officer]:
    """Active officers of random agencies."""
    return st.builds(
        Officer.create,
        id=st.uuids().map(lambda u: u.hex),
        agency=agency_codes(),
        full_name=person_names(),
        email=emails(),
    )
