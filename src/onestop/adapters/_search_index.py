"""An inverted index of catalog search words, for the in-memory storage.

Postings map each folded word to the codes of the procedures that have it (in the name, or
in the field's or agency's name); a sorted vocabulary answers the word being typed (a
prefix) with a bisect. The index only chooses candidates and counts; ranking is
:func:`onestop.domain.search.rank`, the same for every adapter.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Set

from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode
from onestop.domain.search import SearchDocument, SearchHits, SearchPlan, top_tier

__all__ = ["SearchIndex"]

_NOTHING: frozenset[str] = frozenset()


class SearchIndex:
    """Search documents of a catalog, their postings and their agency and field."""

    def __init__(self) -> None:
        self._documents: dict[str, SearchDocument] = {}
        self._scope: dict[str, tuple[str, str]] = {}  # code -> (agency, field)
        self._postings: dict[str, set[str]] = {}
        self._by_agency: dict[str, set[str]] = {}
        self._by_field: dict[str, set[str]] = {}
        self._vocabulary: list[str] | None = None

    @classmethod
    def of(
        cls, procedures: Iterable[Procedure], agencies: Iterable[Agency], fields: Iterable[Field]
    ) -> SearchIndex:
        index = cls()
        agency_names = {a.code: a.name for a in agencies}
        field_names = {f.id: f.name for f in fields}
        for procedure in procedures:
            index.put(
                procedure,
                field_name=field_names.get(procedure.field, ""),
                agency_name=agency_names.get(procedure.agency, ""),
            )
        return index

    def put(self, procedure: Procedure, *, field_name: str, agency_name: str) -> None:
        document = SearchDocument.of(procedure, field_name=field_name, agency_name=agency_name)
        self.put_document(document, agency=procedure.agency.key, field=procedure.field)

    def put_document(self, document: SearchDocument, *, agency: str, field: str) -> None:
        """Index a document of a procedure of ``agency`` (its key) and ``field``."""
        code = document.code
        self.remove(code)
        self._documents[code] = document
        self._scope[code] = (agency, field)
        self._by_agency.setdefault(agency, set()).add(code)
        self._by_field.setdefault(field, set()).add(code)
        for word in document.words:
            postings = self._postings.get(word)
            if postings is None:
                self._postings[word] = {code}
                self._vocabulary = None
            else:
                postings.add(code)

    def remove(self, code: str) -> None:
        document = self._documents.pop(code, None)
        if document is None:
            return
        agency, field = self._scope.pop(code)
        self._by_agency[agency].discard(code)
        self._by_field[field].discard(code)
        for word in document.words:
            postings = self._postings[word]
            postings.discard(code)
            if not postings:
                del self._postings[word]
                self._vocabulary = None

    def _having(self, word: str, prefix: bool) -> Set[str]:
        if not prefix:
            return self._postings.get(word, _NOTHING)
        if self._vocabulary is None:
            self._vocabulary = sorted(self._postings)
        vocabulary = self._vocabulary
        start = bisect.bisect_left(vocabulary, word)
        end = bisect.bisect_left(vocabulary, word + "\x7f", start)
        if end - start == 1:
            return self._postings[vocabulary[start]]
        found: set[str] = set()
        for known in vocabulary[start:end]:
            found |= self._postings[known]
        return found

    def search(
        self,
        plan: SearchPlan,
        *,
        agency: AgencyCode | Set[AgencyCode] | None = None,
        field: str | None = None,
    ) -> SearchHits:
        """The top-tier candidates in the scope (one agency or any of a set, and/or one
        field), the scope's size and the frequencies."""
        scope: Set[str] | None = None
        if isinstance(agency, AgencyCode):
            scope = self._by_agency.get(agency.key, _NOTHING)
        elif agency is not None:
            scope = set().union(*(self._by_agency.get(a.key, _NOTHING) for a in agency))
        if field is not None:
            in_field = self._by_field.get(field, _NOTHING)
            scope = in_field if scope is None else scope & in_field
        total = len(self._documents) if scope is None else len(scope)
        # Each word's postings once (a word being typed unites those of many words).
        postings = {key: self._having(*key) for key in plan.wanted()}
        frequencies = {
            key: len(having) if scope is None else len(having & scope)
            for key, having in postings.items()
        }
        codes = top_tier(plan, lambda word, prefix: postings[word, prefix], scope)
        documents = tuple(self._documents[c] for c in codes)
        return SearchHits(total, frequencies, documents)
