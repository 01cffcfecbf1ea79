"""Several OS processes on one database: gap-free codes, and officers racing on one dossier.

Each worker is a separate process (multiprocessing, spawn), with its own engine and
connections, as several application processes of one portal would be. The parent sets the
scene through the ports, lets the workers go at once (a barrier), then checks the result.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any, Final

import pytest
import sqlalchemy as sa

from onestop import bootstrap
from onestop.adapters.clocks import FixedClock
from onestop.adapters.sql import SqlStorage
from onestop.adapters.sql import schema as t
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import local_day
from onestop.domain.dossier import Actor
from onestop.domain.statuses import DossierStatus
from onestop.errors import ConcurrentUpdate
from onestop.testing import builders

pytestmark = pytest.mark.slow

PROCESSES: Final = 4
PER_PROCESS: Final = 6
#: Submissions at 09:30 in Vietnam: one local day for every worker.
AT: Final = builders.T0
SECRET: Final = "a-test-secret-of-enough-bytes-0123456789"

_spawn = multiprocessing.get_context("spawn")


# --- workers (module level, so that spawned processes can import them) ---------------------


def _report(results: Any, name: str, work: Callable[[], str]) -> None:
    try:
        results.put((name, work()))
    except BaseException:
        results.put((name, "error: " + traceback.format_exc()))


def submit_drafts(
    url: str, account_id: str, draft_ids: list[str], barrier: Any, results: Any
) -> None:
    """Submit each draft through the full use case, one unit of work each."""

    def work() -> str:
        with bootstrap(
            database_url=url,
            clock=FixedClock(AT),
            secret_key=SECRET,
            calendar=WorkingCalendar(),
            environ={"ONESTOP_ALLOW_FAKES": "1"},  # mail and payments are not under test
        ) as portal:
            barrier.wait(timeout=60)
            for draft_id in draft_ids:
                portal.dossiers.submit(account_id, draft_id, idempotency_key=draft_id)
        return "ok"

    _report(results, draft_ids[0], work)


def receive_dossier(url: str, dossier_id: str, officer_id: str, barrier: Any, results: Any) -> None:
    """Read the dossier, wait for the other officer to have read it too, then receive it."""

    def work() -> str:
        storage = SqlStorage.from_url(url, create=False)
        try:
            with storage.unit_of_work() as uow:
                dossier = uow.dossiers.get(dossier_id)
                barrier.wait(timeout=60)
                dossier.receive(
                    officer=Actor.officer(officer_id),
                    now=AT + dt.timedelta(hours=1),
                    calendar=WorkingCalendar(),
                )
                try:
                    uow.dossiers.update(dossier)
                    uow.commit()
                except ConcurrentUpdate:
                    return "conflict"
            return "ok"
        finally:
            storage.close()

    _report(results, officer_id, work)


def _run(target: Callable[..., None], argument_lists: list[tuple[Any, ...]]) -> dict[str, str]:
    barrier = _spawn.Barrier(len(argument_lists))
    results = _spawn.Queue()
    processes = [
        _spawn.Process(target=target, args=(*arguments, barrier, results))
        for arguments in argument_lists
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return outcomes


# --- tests ---------------------------------------------------------------------------------


def _scene(url: str) -> tuple[str, list[str]]:
    """Catalog, one verified account and its complete drafts; returns (account id, draft ids)."""
    storage = SqlStorage.from_url(url)
    account = builders.account()
    drafts = [builders.draft_dossier(owner_id=account.id) for _ in range(PROCESSES * PER_PROCESS)]
    try:
        with storage.unit_of_work() as uow:
            uow.catalog.put_agency(builders.agency())
            uow.catalog.put_field(builders.field())
            uow.catalog.put_procedure(builders.procedure())
            uow.accounts.add(account)
            for draft in drafts:
                uow.dossiers.add(draft)
            uow.commit()
    finally:
        storage.close()
    return account.id, [d.id for d in drafts]


def test_processes_submitting_at_once_get_codes_one_to_n(sql_url: str) -> None:
    account_id, draft_ids = _scene(sql_url)
    shares = [(sql_url, account_id, draft_ids[i::PROCESSES]) for i in range(PROCESSES)]

    outcomes = _run(submit_drafts, shares)

    assert set(outcomes.values()) == {"ok"}, outcomes
    total = PROCESSES * PER_PROCESS
    storage = SqlStorage.from_url(sql_url, create=False)
    try:
        with storage.unit_of_work() as uow:
            submitted = uow.dossiers.list_by_agency(builders.AGENCY)
            day = local_day(AT)
            assert uow.codes.peek(builders.AGENCY, day) == total
            outbox = uow.outbox.list()
        with storage.engine.connect() as connection:
            children: dict[str, dict[str, int]] = {
                table.name.removeprefix("onestop_"): dict(
                    connection.execute(
                        sa.select(table.c.dossier_id, sa.func.count()).group_by(table.c.dossier_id)
                    ).all()
                )
                for table in (t.dossier_history, t.dossier_fee_lines, t.dossier_files)
            }
    finally:
        storage.close()

    assert sorted(d.id for d in submitted) == sorted(draft_ids)
    codes = [d.code for d in submitted]
    assert all(c is not None and c.day == day for c in codes)
    assert sorted(c.seq for c in codes if c is not None) == list(range(1, total + 1))
    assert len({str(c) for c in codes}) == total
    for dossier in submitted:
        assert dossier.status is DossierStatus.AWAITING_RECEPTION
        assert dossier.submitted_at == AT
        assert dossier.idempotency_key == dossier.id
        assert dossier.fee_lines, "fee lines are taken at submission"
        assert children["dossier_history"][dossier.id] == len(dossier.history) == 2
        assert children["dossier_fee_lines"][dossier.id] == len(dossier.fee_lines)
        assert children["dossier_files"][dossier.id] == len(dossier.attachments)
    assert len(outbox) == total, "one receipt mail per submission"


def test_two_officers_racing_on_one_dossier(sql_url: str) -> None:
    storage = SqlStorage.from_url(sql_url)
    dossier = builders.submitted_dossier()
    try:
        with storage.unit_of_work() as uow:
            uow.dossiers.add(dossier)
            uow.commit()
    finally:
        storage.close()

    outcomes = _run(
        receive_dossier, [(sql_url, dossier.id, "officer-a"), (sql_url, dossier.id, "officer-b")]
    )

    assert sorted(outcomes.values()) == ["conflict", "ok"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "ok")
    storage = SqlStorage.from_url(sql_url, create=False)
    try:
        with storage.unit_of_work() as uow:
            stored = uow.dossiers.get(dossier.id)
    finally:
        storage.close()
    assert stored.status is DossierStatus.RECEIVED
    assert stored.version == dossier.version + 1
    received = [h for h in stored.history if h.action == "received"]
    assert [h.actor.id for h in received] == [winner]
