"""Rules for the ids and contact details people give us (DOMAIN.md section 5).

Pure functions: each checks one kind of input and returns it in its canonical form, or
raises :class:`~onestop.errors.InvalidIdentity` whose ``field`` names the input (or the
part of it, ``"cccd.century"``) and whose ``rule`` says what it must be.

Optional ``field`` arguments let a caller name the input as its own form does
(``check_citizen_id(text, field="id_number")`` reports ``"id_number.birth_year"``).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata

from onestop.domain.inputs import require_int, require_text
from onestop.errors import InvalidIdentity, InvalidInput

__all__ = [
    "CCCD_PROVINCE_CODES",
    "MOBILE_PREFIX_DIGITS",
    "Sex",
    "check_cccd",
    "check_citizen_id",
    "check_cmnd",
    "check_name",
    "check_tax_code",
    "check_text",
    "normalize_email",
    "normalize_phone",
]


class Sex(enum.Enum):
    """Sex as the CCCD number encodes it (even century digit: male, odd: female)."""

    MALE = "male"
    FEMALE = "female"


# As Circular 07/2016/TT-BCA prints them; one string reads better than 63 list items.
_PROVINCE_CODES_TEXT = (
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 "
    "034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 "
    "067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096"
)
#: Province codes that start a CCCD number (Circular 07/2016/TT-BCA, the 63 provinces).
CCCD_PROVINCE_CODES: frozenset[str] = frozenset(_PROVINCE_CODES_TEXT.split())

#: The digit after the leading 0 of a Vietnamese mobile number (landlines start with 2).
MOBILE_PREFIX_DIGITS: frozenset[str] = frozenset("35789")

# The CCCD century digit counts centuries from 1900 in pairs (male, female).
_FIRST_CCCD_YEAR = 1900
_LAST_CCCD_YEAR = 2399

_PHONE_SHAPE = re.compile(r"\+?[0-9](?:[0-9 .\-]*[0-9])?")
_PHONE_SEPARATORS = re.compile(r"[ .\-]")
_PHONE_DIGITS = re.compile(r"(?:\+84|84|0)([0-9]{9})")
_CMND = re.compile(r"[0-9]{9}")
_CCCD = re.compile(r"[0-9]{12}")
_TAX_CODE = re.compile(r"[0-9]{10}(?:-[0-9]{3})?")
# RFC 5322 "atext": what an unquoted local part may contain besides dots.
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Longer than any phone number, id number or tax code however it is spaced: refused before
# any pattern looks at it, so a megabyte of digits costs nothing.
_MAX_CODE_CHARS = 64


def _text(value: object, field: str) -> str:
    """``value`` if it is valid Unicode text; InvalidIdentity naming ``field`` otherwise."""
    if not isinstance(field, str) or not field or not field.isprintable() or len(field) > 100:
        # The caller's own name for the input: a programming error, reported as one.
        raise InvalidInput("field", "must name the input: printable text of 1 to 100 characters")
    return require_text(value, field, error=InvalidIdentity)


def _code_text(value: object, field: str, rule: str) -> str:
    """``value`` stripped, if it is text short enough to be a number or code at all."""
    text = _text(value, field).strip()
    if len(text) > _MAX_CODE_CHARS:
        raise InvalidIdentity(field, rule, value)
    return text


_PHONE_RULE = "must be a Vietnamese mobile number: 10 digits starting with 0, or +84 and 9 digits"


def normalize_phone(text: str, field: str = "phone") -> str:
    """Return a Vietnamese mobile number in its canonical form ``0XXXXXXXXX`` (10 digits).

    Accepts ``0XXXXXXXXX``, ``+84XXXXXXXXX`` or ``84XXXXXXXXX``, with spaces, dots or dashes
    between the digits (``+84 912.345-678``). The digit after the 0 must be a mobile prefix
    (3, 5, 7, 8 or 9): landline numbers are refused.
    """
    stripped = _code_text(text, field, _PHONE_RULE)
    digits = _PHONE_SEPARATORS.sub("", stripped)
    found = _PHONE_DIGITS.fullmatch(digits) if _PHONE_SHAPE.fullmatch(stripped) else None
    if found is None:
        raise InvalidIdentity(field, _PHONE_RULE, text)
    national = found.group(1)
    if national[0] not in MOBILE_PREFIX_DIGITS:
        raise InvalidIdentity(
            field,
            "must be a mobile number: the digit after the leading 0 must be 3, 5, 7, 8 or 9 "
            "(landline numbers are not accepted)",
            text,
        )
    return "0" + national


_CMND_RULE = "a CMND number must be exactly 9 digits"


def check_cmnd(text: str, *, field: str = "cmnd") -> str:
    """Return an old identity card number (CMND): exactly 9 digits, surrounding spaces removed."""
    number = _code_text(text, field, _CMND_RULE)
    if not _CMND.fullmatch(number):
        raise InvalidIdentity(field, _CMND_RULE, text)
    return number


_CCCD_RULE = "a CCCD number must be exactly 12 digits"


def _check_birth_details(date_of_birth: object, sex: object, field: str) -> None:
    if date_of_birth is not None and not isinstance(date_of_birth, dt.date):
        raise InvalidIdentity(f"{field}.date_of_birth", "must be a date or None", date_of_birth)
    if sex is not None and not isinstance(sex, Sex):
        raise InvalidIdentity(f"{field}.sex", "must be Sex.MALE, Sex.FEMALE or None", sex)


def check_cccd(
    text: str,
    date_of_birth: dt.date | None = None,
    sex: Sex | None = None,
    *,
    field: str = "cccd",
) -> str:
    """Return a citizen identity card number (CCCD) ``PPP G YY SSSSSS`` after checking its parts.

    ``PPP`` is a province code of Circular 07/2016/TT-BCA, ``G`` the century-and-sex digit
    (0/1: born 1900-1999 male/female, 2/3: 2000-2099, 4/5, 6/7, 8/9 for the next centuries),
    ``YY`` the last two digits of the birth year, ``SSSSSS`` a serial. When ``date_of_birth``
    (and ``sex``) are given, the number must agree with them.
    """
    number = _code_text(text, field, _CCCD_RULE)
    if not _CCCD.fullmatch(number):
        raise InvalidIdentity(field, _CCCD_RULE, text)
    _check_birth_details(date_of_birth, sex, field)
    province, century_digit, year_digits = number[:3], int(number[3]), number[4:6]
    if province not in CCCD_PROVINCE_CODES:
        raise InvalidIdentity(
            f"{field}.province",
            "the first 3 digits must be a province code of Circular 07/2016/TT-BCA",
            text,
        )
    if date_of_birth is not None:
        year = date_of_birth.year
        if not _FIRST_CCCD_YEAR <= year <= _LAST_CCCD_YEAR:
            raise InvalidIdentity(
                f"{field}.century",
                f"a CCCD encodes birth years {_FIRST_CCCD_YEAR} to {_LAST_CCCD_YEAR} only",
                text,
            )
        century = (year - _FIRST_CCCD_YEAR) // 100
        if century_digit // 2 != century:
            raise InvalidIdentity(
                f"{field}.century",
                f"the 4th digit must be {2 * century} or {2 * century + 1} "
                f"for someone born in {year}",
                text,
            )
        if year_digits != f"{year % 100:02d}":
            raise InvalidIdentity(
                f"{field}.birth_year",
                f"the 5th and 6th digits must be {year % 100:02d}, "
                f"the last two digits of the birth year {year}",
                text,
            )
    if sex is not None and (century_digit % 2 == 1) != (sex is Sex.FEMALE):
        raise InvalidIdentity(
            f"{field}.sex", "the 4th digit must be even for a man and odd for a woman", text
        )
    return number


_CITIZEN_ID_RULE = "must be a CMND number (9 digits) or a CCCD number (12 digits)"


def check_citizen_id(
    text: str,
    date_of_birth: dt.date | None = None,
    sex: Sex | None = None,
    *,
    field: str = "citizen_id",
) -> str:
    """Return a CMND (9 digits) or CCCD (12 digits) number, checked by its own rule."""
    number = _code_text(text, field, _CITIZEN_ID_RULE)
    if _CMND.fullmatch(number):
        return check_cmnd(number, field=field)
    if _CCCD.fullmatch(number):
        return check_cccd(number, date_of_birth, sex, field=field)
    raise InvalidIdentity(field, _CITIZEN_ID_RULE, text)


_TAX_CODE_RULE = "a tax code must be 10 digits, or 10 digits, '-' and 3 digits for a branch"


def check_tax_code(text: str, *, field: str = "tax_code") -> str:
    """Return a tax code (mã số thuế): 10 digits, or 10 digits, ``-`` and 3 for a branch.

    The format only: the check digit is not verified, since the tax office's rule for it is
    not public law and a wrong refusal would block a real organisation.
    """
    code = _code_text(text, field, _TAX_CODE_RULE)
    if not _TAX_CODE.fullmatch(code):
        raise InvalidIdentity(field, _TAX_CODE_RULE, text)
    return code


def normalize_email(text: str, field: str = "email") -> str:
    """Return an email address stripped and lowercased, after a pragmatic syntax check.

    The whole address is lowercased, local part included: portals treat addresses
    case-insensitively, so ``An@X.vn`` and ``an@x.vn`` must be one account. The check:
    one ``@``; a local part of 1 to 64 ASCII characters allowed unquoted by RFC 5322, dots
    not leading, trailing or doubled; a domain of at least two dot-separated labels of
    ASCII letters, digits and inner hyphens, the last not all digits (internationalised
    domains in punycode); 254 characters at most.
    """
    address = _text(text, field).strip().lower()
    local, at, domain = address.partition("@")
    problem = None
    if not at or "@" in domain:
        problem = "must contain exactly one '@'"
    elif len(address) > 254:
        problem = "must be at most 254 characters"
    elif not local or len(local) > 64:
        problem = "the part before '@' must be 1 to 64 characters"
    elif not _EMAIL_LOCAL.fullmatch(local):
        problem = (
            "the part before '@' may hold letters, digits and !#$%&'*+/=?^_`{|}~- "
            "with single dots between them, and no spaces"
        )
    elif (
        "." not in domain
        or not all(_DOMAIN_LABEL.fullmatch(p) for p in domain.split("."))
        or domain.rsplit(".", 1)[1].isdigit()
    ):
        problem = (
            "the part after '@' must be a domain like 'example.gov.vn': labels of letters, "
            "digits and hyphens separated by dots"
        )
    if problem is not None:
        raise InvalidIdentity(field, problem, text)
    return address


def check_text(text: str, field: str, *, max_length: int = 200) -> str:
    """Return free text (an address, an issuing office) stripped and in NFC form.

    It must not be empty after stripping, must fit ``max_length`` characters and must hold
    no control or invisible format characters (line breaks included).
    """
    # NFC: the same Vietnamese letter typed precomposed or with combining marks is one text.
    stripped = _text(text, field).strip()
    require_int(max_length, "max_length", minimum=1)
    # NFC joins at most a letter and its two marks into one: anything longer is too long
    # whatever its form, and is refused before normalising a megabyte of it.
    if len(stripped) > 3 * max_length:
        raise InvalidIdentity(
            field,
            f"must be at most {max_length} characters",
            text,
            rule_code="too_long",
            limits={"max_length": max_length},
        )
    cleaned = unicodedata.normalize("NFC", stripped)
    if not cleaned:
        raise InvalidIdentity(field, "must not be empty", text, rule_code="required")
    if len(cleaned) > max_length:
        raise InvalidIdentity(
            field,
            f"must be at most {max_length} characters",
            text,
            rule_code="too_long",
            limits={"max_length": max_length},
        )
    if any(unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" for c in cleaned):
        raise InvalidIdentity(
            field, "must not contain control characters, line breaks or invisible characters", text
        )
    return cleaned


def check_name(text: str, field: str) -> str:
    """Return a person's or organisation's name stripped (and NFC): 1 to 200 plain characters."""
    return check_text(text, field, max_length=200)
