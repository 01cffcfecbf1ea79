"""Service indicators over 100,000 dossiers: SQLite and PostgreSQL, computed in SQL.

Usage::

    .venv/bin/python benchmarks/bench_indicators.py [-n 100000] [--rounds 3]
        [--postgres postgresql+psycopg://onestop:onestop@127.0.0.1:5432/onestop_bench]

A PostgreSQL database given here is emptied (every onestop table is dropped and created
again): give it a database of its own.

What is measured, per storage:

* **load**: the rows of ``n`` dossiers of one year (2025) bulk-inserted with SQLAlchemy
  Core ``executemany`` in one transaction, as the storage writes them (report columns,
  three to five history rows each), with the records around them: 21 agencies (a province,
  4 departments, 16 units below them), 300 procedures, ``n``/10 accounts (30 % linked to
  VNeID), confirmed payments for 70 % of the dossiers with fees, a sent sync entry for 90 %
  of the received, a complaint on 2 % and a rating on 30 % of the decided (one in ten
  dissatisfied). The documents are left empty: no report reads them.
* **province, year**: ``portal.reports.indicators(province, 2025-01-01, 2025-12-31,
  with_sub_agencies=True)``, every figure over all ``n`` dossiers.
* **12 months**: ``portal.reports.monthly`` of the province over the year (12 reports).
* **21 agencies**: one report per agency alone, over the year (what ``onestop report
  indicators`` without ``--agency`` does).
* **overdue, page 1**: ``portal.reports.dossiers_behind(province, year, "overdue",
  page_size=50)``: the counts and one page of ids.

Each time is the best of ``--rounds`` runs, in seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from onestop import bootstrap
from onestop.adapters.sql import SqlStorage
from onestop.adapters.sql import schema as t
from onestop.bootstrap import Portal
from onestop.domain.codes import VN_TZ, AgencyCode
from onestop.testing import builders

YEAR = 2025
START, END = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
PROVINCE = AgencyCode("H34", 0)


def _agencies() -> list[tuple[AgencyCode, AgencyCode | None]]:
    found: list[tuple[AgencyCode, AgencyCode | None]] = [(PROVINCE, None)]
    for department in range(1, 5):
        code = AgencyCode("H34", department)
        found.append((code, PROVINCE))
        found.extend((AgencyCode("H34", department, unit), code) for unit in range(1, 5))
    return found


def _rows(n: int, seed: int = 2025) -> dict[str, list[dict[str, Any]]]:
    """Every row to insert, drawn from a seeded generator."""
    rng = random.Random(seed)
    agencies = _agencies()
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in t.metadata.tables}
    procedures = [(f"1.{i:06d}", agencies[i % len(agencies)][0]) for i in range(300)]
    accounts = [f"acc-{i}" for i in range(max(1, n // 10))]
    epoch = dt.datetime(YEAR, 1, 1, tzinfo=VN_TZ).astimezone(dt.UTC)
    for i, account in enumerate(accounts):
        rows["onestop_accounts"].append(
            {
                "id": account,
                "email": f"{account}@example.vn",
                "kind": "citizen",
                "status": "active",
                "created_at": epoch,
                "version": 1,
                "doc": "{}",
                "national_subject": f"vneid-{i}" if rng.random() < 0.3 else None,
            }
        )
    hour = dt.timedelta(hours=1)
    for i in range(n):
        procedure, agency = procedures[rng.randrange(len(procedures))]
        submitted = epoch + dt.timedelta(seconds=rng.randrange(365 * 86_400))
        received = submitted + rng.randrange(1, 48) * hour if rng.random() < 0.95 else None
        fate = rng.random()
        decided = closed = None
        history = [("submitted", submitted, "awaiting_reception")]
        status = "awaiting_reception"
        supplements = 0
        if received is not None:
            history.append(("received", received, "received"))
            status = "processing"
            history.append(("processing_started", received + hour, "processing"))
            supplements = rng.choices((0, 1, 2), (85, 12, 3))[0]
            if fate < 0.8:
                decided = received + dt.timedelta(hours=rng.randrange(12, 30 * 24))
                history.append(("approved", decided, "decided"))
                status = "result_returned"
                history.append(("result_returned", decided + hour, "result_returned"))
            elif fate < 0.85:
                closed = received + dt.timedelta(hours=rng.randrange(2, 10 * 24))
                history.append(("withdrawn", closed, "withdrawn"))
                status = "withdrawn"
            elif fate < 0.9:
                history.append(("paused", received + 2 * hour, "processing"))
        fees = 50_000 if rng.random() < 0.5 else 0
        dossier_id = f"d-{i:07d}"
        rows["onestop_dossiers"].append(
            {
                "id": dossier_id,
                "owner_id": accounts[rng.randrange(len(accounts))],
                "agency": agency.key,
                "procedure_code": procedure,
                "procedure_doc": "{}",
                "status": status,
                "created_at": submitted,
                "submitted_at": submitted,
                "code": None,
                "code_agency": None,
                "code_day": None,
                "code_seq": None,
                "code_scheme": None,
                "idempotency_key": None,
                "version": len(history),
                "doc": "{}",
                "due_date": None
                if received is None
                else received.astimezone(VN_TZ).date() + dt.timedelta(days=14),
                "due_at": None,
                "received_at": received,
                "decided_at": decided,
                "decided_on": None if decided is None else decided.astimezone(VN_TZ).date(),
                "closed_at": closed,
                "supplement_requests": supplements,
                "rescheduled": rng.random() < 0.02,
                "online": rng.random() < 0.9,
                "total_fees": fees,
            }
        )
        for position, (action, at, to_status) in enumerate(history):
            rows["onestop_dossier_history"].append(
                {
                    "dossier_id": dossier_id,
                    "position": position,
                    "at": at,
                    "actor_kind": "officer",
                    "actor_id": "officer-1",
                    "actor_name": "Lê Văn C",
                    "action": action,
                    "from_status": None,
                    "to_status": to_status,
                    "note": "",
                }
            )
        if fees and rng.random() < 0.7:
            rows["onestop_payments"].append(
                {
                    "id": f"p-{i}",
                    "dossier_id": dossier_id,
                    "gateway": "vnpay",
                    "txn_ref": f"T{i}",
                    "state": "confirmed",
                    "amount": fees,
                    "created_at": submitted,
                    "version": 1,
                    "doc": "{}",
                }
            )
        if received is not None and rng.random() < 0.9:
            rows["onestop_sync_outbox"].append(
                {
                    "id": f"s-{i}",
                    "dossier_id": dossier_id,
                    "sequence": 1,
                    "state": "sent",
                    "created_at": received,
                    "next_attempt_at": None,
                    "claimed_until": None,
                    "version": 1,
                    "doc": "{}",
                }
            )
        if received is not None and rng.random() < 0.02:
            rows["onestop_complaints"].append(
                {
                    "id": f"c-{i}",
                    "dossier_id": dossier_id,
                    "account_id": "acc-0",
                    "agency": str(agency),
                    "text": "Chậm",
                    "at": received + 72 * hour,
                }
            )
        if decided is not None and rng.random() < 0.3:
            rows["onestop_ratings"].append(
                {
                    "dossier_id": dossier_id,
                    "account_id": "acc-0",
                    "agency": str(agency),
                    "level": "dissatisfied" if rng.random() < 0.1 else "satisfied",
                    "comment": "",
                    "at": decided + 2 * hour,
                }
            )
    return rows


def _catalog(storage: SqlStorage) -> None:
    """The agencies and procedures, through the storage (the reports read them back)."""
    with storage.unit_of_work() as uow:
        uow.catalog.put_field(builders.field())
        for code, parent in _agencies():
            uow.catalog.put_agency(builders.agency(code, name=f"Đơn vị {code}", parent=parent))
        for i in range(300):
            agency = _agencies()[i % len(_agencies())][0]
            uow.catalog.put_procedure(builders.procedure(f"1.{i:06d}", agency=agency))
        uow.commit()


def _load(storage: SqlStorage, rows: dict[str, list[dict[str, Any]]]) -> float:
    """Seconds to insert every row in one transaction (executemany per table)."""
    _catalog(storage)
    began = time.perf_counter()
    sqlite = storage.dialect == "sqlite"
    with storage.engine.connect() as connection:
        # The storage runs SQLite's driver in autocommit (its units of work begin their own
        # transactions): one explicit transaction, or every row would be one.
        if sqlite:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        for table in t.metadata.sorted_tables:
            batch = rows.get(table.name)
            if batch:
                connection.execute(table.insert(), batch)
        if sqlite:
            connection.exec_driver_sql("COMMIT")
        else:
            connection.commit()
    return time.perf_counter() - began


def _best(rounds: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def _measure(name: str, storage: SqlStorage, n: int, rounds: int) -> list[str]:
    rows = _rows(n)
    loaded = _load(storage, rows)
    portal: Portal = bootstrap(storage=storage, environ={}, secret_key="b" * 32)
    reports = portal.reports
    province = str(PROVINCE)
    year = reports.indicators(province, START, END, with_sub_agencies=True)
    timings = [
        (
            "province, year",
            lambda: reports.indicators(province, START, END, with_sub_agencies=True),
        ),
        ("12 months", lambda: reports.monthly(province, START, END, with_sub_agencies=True)),
        (
            "21 agencies",
            lambda: [reports.indicators(str(code), START, END) for code, _ in _agencies()],
        ),
        (
            "overdue, page 1",
            lambda: reports.dossiers_behind(
                province, START, END, "overdue", with_sub_agencies=True, page_size=50
            ),
        ),
    ]
    lines = [f"| {name:<10} | load ({sum(map(len, rows.values())):,} rows) | {loaded:8.2f} s |"]
    for label, work in timings:
        lines.append(f"| {name:<10} | {label:<24} | {_best(rounds, work):8.3f} s |")
    on_time = year.figure(year.figures[0].measure)
    lines.append(
        f"|            | (received {year.received:,}; on time {on_time}; "
        f"satisfaction {year.satisfaction}%) | |"
    )
    portal.close()
    return lines


def _fresh_postgres(url: str) -> SqlStorage:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS onestop_alembic_version")
        t.metadata.drop_all(connection)
    engine.dispose()
    return SqlStorage.from_url(url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="dossiers")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ONESTOP_BENCH_POSTGRES_URL"),
        help="PostgreSQL URL (its onestop tables are dropped and created again)",
    )
    args = parser.parse_args(argv)
    print(f"{args.n:,} dossiers of {YEAR}, best of {args.rounds}")
    print("| storage    | measure                  |       time |\n|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'indicators.db'}"
        print("\n".join(_measure("SQLite", SqlStorage.from_url(url), args.n, args.rounds)))
    if args.postgres:
        url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        print("\n".join(_measure("PostgreSQL", _fresh_postgres(url), args.n, args.rounds)))
    else:
        print("| PostgreSQL | (no URL: give --postgres) | |")


if __name__ == "__main__":
    main()
