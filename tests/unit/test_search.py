"""Catalog search rules: folding, whole words, the word being typed, synonyms, ranking."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop import Portal, bootstrap
from onestop.application.catalog import shipped_synonyms
from onestop.domain.catalog import Agency, Field
from onestop.domain.search import (
    SearchDocument,
    SearchPlan,
    Synonyms,
    _Ranking,
    rank,
    reference_hits,
    search_words,
)
from onestop.errors import InvalidInput
from onestop.testing import builders

NAMES = {
    "1.000001": "Đăng ký khai sinh có yếu tố nước ngoài",
    "1.000002": "Đăng ký khai sinh",
    "1.000003": "Đăng ký khai sinh lưu động",
    "1.000004": "Đăng ký khai tử",
    "1.000005": "Cấp giấy phép tư vấn tuyển dụng",
    "1.000006": "Cấp hộ chiếu phổ thông",
    "1.000007": "Cấp lại thẻ Căn cước",
    "1.000008": "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
    "1.000009": "Đăng ký kết hôn có yếu tố nước ngoài",
}


def ranked(query: str, synonyms: Synonyms | None = None) -> list[str]:
    plan = SearchPlan.of(query, synonyms or shipped_synonyms())
    documents = [SearchDocument.named(code, name, "", "") for code, name in NAMES.items()]
    return [NAMES[c] for c in rank(plan, reference_hits(plan, documents))]


def test_words_are_folded_once_with_d_and_i_for_y() -> None:
    """Đ/đ as d, no marks, lower case, kí and ký alike, split at anything but letters."""
    assert search_words("ĐĂNG  Ký, khai-sinh") == ("dang", "ki", "khai", "sinh")
    assert search_words("đăng kí") == search_words("dang ky")


def test_the_general_procedure_comes_before_its_special_cases() -> None:
    """ "dang ky khai sinh" puts "Đăng ký khai sinh" first, with or without diacritics."""
    for query in ("dang ky khai sinh", "Đăng kí khai sinh", "DANG KY KHAI SINH "):
        assert ranked(query)[0] == "Đăng ký khai sinh"
        assert set(ranked(query)) == {NAMES[c] for c in ("1.000001", "1.000002", "1.000003")}


def test_words_match_whole_words_and_the_last_one_also_as_typed() -> None:
    """ "tu" is not "tuyển" or "tư vấn"'s neighbour; the word being typed is a prefix."""
    assert ranked("khai tử") == ["Đăng ký khai tử"]
    assert ranked("khai tu ") == ["Đăng ký khai tử"]
    assert "Cấp giấy phép tư vấn tuyển dụng" not in ranked("khai tu ")
    assert ranked("dang ky khai s")[0] == "Đăng ký khai sinh"
    assert ranked("dang ky khai s ") == ranked("dang ky khai") == ranked("dang ky khai ")


def test_when_none_has_every_word_the_best_partial_matches_come() -> None:
    """ "làm hộ chiếu" and "kết hôn với người nước ngoài" do not come back empty."""
    assert ranked("làm hộ chiếu") == ["Cấp hộ chiếu phổ thông"]
    assert ranked("kết hôn với người nước ngoài")[0] == "Đăng ký kết hôn có yếu tố nước ngoài"
    assert ranked("xyz qqq") == []


def test_everyday_names_and_abbreviations_are_understood() -> None:
    assert ranked("cccd") == ["Cấp lại thẻ Căn cước"]
    assert ranked("so do")[0] == "Cấp giấy chứng nhận quyền sử dụng đất lần đầu"


def test_a_synonym_file_is_read_merged_and_refused_with_the_line_at_fault() -> None:
    table = Synonyms.parse("# passports\npp = hộ chiếu\n! vui lòng\n! mở = cấp\n")
    assert table.rules == {("pp",): (("ho", "chieu"),)}
    assert table.fillers == {("vui", "long"): (), ("mo",): (("cap",),)}
    assert ranked("pp", shipped_synonyms().merged(table)) == ["Cấp hộ chiếu phổ thông"]
    assert ranked("pp") == []
    with pytest.raises(InvalidInput) as caught:
        Synonyms.parse("pp = hộ chiếu\nno equals sign here\n", source="host.txt")
    assert caught.value.field == "host.txt:2"


def test_a_host_extends_the_shipped_table_from_a_file(tmp_path: Path) -> None:
    """CatalogService.extend_synonyms adds a host's rules to those search uses."""
    portal: Portal = bootstrap(secret_key="a-test-secret-of-enough-bytes", environ={})
    portal.catalog.put_agency(Agency(builders.AGENCY, "Công an tỉnh"))
    portal.catalog.put_field(Field(builders.FIELD_ID, "Xuất nhập cảnh"))
    portal.catalog.put_procedure(builders.procedure(name="Cấp hộ chiếu phổ thông"))
    assert portal.catalog.search("pp").total == 0
    rules = tmp_path / "synonyms.txt"
    rules.write_text("pp = hộ chiếu\n", encoding="utf-8")
    portal.catalog.extend_synonyms(rules)
    assert [p.name for p in portal.catalog.search("pp").items] == ["Cấp hộ chiếu phổ thông"]
    with pytest.raises(InvalidInput):
        portal.catalog.extend_synonyms(tmp_path / "missing.txt")


def test_field_and_agency_names_count_less_than_the_name() -> None:
    plan = SearchPlan.of("ho tich", shipped_synonyms())
    in_name = SearchDocument.named("1.000001", "Thay đổi thông tin hộ tịch", "Khác", "")
    in_field = SearchDocument.named("1.000002", "Đăng ký giám hộ", "Hộ tịch", "")
    assert rank(plan, reference_hits(plan, [in_field, in_name])) == ["1.000001", "1.000002"]


_WORDS = ("dang", "ki", "khai", "sinh", "tu", "so", "do", "cap", "lai", "the", "can", "cuoc")
_word = st.sampled_from(_WORDS)
_phrase = st.lists(_word, min_size=1, max_size=5).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(_phrase, min_size=1, max_size=4),
    contexts=st.lists(st.lists(_word, max_size=4).map(" ".join), min_size=1, max_size=4),
    pairs=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=12),
    query=st.lists(_word, min_size=1, max_size=4).map(" ".join),
    typing=st.booleans(),
)
def test_scoring_a_repeated_name_once_per_context_changes_no_rank(
    names: list[str], contexts: list[str], pairs: list[tuple[int, int]], query: str, typing: bool
) -> None:
    """Procedures sharing a name (the same one in each province) are scored once for each
    set of query words their field's and agency's names hold: the order is the one every
    procedure scored on its own gives, ties by code."""
    documents = [
        SearchDocument.named(f"1.{i:06d}", names[n % len(names)], contexts[c % len(contexts)], "")
        for i, (n, c) in enumerate(pairs)
    ]
    plan = SearchPlan.of(query if typing else query + " ", shipped_synonyms())
    hits = reference_hits(plan, documents)
    ranking = _Ranking(plan, hits)
    scores = {d.code: ranking.evaluate(d) for d in documents}
    best = max((coverage for coverage, _ in scores.values()), default=0)
    expected = sorted(
        (-score, code) for code, (coverage, score) in scores.items() if coverage == best >= 1
    )
    assert rank(plan, hits) == [code for _, code in expected]
