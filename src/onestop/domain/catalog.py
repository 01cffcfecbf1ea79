"""The catalog of public services: agencies, fields, procedures and their components.

DOMAIN.md sections 1, 4, 6 and 7: an applicant picks the agency (Đơn vị), the field (Lĩnh
vực) and searches the procedures (thủ tục hành chính), with or without diacritics; a
procedure lists the document components (thành phần hồ sơ), the fees, the processing time in
working days and the home services it offers.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import attrs

from onestop.domain.calendar import MAX_WORKING_DAYS
from onestop.domain.codes import AgencyCode
from onestop.domain.deadlines import (
    MAX_WORKING_HOURS,
    SUPPLEMENT_RULES,
    DeadlinePolicy,
    SupplementRule,
    TimeLimit,
)
from onestop.domain.inputs import is_valid_unicode
from onestop.domain.money import FeeItem, FeeLine, total
from onestop.errors import (
    AttachmentTooLarge,
    InvalidAttachment,
    InvalidCatalog,
    InvalidInput,
    show_value,
)

__all__ = [
    "DEFAULT_CUTOFF",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MEDIA_TYPES",
    "Agency",
    "Component",
    "FeesDue",
    "Field",
    "Procedure",
    "fold_diacritics",
]

#: Media types a component accepts unless it says otherwise.
DEFAULT_MEDIA_TYPES: frozenset[str] = frozenset({"application/pdf", "image/jpeg", "image/png"})
#: Largest file a component accepts unless it says otherwise (10 MiB).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Local time after which a dossier counts as received the next working day.
DEFAULT_CUTOFF = dt.time(15, 0)
#: The most originals or copies of one paper document a component may ask for.
MAX_PAPER_COPIES = 1000
#: The largest file size a component may allow: what a signed 64-bit column holds.
MAX_FILE_BYTES = 2**63 - 1

_SLUG = re.compile(r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*")
_PROCEDURE_CODE = re.compile(r"[0-9]+\.[0-9]{6}")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


# --- search --------------------------------------------------------------------------------


def fold_diacritics(text: str) -> str:
    """Fold text for search: no diacritics, đ/Đ as d, case-folded, single spaces.

    ``fold_diacritics("  Đăng  ký KINH doanh ") == "dang ky kinh doanh"``.
    """
    # NFD around casefold as in Unicode's canonical caseless match: casefolding can
    # produce precomposed letters, which must be taken apart again to drop their marks.
    if not isinstance(text, str):
        raise InvalidInput("text", "must be text to search for", text)
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("đ", "d").split())


# --- validators ----------------------------------------------------------------------------


def _named(instance: object, attribute: attrs.Attribute[Any]) -> str:
    """The field an error reports: ``components[<id>].copies``, ``procedure.code``, ..."""
    # attrs validates in field order, so a component's id is valid when later fields are.
    if isinstance(instance, Component) and attribute.name != "id":
        return f"components[{instance.id}].{attribute.name}"
    return f"{type(instance).__name__.lower()}.{attribute.name}"


def _slug(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise InvalidCatalog(
            _named(instance, attribute),
            "must be letters and digits, with single '-', '_' or '.' between them "
            "(e.g. 'giay-to-tuy-than')",
            value,
        )


def _clean(value: str) -> bool:
    """Text a catalog may hold: valid Unicode, no NUL or other control characters but tab,
    line feed and carriage return (a description may run over several lines)."""
    if value.isprintable():
        return True
    return is_valid_unicode(value) and not _CONTROL.search(value)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidCatalog(_named(instance, attribute), "must be non-empty text", value)
    if not _clean(value):
        raise InvalidCatalog(
            _named(instance, attribute),
            "must be valid Unicode text without control characters",
            value,
        )


def _optional_text(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _clean(value):
        raise InvalidCatalog(
            _named(instance, attribute),
            "must be text (valid Unicode, without control characters)",
            value,
        )


def _flag(instance: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise InvalidCatalog(_named(instance, attribute), "must be true or false", value)


def _agency_code(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "parent":
        return
    if not isinstance(value, AgencyCode):
        raise InvalidCatalog(
            _named(instance, attribute),
            "must be an agency electronic id (AgencyCode), e.g. 000.00.03.H34",
            value,
        )


def _count(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PAPER_COPIES:
        raise InvalidCatalog(
            _named(instance, attribute),
            f"must be a whole number from 0 to {MAX_PAPER_COPIES}",
            value,
        )


def _media_types(values: Iterable[str]) -> frozenset[str]:
    """Media types compare case-insensitively, so they are kept lowercase."""
    if values is DEFAULT_MEDIA_TYPES:  # the usual case: already lowercase and bare
        return values
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise InvalidCatalog(
            "component.media_types", "must be a set of media types like 'application/pdf'", values
        )
    try:
        return frozenset(_bare_media_type(v) if isinstance(v, str) else v for v in values)
    except TypeError:  # an unhashable member: a list or a dict
        raise InvalidCatalog(
            "component.media_types", "must hold media types as text", values
        ) from None


def _bare_media_type(media_type: str) -> str:
    """``Image/JPEG; q=1`` → ``image/jpeg``: parameters do not change what a file is."""
    return media_type.partition(";")[0].strip().lower()


# --- catalog entries -----------------------------------------------------------------------


def _agency_codes(values: Iterable[AgencyCode]) -> tuple[AgencyCode, ...]:
    if not isinstance(values, list | tuple | set | frozenset):
        raise InvalidCatalog("agency.former_codes", "must be a list of agency ids", values)
    return tuple(values)


@attrs.frozen
class Agency:
    """An agency (Đơn vị) by its electronic id, under its parent unit if any."""

    code: AgencyCode = attrs.field(validator=_agency_code)
    name: str = attrs.field(validator=_text)
    parent: AgencyCode | None = attrs.field(default=None, validator=_agency_code)
    #: The ids the agency had before a merger or a move (the 2025 province and commune
    #: mergers): lookups by one of them find it, and codes issued under them stay its own.
    former_codes: tuple[AgencyCode, ...] = attrs.field(
        default=(), converter=_agency_codes, validator=attrs.validators.deep_iterable(_agency_code)
    )

    def known_as(self, code: AgencyCode) -> bool:
        """Whether ``code`` is this agency's id, now or before, in either style."""
        return code == self.code or code in self.former_codes

    def __attrs_post_init__(self) -> None:
        # The electronic id encodes the hierarchy, so a parent must be a unit above the code;
        # this also rules out an agency being its own parent and any cycle.
        if self.parent is not None and not self.parent.is_ancestor_of(self.code):
            raise InvalidCatalog(
                "agency.parent",
                f"must be a unit above {self.code}, such as {self.code.parent or 'none'}",
                str(self.parent),
            )


@attrs.frozen
class Field:
    """A field of public services (Lĩnh vực), e.g. business registration."""

    id: str = attrs.field(validator=_slug)
    name: str = attrs.field(validator=_text)


@attrs.frozen
class Component:
    """A document the procedure requires (thành phần hồ sơ), and the files it accepts.

    ``originals`` and ``copies`` are how many originals (bản chính) and copies (bản sao)
    the paper dossier holds; at least one of them is not 0.
    """

    id: str = attrs.field(validator=_slug)
    name: str = attrs.field(validator=_text)  # Tên giấy tờ
    originals: int = attrs.field(default=1, validator=_count)
    copies: int = attrs.field(default=0, validator=_count)
    mandatory: bool = attrs.field(default=True, validator=_flag)
    media_types: frozenset[str] = attrs.field(default=DEFAULT_MEDIA_TYPES, converter=_media_types)
    max_bytes: int = DEFAULT_MAX_BYTES

    def __attrs_post_init__(self) -> None:
        if self.originals == 0 and self.copies == 0:
            raise InvalidCatalog(
                f"components[{self.id}].copies", "originals and copies cannot both be 0", 0
            )
        if not self.media_types or not all(
            isinstance(m, str) and _MEDIA_TYPE.fullmatch(m) for m in self.media_types
        ):
            raise InvalidCatalog(
                f"components[{self.id}].media_types",
                "must hold at least one media type like 'application/pdf'",
                sorted(m if isinstance(m, str) else show_value(m) for m in self.media_types),
            )
        if (
            isinstance(self.max_bytes, bool)
            or not isinstance(self.max_bytes, int)
            or not 1 <= self.max_bytes <= MAX_FILE_BYTES
        ):
            raise InvalidCatalog(
                f"components[{self.id}].max_bytes",
                f"must be a whole number of bytes from 1 to {MAX_FILE_BYTES}",
                self.max_bytes,
            )

    @property
    def copies_label_vi(self) -> str:
        """Số lượng/loại bản as the portal shows it: ``Bản chính: 1, Bản sao: 0``."""
        return f"Bản chính: {self.originals}, Bản sao: {self.copies}"

    def check_file(self, media_type: str, size: int) -> None:
        """Refuse a file of another media type, an empty file or one above ``max_bytes``."""
        if not isinstance(media_type, str) or _bare_media_type(media_type) not in self.media_types:
            raise InvalidAttachment(
                f"components[{self.id}].media_type",
                f"must be one of {', '.join(sorted(self.media_types))}",
                media_type,
                rule_code="one_of",
                limits={"allowed": tuple(sorted(self.media_types))},
            )
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidAttachment(
                f"components[{self.id}].size", "must be a non-empty file (1 byte or more)", size
            )
        if size > self.max_bytes:
            raise AttachmentTooLarge(
                f"components[{self.id}].size",
                f"must be at most {self.max_bytes} bytes ({_mebibytes(self.max_bytes)})",
                size,
                limits={"max_bytes": self.max_bytes},
            )


def _mebibytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"


class FeesDue(enum.Enum):
    """When a procedure's fees must be paid."""

    AT_SUBMISSION = "at_submission"
    AT_RECEPTION = "at_reception"
    AT_RESULT = "at_result"


def _components(values: Iterable[Component]) -> tuple[Component, ...]:
    if isinstance(values, tuple):
        return values
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise InvalidCatalog("procedure.components", "must be a list of components", values)
    return tuple(values)


def _fees(values: Iterable[FeeItem]) -> tuple[FeeItem, ...]:
    if isinstance(values, tuple):
        return values
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise InvalidCatalog("procedure.fees", "must be a list of fee items", values)
    return tuple(values)


def _procedure_code(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _PROCEDURE_CODE.fullmatch(value):
        raise InvalidCatalog(
            "procedure.code", "must be digits, a dot and 6 digits, e.g. 1.001234", value
        )


def _working_days(_: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WORKING_DAYS:
        raise InvalidCatalog(
            "procedure.working_days",
            f"must be a whole number of working days from 0 to {MAX_WORKING_DAYS}",
            value,
        )


def _working_hours(_: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WORKING_HOURS:
        raise InvalidCatalog(
            "procedure.working_hours",
            f"must be a whole number of working hours from 1 to {MAX_WORKING_HOURS}",
            value,
        )


def _supplement_rule(_: object, attribute: object, value: object) -> None:
    if value is not None and not (type(value) is str and value in SUPPLEMENT_RULES):
        raise InvalidCatalog(
            "procedure.supplement_rule",
            "must be 'restart', 'exclude_wait' or null (the portal's rule)",
            value,
        )


def _fees_due(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, FeesDue):
        raise InvalidCatalog(
            "procedure.fees_due",
            f"must be one of {', '.join(repr(m.value) for m in FeesDue)} (a FeesDue)",
            value,
        )


def _cutoff(_: object, attribute: object, value: dt.time | None) -> None:
    if value is not None and (not isinstance(value, dt.time) or value.tzinfo is not None):
        raise InvalidCatalog(
            "procedure.cutoff",
            "must be a local time of day without a time zone (Vietnam's time is implied)",
            value,
        )


@attrs.frozen
class Procedure:
    """An administrative procedure (thủ tục hành chính) as the catalog offers it.

    The processing time (thời hạn giải quyết) is ``working_days`` (0 for the same day) or,
    for a procedure that promises hours, ``working_hours`` with ``working_days=None``; a
    dossier received after ``cutoff`` (local time) counts from the next working day, ``None``
    meaning no cutoff. ``supplement_rule`` says what a supplement does to the due date:
    ``"restart"`` (the whole limit again from the complete dossier), ``"exclude_wait"`` (the
    due date moves by the working time spent waiting) or ``None``, the portal's rule
    (``Settings.supplement_rule``). :attr:`deadline` gathers them as a DeadlinePolicy.
    """

    code: str = attrs.field(validator=_procedure_code)
    name: str = attrs.field(validator=_text)
    agency: AgencyCode = attrs.field(validator=_agency_code)
    field: str = attrs.field(validator=_slug)
    working_days: int | None = attrs.field(validator=_working_days)
    components: tuple[Component, ...] = attrs.field(converter=_components)
    fees: tuple[FeeItem, ...] = attrs.field(default=(), converter=_fees)
    fees_due: FeesDue = attrs.field(default=FeesDue.AT_SUBMISSION, validator=_fees_due)
    home_pickup: bool = attrs.field(default=False, validator=_flag)
    home_delivery: bool = attrs.field(default=False, validator=_flag)
    cutoff: dt.time | None = attrs.field(default=DEFAULT_CUTOFF, validator=_cutoff)
    description: str = attrs.field(default="", validator=_optional_text)
    online: bool = attrs.field(default=True, validator=_flag)
    working_hours: int | None = attrs.field(default=None, validator=_working_hours)
    supplement_rule: SupplementRule | None = attrs.field(default=None, validator=_supplement_rule)

    def __attrs_post_init__(self) -> None:
        if (self.working_days is None) == (self.working_hours is None):
            raise InvalidCatalog(
                "procedure.working_days",
                "give the time limit once: working_days, or working_hours with working_days null",
                self.working_days,
            )
        if not all(isinstance(c, Component) for c in self.components):
            raise InvalidCatalog("procedure.components", "must all be Component values")
        if not all(isinstance(f, FeeItem) for f in self.fees):
            raise InvalidCatalog("procedure.fees", "must all be FeeItem values")
        seen: set[str] = set()
        for component in self.components:
            if component.id in seen:
                raise InvalidCatalog(
                    "procedure.components", "component ids must be unique", component.id
                )
            seen.add(component.id)

    @property
    def time_limit(self) -> TimeLimit:
        """The processing time, in working days or working hours."""
        if self.working_hours is not None:
            return TimeLimit(self.working_hours, "hours")
        return TimeLimit(self.working_days or 0, "days")

    @property
    def deadline(self) -> DeadlinePolicy:
        """The procedure's deadline policy: time limit, cutoff and supplement rule."""
        return DeadlinePolicy(self.time_limit, self.cutoff, self.supplement_rule)

    def component(self, id: str) -> Component:
        """The component with this id; InvalidInput if the procedure has none."""
        for component in self.components:
            if component.id == id:
                return component
        raise InvalidInput(
            "component",
            f"must be one of this procedure's components: {', '.join(self.component_ids())}",
            id,
        )

    def component_ids(self) -> tuple[str, ...]:
        """The ids of the components, in the procedure's order."""
        return tuple(c.id for c in self.components)

    def mandatory_components(self) -> tuple[Component, ...]:
        """The components every dossier must attach a file to."""
        return tuple(c for c in self.components if c.mandatory)

    def fee_lines(self) -> tuple[FeeLine, ...]:
        """The fee lines a dossier for this procedure carries."""
        return tuple(item.to_line() for item in self.fees)

    def total_fees(self) -> int:
        """The sum of the fee lines in VND (0 when the procedure is free)."""
        return total(self.fee_lines())

    def matches(self, query: str) -> bool:
        """Whether every word of ``query`` appears in the name or code, diacritics ignored.

        Words match as parts of words, so a search typed halfway already finds; an empty
        query matches every procedure.
        """
        if not isinstance(query, str):
            raise InvalidInput("query", "must be text", query)
        haystack = fold_diacritics(f"{self.name} {self.code}")
        return all(word in haystack for word in fold_diacritics(query).split())
