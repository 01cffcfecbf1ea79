"""Agency electronic ids (QCVN 102:2016 and Decision 20/2020/QĐ-TTg), in both styles."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, Literal

import attrs

from onestop import errors

__all__ = ["AgencyCode", "AgencyKind", "AgencyStyle"]

AgencyKind = Literal["province", "ministry", "other"]

_LEVEL1 = re.compile(r"[A-Z][0-9]{2}")
_KINDS: Final[dict[str, AgencyKind]] = {"H": "province", "G": "ministry"}
#: Decision 20/2020/QĐ-TTg and QCVN 102:2016/SĐ1:2022: at most 35 characters, left to right.
_MAX_LEFT_TO_RIGHT: Final = 35
_SEGMENT = re.compile(r"[A-Z0-9]+")
#: The widths the 2016 style gives levels 2, 3 and 4, in left-to-right order.
_FIXED_WIDTHS: Final = (2, 2, 3)

AgencyStyle = Literal["fixed", "left_to_right"]
"""How an agency id is written: ``fixed`` is QCVN 102:2016's ``000.00.03.H34`` (fixed widths,
read right to left); ``left_to_right`` is Decision 20/2020's ``H34.03`` (from the level-1 unit
down, up to 35 characters of A-Z, 0-9 and dots)."""

_STYLES: Final[tuple[AgencyStyle, ...]] = ("fixed", "left_to_right")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_level1(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not _LEVEL1.fullmatch(value) or value[1:] == "00":
        raise errors.InvalidAgencyCode(
            "agency_code.level1",
            "must be a capital letter and two digits from 01 to 99, e.g. H34 or G12",
            value,
        )


def _level_checker(level: int, digits: int) -> Callable[[object, object, int], None]:
    top = 10**digits - 1

    def check(_instance: object, _attribute: object, value: int) -> None:
        if not _is_int(value) or not 0 <= value <= top:
            raise errors.InvalidAgencyCode(
                f"agency_code.level{level}", f"must be a whole number from 0 to {top}", value
            )

    return check


def _check_style(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, str) or value not in _STYLES:
        raise errors.InvalidAgencyCode(
            "agency_code.style", "must be 'fixed' or 'left_to_right'", value
        )


def _check_tail(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, tuple) or not all(
        isinstance(part, str) and _SEGMENT.fullmatch(part) and part.strip("0") for part in value
    ):
        raise errors.InvalidAgencyCode(
            "agency_code.tail",
            "must be a tuple of units made of capital letters and digits, not all zeros",
            value,
        )


def _fixed_levels(units: tuple[str, ...]) -> tuple[int, int, int] | None:
    """Levels 2 to 4 when ``units`` (left to right, below level 1) fit the 2016 widths."""
    if len(units) > len(_FIXED_WIDTHS):
        return None
    levels = [0, 0, 0]
    for i, (part, width) in enumerate(zip(units, _FIXED_WIDTHS, strict=False)):
        if len(part) != width or not part.isascii() or not part.isdigit() or not int(part):
            return None
        levels[i] = int(part)
    return levels[0], levels[1], levels[2]


@attrs.frozen(order=True)
class AgencyCode:
    """An agency electronic id, in either style: ``000.00.03.H34`` or ``H34.03``.

    ``level1`` is the top unit (``H34``), ``level2`` to ``level4`` the units below it in the
    2016 fixed widths (2, 2 and 3 digits), 0 where there is none. A left-to-right id whose
    units do not fit those widths (``H56.014``, ``H56.14.03.001.7``) keeps them in ``tail``
    instead, with levels 2 to 4 at 0: so each unit has exactly one value, and the same unit
    written in both styles is equal (``style`` only says how it prints). A unit always sits
    under its parent, so a zero is never followed by a deeper non-zero level.
    """

    level1: str = attrs.field(validator=_check_level1)
    level2: int = attrs.field(default=0, validator=_level_checker(2, 2))
    level3: int = attrs.field(default=0, validator=_level_checker(3, 2))
    level4: int = attrs.field(default=0, validator=_level_checker(4, 3))
    tail: tuple[str, ...] = attrs.field(default=(), validator=_check_tail)
    style: AgencyStyle = attrs.field(default="fixed", validator=_check_style, eq=False, order=False)

    def __attrs_post_init__(self) -> None:
        if self.level2 == 0 and self.level3 != 0:
            raise errors.InvalidAgencyCode(
                "agency_code.level3", "must be 0 when level 2 is 0 (no unit above it)", self.level3
            )
        if self.level3 == 0 and self.level4 != 0:
            raise errors.InvalidAgencyCode(
                "agency_code.level4", "must be 0 when level 3 is 0 (no unit above it)", self.level4
            )
        if self.tail:
            if self.level2 or _fixed_levels(self.tail) is not None:
                raise errors.InvalidAgencyCode(
                    "agency_code.tail",
                    "holds only units that do not fit the 2016 widths, with levels 2 to 4 at "
                    "0; use AgencyCode.from_units",
                    self.tail,
                )
            if self.style != "left_to_right":
                raise errors.InvalidAgencyCode(
                    "agency_code.style",
                    f"must be left_to_right: {self.level1}.{'.'.join(self.tail)} has no "
                    "2016 fixed-width form",
                    self.style,
                )
            if len(self._left_to_right()) > _MAX_LEFT_TO_RIGHT:
                raise errors.InvalidAgencyCode(
                    "agency_code", f"must be at most {_MAX_LEFT_TO_RIGHT} characters", self.tail
                )

    @classmethod
    def from_units(
        cls, level1: str, units: tuple[str, ...] = (), style: AgencyStyle = "left_to_right"
    ) -> AgencyCode:
        """The id of the unit reached from ``level1`` through ``units`` (left to right)."""
        if not isinstance(units, tuple | list):
            raise errors.InvalidAgencyCode(
                "agency_code.units", "must be a list of units below level 1", units
            )
        _check_tail(None, None, tuple(units))
        levels = _fixed_levels(tuple(units))
        if levels is None:
            return cls(level1, tail=tuple(units), style=style)
        return cls(level1, *levels, style=style)

    @classmethod
    def parse(cls, text: str) -> AgencyCode:
        """Read either style (``000.00.03.H34`` or ``H34.03``); the id keeps that style.

        InvalidAgencyCode names the bad part. A fixed-width id starts with a digit, a
        left-to-right one with the level-1 letter, so no text reads both ways.
        """
        if not isinstance(text, str) or len(text) > 40 or any(ch.isspace() for ch in text):
            raise errors.InvalidAgencyCode(
                "agency_code",
                "must be text like 000.00.03.H34 or H34.03, without spaces",
                text,
            )
        if text[:1].isalpha():
            return cls._parse_left_to_right(text)
        parts = text.split(".")
        if len(parts) != 4:
            raise errors.InvalidAgencyCode(
                "agency_code",
                "must be four parts separated by dots: 3 digits.2 digits.2 digits.letter and "
                "2 digits, e.g. 000.00.03.H34 (or left to right from the top unit: H34.03)",
                text,
            )
        level4, level3, level2, level1 = parts
        _check_level1(None, None, level1)
        return cls(
            level1,
            _parse_digits(level2, 2, "agency_code.level2"),
            _parse_digits(level3, 2, "agency_code.level3"),
            _parse_digits(level4, 3, "agency_code.level4"),
        )

    @classmethod
    def _parse_left_to_right(cls, text: str) -> AgencyCode:
        if len(text) > _MAX_LEFT_TO_RIGHT:
            raise errors.InvalidAgencyCode(
                "agency_code",
                f"must be at most {_MAX_LEFT_TO_RIGHT} characters written left to right",
                text,
            )
        level1, *units = text.split(".")
        _check_level1(None, None, level1)
        for part in units:
            if not _SEGMENT.fullmatch(part) or not part.strip("0"):
                raise errors.InvalidAgencyCode(
                    "agency_code.unit",
                    "each unit after the first must be capital letters and digits, not all "
                    "zeros, e.g. H56.14.03",
                    part,
                )
        return cls.from_units(level1, tuple(units), "left_to_right")

    @property
    def units(self) -> tuple[str, ...]:
        """The units below level 1, left to right, as written: ``("03",)`` for H34.03."""
        if self.tail:
            return self.tail
        written = (f"{self.level2:02d}", f"{self.level3:02d}", f"{self.level4:03d}")
        return written[: self.depth - 1]

    def _left_to_right(self) -> str:
        return ".".join((self.level1, *self.units))

    def _fixed(self) -> str:
        return f"{self.level4:03d}.{self.level3:02d}.{self.level2:02d}.{self.level1}"

    def __str__(self) -> str:
        return self._left_to_right() if self.style == "left_to_right" else self._fixed()

    @property
    def key(self) -> str:
        """The same text for the same unit in either style: the 2016 form where there is one.

        Storage keys counters and lookups by it, so ids stored before left-to-right ids
        existed keep their keys.
        """
        return self._left_to_right() if self.tail else self._fixed()

    @property
    def has_fixed_form(self) -> bool:
        """Whether the 2016 fixed-width style can write this unit (its units fit 2, 2, 3)."""
        return not self.tail

    def written(self, style: AgencyStyle) -> AgencyCode:
        """The same unit, printed in ``style``; InvalidAgencyCode if it has no such form."""
        _check_style(None, None, style)
        if style == "fixed" and self.tail:
            raise errors.InvalidAgencyCode(
                "agency_code",
                "has no 2016 fixed-width form (its units do not fit 2, 2 and 3 digits); "
                "write it left to right",
                self._left_to_right(),
            )
        return self if style == self.style else attrs.evolve(self, style=style)

    @property
    def depth(self) -> int:
        """How many levels name a unit: 1 for ``000.00.00.H34``, 4 for ``001.02.03.H34``."""
        if self.tail:
            return 1 + len(self.tail)
        return 1 + sum(1 for level in (self.level2, self.level3, self.level4) if level)

    @property
    def parent(self) -> AgencyCode | None:
        """The unit directly above this one (in the same style), or None for a level-1 unit."""
        if self.tail:
            return AgencyCode.from_units(self.level1, self.tail[:-1], self.style)
        if self.level4:
            return attrs.evolve(self, level4=0)
        if self.level3:
            return attrs.evolve(self, level3=0)
        if self.level2:
            return attrs.evolve(self, level2=0)
        return None

    def is_ancestor_of(self, other: AgencyCode) -> bool:
        """Whether ``other`` sits somewhere below this unit (a unit is not its own ancestor)."""
        if not isinstance(other, AgencyCode):
            raise errors.InvalidAgencyCode(
                "agency_code",
                "must be an AgencyCode, e.g. AgencyCode.parse('000.00.03.H34')",
                other,
            )
        above = other.parent
        while above is not None:
            if above == self:
                return True
            above = above.parent
        return False

    @property
    def kind(self) -> AgencyKind:
        """``province`` for H.. ids, ``ministry`` for G.. ids (central bodies), else ``other``."""
        return _KINDS.get(self.level1[0], "other")


def _parse_digits(text: str, width: int, field: str) -> int:
    # [0-9] rather than str.isdigit(): the latter accepts non-ASCII digits such as "٣".
    if not re.fullmatch(f"[0-9]{{{width}}}", text):
        raise errors.InvalidAgencyCode(field, f"must be exactly {width} digits", text)
    return int(text)
