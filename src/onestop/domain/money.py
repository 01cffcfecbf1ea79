"""Fees in whole Vietnamese đồng: fee items, dossier fee lines, exact totals (DOMAIN section 6).

VND has no minor unit, so money is a plain ``int`` of đồng: no floats, no ``Decimal``,
no rounding anywhere.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from onestop.errors import InvalidMoney

__all__ = [
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


def check_amount(value: int, field: str) -> int:
    """Return ``value`` if it is a whole number of VND, 0 or more; raise InvalidMoney if not."""
    # bool is an int subclass, and True đồng is a bug, not an amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMoney(field, "must be a whole number of VND (an int)", value)
    if value < 0:
        raise InvalidMoney(field, "must be 0 VND or more", value)
    return value


def check_quantity(value: int, field: str) -> int:
    """Return ``value`` if it is a whole number, 1 or more; raise InvalidMoney if not."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMoney(field, "must be a whole number (an int)", value)
    if value < 1:
        raise InvalidMoney(field, "must be 1 or more", value)
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
    return sum((line.amount for line in lines), 0)


def format_vnd(amount: int) -> str:
    """Show an amount the Vietnamese way, dots between thousands: ``1.250.000 VND``."""
    check_amount(amount, "amount")
    return f"{amount:,} VND".replace(",", ".")
