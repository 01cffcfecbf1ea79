"""The catalog: agencies, fields, components and their file rules, procedures, search."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.catalog import (
    DEFAULT_MAX_BYTES,
    Agency,
    Component,
    FeesDue,
    Field,
    Procedure,
    fold_diacritics,
)
from onestop.domain.codes import AgencyCode
from onestop.domain.money import FeeItem, FeeKind, FeeLine
from onestop.errors import AttachmentTooLarge, InvalidAttachment, InvalidCatalog, InvalidInput
from tests.strategies.catalog import agencies, components, media_types, procedures
from tests.strategies.codes import agency_codes
from tests.strategies.money import fee_items
from tests.strategies.people import VIETNAMESE_LETTERS

H34 = AgencyCode.parse("000.00.00.H34")
SO_TAI_CHINH = AgencyCode.parse("000.00.03.H34")

ID_CARD = Component("giay-to-tuy-than", "Giấy tờ tùy thân", originals=0, copies=1)
FORM = Component("don-de-nghi", "Đơn đề nghị đăng ký doanh nghiệp")
CHARTER = Component("dieu-le", "Điều lệ công ty", mandatory=False)


def _procedure(**overrides: Any) -> Procedure:
    arguments: dict[str, Any] = {
        "code": "1.001234",
        "name": "Đăng ký thành lập doanh nghiệp tư nhân",
        "agency": SO_TAI_CHINH,
        "field": "thanh-lap-doanh-nghiep",
        "working_days": 3,
        "components": (FORM, ID_CARD, CHARTER),
    }
    return Procedure(**{**arguments, **overrides})


# --- agencies and fields -------------------------------------------------------------------


@given(agencies())
def test_agencies_with_a_parent_above_them_are_valid(agency: Agency) -> None:
    """A parent, when given, is one of the units above the agency's code."""
    assert agency.parent is None or agency.parent.is_ancestor_of(agency.code)


@given(agency_codes(), agency_codes())
def test_an_agency_parent_must_be_above_it(code: AgencyCode, parent: AgencyCode) -> None:
    """Itself, a unit below it or an unrelated unit is refused as agency.parent."""
    if parent.is_ancestor_of(code):
        assert Agency(code, "Đơn vị", parent).parent == parent
    else:
        with pytest.raises(InvalidCatalog) as caught:
            Agency(code, "Đơn vị", parent)
        assert caught.value.field == "agency.parent"


def test_agency_examples() -> None:
    """Sở Tài chính sits under the provincial committee; not under itself or another province."""
    assert Agency(SO_TAI_CHINH, "Sở Tài chính tỉnh Kon Tum", H34).parent == H34
    for parent in (SO_TAI_CHINH, AgencyCode.parse("000.00.00.H29")):
        with pytest.raises(InvalidCatalog):
            Agency(SO_TAI_CHINH, "Sở Tài chính", parent)
    with pytest.raises(InvalidCatalog) as caught:
        Agency(H34, "  ")
    assert caught.value.field == "agency.name"


@pytest.mark.parametrize("field_id", ["dang-ky-kinh-doanh", "tu_phap", "a", "1.005", "HoTich-2"])
def test_field_ids_are_slugs(field_id: str) -> None:
    """Letters and digits with single separators make a field id."""
    assert Field(field_id, "Đăng ký kinh doanh").id == field_id


@pytest.mark.parametrize("field_id", ["", "đăng-ký", "a b", "-a", "a-", "a--b", "a/b"])
def test_other_field_ids_are_refused(field_id: str) -> None:
    """Empty ids, spaces, diacritics and dangling separators are refused."""
    with pytest.raises(InvalidCatalog) as caught:
        Field(field_id, "Lĩnh vực")
    assert caught.value.field == "field.id"


# --- components ----------------------------------------------------------------------------


def test_component_defaults_and_label() -> None:
    """One original by default, mandatory, PDF/JPEG/PNG up to 10 MiB; the label is Vietnamese."""
    assert FORM.copies_label_vi == "Bản chính: 1, Bản sao: 0"
    assert ID_CARD.copies_label_vi == "Bản chính: 0, Bản sao: 1"
    assert FORM.mandatory
    assert FORM.media_types == {"application/pdf", "image/jpeg", "image/png"}
    assert FORM.max_bytes == DEFAULT_MAX_BYTES == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"originals": 0, "copies": 0}, "components[x].copies"),
        ({"originals": -1}, "components[x].originals"),
        ({"copies": -1}, "components[x].copies"),
        ({"copies": 1.5}, "components[x].copies"),
        ({"media_types": frozenset()}, "components[x].media_types"),
        ({"media_types": frozenset({"pdf"})}, "components[x].media_types"),
        ({"media_types": "application/pdf"}, "component.media_types"),
        ({"max_bytes": 0}, "components[x].max_bytes"),
        ({"id": "x y"}, "component.id"),
        ({"name": ""}, "components[x].name"),
    ],
)
def test_components_that_break_a_rule_are_refused(overrides: dict[str, Any], field: str) -> None:
    """Each broken rule names its field."""
    with pytest.raises(InvalidCatalog) as caught:
        Component(**{"id": "x", "name": "Tờ khai", **overrides})
    assert caught.value.field == field


def test_component_media_types_are_kept_lowercase() -> None:
    """Media types compare case-insensitively."""
    component = Component("x", "Ảnh", media_types=["Image/JPEG", " image/png "])
    assert component.media_types == {"image/jpeg", "image/png"}


@given(components(), media_types(), st.integers(-5, 60 * 1024 * 1024))
def test_check_file_accepts_exactly_allowed_types_and_sizes(
    component: Component, media_type: str, size: int
) -> None:
    """A file passes iff its type is allowed and its size 1..max_bytes; else the error says why."""
    allowed_type = media_type in component.media_types
    allowed_size = 1 <= size <= component.max_bytes
    if allowed_type and allowed_size:
        component.check_file(media_type, size)
        component.check_file(media_type.upper() + "; name=x", size)
        return
    with pytest.raises(InvalidAttachment) as caught:
        component.check_file(media_type, size)
    if not allowed_type:
        assert caught.value.field == f"components[{component.id}].media_type"
    else:
        assert caught.value.field == f"components[{component.id}].size"
        assert isinstance(caught.value, AttachmentTooLarge) == (size > component.max_bytes)


def test_check_file_examples() -> None:
    """The limit is inclusive, one byte more is too large; Word and empty files are refused."""
    FORM.check_file("application/pdf", DEFAULT_MAX_BYTES)
    with pytest.raises(AttachmentTooLarge) as too_large:
        FORM.check_file("application/pdf", DEFAULT_MAX_BYTES + 1)
    assert too_large.value.field == "components[don-de-nghi].size"
    assert "10 MB" in too_large.value.rule
    with pytest.raises(InvalidAttachment) as wrong_type:
        FORM.check_file("application/msword", 100)
    assert wrong_type.value.field == "components[don-de-nghi].media_type"
    assert "application/pdf" in wrong_type.value.rule
    with pytest.raises(InvalidAttachment) as empty:
        FORM.check_file("image/png", 0)
    assert not isinstance(empty.value, AttachmentTooLarge)


# --- procedures ----------------------------------------------------------------------------


@given(procedures(online=None))
def test_generated_procedures_keep_their_rules(procedure: Procedure) -> None:
    """Component ids are unique and every one can be looked up."""
    assert len(set(procedure.component_ids())) == len(procedure.components)
    for component in procedure.components:
        assert procedure.component(component.id) is component
    assert procedure.mandatory_components() == tuple(c for c in procedure.components if c.mandatory)


@pytest.mark.parametrize("code", ["1.001234", "2.000012", "12.345678"])
def test_procedure_codes_of_the_national_database_pass(code: str) -> None:
    """A number, a dot and six digits."""
    assert _procedure(code=code).code == code


@pytest.mark.parametrize("code", ["", "1.00123", "1.0012345", "001234", "a.001234", "1,001234"])
def test_malformed_procedure_codes_are_refused(code: str) -> None:
    """Anything else is refused as procedure.code."""
    with pytest.raises(InvalidCatalog) as caught:
        _procedure(code=code)
    assert caught.value.field == "procedure.code"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"working_days": -1}, "procedure.working_days"),
        ({"working_days": True}, "procedure.working_days"),
        ({"components": (FORM, FORM)}, "procedure.components"),
        ({"cutoff": dt.time(15, 0, tzinfo=dt.UTC)}, "procedure.cutoff"),
        ({"name": " "}, "procedure.name"),
        ({"components": ("don-de-nghi",)}, "procedure.components"),
        ({"fees": (50_000,)}, "procedure.fees"),
        ({"field": ""}, "procedure.field"),
    ],
)
def test_procedures_that_break_a_rule_are_refused(overrides: dict[str, Any], field: str) -> None:
    """Negative days, duplicate components and an aware cutoff are refused, naming the field."""
    with pytest.raises(InvalidCatalog) as caught:
        _procedure(**overrides)
    assert caught.value.field == field


def test_procedure_defaults() -> None:
    """Fees due at submission, no home services, 15:00 cutoff, online, free."""
    procedure = _procedure()
    assert procedure.fees_due is FeesDue.AT_SUBMISSION
    assert (procedure.home_pickup, procedure.home_delivery, procedure.online) == (
        False,
        False,
        True,
    )
    assert procedure.cutoff == dt.time(15, 0)
    assert procedure.fee_lines() == ()
    assert procedure.total_fees() == 0
    assert _procedure(working_days=0, cutoff=None).working_days == 0


def test_component_lookup() -> None:
    """Known ids give their component; unknown ids raise InvalidInput naming the choices."""
    procedure = _procedure()
    assert procedure.component("dieu-le") is CHARTER
    assert procedure.mandatory_components() == (FORM, ID_CARD)
    with pytest.raises(InvalidInput) as caught:
        procedure.component("ho-chieu")
    assert caught.value.field == "component"
    assert "giay-to-tuy-than" in caught.value.rule


def test_components_given_as_a_list_are_kept_as_a_tuple() -> None:
    """The procedure is immutable whatever sequence it was given."""
    procedure = _procedure(components=[FORM], fees=[FeeItem(FeeKind.LE_PHI, 50_000, "Lệ phí")])
    assert procedure.components == (FORM,)
    assert isinstance(procedure.fees, tuple)


@given(st.lists(fee_items(), max_size=6))
def test_fee_lines_follow_the_items_and_sum_exactly(items: list[FeeItem]) -> None:
    """One line per item in order, each quantity x unit, the total their exact sum."""
    procedure = _procedure(fees=tuple(items))
    lines = procedure.fee_lines()
    assert lines == tuple(FeeLine(i.kind, i.quantity, i.unit_amount, i.description) for i in items)
    assert procedure.total_fees() == sum(i.quantity * i.unit_amount for i in items)


def test_fee_example() -> None:
    """Lệ phí 50.000 plus phí 2 x 100.000 is 250.000 VND."""
    procedure = _procedure(
        fees=(
            FeeItem(FeeKind.LE_PHI, 50_000, "Lệ phí đăng ký doanh nghiệp"),
            FeeItem(FeeKind.PHI, 100_000, "Phí công bố nội dung", quantity=2),
        ),
        fees_due=FeesDue.AT_RECEPTION,
    )
    assert [line.amount for line in procedure.fee_lines()] == [50_000, 200_000]
    assert procedure.total_fees() == 250_000


# --- search --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đăng ký kinh doanh", "dang ky kinh doanh"),
        ("  ĐĂNG   KÝ\tKINH\ndoanh ", "dang ky kinh doanh"),
        ("Cấp đổi giấy phép lái xe", "cap doi giay phep lai xe"),
        ("Giỗ Tổ Hùng Vương", "gio to hung vuong"),
        ("Thủ tục hành chính ưu tiên", "thu tuc hanh chinh uu tien"),
        ("Hộ tịch", "ho tich"),
        ("", ""),
    ],
)
def test_fold_diacritics_examples(text: str, folded: str) -> None:
    """Tones, breves, circumflexes, horns and đ are folded away; case and spacing too."""
    assert fold_diacritics(text) == folded


_vietnamese_text = st.text(alphabet=st.sampled_from((*VIETNAMESE_LETTERS, " ", "\t", "1", "-")))


@given(_vietnamese_text)
def test_folded_vietnamese_is_ascii(text: str) -> None:
    """Any text of Vietnamese letters folds to plain lowercase ASCII."""
    folded = fold_diacritics(text)
    assert folded.isascii()
    assert folded == folded.lower()


@given(_vietnamese_text)
def test_folding_ignores_how_the_text_was_composed(text: str) -> None:
    """Precomposed and decomposed spellings of the same text fold alike."""
    assert fold_diacritics(unicodedata.normalize("NFD", text)) == fold_diacritics(text)
    assert fold_diacritics(text.upper()) == fold_diacritics(text)


@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    """Folding folded text changes nothing, for any text at all."""
    once = fold_diacritics(text)
    assert fold_diacritics(once) == once


@pytest.mark.parametrize(
    "query",
    [
        "dang ky kinh doanh",
        "Đăng ký kinh doanh",
        "DANG KY",
        "kinh doa",
        "doanh dang",
        "  dang   ky ",
        "1.001234",
        "001234 kinh",
        "",
    ],
)
def test_search_finds_with_and_without_diacritics(query: str) -> None:
    """'dang ky kinh doanh' finds 'Đăng ký kinh doanh'; words may come in any order."""
    assert _procedure(name="Đăng ký kinh doanh hộ cá thể").matches(query)


@pytest.mark.parametrize("query", ["cap phep", "dang ky xe", "1.001235", "giấy"])
def test_search_needs_every_word(query: str) -> None:
    """A word found nowhere in the name or code means no match."""
    assert not _procedure(name="Đăng ký kinh doanh hộ cá thể").matches(query)


@given(procedures(), st.data())
def test_a_procedure_matches_any_of_its_own_words(
    procedure: Procedure, data: st.DataObject
) -> None:
    """Any subset of the name's words, with or without diacritics, finds the procedure."""
    words = procedure.name.split()
    chosen = data.draw(st.lists(st.sampled_from(words), max_size=len(words)))
    assert procedure.matches(" ".join(chosen))
    assert procedure.matches(fold_diacritics(" ".join(chosen)))
    assert procedure.matches(procedure.code)


def test_procedures_are_values() -> None:
    """Equal details make equal procedures; evolve makes a changed copy."""
    assert _procedure() == _procedure()
    assert attrs.evolve(_procedure(), working_days=5).working_days == 5
    assert hash(_procedure()) == hash(_procedure())
