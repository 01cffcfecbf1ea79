"""Catalog search on SQL: the folded search text, the catalog's revision, a cached index.

Each procedure row keeps ``search_text``, its words folded once when it is stored
(:attr:`onestop.domain.search.SearchDocument.text`), refolded when its field or agency is
renamed. Scanning that column with ``LIKE`` costs 10 to 20 ms a query at 6,000 procedures,
so the storage keeps an inverted index of it in the process (the in-memory adapter's
:class:`SearchIndex`), built from the column and checked against
``onestop_catalog_revision``: every transaction that writes the catalog bumps that one row
first (which also queues catalog writers, so that they cannot deadlock on it), and a search
reads it (one indexed row) and rebuilds the index when another process changed the
catalog. A unit of work that wrote the catalog searches its own uncommitted rows instead.
Ranking is :func:`onestop.domain.search.rank`, the same as every adapter's. After a search,
the procedures of the page it shows come from a cache of those read at the same revision
(:func:`cached_procedure`): one round trip for the revision instead of one per procedure.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Set
from typing import Any, Final

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import PoolProxiedConnection

from onestop.adapters._search_index import SearchIndex
from onestop.adapters.sql import schema as t
from onestop.domain.catalog import Procedure
from onestop.domain.codes import AgencyCode
from onestop.domain.search import SearchDocument, SearchHits, SearchPlan

__all__ = ["SearchCache", "bump_revision", "cached_procedure", "candidates", "refold"]

_REVISION: Final = select(t.catalog_revision.c.revision).where(t.catalog_revision.c.id == 1)
_DOCUMENTS: Final = select(
    t.procedures.c.code, t.procedures.c.agency, t.procedures.c.field, t.procedures.c.search_text
)
_SET_SEARCH_TEXT: Final = (
    t.procedures.update()
    .where(t.procedures.c.code == bindparam("p_code"))
    .values(search_text=bindparam("p_text"))
)


class SearchCache:
    """One storage's index of the committed catalog, and the revision it was built at; and
    the procedures read at that revision, for the pages searches show."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._index: SearchIndex | None = None
        self._procedures: dict[str, Procedure] = {}

    def at(self, revision: int) -> SearchIndex | None:
        with self._lock:
            return self._index if self._revision == revision else None

    def keep(self, revision: int, index: SearchIndex) -> None:
        with self._lock:
            self._revision, self._index = revision, index
            self._procedures = {}

    def procedure(self, revision: int, code: str) -> Procedure | None:
        """The procedure ``code`` as read at ``revision``, if one was (and it is current)."""
        with self._lock:
            return self._procedures.get(code) if self._revision == revision else None

    def remember(self, revision: int, procedure: Procedure) -> None:
        with self._lock:
            if self._revision == revision:
                self._procedures[procedure.code] = procedure


@functools.cache
def _bump(dialect: str) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    revision = t.catalog_revision
    # A new row starts from the clock, not from 1: a row deleted and made again (a test
    # emptying the tables) never repeats a revision an index was cached at.
    statement = insert(revision).values(id=1, revision=bindparam("p_start"))
    return statement.on_conflict_do_update(
        index_elements=[revision.c.id], set_={"revision": revision.c.revision + 1}
    )


def bump_revision(uow: Any, connection: PoolProxiedConnection, doing: str) -> None:
    """Before this transaction's first catalog write: the next revision (and its row lock)."""
    if not uow._catalog_written:
        start = time.time_ns() // 1000
        uow._execute(connection, doing, _bump(uow._storage.dialect), {"p_start": start})
        uow._catalog_written = True


def candidates(
    uow: Any,
    connection: PoolProxiedConnection,
    plan: SearchPlan,
    agency: AgencyCode | Set[AgencyCode] | None,
    field: str | None,
) -> SearchHits:
    """The plan's candidates and counts, from the cached index when it is current."""
    if uow._catalog_written:
        index = _load(uow, connection)
    else:
        row = uow._execute(connection, "catalog.search", _REVISION).first()
        revision = 0 if row is None else int(row["revision"])
        cache: SearchCache = uow._storage._search_cache
        found = cache.at(revision)
        if found is None:
            found = _load(uow, connection)
            cache.keep(revision, found)
        index = found
        # The page's procedures may come from the cache too (see cached_procedure).
        uow._search_revision = revision
    return index.search(plan, agency=agency, field=field)


def cached_procedure(uow: Any, code: str, read: Callable[[], Procedure | None]) -> Procedure | None:
    """The procedure ``code``, after a search in this transaction: as read at the catalog
    revision that search read (every catalog write bumps it, so a procedure read at that
    revision is the one stored at it), from the cache when another search read it; else
    ``read()``."""
    revision = uow._search_revision
    if revision is None or uow._catalog_written:
        return read()
    cache: SearchCache = uow._storage._search_cache
    found = cache.procedure(revision, code)
    if found is None:
        found = read()
        if found is not None:
            cache.remember(revision, found)
    return found


def _load(uow: Any, connection: PoolProxiedConnection) -> SearchIndex:
    index = SearchIndex()
    for row in uow._execute(connection, "catalog.search", _DOCUMENTS).rows:
        document = SearchDocument.from_text(row["code"], row["search_text"])
        index.put_document(document, agency=row["agency"], field=row["field"])
    return index


def refold(uow: Any, connection: PoolProxiedConnection, doing: str, where: Any) -> None:
    """Fold again the search text of the procedures whose agency's or field's name changed."""
    p = t.procedures
    query = (
        select(
            p.c.code,
            p.c.name,
            t.agencies.c.name.label("agency_name"),
            t.fields.c.name.label("field_name"),
        )
        .select_from(
            p.join(t.agencies, t.agencies.c.code == p.c.agency).outerjoin(
                t.fields, t.fields.c.id == p.c.field
            )
        )
        .where(where)
    )
    steps = [
        (
            _SET_SEARCH_TEXT,
            {
                "p_code": r["code"],
                "p_text": SearchDocument.named(
                    r["code"], r["name"], r["field_name"] or "", r["agency_name"]
                ).text,
            },
        )
        for r in uow._execute_built(connection, doing, query).rows
    ]
    uow._execute_together(connection, doing, steps)
