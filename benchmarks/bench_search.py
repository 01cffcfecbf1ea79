"""Catalog search: does it find what people mean, and how fast, on each storage.

Usage::

    .venv/bin/python benchmarks/bench_search.py [--size 6000] [--repeat 5]
        [--postgres postgresql+psycopg://onestop:onestop@127.0.0.1:5432/onestop_bench]

The PostgreSQL URL may also come from ``ONESTOP_BENCH_POSTGRES_URL``; without one,
PostgreSQL is left out. Its database is emptied (every onestop table is dropped and
created again), so give it a database of its own, not the one tests use
(``ONESTOP_PG_DB=onestop_bench bash scripts/setup-postgres.sh`` makes one).

The catalogues are realistic (``search_catalogue.py``: general procedures next to their
special cases, the same acts over many objects); the queries are written there as people
type them, each with the procedures a person means.

* **hit@1 / hit@5**: on one province's catalogue (about 2,660 procedures, as a provincial
  portal has), queries whose meant procedure is first / in the first five results of
  ``portal.catalog.search(query)``; the queries that miss are listed.
* **load**: ``portal.catalog.load_json_text`` of ``--size`` procedures (the same procedures
  in several provinces), one transaction.
* **latency**: on that catalogue, ``portal.catalog.search(query, page_size=10)`` (one unit of
  work: choosing candidates, ranking, reading the page's procedures), every query
  ``--repeat`` times; p50 and p95 in milliseconds.
* **scan**: the baseline the issue names: a linear scan over names folded in advance
  (every query word as a substring of the folded name), no ranking, no storage; timed right
  after each in-memory search, so that the ratio of the two compares runs under the same
  load.
* **same**: whether every storage returned the same ranked codes for every query.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import search_catalogue  # the benchmark's own data, next to it

from onestop import Portal, bootstrap
from onestop.adapters.memory import InMemoryStorage
from onestop.adapters.sql import SqlStorage
from onestop.domain.catalog import fold_diacritics
from onestop.ports.storage import Storage

SECRET = "a-benchmark-secret-of-enough-bytes"


def _portal(storage: Storage) -> Portal:
    return bootstrap(storage=storage, secret_key=SECRET, environ={})


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class _Run:
    def __init__(self, name: str) -> None:
        self.name = name
        self.load_s = 0.0
        self.samples: list[float] = []
        self.results: dict[str, list[str]] = {}
        self.names: dict[str, str] = {}
        self.scan: list[float] = []  # the linear scan, timed after each search


def _measure(
    name: str,
    fresh: Callable[[], Storage],
    province: str,
    document: str,
    repeat: int,
    scan: Callable[[str], float] | None = None,
) -> _Run:
    run = _Run(name)
    portal = _portal(fresh())
    portal.catalog.load_json_text(province)
    for query, _ in search_catalogue.QUERIES:
        page = portal.catalog.search(query, page_size=10)
        run.results[query] = [p.code for p in page.items]
        run.names.update((p.code, p.name) for p in page.items)
    portal.close()
    portal = _portal(fresh())
    started = time.perf_counter()
    portal.catalog.load_json_text(document)
    run.load_s = time.perf_counter() - started
    for _ in range(repeat):
        for query, _ in search_catalogue.QUERIES:
            started = time.perf_counter()
            portal.catalog.search(query, page_size=10)
            run.samples.append((time.perf_counter() - started) * 1000)
            if scan is not None:  # the baseline right after, under the same load
                run.scan.append(scan(query))
    portal.close()
    return run


def _scanner(document: dict[str, list[dict[str, object]]]) -> Callable[[str], float]:
    """A linear scan over names folded in advance; it answers its time in milliseconds."""
    folded = [(str(p["code"]), fold_diacritics(str(p["name"]))) for p in document["procedures"]]

    def scan(query: str) -> float:
        started = time.perf_counter()
        words = fold_diacritics(query).split()
        found = [code for code, name in folded if all(w in name for w in words)]
        found.sort()
        return (time.perf_counter() - started) * 1000

    return scan


def _relevance(run: _Run) -> tuple[int, int, list[str]]:
    first = five = 0
    misses = []
    for query, meant in search_catalogue.QUERIES:
        names = [run.names[c] for c in run.results[query]]
        if names[:1] and names[0] in meant:
            first += 1
        if any(n in meant for n in names[:5]):
            five += 1
        else:
            misses.append(f"  {query!r}: got {names[:3]}")
    return first, five, misses


def _fresh_postgres(url: str) -> Callable[[], SqlStorage]:
    def fresh() -> SqlStorage:
        from sqlalchemy import create_engine, inspect, text

        engine = create_engine(url)
        with engine.begin() as connection:
            for table in inspect(connection).get_table_names():
                if table.startswith("onestop_"):
                    connection.execute(text(f'DROP TABLE "{table}" CASCADE'))
        engine.dispose()
        return SqlStorage.from_url(url)

    return fresh


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=6000, help="procedures in the catalogue")
    parser.add_argument("--repeat", type=int, default=5, help="runs of every query")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ONESTOP_BENCH_POSTGRES_URL"),
        help="PostgreSQL URL (its onestop tables are dropped and created again)",
    )
    args = parser.parse_args(argv)
    document = search_catalogue.catalogue(args.size)
    text = search_catalogue.catalogue_json(args.size)
    size = search_catalogue.one_province_size()
    province = search_catalogue.catalogue_json(size)
    scanner = _scanner(document)
    runs = [_measure("in-memory", InMemoryStorage, province, text, args.repeat, scanner)]
    with tempfile.TemporaryDirectory() as directory:
        files = iter(range(100))

        def sqlite() -> Storage:
            return SqlStorage.from_url(f"sqlite:///{Path(directory) / f'{next(files)}.db'}")

        runs.append(_measure("SQLite file", sqlite, province, text, args.repeat))
    if args.postgres:
        url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        runs.append(_measure("PostgreSQL", _fresh_postgres(url), province, text, args.repeat))
    scan = runs[0].scan

    queries = len(search_catalogue.QUERIES)
    print(
        f"relevance: {size} procedures (one province); load and latency: "
        f"{len(document['procedures'])} procedures; {queries} queries, each run "
        f"{args.repeat} times for latency"
    )
    print("| storage     | load s | hit@1 | hit@5 | p50 ms | p95 ms |")
    print("|-------------|--------|-------|-------|--------|--------|")
    for run in runs:
        first, five, _ = _relevance(run)
        print(
            f"| {run.name:<11} | {run.load_s:6.2f} | {first:>2}/{queries} | {five:>2}/{queries} "
            f"| {statistics.median(run.samples):6.2f} | {_percentile(run.samples, 0.95):6.2f} |"
        )
    print(
        f"| linear scan | {'':6} | {'':5} | {'':5} | {statistics.median(scan):6.2f} "
        f"| {_percentile(scan, 0.95):6.2f} |"
    )
    memory_p95 = _percentile(runs[0].samples, 0.95)
    print(
        f"in-memory p95 / linear-scan p95: {memory_p95 / _percentile(scan, 0.95):.2f} "
        "(target at most 0.5)"
    )
    same = all(run.results == runs[0].results for run in runs[1:])
    print(f"same ranked results on every storage: {'yes' if same else 'NO'}")
    _, _, misses = _relevance(runs[0])
    if misses:
        print("not in the first five:")
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
