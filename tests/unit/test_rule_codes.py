"""Input refused by the argument checks and the shared input checks names its rule for
machines (``rule_code``) and for citizens (a sentence from the catalog, in both languages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from onestop.application.arguments import MAX_DEPTH, checked_methods
from onestop.domain.inputs import require_date, require_int, require_text
from onestop.errors import InvalidInput
from tests.unit.conftest import PortalKit


def _refusal(call: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        call()
    return refused.value


def test_a_value_of_the_wrong_type_is_wrong_type(kit: PortalKit) -> None:
    error = _refusal(lambda: kit.portal.catalog.search(query=123))  # type: ignore[arg-type]
    assert (error.field, error.rule_code) == ("query", "wrong_type")
    assert error.message("vi") == "«Từ khóa tìm kiếm» có giá trị không đúng loại."
    assert error.message("en").endswith("” has a value of the wrong kind.")


def test_an_unknown_keyword_is_unknown_argument(kit: PortalKit) -> None:
    error = _refusal(lambda: kit.portal.catalog.search(qeury="khai sinh"))  # type: ignore[call-arg]
    assert (error.field, error.rule_code) == ("qeury", "unknown_argument")
    # A name no citizen typed has no label: the sentence without it.
    assert error.message("vi") == "Yêu cầu có trường không tồn tại."


def test_text_with_a_lone_surrogate_is_invalid_text(kit: PortalKit) -> None:
    error = _refusal(lambda: kit.portal.catalog.search(query="khai \udc00 sinh"))
    assert error.rule_code == "invalid_text"
    assert error.message("en").endswith("” contains characters that cannot be stored.")


def _nested_type(levels: int) -> Any:
    hint: Any = int
    for _ in range(levels):
        hint = Sequence[hint]
    return hint


class _Nested:
    def keep(self, statuses: Any) -> None:
        """Takes lists of lists of ... of whole numbers."""


_Nested.keep.__annotations__.update(statuses=_nested_type(MAX_DEPTH + 10))
_Service = checked_methods(_Nested)


def test_nesting_too_deep_names_the_limit() -> None:
    nested: list[Any] = []
    for _ in range(MAX_DEPTH + 5):
        nested = [nested]
    error = _refusal(lambda: _Service().keep(nested))
    assert error.rule_code == "too_deep"
    assert error.params["max_depth"] == MAX_DEPTH
    assert str(MAX_DEPTH) in error.message("vi")


def test_a_literal_or_enum_lists_what_is_allowed(kit: PortalKit) -> None:
    error = _refusal(lambda: kit.portal.desk.queue("officer-x", statuses=["received"]))  # type: ignore[list-item]
    assert error.rule_code == "one_of"
    assert "awaiting_reception" in str(error.params["allowed"])
    assert "awaiting_reception" in error.message("en")


@pytest.mark.parametrize(
    ("call", "rule_code", "limits"),
    [
        (lambda: require_text(5, "full_name"), "wrong_type", {}),
        (lambda: require_int("5", "quantity"), "wrong_type", {}),
        (lambda: require_int(0, "quantity", minimum=1), "at_least", {"minimum": 1}),
        (lambda: require_int(9, "quantity", maximum=8), "at_most", {"maximum": 8}),
        (lambda: require_date(dt.datetime(2022, 6, 22), "date"), "wrong_type", {}),
    ],
)
def test_the_shared_checks_name_their_rule(
    call: Any, rule_code: str, limits: dict[str, int]
) -> None:
    error = _refusal(call)
    assert error.rule_code == rule_code
    assert {k: error.params[k] for k in limits} == limits
    for locale in ("vi", "en"):
        sentence = error.message(locale)
        assert "{" not in sentence and "InvalidInput" not in sentence
        assert sentence.startswith(("«", "“"))  # the field's label, not the fallback
        assert all(str(v) in sentence for v in limits.values())
