"""Agency ids (QCVN 102:2016), dossier codes (Circular 01/2018/TT-VPCP) and Vietnam's local day.

A dossier code is ``<agency id>-<YYMMDD>-<XXXX>``: the receiving agency, the day it received
the dossier in Vietnam's local time (UTC+7) and the dossier's number among that day's. The
date pattern, the sequence width and the separator form a :class:`CodeScheme`, so a newer
rule is a new scheme value, not new code.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Final, Literal

import attrs

from onestop import errors
from onestop.domain.agency_ids import AgencyCode, AgencyKind, AgencyStyle, _is_int
from onestop.domain.vn_time import VN_TZ, local_day, local_time, require_aware

__all__ = [
    "SCHEME_2018",
    "SCHEME_2018_LEFT_TO_RIGHT",
    "SCHEME_2025_CENTRAL",
    "SCHEME_WIDE",
    "VN_TZ",
    "AgencyCode",
    "AgencyKind",
    "AgencyStyle",
    "CodeScheme",
    "DossierCode",
    "SchemeAgencyStyle",
    "local_day",
    "local_time",
    "require_aware",
]


# --- dossier-code scheme -------------------------------------------------------------------

_DateToken = Literal["YYYY", "YY", "MM", "DD"]
_DATE_TOKENS: Final[tuple[_DateToken, ...]] = ("YYYY", "YY", "MM", "DD")
_MAX_SEQ_WIDTH: Final = 9


@functools.lru_cache(maxsize=32)
def _date_tokens(pattern: str) -> tuple[_DateToken, ...]:
    """Split a date pattern into tokens; ConfigurationError unless it has one year, MM and DD."""
    tokens: list[_DateToken] = []
    rest = pattern
    while rest:
        token = next((t for t in _DATE_TOKENS if rest.startswith(t)), None)
        if token is None:
            raise errors.ConfigurationError(
                f"date pattern {pattern!r} has {rest!r} where YYYY, YY, MM or DD was expected"
            )
        tokens.append(token)
        rest = rest[len(token) :]
    kinds = sorted("Y" if t.startswith("Y") else t for t in tokens)
    if kinds != ["DD", "MM", "Y"]:
        raise errors.ConfigurationError(
            f"date pattern {pattern!r} must hold exactly one year (YY or YYYY), one MM and "
            "one DD, e.g. YYMMDD"
        )
    return tuple(tokens)


def _write_day(pattern: str, day: dt.date) -> str | None:
    """``day`` written with ``pattern``, or None when the pattern cannot write it."""
    two_digit_year = "YY" in _date_tokens(pattern)
    earliest = dt.date(2000, 1, 1) if two_digit_year else dt.date.min
    latest = dt.date(2099, 12, 31) if two_digit_year else dt.date.max
    if not earliest <= day <= latest:
        return None
    written = {
        "YYYY": f"{day.year:04d}",
        "YY": f"{day.year % 100:02d}",
        "MM": f"{day.month:02d}",
        "DD": f"{day.day:02d}",
    }
    return "".join(written[token] for token in _date_tokens(pattern))


# Codes are written far more often than there are days: a day is written once per pattern.
_written_day: Final = functools.lru_cache(maxsize=1024)(_write_day)


def _check_name(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise errors.ConfigurationError("a code scheme needs a non-empty name")


def _check_date_pattern(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str):
        raise errors.ConfigurationError(
            f"date pattern must be text like 'YYMMDD', not {errors.show_value(value)}"
        )
    _date_tokens(value)


def _check_seq_width(_instance: object, _attribute: object, value: int) -> None:
    if not _is_int(value) or not 1 <= value <= _MAX_SEQ_WIDTH:
        # Nine digits is a billion dossiers a day and still fits a 32-bit integer column.
        raise errors.ConfigurationError(
            f"sequence width must be a whole number from 1 to {_MAX_SEQ_WIDTH}, "
            f"not {errors.show_value(value)}"
        )


def _check_separator(_instance: object, _attribute: object, value: str) -> None:
    # The parts of a code are made of letters, digits and dots, so a separator without any
    # of those (or spaces) splits a code in exactly one way.
    if (
        not isinstance(value, str)
        or not value
        or any(ch.isalnum() or ch.isspace() or ch == "." or not ch.isprintable() for ch in value)
    ):
        raise errors.ConfigurationError(
            f"separator must be printable punctuation such as '-', without letters, digits, "
            f"dots or spaces, not {errors.show_value(value)}"
        )


SchemeAgencyStyle = Literal["fixed", "left_to_right", "any"]
"""The agency-id style a scheme writes: one of the two, or ``any`` (read both, and print each
agency in the style it was written in)."""


def _check_agency_style(_instance: object, _attribute: object, value: object) -> None:
    if value not in ("fixed", "left_to_right", "any"):
        raise errors.ConfigurationError(
            f"agency_style must be 'fixed', 'left_to_right' or 'any', not "
            f"{errors.show_value(value)}"
        )


def _check_flag(_instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise errors.ConfigurationError(
            f"{attribute.name} must be true or false, not {errors.show_value(value)}"
        )


def _check_system_width(_instance: object, _attribute: object, value: object) -> None:
    if not _is_int(value) or not 0 <= value <= 4:  # type: ignore[operator]
        raise errors.ConfigurationError(
            f"system_width must be a whole number from 0 (no system part) to 4, not "
            f"{errors.show_value(value)}"
        )


@attrs.frozen
class CodeScheme:
    """How a dossier code is written: agency-id style, date pattern, sequence, separator.

    ``seq_width`` is the sequence's minimum width; with ``seq_grows`` a day that needs more
    numbers writes them wider (10000 after 9999), as Circular 04/2025 asks. ``system_width``
    digits (the ``AA`` of ``H56.014.03-250701-AA0001``) may sit between the date and the
    number: ``system`` is the host's own, used when it issues codes; without it the scheme
    reads any system part but issues none.
    """

    name: str = attrs.field(validator=_check_name)
    date_pattern: str = attrs.field(default="YYMMDD", validator=_check_date_pattern)
    seq_width: int = attrs.field(default=4, validator=_check_seq_width)
    separator: str = attrs.field(default="-", validator=_check_separator)
    agency_style: SchemeAgencyStyle = attrs.field(default="fixed", validator=_check_agency_style)
    seq_grows: bool = attrs.field(default=False, validator=_check_flag)
    system_width: int = attrs.field(default=0, validator=_check_system_width)
    system: str | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if self.system is not None and (
            not isinstance(self.system, str)
            or not self.system_width
            or not re.fullmatch(f"[0-9]{{{self.system_width}}}", self.system)
        ):
            raise errors.ConfigurationError(
                f"system must be exactly system_width ({self.system_width}) digits, or None "
                f"when the scheme has no system part, not {errors.show_value(self.system)}"
            )

    @property
    def max_seq(self) -> int:
        """The last sequence number of a day; the next dossier that day cannot get a code."""
        return int(10 ** (_MAX_SEQ_WIDTH if self.seq_grows else self.seq_width) - 1)

    def issued_by(self, system: str) -> CodeScheme:
        """This scheme issuing with a system part: ``SCHEME_2025_CENTRAL.issued_by("07")``."""
        return attrs.evolve(self, system=system)

    def write_agency(self, agency: AgencyCode) -> str:
        """The agency as this scheme writes it; InvalidDossierCode if it cannot."""
        if not isinstance(agency, AgencyCode):
            raise errors.InvalidDossierCode("dossier_code.agency", "must be an AgencyCode", agency)
        if self.agency_style == "any":
            return str(agency)
        try:
            return str(agency.written(self.agency_style))
        except errors.InvalidAgencyCode as e:
            raise errors.InvalidDossierCode(
                "dossier_code.agency",
                f"cannot be written in the {self.agency_style} style of scheme {self.name} "
                f"({e.rule})",
                str(agency),
            ) from e

    def read_agency(self, text: str) -> AgencyCode:
        """Read the agency part of a code in this scheme's style; InvalidDossierCode if not."""
        try:
            agency = AgencyCode.parse(text)
        except errors.InvalidAgencyCode as e:
            raise errors.InvalidDossierCode(
                "dossier_code.agency",
                f"must be an agency id like {self._agency_example} ({e.field}: {e.rule})",
                text,
            ) from e
        if self.agency_style != "any" and agency.style != self.agency_style:
            raise errors.InvalidDossierCode(
                "dossier_code.agency",
                f"must be written {self.agency_style.replace('_', ' ')} under scheme "
                f"{self.name}, e.g. {self._agency_example}",
                text,
            )
        return agency

    @property
    def _agency_example(self) -> str:
        return "H34.03" if self.agency_style == "left_to_right" else "000.00.03.H34"

    @property
    def earliest_day(self) -> dt.date:
        """The first day the date pattern can write (2000-01-01 with a two-digit year)."""
        return dt.date(2000, 1, 1) if "YY" in _date_tokens(self.date_pattern) else dt.date.min

    @property
    def latest_day(self) -> dt.date:
        """The last day the date pattern can write (2099-12-31 with a two-digit year)."""
        return dt.date(2099, 12, 31) if "YY" in _date_tokens(self.date_pattern) else dt.date.max

    @property
    def example(self) -> str:
        """A sample code under this scheme, for messages and documentation."""
        system = self.system or "0" * self.system_width
        return self.separator.join(
            (
                self._agency_example,
                self.format_day(dt.date(2022, 6, 22)),
                system + self.format_seq(1),
            )
        )

    def format_day(self, day: dt.date) -> str:
        """Write ``day`` with the date pattern, e.g. 220622 for 2022-06-22 under YYMMDD."""
        if type(day) is dt.date:  # the common case: a plain date, written once per pattern
            written = _written_day(self.date_pattern, day)
        elif isinstance(day, dt.date) and not isinstance(day, dt.datetime):
            written = _write_day(self.date_pattern, day)
        else:
            raise errors.InvalidDossierCode(
                "dossier_code.day",
                "must be a date (a calendar day), not a datetime or anything else; "
                "use local_day() for an instant",
                day,
            )
        if written is None:
            raise errors.InvalidDossierCode(
                "dossier_code.day",
                f"must be from {self.earliest_day} to {self.latest_day} under scheme {self.name}",
                day,
            )
        return written

    def parse_day(self, text: str) -> dt.date:
        """Read a day written with the date pattern; a two-digit year means 2000 to 2099."""
        if not isinstance(text, str) or not re.fullmatch(
            f"[0-9]{{{len(self.date_pattern)}}}", text
        ):
            raise errors.InvalidDossierCode(
                "dossier_code.day",
                f"must be {len(self.date_pattern)} digits in the order {self.date_pattern}",
                text,
            )
        values: dict[str, int] = {}
        position = 0
        for token in _date_tokens(self.date_pattern):
            values[token] = int(text[position : position + len(token)])
            position += len(token)
        year = values["YYYY"] if "YYYY" in values else 2000 + values["YY"]
        try:
            return dt.date(year, values["MM"], values["DD"])
        except ValueError as e:
            raise errors.InvalidDossierCode(
                "dossier_code.day",
                f"must be a real calendar date written {self.date_pattern}",
                text,
            ) from e

    def format_seq(self, seq: int) -> str:
        """Write a sequence number zero-padded to the scheme's width, e.g. 0001."""
        self._check_seq(seq)
        return f"{seq:0{self.seq_width}d}"

    def parse_seq(self, text: str) -> int:
        """Read a sequence number as the scheme writes it, from 1 up to ``max_seq``.

        A growing scheme reads wider numbers too, but only as it writes them: 10000, never
        a padded 00001, so each number has one spelling.
        """
        width = f"{self.seq_width},{_MAX_SEQ_WIDTH}" if self.seq_grows else f"{self.seq_width}"
        if not isinstance(text, str) or not re.fullmatch(f"[0-9]{{{width}}}", text):
            rule = (
                f"must be {self.seq_width} to {_MAX_SEQ_WIDTH} digits"
                if self.seq_grows
                else f"must be exactly {self.seq_width} digits"
            )
            raise errors.InvalidDossierCode("dossier_code.seq", rule, text)
        seq = int(text)
        self._check_seq(seq)
        if len(text) > self.seq_width and text[0] == "0":
            raise errors.InvalidDossierCode(
                "dossier_code.seq",
                f"must not pad beyond {self.seq_width} digits (write {self.format_seq(seq)})",
                text,
            )
        return seq

    def _check_seq(self, seq: int) -> None:
        if not _is_int(seq) or not 1 <= seq <= self.max_seq:
            raise errors.InvalidDossierCode(
                "dossier_code.seq",
                f"must be a whole number from 1 to {self.max_seq} (numbering starts at 1 each day)",
                seq,
            )


SCHEME_2018: Final = CodeScheme(name="TT01/2018", date_pattern="YYMMDD", seq_width=4)
"""Circular 01/2018/TT-VPCP art. 19: ``<agency>-YYMMDD-XXXX``; the default everywhere."""

SCHEME_WIDE: Final = CodeScheme(name="wide", date_pattern="YYYYMMDD", seq_width=6)
"""A wider scheme (four-digit year, six-digit sequence) for hosts whose rules ask for it."""

SCHEME_2018_LEFT_TO_RIGHT: Final = CodeScheme(
    name="TT01/2018-ltr", date_pattern="YYMMDD", seq_width=4, agency_style="left_to_right"
)
"""The 2018 scheme, agency ids written left to right (Decision 20/2020): ``H34.03-220622-0001``."""

SCHEME_2025_CENTRAL: Final = CodeScheme(
    name="TT04/2025-central",
    date_pattern="YYMMDD",
    seq_width=4,
    seq_grows=True,
    agency_style="left_to_right",
    system_width=2,
)
"""Circular 04/2025/TT-VPCP, nationally centralised systems: ``H56.014.03-250701-AA0001``.

``AA`` is the two-digit system owner: this value reads any; a host issuing codes sets its own
with ``SCHEME_2025_CENTRAL.issued_by("07")``. The number has at least four digits and grows.
"""


# --- dossier code --------------------------------------------------------------------------

# Apart from its two separators, the longest code any scheme writes is under 40 characters:
# text far longer is refused before any splitting or matching.
_MAX_CODE_LENGTH: Final = 100


def _check_scheme(scheme: object) -> None:
    if not isinstance(scheme, CodeScheme):
        raise errors.InvalidDossierCode(
            "dossier_code.scheme", "must be a CodeScheme, e.g. SCHEME_2018", scheme
        )


@attrs.frozen(order=True)
class DossierCode:
    """A dossier code (mã số hồ sơ): agency, local day of receipt, and number within the day.

    Codes compare and sort by (agency, day, seq); the scheme only says how they are written.
    """

    agency: AgencyCode
    day: dt.date
    seq: int
    scheme: CodeScheme = attrs.field(default=SCHEME_2018, eq=False, order=False)
    #: The system part (``AA``) of a scheme that has one; "" otherwise. Issued codes take the
    #: scheme's ``system``; parsed ones keep what they were written with.
    system: str = attrs.field(
        # getattr: a wrong scheme is refused with its own error after the fields are set.
        default=attrs.Factory(
            lambda self: getattr(self.scheme, "system", None) or "", takes_self=True
        )
    )
    #: The code as written, kept from the checks that write every part (a submission writes
    #: it several times).
    _text: str = attrs.field(init=False, eq=False, order=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.agency, AgencyCode):
            raise errors.InvalidDossierCode(
                "dossier_code.agency",
                "must be an AgencyCode, e.g. AgencyCode.parse('000.00.03.H34')",
                self.agency,
            )
        _check_scheme(self.scheme)
        if isinstance(self.day, dt.datetime) or not isinstance(self.day, dt.date):
            raise errors.InvalidDossierCode(
                "dossier_code.day",
                "must be a date, not a datetime; use DossierCode.for_submission with an instant",
                self.day,
            )
        day = self.scheme.format_day(self.day)  # raises if the scheme cannot write this day
        seq = self.scheme.format_seq(self.seq)  # raises unless 1 <= seq <= max_seq
        agency = self.scheme.write_agency(self.agency)  # raises if its style cannot write it
        width = self.scheme.system_width
        if not isinstance(self.system, str) or not re.fullmatch(f"[0-9]{{{width}}}", self.system):
            raise errors.InvalidDossierCode(
                "dossier_code.system",
                f"must be {width} digits under scheme {self.scheme.name}"
                + ("; issue with a scheme that has its system set" if width else ""),
                self.system,
            )
        text = self.scheme.separator.join((agency, day, self.system + seq))
        object.__setattr__(self, "_text", text)

    @classmethod
    def for_submission(
        cls,
        agency: AgencyCode,
        submitted_at: dt.datetime,
        seq: int,
        scheme: CodeScheme = SCHEME_2018,
    ) -> DossierCode:
        """The code of a dossier submitted at an aware instant: its day is Vietnam's local day."""
        require_aware(submitted_at, "submitted_at")
        return cls(agency, local_day(submitted_at), seq, scheme)

    @classmethod
    def parse(cls, text: str, scheme: CodeScheme = SCHEME_2018) -> DossierCode:
        """Read ``000.00.03.H34-220622-0001``; InvalidDossierCode's ``field`` names the bad part."""
        _check_scheme(scheme)
        system = f"{scheme.system_width} digits + " if scheme.system_width else ""
        more = " or more" if scheme.seq_grows else ""
        shape = f"must be <agency id>{scheme.separator}<{scheme.date_pattern}>{scheme.separator}"
        shape += f"<{system}{scheme.seq_width}{more} digits>, e.g. {scheme.example}"
        if not isinstance(text, str) or len(text) > _MAX_CODE_LENGTH + 2 * len(scheme.separator):
            raise errors.InvalidDossierCode("dossier_code", shape, text)
        parts = text.split(scheme.separator)
        if len(parts) != 3:
            raise errors.InvalidDossierCode("dossier_code", shape, text)
        agency_text, day_text, seq_text = parts
        agency = scheme.read_agency(agency_text)
        day = scheme.parse_day(day_text)
        width = scheme.system_width
        system, seq_text = seq_text[:width], seq_text[width:]
        if not re.fullmatch(f"[0-9]{{{width}}}", system):
            raise errors.InvalidDossierCode(
                "dossier_code.system", f"must be {width} digits before the number", system
            )
        if re.fullmatch(f"[0-9]{{{scheme.seq_width}}}.*[^0-9].*", seq_text, flags=re.DOTALL):
            raise errors.InvalidDossierCode(
                "dossier_code", f"has unexpected text after the sequence number; {shape}", text
            )
        return cls(agency, day, scheme.parse_seq(seq_text), scheme, system)

    def __str__(self) -> str:
        return self._text

    def in_province(self, province: str | None = None) -> DossierCode:
        """This code, if its prefix carries a province id (``H..``), or ``province`` exactly.

        The national portal refuses codes whose prefix lacks the province's id: a host that
        sends codes there asks for this check (InvalidDossierCode otherwise).
        """
        if province is not None and not isinstance(province, str):
            raise errors.InvalidDossierCode(
                "province", "must be a province id such as H34, or None", province
            )
        level1 = self.agency.level1
        if self.agency.kind != "province" or (province is not None and level1 != province):
            wanted = province or "a province id (H and two digits)"
            raise errors.InvalidDossierCode(
                "dossier_code.agency",
                f"must start with {wanted}: the national portal refuses codes without the "
                "province's id",
                str(self),
            )
        return self
