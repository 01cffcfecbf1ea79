"""Catalog search gives the same ranked results on every storage as a scan of every procedure.

Hypothesis builds small catalogues from Vietnamese words (with and without diacritics, i and
y spellings, synonym keys) and queries typed from them, then compares the in-memory storage,
SQLite and PostgreSQL with :func:`onestop.domain.search.reference_hits`, the reference scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop import Portal, bootstrap
from onestop.adapters.memory import InMemoryStorage
from onestop.adapters.sql import SqlStorage
from onestop.application.catalog import shipped_synonyms
from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode
from onestop.domain.search import SearchDocument, SearchPlan, rank, reference_hits
from onestop.ports.storage import Storage
from onestop.testing import builders
from tests.adapters.sql_support import empty_postgres

SECRET = "a-test-secret-of-enough-bytes-for-hmac"
WORDS = (
    "Đăng",
    "ký",
    "kí",
    "khai",
    "sinh",
    "tử",
    "tư",
    "Cấp",
    "lại",
    "đổi",
    "giấy",
    "phép",
    "xây",
    "dựng",
    "lái",
    "xe",
    "thẻ",
    "Căn",
    "cước",
    "hộ",
    "chiếu",
    "kinh",
    "doanh",
    "có",
    "yếu",
    "tố",
    "nước",
    "ngoài",
    "quyền",
    "sử",
    "dụng",
    "đất",
)
TYPED = (*WORDS, "dang", "ky", "cccd", "gpxd", "bằng", "sổ", "đỏ", "làm", "xin", "d", "kh", "ca")
AGENCIES = (
    (AgencyCode.parse("000.00.01.H34"), "Sở Tư pháp tỉnh Kon Tum"),
    (AgencyCode.parse("000.00.02.H34"), "Công an tỉnh Kon Tum"),
)
FIELDS = (("ho-tich", "Hộ tịch"), ("dat-dai", "Đất đai"), ("xay-dung", "Hoạt động xây dựng"))

names = st.lists(st.sampled_from(WORDS), min_size=1, max_size=7).map(" ".join)
catalogues = st.lists(
    st.tuples(names, st.integers(0, len(AGENCIES) - 1), st.integers(0, len(FIELDS) - 1)),
    min_size=1,
    max_size=25,
)
queries = st.tuples(
    st.lists(st.sampled_from(TYPED), min_size=1, max_size=4).map(" ".join),
    st.sampled_from(["", " "]),
).map("".join)
#: An agency's index, None for every agency, or "both" for a search limited to a list of both.
scopes = st.tuples(
    st.none() | st.integers(0, len(AGENCIES) - 1) | st.just("both"),
    st.none() | st.integers(0, len(FIELDS) - 1),
)


def _procedures(entries: list[tuple[str, int, int]]) -> list[Procedure]:
    return [
        builders.procedure(
            f"1.{i:06d}", name=name, agency=AGENCIES[a][0], field=FIELDS[f][0], fees=()
        )
        for i, (name, a, f) in enumerate(entries)
    ]


def _load(portal: Portal, procedures: list[Procedure]) -> None:
    for code, name in AGENCIES:
        portal.catalog.put_agency(Agency(code, name))
    for field_id, name in FIELDS:
        portal.catalog.put_field(Field(field_id, name))
    for procedure in procedures:
        portal.catalog.put_procedure(procedure)


def _agencies(agency: int | str | None) -> list[AgencyCode] | None:
    if agency is None:
        return None
    return [code for code, _ in AGENCIES] if agency == "both" else [AGENCIES[int(agency)][0]]


def _expected(
    procedures: list[Procedure], query: str, agency: int | str | None, field: int | None
) -> list[str]:
    agency_names = dict(AGENCIES)
    field_names = dict(FIELDS)
    agencies = _agencies(agency)
    documents = [
        SearchDocument.of(p, field_name=field_names[p.field], agency_name=agency_names[p.agency])
        for p in procedures
        if (agencies is None or p.agency in agencies)
        and (field is None or p.field == FIELDS[field][0])
    ]
    plan = SearchPlan.of(query, shipped_synonyms())
    return rank(plan, reference_hits(plan, documents))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A function making a new empty storage of one kind for each example."""
    opened: list[Storage] = []

    def make() -> Storage:
        if request.param == "memory":
            storage: Storage = InMemoryStorage()
        elif request.param == "sqlite":
            storage = SqlStorage.from_url(f"sqlite:///{tmp_path / uuid.uuid4().hex}.db")
        else:
            url: str = request.getfixturevalue("postgres_url")
            empty_postgres(url)
            storage = SqlStorage.from_url(url, create=False)
        opened.append(storage)
        return storage

    yield make
    for storage in opened:
        storage.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=catalogues, searches=st.lists(st.tuples(queries, scopes), min_size=1, max_size=6))
def test_every_storage_ranks_as_the_reference_scan(
    fresh: object,
    entries: list[tuple[str, int, int]],
    searches: list[tuple[str, tuple[int | str | None, int | None]]],
) -> None:
    """Same codes in the same order as ranking every procedure of the scope (one agency, a
    list of agencies, or every one; one field or every one)."""
    procedures = _procedures(entries)
    portal = bootstrap(storage=fresh(), secret_key=SECRET, environ={})  # type: ignore[operator]
    _load(portal, procedures)
    for query, (agency, field) in searches:
        found = portal.catalog.search(
            query,
            agency=_agencies(agency),
            field=None if field is None else FIELDS[field][0],
            page_size=100,
        )
        assert [p.code for p in found.items] == _expected(procedures, query, agency, field)


def test_a_renamed_field_or_agency_is_searched_by_its_new_name(
    fresh: object,
) -> None:
    """Field and agency names count; renaming one refolds its procedures on every storage."""
    portal = bootstrap(storage=fresh(), secret_key=SECRET, environ={})  # type: ignore[operator]
    procedures = _procedures([("Cấp giấy phép", 0, 0)])
    _load(portal, procedures)
    assert [p.code for p in portal.catalog.search("ho tich").items] == ["1.000000"]
    assert not portal.catalog.search("thuong mai").items
    portal.catalog.put_field(Field("ho-tich", "Thương mại"))
    portal.catalog.put_agency(Agency(AGENCIES[0][0], "Sở Công Thương"))
    assert [p.code for p in portal.catalog.search("thuong mai").items] == ["1.000000"]
    assert [p.code for p in portal.catalog.search("cong thuong").items] == ["1.000000"]
    assert not portal.catalog.search("ho tich ").items


def test_another_process_changing_the_catalog_is_seen(tmp_path: Path) -> None:
    """Two storages on one SQLite file: a procedure one adds, the other's search finds."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = bootstrap(storage=SqlStorage.from_url(url), secret_key=SECRET, environ={})
    second = bootstrap(storage=SqlStorage.from_url(url), secret_key=SECRET, environ={})
    _load(first, _procedures([("Đăng ký khai sinh", 0, 0)]))
    assert second.catalog.search("khai sinh").total == 1
    first.catalog.put_procedure(_procedures([("x", 0, 0), ("Đăng ký khai sinh lưu động", 0, 0)])[1])
    assert second.catalog.search("khai sinh").total == 2
    first.close()
    second.close()


def test_a_procedure_another_process_changed_is_shown_as_it_is_now(tmp_path: Path) -> None:
    """The page's procedures are cached with the catalog revision a search read: a change
    committed elsewhere bumps the revision, and the next search shows the new version."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = bootstrap(storage=SqlStorage.from_url(url), secret_key=SECRET, environ={})
    second = bootstrap(storage=SqlStorage.from_url(url), secret_key=SECRET, environ={})
    (procedure,) = _procedures([("Đăng ký khai sinh", 0, 0)])
    _load(first, [procedure])
    for _ in range(2):  # the second search reads the page from the cache
        (shown,) = second.catalog.search("khai sinh").items
        assert shown.name == "Đăng ký khai sinh"
    first.catalog.put_procedure(attrs.evolve(procedure, name="Đăng ký khai sinh mới"))
    (shown,) = second.catalog.search("khai sinh").items
    assert shown.name == "Đăng ký khai sinh mới"
    assert second.catalog.get_procedure(procedure.code).name == "Đăng ký khai sinh mới"
    first.close()
    second.close()
