"""Fees in whole Vietnamese đồng: fee items, dossier fee lines, exact totals (DOMAIN section 6).

VND has no minor unit, so money is a plain ``int`` of đồng: no floats, no ``Decimal``,
no rounding anywhere.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from onestop.domain.inputs import is_valid_unicode
from onestop.errors import InvalidMoney

__all__ = [
    "MAX_QUANTITY",
    "MAX_VND",
    "FeeItem",
    "FeeKind",
    "FeeLine",
    "check_amount",
    "check_quantity",
    "format_vnd",
    "total",
]


class FeeKind(enum.Enum):
    """What a fee line charges for: a service fee (phí) or a state charge (lệ phí)."""

    PHI = "phi"
    LE_PHI = "le_phi"

    @property
    def label_vi(self) -> str:
        """The Vietnamese label shown in the fee table."""
        return _LABELS_VI[self]

    @property
    def label_en(self) -> str:
        """The English label shown in the fee table."""
        return _LABELS_EN[self]


_LABELS_VI = {FeeKind.PHI: "Phí", FeeKind.LE_PHI: "Lệ phí"}
_LABELS_EN = {FeeKind.PHI: "Fee", FeeKind.LE_PHI: "Charge"}

#: The largest amount of one fee or payment: a billion billion đồng, far beyond any real fee,
#: past 2**53 (a float slipping in would lose đồng) and within a signed 64-bit column.
MAX_VND = 10**18
#: The largest quantity on one fee line.
MAX_QUANTITY = 10**6
# format_vnd shows sums of lines too, which may pass MAX_VND; beyond this it refuses.
_MAX_SHOWN_VND = 10**30


def check_amount(value: int, field: str) -> int:
    """Return ``value`` if it is a whole number of VND from 0 to MAX_VND; else InvalidMoney."""
    return _check_amount(value, field, MAX_VND)


def _check_amount(value: int, field: str, maximum: int) -> int:
    # bool is an int subclass, and True đồng is a bug, not an amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMoney(field, "must be a whole number of VND (an int)", value)
    if value < 0:
        raise InvalidMoney(field, "must be 0 VND or more", value)
    if value > maximum:
        raise InvalidMoney(field, f"must be at most {maximum:,} VND".replace(",", "."), value)
    return value


def check_quantity(value: int, field: str) -> int:
    """Return ``value`` if it is a whole number from 1 to MAX_QUANTITY; else InvalidMoney."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMoney(field, "must be a whole number (an int)", value)
    if value < 1:
        raise InvalidMoney(field, "must be 1 or more", value)
    if value > MAX_QUANTITY:
        raise InvalidMoney(field, f"must be at most {MAX_QUANTITY}", value)
    return value


def _valid_amount(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    check_amount(value, attribute.name)


def _valid_quantity(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    check_quantity(value, attribute.name)


def _valid_kind(_: object, attribute: attrs.Attribute[FeeKind], value: FeeKind) -> None:
    if not isinstance(value, FeeKind):
        raise InvalidMoney(attribute.name, "must be a FeeKind (phí or lệ phí)", value)


def _valid_description(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise InvalidMoney(attribute.name, "must be a string", value)
    if not is_valid_unicode(value) or "\x00" in value:
        raise InvalidMoney(
            attribute.name, "must be valid Unicode text without NUL characters", value
        )


@attrs.frozen
class FeeItem:
    """A fee a procedure charges: the template each dossier's fee line is made from."""

    kind: FeeKind = attrs.field(validator=_valid_kind)
    unit_amount: int = attrs.field(validator=_valid_amount)
    description: str = attrs.field(validator=_valid_description)
    quantity: int = attrs.field(default=1, validator=_valid_quantity)

    def to_line(self) -> FeeLine:
        """The fee line this item puts on a dossier."""
        return FeeLine(
            kind=self.kind,
            quantity=self.quantity,
            unit_amount=self.unit_amount,
            description=self.description,
        )


@attrs.frozen
class FeeLine:
    """One row of a dossier's fee table (Loại lệ phí, Số lượng, Mức lệ phí, Thành tiền, Mô tả)."""

    kind: FeeKind = attrs.field(validator=_valid_kind)
    quantity: int = attrs.field(validator=_valid_quantity)
    unit_amount: int = attrs.field(validator=_valid_amount)
    description: str = attrs.field(validator=_valid_description)

    @property
    def amount(self) -> int:
        """Thành tiền: quantity times unit amount, exactly."""
        return self.quantity * self.unit_amount


def total(lines: Iterable[FeeLine]) -> int:
    """The exact sum of the lines' amounts in VND (0 for no lines)."""
    if isinstance(lines, str | bytes | dict) or not isinstance(lines, Iterable):
        raise InvalidMoney("fee_lines", "must be a collection of fee lines", lines)
    amount = 0
    for i, line in enumerate(lines):
        if not isinstance(line, FeeLine):
            raise InvalidMoney(f"fee_lines[{i}]", "must be a FeeLine", line)
        amount += line.amount
    return amount


def format_vnd(amount: int) -> str:
    """Show an amount the Vietnamese way, dots between thousands: ``1.250.000 VND``.

    Sums of fee lines may pass :data:`MAX_VND`; amounts of more than 30 digits are refused.
    """
    _check_amount(amount, "amount", _MAX_SHOWN_VND)
    return f"{amount:,} VND".replace(",", ".")
