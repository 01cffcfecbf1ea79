"""Fees in whole VND: fee items, lines, exact totals and display."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.money import (
    FeeItem,
    FeeKind,
    FeeLine,
    check_amount,
    check_quantity,
    format_vnd,
    total,
)
from onestop.errors import InvalidMoney
from tests.strategies.money import amounts, descriptions, fee_items, fee_kinds, fee_lines


def test_fee_kinds_have_vietnamese_and_english_labels() -> None:
    """Phí is a fee, lệ phí is a charge."""
    assert (FeeKind.PHI.label_vi, FeeKind.PHI.label_en) == ("Phí", "Fee")
    assert (FeeKind.LE_PHI.label_vi, FeeKind.LE_PHI.label_en) == ("Lệ phí", "Charge")
    assert FeeKind("le_phi") is FeeKind.LE_PHI


@given(amounts())
def test_check_amount_accepts_zero_and_more(value: int) -> None:
    """Any whole number of đồng from 0 up comes back unchanged."""
    assert check_amount(value, "x") == value


@given(st.integers(max_value=-1))
def test_check_amount_refuses_negative(value: int) -> None:
    """A negative amount is refused, naming the field."""
    with pytest.raises(InvalidMoney) as caught:
        check_amount(value, "fee_lines[2].unit_amount")
    assert caught.value.field == "fee_lines[2].unit_amount"


@pytest.mark.parametrize("value", [True, False, 1.0, "100", None, 10**3 + 0.5])
def test_check_amount_refuses_non_int(value: object) -> None:
    """Floats, strings and booleans are not amounts."""
    with pytest.raises(InvalidMoney) as caught:
        check_amount(value, "amount")  # type: ignore[arg-type]
    assert caught.value.field == "amount"


@given(st.integers(max_value=0))
def test_check_quantity_refuses_zero_and_negative(value: int) -> None:
    """Quantities start at 1."""
    with pytest.raises(InvalidMoney):
        check_quantity(value, "quantity")


@given(fee_lines())
def test_amount_is_quantity_times_unit(line: FeeLine) -> None:
    """Thành tiền is exactly quantity x unit amount."""
    assert line.amount == line.quantity * line.unit_amount
    assert isinstance(line.amount, int)


@given(st.lists(fee_lines(), max_size=20))
def test_total_is_the_exact_sum_of_amounts(lines: list[FeeLine]) -> None:
    """Totals are exact integer sums, however large."""
    expected = 0
    for line in lines:
        expected += line.quantity * line.unit_amount
    assert total(lines) == expected
    assert total(iter(lines)) == expected


def test_total_of_nothing_is_zero() -> None:
    """A dossier without fee lines costs 0 VND."""
    assert total([]) == 0


@given(fee_items())
def test_fee_item_becomes_an_equal_line(item: FeeItem) -> None:
    """A procedure's fee item puts the same kind, quantity, unit and description on a dossier."""
    line = item.to_line()
    assert (line.kind, line.quantity, line.unit_amount, line.description) == (
        item.kind,
        item.quantity,
        item.unit_amount,
        item.description,
    )
    assert line.amount == item.quantity * item.unit_amount


def test_fee_item_quantity_defaults_to_one() -> None:
    """Most fee items are charged once."""
    item = FeeItem(FeeKind.LE_PHI, 50_000, "Lệ phí cấp giấy chứng nhận")
    assert item.quantity == 1
    assert item.to_line().amount == 50_000


@given(fee_kinds(), st.integers(max_value=0), amounts(), descriptions())
def test_line_refuses_zero_or_negative_quantity(
    kind: FeeKind, quantity: int, unit: int, description: str
) -> None:
    """A fee line with quantity 0 or less is refused with field 'quantity'."""
    with pytest.raises(InvalidMoney) as caught:
        FeeLine(kind=kind, quantity=quantity, unit_amount=unit, description=description)
    assert caught.value.field == "quantity"


@given(fee_kinds(), st.integers(max_value=-1), descriptions())
def test_line_and_item_refuse_negative_unit_amount(
    kind: FeeKind, unit: int, description: str
) -> None:
    """A negative unit amount is refused with field 'unit_amount'."""
    with pytest.raises(InvalidMoney) as caught:
        FeeLine(kind=kind, quantity=1, unit_amount=unit, description=description)
    assert caught.value.field == "unit_amount"
    with pytest.raises(InvalidMoney) as caught:
        FeeItem(kind=kind, unit_amount=unit, description=description)
    assert caught.value.field == "unit_amount"


def test_item_refuses_zero_quantity() -> None:
    """A fee item is charged at least once."""
    with pytest.raises(InvalidMoney) as caught:
        FeeItem(FeeKind.PHI, 1000, "x", quantity=0)
    assert caught.value.field == "quantity"


def test_line_refuses_a_kind_that_is_not_a_fee_kind() -> None:
    """The kind must be a FeeKind, not its string value."""
    with pytest.raises(InvalidMoney) as caught:
        FeeLine(kind="phi", quantity=1, unit_amount=0, description="")  # type: ignore[arg-type]
    assert caught.value.field == "kind"


def test_lines_are_values() -> None:
    """Two lines with the same parts are equal and hash alike."""
    a = FeeLine(FeeKind.PHI, 2, 10_000, "Phí thẩm định")
    b = FeeLine(FeeKind.PHI, 2, 10_000, "Phí thẩm định")
    assert a == b
    assert hash(a) == hash(b)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "0 VND"),
        (5, "5 VND"),
        (999, "999 VND"),
        (1000, "1.000 VND"),
        (50_000, "50.000 VND"),
        (1_250_000, "1.250.000 VND"),
        (1_000_000_000, "1.000.000.000 VND"),
    ],
)
def test_format_vnd_examples(amount: int, shown: str) -> None:
    """Amounts are shown with dots between thousands and the VND suffix."""
    assert format_vnd(amount) == shown


@given(amounts())
def test_format_vnd_round_trips(amount: int) -> None:
    """Dropping the dots and ' VND' gives the amount back; groups are three digits."""
    shown = format_vnd(amount)
    assert shown.endswith(" VND")
    digits = shown.removesuffix(" VND")
    assert int(digits.replace(".", "")) == amount
    groups = digits.split(".")
    assert 1 <= len(groups[0]) <= 3
    assert all(len(group) == 3 for group in groups[1:])


@given(st.integers(max_value=-1))
def test_format_vnd_refuses_negative(amount: int) -> None:
    """There is no negative money to show."""
    with pytest.raises(InvalidMoney) as caught:
        format_vnd(amount)
    assert caught.value.field == "amount"
