"""Catalog use cases over the in-memory portal: browse, search, paginate, load a file."""

from __future__ import annotations

import copy
import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.adapters import InMemoryStorage, ManualClock
from onestop.application.catalog import MAX_SEARCH_AGENCIES
from onestop.application.context import Settings
from onestop.bootstrap import Portal, bootstrap
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.catalog import Agency, Procedure, fold_diacritics
from onestop.domain.codes import AgencyCode
from onestop.errors import (
    AgencyNotFound,
    FieldNotFound,
    InvalidCatalog,
    InvalidInput,
    ProcedureNotFound,
)
from onestop.serialization import converter
from onestop.testing import builders

CATALOG_FILE = Path(__file__).resolve().parent.parent / "data" / "catalog.json"
RAW: dict[str, Any] = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
ALL_CODES = sorted(p["code"] for p in RAW["procedures"])
HO_KINH_DOANH = ["2.000575", "2.000720"]


def make_portal() -> Portal:
    return bootstrap(
        storage=InMemoryStorage(),
        clock=ManualClock(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)),
        secret_key="test-secret-key-for-catalog",
        calendar=WorkingCalendar(),
        settings=Settings(page_size=5, max_page_size=7),
        environ={},
    )


@pytest.fixture
def empty() -> Iterator[Portal]:
    with make_portal() as p:
        yield p


@pytest.fixture(scope="module")
def loaded() -> Iterator[Portal]:
    """A portal with tests/data/catalog.json loaded (read only: tests must not change it)."""
    with make_portal() as p:
        p.catalog.load_json(CATALOG_FILE)
        yield p


def codes(portal: Portal, query: str = "", **kwargs: Any) -> list[str]:
    return [p.code for p in portal.catalog.search(query, page_size=7, **kwargs).items]


# --- browsing -------------------------------------------------------------------------------


def test_loading_the_sample_file_reports_what_it_put(empty: Portal) -> None:
    report = empty.catalog.load_json(CATALOG_FILE)
    assert (report.agencies, report.fields, report.procedures) == (7, 6, 8)
    # The same file again replaces, and the file may also be given as bytes.
    assert empty.catalog.load_json(CATALOG_FILE.read_bytes()) == report
    assert empty.catalog.search(page_size=7).total == 8


def test_agencies_and_fields_are_listed(loaded: Portal) -> None:
    agencies = loaded.catalog.list_agencies()
    assert [str(a.code) for a in agencies] == sorted(a["code"] for a in RAW["agencies"])
    assert {f.id for f in loaded.catalog.list_fields()} == {f["id"] for f in RAW["fields"]}


def test_the_fields_of_an_agency_are_those_it_has_procedures_in(loaded: Portal) -> None:
    assert {f.id for f in loaded.catalog.list_fields("000.00.03.H34")} == {
        "quan-ly-cong-san",
        "tin-hoc-thong-ke",
    }
    assert list(loaded.catalog.list_fields("000.00.00.H34")) == []
    with pytest.raises(AgencyNotFound):
        loaded.catalog.list_fields("000.00.99.H34")


def test_a_procedure_is_read_by_code(loaded: Portal) -> None:
    assert loaded.catalog.get_procedure("2.000720").name == "Đăng ký kinh doanh hộ kinh doanh"
    with pytest.raises(ProcedureNotFound):
        loaded.catalog.get_procedure("9.999999")


# --- searching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "ho kinh doanh",
        "hộ kinh doanh",
        "HO KINH DOANH",
        "Hộ Kinh Doanh",
        "kinh   doanh ho",
        "ho kinh",
    ],
)
def test_text_search_ignores_diacritics_case_and_word_order(loaded: Portal, query: str) -> None:
    assert sorted(codes(loaded, query)) == HO_KINH_DOANH


@pytest.mark.parametrize("query", ["Đăng ký", "đăng ký", "dang ky", "DANG KY", "ĐANG KY"])
def test_d_with_stroke_folds_to_d_both_ways(loaded: Portal, query: str) -> None:
    found = sorted(codes(loaded, query))
    assert found == sorted(p["code"] for p in RAW["procedures"] if "Đăng ký" in p["name"])
    assert "2.001035" in found


def test_search_by_code_by_whole_words_and_by_the_word_being_typed(loaded: Portal) -> None:
    """A code finds its procedure; words match whole words, the last one also its start."""
    assert codes(loaded, "2.000720") == ["2.000720"]
    assert sorted(codes(loaded, "giay phep xay")) == ["1.009974", "1.010007"]
    assert sorted(codes(loaded, "giay phep x")) == ["1.009974", "1.010007"]
    assert codes(loaded, "iay phep xay dung") == codes(loaded, "phep xay dung")


def test_an_empty_query_finds_everything_in_code_order(loaded: Portal) -> None:
    assert codes(loaded) == ALL_CODES[:7]
    assert codes(loaded, "   ") == ALL_CODES[:7]


def test_a_query_that_matches_nothing_gives_an_empty_page(loaded: Portal) -> None:
    page = loaded.catalog.search("qqq zzzz xxx")
    assert page.items == () and page.total == 0 and page.pages == 1
    assert not page.has_next and not page.has_previous


def test_search_by_agency_and_field(loaded: Portal) -> None:
    assert codes(loaded, agency="000.00.05.H34") == ["1.009974", "1.010007"]
    assert codes(loaded, field="ho-kinh-doanh") == HO_KINH_DOANH
    assert codes(loaded, agency="000.00.03.H34", field="quan-ly-cong-san") == ["1.005430"]
    assert codes(loaded, "sua chua", agency="000.00.05.H34") == ["1.010007"]
    assert codes(loaded, "ho kinh doanh", agency="000.00.05.H34") == []
    # An agency above the one that handles it does not list it.
    assert codes(loaded, agency="000.00.20.H34") == []


def test_unknown_or_malformed_filters_are_refused(loaded: Portal) -> None:
    with pytest.raises(AgencyNotFound):
        loaded.catalog.search(agency="000.00.99.H34")
    with pytest.raises(FieldNotFound):
        loaded.catalog.search(field="khong-co")
    with pytest.raises(InvalidInput) as caught:
        loaded.catalog.search(agency="not a code")
    assert "agency" in caught.value.field
    with pytest.raises(InvalidInput) as caught:
        loaded.catalog.search(123)  # type: ignore[arg-type]
    assert caught.value.field == "query"


# --- pagination -----------------------------------------------------------------------------


def test_the_default_page_size_comes_from_the_settings(loaded: Portal) -> None:
    page = loaded.catalog.search()
    assert page.page_size == 5
    assert [p.code for p in page.items] == ALL_CODES[:5]
    assert (page.total, page.pages, page.has_next, page.has_previous) == (8, 2, True, False)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_pages_together_hold_every_result_once_in_order(loaded: Portal, size: int) -> None:
    first = loaded.catalog.search(page_size=size)
    seen: list[str] = []
    for number in range(1, first.pages + 1):
        page = loaded.catalog.search(page=number, page_size=size)
        assert page.total == 8 and page.page == number
        assert len(page.items) == (size if number < first.pages else 8 - size * (number - 1))
        assert page.has_next == (number < first.pages)
        assert page.has_previous == (number > 1)
        seen += [p.code for p in page.items]
    assert seen == ALL_CODES
    assert first.pages == -(-8 // size)


def test_a_page_past_the_last_is_empty_but_keeps_the_total(loaded: Portal) -> None:
    page = loaded.catalog.search(page=99, page_size=3)
    assert page.items == () and page.total == 8 and page.pages == 3
    assert not page.has_next and page.has_previous


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": True}, "page"),
        ({"page": 1.5}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 8}, "page_size"),  # max_page_size is 7 here
        ({"page_size": False}, "page_size"),
        ({"page_size": "5"}, "page_size"),
    ],
)
def test_bad_pages_name_the_field_and_the_rule(
    loaded: Portal, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        loaded.catalog.search(**kwargs)
    assert caught.value.field == field
    assert caught.value.rule
    if field == "page_size" and type(kwargs["page_size"]) is int:
        assert "7" in caught.value.rule


# --- property: folding ----------------------------------------------------------------------

_NAMES = [p["name"] for p in RAW["procedures"]]


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D")


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """(a query cut from a procedure name, the same query respelt with random case/marks)."""
    words = draw(st.sampled_from(_NAMES)).split()
    start = draw(st.integers(0, len(words) - 1))
    end = draw(st.integers(start + 1, min(len(words), start + 3)))
    query = " ".join(words[start:end])
    respelt = []
    for char in query:
        how = draw(st.sampled_from(["keep", "upper", "lower", "bare", "bare-upper", "nfd"]))
        if how == "upper":
            respelt.append(char.upper())
        elif how == "lower":
            respelt.append(char.lower())
        elif how == "bare":
            respelt.append(_strip_marks(char))
        elif how == "bare-upper":
            respelt.append(_strip_marks(char).upper())
        elif how == "nfd":
            respelt.append(unicodedata.normalize("NFD", char))
        else:
            respelt.append(char)
    spaces = draw(st.sampled_from(["", " ", "  ", "\t"]))
    # Leading spaces only: a space after the last word says it is complete (no prefix).
    return query, spaces + "".join(respelt)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spellings())
def test_search_is_the_same_whatever_the_case_and_diacritics(
    loaded: Portal, pair: tuple[str, str]
) -> None:
    query, respelt = pair
    expected = codes(loaded, query)
    assert expected  # cut from a name, so it finds at least that procedure
    assert codes(loaded, respelt) == expected
    assert codes(loaded, fold_diacritics(query)) == expected


# --- loading files with mistakes ------------------------------------------------------------


def _broken(change: Callable[[dict[str, Any]], None]) -> bytes:
    data = copy.deepcopy(RAW)
    change(data)
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _delete(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return change


def _duplicate(section: str, index: int) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[section].append(copy.deepcopy(data[section][index]))

    return change


_LAST_PROCEDURE = len(RAW["procedures"])
_LAST_AGENCY = len(RAW["agencies"])
_LAST_FIELD = len(RAW["fields"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_delete(("procedures", 1, "name")), ["procedures[1].name", "required"]),
        (_delete(("agencies", 0, "code")), ["agencies[0].code", "required"]),
        (_set(("procedures", 0, "working_days"), "ba"), ["procedures[0].working_days"]),
        (_set(("procedures", 2, "components"), "giấy"), ["procedures[2].components", "list"]),
        (
            _set(("procedures", 0, "components", 1, "originals"), -1),
            ["procedures[0].components[1].originals"],
        ),
        (_set(("procedures", 0, "fees_due"), "someday"), ["procedures[0].fees_due"]),
        (_set(("agencies", 2, "code"), "000.00.4.H34"), ["agencies[2].code"]),
        (_set(("agencies", 2, "code"), 42), ["agencies[2].code"]),
        (_set(("procedures", 3), "not an object"), ["procedures[3]"]),
        (_set(("fields",), {"id": "x"}), ["fields", "list"]),
        (_set(("procedures", 0, "agency"), "000.00.77.H34"), ["procedures[0].agency"]),
        (_delete(("agencies", 5)), ["agencies[5].parent", "000.00.20.H34"]),
        (_set(("procedures", 4, "field"), "khong-co"), ["procedures[4].field", "khong-co"]),
        (
            _duplicate("procedures", 2),
            [f"procedures[{_LAST_PROCEDURE}].code", "twice", "procedures[2]"],
        ),
        (_duplicate("agencies", 1), [f"agencies[{_LAST_AGENCY}].code", "twice"]),
        (_duplicate("fields", 0), [f"fields[{_LAST_FIELD}].id", "twice"]),
        (_set(("procedures", 0, "colour"), "red"), ["procedures[0]", "colour"]),
    ],
)
def test_a_bad_file_is_refused_naming_the_path_and_nothing_is_loaded(
    empty: Portal, change: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    with pytest.raises(InvalidCatalog) as caught:
        empty.catalog.load_json(_broken(change))
    message = str(caught.value)
    for part in expected:
        assert part in message, message
    assert empty.catalog.list_agencies() == ()
    assert empty.catalog.list_fields() == ()
    assert empty.catalog.search().total == 0


def test_every_problem_of_a_file_is_listed(empty: Portal) -> None:
    def change(data: dict[str, Any]) -> None:
        del data["procedures"][0]["name"]
        data["procedures"][5]["working_days"] = "năm"
        data["agencies"][3]["code"] = "bad"

    with pytest.raises(InvalidCatalog) as caught:
        empty.catalog.load_json(_broken(change))
    message = str(caught.value)
    for part in ["procedures[0].name", "procedures[5].working_days", "agencies[3].code"]:
        assert part in message, message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"agencies": "\xff"}', "UTF-8"),
    ],
)
def test_a_file_that_is_not_a_catalog_is_refused_readably(
    empty: Portal, content: bytes, expected: str
) -> None:
    with pytest.raises(InvalidCatalog) as caught:
        empty.catalog.load_json(content)
    assert expected in str(caught.value)
    assert caught.value.field == "catalog"


def test_a_missing_file_is_refused_readably(empty: Portal, tmp_path: Path) -> None:
    with pytest.raises(InvalidCatalog) as caught:
        empty.catalog.load_json(tmp_path / "khong-co.json")
    assert "cannot be read" in str(caught.value)


def test_a_procedure_may_refer_to_what_the_catalog_already_has(empty: Portal) -> None:
    empty.catalog.load_json(_broken(_set(("procedures",), [])))
    only_procedures = {"procedures": RAW["procedures"]}
    report = empty.catalog.load_json(json.dumps(only_procedures).encode())
    assert (report.agencies, report.fields, report.procedures) == (0, 0, 8)


def test_the_catalog_dumps_to_a_file_that_loads_back_the_same(
    loaded: Portal, empty: Portal
) -> None:
    dumped = loaded.catalog.dump_json()
    assert "Đăng ký kinh doanh hộ kinh doanh" in dumped.decode("utf-8")
    empty.catalog.load_json(dumped)
    assert empty.catalog.list_agencies() == loaded.catalog.list_agencies()
    assert empty.catalog.list_fields() == loaded.catalog.list_fields()
    assert empty.catalog.search(page_size=7).items == loaded.catalog.search(page_size=7).items
    assert empty.catalog.get_procedure("2.000720") == loaded.catalog.get_procedure("2.000720")


def test_agencies_and_procedures_are_put_one_at_a_time_after_what_they_refer_to(
    empty: Portal,
) -> None:
    empty.catalog.load_json(_broken(_set(("procedures",), [])))
    orphan = Agency(
        code=AgencyCode.parse("000.03.30.H34"),
        name="Phòng Tư pháp huyện Đăk Hà",
        parent=AgencyCode.parse("000.00.30.H34"),
    )
    with pytest.raises(AgencyNotFound):
        empty.catalog.put_agency(orphan)
    empty.catalog.put_agency(attrs.evolve(orphan, parent=None))
    procedure = converter.structure(RAW["procedures"][0], Procedure)
    with pytest.raises(FieldNotFound):
        empty.catalog.put_procedure(attrs.evolve(procedure, field="khong-co"))
    with pytest.raises(AgencyNotFound):
        empty.catalog.put_procedure(
            attrs.evolve(procedure, agency=AgencyCode.parse("000.09.30.H34"))
        )
    empty.catalog.put_procedure(procedure)
    assert empty.catalog.get_procedure(procedure.code) == procedure


def test_search_is_limited_to_several_agencies_or_an_agency_and_those_under_it() -> None:
    """A portal searches its own agencies: a list of codes, or one with its sub-agencies."""
    portal = make_portal()
    province = AgencyCode.parse("000.00.00.H34")
    department = AgencyCode.parse("000.00.03.H34")
    district = AgencyCode.parse("000.00.20.H34")
    commune = AgencyCode.parse("000.31.20.H34")
    other = AgencyCode.parse("000.00.00.H35")
    for code in (province, department, district, commune, other):
        portal.catalog.put_agency(Agency(code, f"Đơn vị {code}"))
    portal.catalog.put_field(builders.field())
    for number, code in enumerate((province, department, district, commune, other), start=1):
        portal.catalog.put_procedure(
            builders.procedure(f"1.00000{number}", name="Đăng ký khai sinh", agency=code)
        )

    def found(query: str, **scope: object) -> list[str]:
        return [p.code for p in portal.catalog.search(query, **scope).items]  # type: ignore[arg-type]

    assert found("khai sinh", agency=[department, str(commune)]) == ["1.000002", "1.000004"]
    assert found("", agency=(commune, department)) == ["1.000002", "1.000004"]
    assert found("khai sinh", agency=district, with_sub_agencies=True) == ["1.000003", "1.000004"]
    assert found("khai sinh", agency=[province], with_sub_agencies=True) == [
        "1.000001",
        "1.000002",
        "1.000003",
        "1.000004",
    ]
    assert found("1.000005", agency=[province, department]) == []
    assert found("1.000005", agency=[other, department]) == ["1.000005"]
    with pytest.raises(InvalidInput) as empty:
        portal.catalog.search("khai sinh", agency=[])
    assert empty.value.field == "agency"
    with pytest.raises(InvalidInput):
        portal.catalog.search("khai sinh", agency=[department] * (MAX_SEARCH_AGENCIES + 1))
    with pytest.raises(AgencyNotFound):
        portal.catalog.search("khai sinh", agency=[department, "000.00.09.H34"])
