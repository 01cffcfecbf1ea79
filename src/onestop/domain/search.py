"""Catalog search: fold, split into words, read synonyms, rank. Every adapter uses this module.

DOMAIN.md section 1: people type "dang ky khai sinh", "đăng kí khai sinh", "cccd" or "làm hộ
chiếu" and expect the procedure they mean first. So:

* **Folding, once.** :func:`search_words` folds text (lower case, no diacritics, đ as d, y as
  i, so kí and ký are one word) and splits it into words; a procedure's words are folded
  when it is stored (:class:`SearchDocument`), a query's when it is asked.
* **Whole words; the last one as typed.** A query word matches a whole word of the
  procedure ("tu" does not match "tuyen"); only the last word, while it is being typed (no
  space after it), matches the beginning of a word.
* **Synonyms and everyday names** (:class:`Synonyms`): "cccd" also reads as "căn cước",
  "sổ đỏ" as "giấy chứng nhận quyền sử dụng đất"; filler words ("làm", "thủ tục", "xin")
  count when present and are never required. The library ships a table; a host extends it.
* **Ranking** (:func:`rank`): first the procedures that have every word the query needs
  (else those that have the most of them: partial matches rather than nothing), then by a
  BM25 score over the name, with the field's and agency's names counting less, a bonus for
  query words that stand next to each other in the name as in the query, and a small
  penalty for each word of the name the query did not ask for, so that the general
  procedure comes before its special cases. Ties go by code.

Adapters only choose candidates (:class:`SearchHits`): every procedure of the top tier (all
required words, else the most) in the scope, with the scope's size and each query word's
document frequency. Ranking is then the same function everywhere, so every adapter returns
the same order as :func:`reference_hits` scanning every procedure.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Set
from typing import Final, TypeVar

import attrs

from onestop.domain.catalog import Procedure, fold_diacritics
from onestop.errors import InvalidInput

__all__ = [
    "SearchDocument",
    "SearchHits",
    "SearchPlan",
    "Synonyms",
    "Term",
    "rank",
    "reference_hits",
    "search_words",
    "top_tier",
]

_WORD: Final = re.compile(r"[a-z0-9]+")

#: BM25's term-frequency saturation and length normalisation.
K1: Final = 1.2
B: Final = 0.75
#: The name length BM25 normalises against: fixed, so that no adapter needs catalog-wide
#: statistics beyond counts (a typical procedure name has 8 to 12 words).
REFERENCE_LENGTH: Final = 10.0
#: How much a word in the field's or agency's name counts next to one in the procedure's.
CONTEXT_WEIGHT: Final = 0.3
#: Bonus for each pair of query words that stand side by side in the name.
ADJACENCY_BONUS: Final = 1.0
#: Penalty for the words of the name the query did not ask for (times the log of 1 + their
#: number: the first few extra words, which make a special case, count most).
EXTRA_WORD_PENALTY: Final = 0.5
#: How much a filler word ("làm", "thủ tục") found in the name adds, next to a needed one.
OPTIONAL_WEIGHT: Final = 0.3
#: Most synonym alternatives one query phrase may expand to.
MAX_ALTERNATIVES: Final = 8

_K = TypeVar("_K")
_UNSEEN: Final = object()

#: A word of a query plan and whether it matches as a prefix (the word being typed).
Key = tuple[str, bool]


def search_words(text: str) -> tuple[str, ...]:
    """The words search compares: folded, split at anything but letters and digits, y as i.

    ``search_words("Đăng KÝ khai-sinh") == ("dang", "ki", "khai", "sinh")``.
    """
    return tuple(w.replace("y", "i") for w in _WORD.findall(fold_diacritics(text)))


# --- documents -----------------------------------------------------------------------------


@attrs.frozen
class SearchDocument:
    """A procedure as search sees it: its code, its name's words, its field's and agency's.

    :attr:`text` is the form an adapter stores (``" dang ki khai sinh | ho tich so tu phap "``,
    spaces at both ends so that ``LIKE '% word %'`` finds whole words); :meth:`from_text`
    reads it back.
    """

    code: str
    name: tuple[str, ...]
    context: tuple[str, ...] = ()
    # Worked out once, when the document is made (an index keeps it), not at each query:
    #: Every word and how often it is in (the name, the field's and agency's names).
    counts: Mapping[str, tuple[int, int]] = attrs.field(init=False, eq=False, repr=False)
    #: The name's pairs of neighbouring words.
    pairs: frozenset[tuple[str, str]] = attrs.field(init=False, eq=False, repr=False)
    #: The name as one string (a string keeps its hash: ranking groups documents by name).
    name_key: str = attrs.field(init=False, eq=False, repr=False)
    #: The field's and agency's names as one string; their words, each once; and those there
    #: more than once, with how often.
    context_key: str = attrs.field(init=False, eq=False, repr=False)
    context_words: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    context_repeats: frozenset[tuple[str, int]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        in_name, in_context = Counter(self.name), Counter(self.context)
        counts = {w: (in_name[w], in_context[w]) for w in (*in_name, *in_context)}
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "pairs", frozenset(itertools.pairwise(self.name)))
        object.__setattr__(self, "name_key", " ".join(self.name))
        object.__setattr__(self, "context_key", " ".join(self.context))
        object.__setattr__(self, "context_words", frozenset(in_context))
        repeats = frozenset((w, m) for w, m in in_context.items() if m > 1)
        object.__setattr__(self, "context_repeats", repeats)

    @property
    def words(self) -> Set[str]:
        return self.counts.keys()

    @classmethod
    def of(
        cls, procedure: Procedure, *, field_name: str = "", agency_name: str = ""
    ) -> SearchDocument:
        """The document of a procedure, given the names of its field and agency."""
        return cls.named(procedure.code, procedure.name, field_name, agency_name)

    @classmethod
    def named(cls, code: str, name: str, field_name: str, agency_name: str) -> SearchDocument:
        """The document of the procedure ``code`` called ``name``, in that field and agency."""
        return cls(code, search_words(name), search_words(f"{field_name} {agency_name}"))

    @property
    def text(self) -> str:
        return f" {' '.join(self.name)} | {' '.join(self.context)} "

    @classmethod
    def from_text(cls, code: str, text: str) -> SearchDocument:
        name, _, context = text.partition("|")
        return cls(code, tuple(name.split()), tuple(context.split()))

    def has(self, word: str, prefix: bool) -> bool:
        if not prefix:
            return word in self.counts
        return any(w.startswith(word) for w in self.counts)


# --- synonyms ------------------------------------------------------------------------------


_Phrase = tuple[str, ...]
_Rules = Mapping[_Phrase, tuple[_Phrase, ...]]


@attrs.frozen
class Synonyms:
    """Phrases people type and what the catalogue calls them; and filler words.

    Read from text (:meth:`parse`), one rule a line::

        # a comment
        cccd = căn cước | căn cước công dân | chứng minh nhân dân
        sổ đỏ = giấy chứng nhận quyền sử dụng đất
        ! xin, thủ tục
        ! làm = cấp | đăng ký

    ``a = b | c``: the phrase ``a`` in a query also reads as ``b`` or ``c`` (one way: typing
    ``b`` does not look for ``a``). ``! x, y``: filler words or phrases, scored when present,
    never required; ``! a = b | c``: a filler that also reads as ``b`` or ``c``. Everything
    is folded, so diacritics and case do not matter.
    """

    rules: _Rules = attrs.field(factory=dict)
    fillers: _Rules = attrs.field(factory=dict)
    #: The most words a phrase of the table has (worked out once, not at each query).
    longest: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        longest = max((len(k) for k in (*self.rules, *self.fillers)), default=0)
        object.__setattr__(self, "longest", longest)

    @classmethod
    def parse(cls, text: str, *, source: str = "synonyms") -> Synonyms:
        """The table a synonym file holds; InvalidInput names the line at fault."""
        if not isinstance(text, str):
            raise InvalidInput(source, "must be text", text)
        rules: dict[_Phrase, tuple[_Phrase, ...]] = {}
        fillers: dict[_Phrase, tuple[_Phrase, ...]] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            optional = line.startswith("!")
            body = line[1:] if optional else line
            if optional and "=" not in body:
                for phrase in (search_words(x) for x in body.split(",")):
                    if phrase:
                        _add(fillers, phrase, ())
                continue
            typed, equals, meant = body.partition("=")
            key = search_words(typed)
            alternatives = tuple(p for p in (search_words(x) for x in meant.split("|")) if p)
            if not equals or not key or not alternatives:
                raise InvalidInput(
                    f"{source}:{number}",
                    "must read 'phrase = meaning | other meaning', '! filler, filler', "
                    "'! filler = meaning' or '# comment'",
                    line,
                )
            _add(fillers if optional else rules, key, alternatives)
        return cls(rules, fillers)

    def merged(self, other: Synonyms) -> Synonyms:
        """This table with ``other``'s rules added (a phrase in both gets both meanings)."""
        rules, fillers = dict(self.rules), dict(self.fillers)
        for key, alternatives in other.rules.items():
            _add(rules, key, alternatives)
        for key, alternatives in other.fillers.items():
            _add(fillers, key, alternatives)
        return Synonyms(rules, fillers)


def _add(
    table: dict[_Phrase, tuple[_Phrase, ...]], key: _Phrase, alternatives: tuple[_Phrase, ...]
) -> None:
    known = table.get(key, ())
    table[key] = known + tuple(
        a for a in dict.fromkeys(alternatives) if a not in known and a != key
    )


# --- queries -------------------------------------------------------------------------------


@attrs.frozen
class Term:
    """One thing the query asks for: a word or phrase, as typed or as a synonym reads it.

    The first alternative is what was typed; ``prefix`` makes its last word match the start
    of a word (it is still being typed). An ``optional`` term (a filler) is never required.
    """

    alternatives: tuple[_Phrase, ...]
    optional: bool = False
    prefix: bool = False
    #: Each alternative as keys: its words, each with whether it matches as a prefix.
    phrases: tuple[tuple[Key, ...], ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        phrases = tuple(
            tuple(
                (w, self.prefix and i == 0 and j == len(phrase) - 1) for j, w in enumerate(phrase)
            )
            for i, phrase in enumerate(self.alternatives)
        )
        object.__setattr__(self, "phrases", phrases)

    def wanted(self) -> Iterable[Key]:
        for keys in self.phrases:
            yield from keys

    def best(self, document: SearchDocument) -> tuple[tuple[Key, ...], ...]:
        """Each alternative the document has every word of, as keys."""
        return tuple(keys for keys in self.phrases if all(document.has(w, p) for w, p in keys))


@attrs.frozen
class SearchPlan:
    """A query read for search: its terms, in the order typed."""

    terms: tuple[Term, ...]

    @classmethod
    def of(cls, query: str, synonyms: Synonyms | None = None) -> SearchPlan:
        """Fold ``query``, find synonym and filler phrases (longest first), keep the rest."""
        table = synonyms or Synonyms()
        words = search_words(query)
        typing = bool(words) and not query[-1:].isspace()
        longest = table.longest
        terms: list[Term] = []
        i = 0
        while i < len(words):
            term = None
            for size in range(min(longest, len(words) - i), 0, -1):
                phrase = words[i : i + size]
                if phrase in table.rules:
                    # A known phrase is complete: "so do" is "sổ đỏ", not "sở" and "doanh".
                    alternatives = (phrase, *table.rules[phrase])[:MAX_ALTERNATIVES]
                    term = Term(alternatives)
                elif phrase in table.fillers and not (typing and i + size == len(words)):
                    alternatives = (phrase, *table.fillers[phrase])[:MAX_ALTERNATIVES]
                    term = Term(alternatives, optional=True)
                if term is not None:
                    i += size
                    break
            if term is None:
                i += 1
                term = Term(((words[i - 1],),), prefix=typing and i == len(words))
            terms.append(term)
        if terms and all(t.optional for t in terms):  # only fillers: they are what is asked
            terms = [attrs.evolve(t, optional=False) for t in terms]
        return cls(tuple(terms))

    @property
    def required(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.optional)

    def wanted(self) -> frozenset[Key]:
        """Every word (and whether as a prefix) whose document frequency ranking needs."""
        return frozenset(k for t in self.terms for k in t.wanted())

    def coverage(self, document: SearchDocument) -> int:
        """How many required terms the document has."""
        return sum(1 for t in self.required if t.best(document))


# --- candidates and ranking ----------------------------------------------------------------


@attrs.frozen
class SearchHits:
    """What an adapter found: the scope's size, frequencies, and the top-tier candidates.

    ``documents`` must hold every procedure of the scope with the highest coverage there is
    (all required terms if any has them); more may be given. ``frequencies`` maps each of
    :meth:`SearchPlan.wanted` to the number of procedures of the scope that have it.
    """

    total: int
    frequencies: Mapping[Key, int]
    documents: tuple[SearchDocument, ...]


def top_tier(
    plan: SearchPlan, having: Callable[[str, bool], Set[_K]], scope: Set[_K] | None = None
) -> set[_K]:
    """The keys of the procedures with the highest coverage, from sets of postings.

    ``having(word, prefix)`` gives the keys of the procedures that have the word; ``scope``
    (None: everything) the keys of those searched.
    """
    covered: list[set[_K]] = []
    for term in plan.required:
        matches: set[_K] = set()
        for phrase_keys in term.phrases:
            # The rarest word first: each intersection walks the smaller set, and the
            # postings themselves are never copied.
            postings = sorted((having(word, prefix) for word, prefix in phrase_keys), key=len)
            found: Set[_K] = postings[0]
            for more in postings[1:]:
                if not found:
                    break
                found = found & more
            matches |= found
        covered.append(matches if scope is None else matches & scope)
    if not covered:
        return set()
    covered.sort(key=len)
    every = covered[0].intersection(*covered[1:])
    if every:
        return every
    counts = Counter(k for found in covered for k in found)
    if not counts:
        return set()
    most = max(counts.values())
    return {k for k, n in counts.items() if n == most}


def rank(plan: SearchPlan, hits: SearchHits) -> list[str]:
    """Codes of the best-covering candidates, best first (see the module docstring)."""
    if not plan.terms:
        return []
    ranking = _Ranking(plan, hits)
    # Catalogues repeat names (the same procedure in each province, its agency's name
    # differing only in the province's): a name is scored once for each set of the query's
    # words its field's and agency's names hold, with how often each is there, which is all
    # the score reads of those names.
    relevant = ranking.relevant
    evaluate = ranking.evaluate
    groups: dict[object, list[str]] = {}
    scores: dict[object, tuple[int, float]] = {}
    # What a field's and agency's names hold for the score: the query's words there, and the
    # words there more than once with how often (finer than the score needs, never wrong);
    # worked out once for each of the few distinct pairs of names.
    contexts: dict[str, object] = {}
    for document in hits.documents:
        context = contexts.get(document.context_key, _UNSEEN)
        if context is _UNSEEN:
            words = document.context_words
            context = contexts[document.context_key] = (
                None
                if relevant.isdisjoint(words)
                else (relevant.intersection(words), document.context_repeats)
            )
        signature: object = document.name_key if context is None else (document.name_key, context)
        codes = groups.get(signature)
        if codes is None:
            groups[signature] = [document.code]
            scores[signature] = evaluate(document)
        else:
            codes.append(document.code)
    best = max((coverage for coverage, _ in scores.values()), default=0)
    if best < 1:
        return []
    # Equal scores (of any name) go by code.
    by_score: dict[float, list[str]] = {}
    for key, (coverage, score) in scores.items():
        if coverage == best:
            codes = groups[key]
            same = by_score.get(score)
            if same is None:
                by_score[score] = codes
            else:
                same.extend(codes)
    ranked: list[str] = []
    for score in sorted(by_score, reverse=True):
        ranked.extend(sorted(by_score[score]))
    return ranked


class _Ranking:
    """One plan's ranking, with what every document shares worked out once."""

    def __init__(self, plan: SearchPlan, hits: SearchHits) -> None:
        # The words of the candidates that each word being typed is the start of.
        prefixes = {w for w, prefix in plan.wanted() if prefix}
        #: The query's whole words.
        self.exact = frozenset(w for w, prefix in plan.wanted() if not prefix)
        self.starting: dict[str, frozenset[str]] = {}
        if prefixes:
            vocabulary: set[str] = set().union(*(d.counts.keys() for d in hits.documents))
            self.starting = {
                p: frozenset(w for w in vocabulary if w.startswith(p)) for p in prefixes
            }
        #: The words of a field's or agency's name that the score reads: the query's whole
        #: words and the candidates' words that start with a word being typed.
        self.relevant = self.exact.union(*self.starting.values())
        total = hits.total
        self.idf = {
            key: math.log(1.0 + (total - n + 0.5) / (n + 0.5))
            for key in plan.wanted()
            for n in (hits.frequencies.get(key, 0),)
        }
        # (weight, required, [(keys, scale, whole words, (key, word, prefix, idf) each)]):
        # an alternative counts as many words as were typed; its whole words let a document
        # lacking one be passed over in one set comparison.
        self.terms = [
            (
                OPTIONAL_WEIGHT if term.optional else 1.0,
                not term.optional,
                [
                    (
                        keys,
                        len(term.phrases[0]) / len(keys),
                        {w for w, p in keys if not p},
                        tuple((key, key[0], key[1], self.idf[key]) for key in keys),
                    )
                    for keys in term.phrases
                ],
            )
            for term in plan.terms
        ]

    def evaluate(self, document: SearchDocument) -> tuple[int, float]:
        """(coverage, score) of one document."""
        name, counts = document.name, document.counts
        words = counts.keys()
        starting = self.starting
        norm = K1 * (1.0 - B + B * len(name) / REFERENCE_LENGTH)
        saturation = K1 + 1.0
        context_weight = CONTEXT_WEIGHT
        coverage = 0
        score = 0.0
        # Query words in order, each once: a synonym's words that other terms already
        # matched add nothing more (nor do they make adjacent pairs twice).
        sequence: list[Key] = []
        for weight, required, alternatives in self.terms:
            best = -1.0
            best_keys: tuple[Key, ...] = ()
            for keys, scale, whole, steps in alternatives:
                if not words >= whole:
                    continue
                value = 0.0
                for key, word, prefix, idf in steps:
                    if prefix:
                        tf = 0.0
                        for known in words & starting[word]:
                            n, m = counts[known]
                            tf += n + context_weight * m
                        if not tf:
                            break
                    else:
                        # A whole word: the document has it (``whole`` was checked).
                        n, m = counts[word]
                        tf = n + context_weight * m
                    if key not in sequence:
                        value += idf * tf * saturation / (tf + norm)
                else:
                    if value * scale > best:
                        best, best_keys = value * scale, keys
            if best_keys:
                coverage += required
                score += weight * best
                for key in best_keys:
                    if key not in sequence:
                        sequence.append(key)
        # The name's words the query did not ask for: its length less the occurrences of
        # the words matched (whole, or as the start of a word being typed).
        extra = len(name)
        if starting:
            matched = {w for w, prefix in sequence if not prefix}
            for w, prefix in sequence:
                if prefix:
                    matched |= words & starting[w]
        else:
            matched = {w for w, _ in sequence}
        for w in matched:
            found = counts.get(w)
            if found is not None:
                extra -= found[0]
        pairs = document.pairs
        adjacent = 0
        for (first, _), (second, prefix) in itertools.pairwise(sequence):
            if not prefix:
                adjacent += (first, second) in pairs
            else:
                adjacent += any((first, b) in pairs for b in words & starting[second])
        score += ADJACENCY_BONUS * adjacent - EXTRA_WORD_PENALTY * math.log1p(extra)
        return coverage, round(score, 9)


def reference_hits(plan: SearchPlan, documents: Collection[SearchDocument]) -> SearchHits:
    """Hits by scanning every document of the scope: what any adapter's must rank equal to."""
    frequencies = {
        (word, prefix): sum(1 for d in documents if d.has(word, prefix))
        for word, prefix in plan.wanted()
    }
    return SearchHits(len(documents), frequencies, tuple(documents))
