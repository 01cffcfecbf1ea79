"""Sync over real HTTP to a fake national portal on loopback that injects faults.

Through 500s, timeouts, answers lost after the request was processed, "already exists"
replies and expired sessions, the server ends with exactly our records and progress, in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import require_module

require_module("httpx")

from onestop.adapters.national_portal import HttpNationalPortal  # noqa: E402
from onestop.adapters.sql import SqlStorage  # noqa: E402
from onestop.application.sync import SyncDispatcher, progress_rows  # noqa: E402
from onestop.config import Config  # noqa: E402
from onestop.domain.statuses import DossierStatus  # noqa: E402
from onestop.domain.sync import SyncState  # noqa: E402
from onestop.errors import (  # noqa: E402
    ConfigurationError,
    NationalPortalRejected,
    NationalPortalUnavailable,
)
from onestop.testing.national_server import FakeNationalPortalServer  # noqa: E402
from tests.sync_support import World, make_world, submit, whole_life  # noqa: E402

TIMEOUT = 0.5


@pytest.fixture
def server() -> Iterator[FakeNationalPortalServer]:
    with FakeNationalPortalServer(username="tinh", password="mat-khau", slow_seconds=1.0) as s:
        yield s


def client(server: FakeNationalPortalServer) -> HttpNationalPortal:
    return HttpNationalPortal(server.url, username="tinh", password="mat-khau", timeout=TIMEOUT)


def dispatcher(world: World, portal: Any, **options: Any) -> SyncDispatcher:
    options.setdefault("backoff", dt.timedelta(0))
    return SyncDispatcher(world.portal.context, portal, jitter=lambda: 0.0, **options)


def assert_mirrors(server: FakeNationalPortalServer, world: World) -> None:
    """The server holds each dossier's last record and every progress step, in order."""
    with world.portal.storage.unit_of_work() as uow:
        entries = list(uow.sync.list())
        assert all(e.state is SyncState.SENT for e in entries)
        codes = {e.dossier_code: e.dossier_id for e in entries}
        for code, dossier_id in codes.items():
            dossier = uow.dossiers.get(dossier_id)
            mine = sorted((e for e in entries if e.dossier_code == code), key=lambda e: e.sequence)
            assert server.records[code] == mine[-1].record
            assert server.progress[code] == [row for e in mine for row in e.progress]
            # ... which are the dossier's steps, every one, in order.
            steps = progress_rows(dossier, dossier.history)
            assert [(r["ThoiDiemXuLy"], r["TrangThai"]) for r in server.progress[code]] == [
                (r["ThoiDiemXuLy"], r["TrangThai"]) for r in steps
            ]
    assert set(server.records) == set(codes)
    assert server.out_of_order == []


def test_a_whole_life_reaches_the_national_portal(server: FakeNationalPortalServer) -> None:
    world = make_world()
    dossier = whole_life(world, submit(world))
    report = dispatcher(world, client(server)).dispatch_until_idle()
    assert report.sent == 7
    assert_mirrors(server, world)
    assert server.records[str(dossier.code)]["TrangThaiHoSo"] == "10"
    assert server.logins == 1


def test_every_fault_is_survived_in_order(server: FakeNationalPortalServer) -> None:
    world = make_world()
    first = submit(world)
    second = submit(world)
    whole_life(world, first)
    world.portal.desk.receive(world.officer.id, second.id)
    server.inject("500", "timeout", service="DongBoHoSoMC")
    server.inject("drop_after", service="DongBoHoSoMC")  # the insert lands, its answer is lost
    server.inject("drop_after", service="CapNhatTienDoHoSoMC")  # a duplicate step follows
    server.inject("expire_session", "500", "timeout")
    dispatcher(world, client(server), max_attempts=20).dispatch_until_idle()
    assert server.faults_left == 0
    assert_mirrors(server, world)
    assert server.logins >= 2  # the expired session was renewed
    assert server.duplicates >= 1  # at least once: the lost answer's batch came twice


def test_an_insert_of_a_dossier_the_portal_holds_becomes_an_update(
    server: FakeNationalPortalServer,
) -> None:
    world = make_world()
    dossier = submit(world)
    portal = client(server)
    portal.insert_dossier({"MaHoSo": str(dossier.code), "TrangThaiHoSo": "1"})
    with pytest.raises(NationalPortalRejected) as caught:
        portal.insert_dossier({"MaHoSo": str(dossier.code)})
    assert caught.value.already_exists
    dispatcher(world, portal).dispatch_until_idle()
    assert ("DongBoHoSoMC", str(dossier.code), "true") in server.requests
    assert_mirrors(server, world)


def test_a_refused_dossier_waits_for_an_operator_and_holds_back_no_one_else(
    server: FakeNationalPortalServer,
) -> None:
    world = make_world()
    first = submit(world)
    world.portal.desk.receive(world.officer.id, first.id)
    server.inject("refuse", service="DongBoHoSoMC")
    world.clock.advance(dt.timedelta(minutes=1))  # so that the first dossier goes first
    second = submit(world)
    world.portal.desk.receive(world.officer.id, second.id)
    report = dispatcher(world, client(server)).dispatch_until_idle()
    assert report.needs_attention == 1
    assert str(second.code) in server.records
    assert str(first.code) not in server.records
    stuck = world.portal.sync.status().needs_attention
    assert [e.dossier_code for e in stuck] == [str(first.code)]
    world.portal.sync.retry([stuck[0].id])
    dispatcher(world, client(server)).dispatch_until_idle()
    assert_mirrors(server, world)


def test_a_dead_worker_claim_lapses_and_another_sends_in_order(
    server: FakeNationalPortalServer, tmp_path: Path
) -> None:
    """With SQLite: a worker claims and dies; after the lease another takes over."""
    storage = SqlStorage.from_url(f"sqlite:///{tmp_path / 'portal.db'}")
    world = make_world(storage=storage)
    dossier = whole_life(world, submit(world))
    lease = dt.timedelta(minutes=5)
    with storage.unit_of_work() as uow:
        claimed = uow.sync.claim_due(worker="dead", now=world.clock.now(), lease=lease, limit=10)
        uow.commit()
    assert len(claimed) == 1  # only the first entry of the dossier
    survivor = dispatcher(world, client(server), lease=lease)
    assert survivor.dispatch_until_idle().handled == 0  # the claim still holds
    world.clock.advance(lease)
    assert survivor.dispatch_until_idle().sent == 7
    assert_mirrors(server, world)
    assert server.records[str(dossier.code)]["TrangThaiHoSo"] == str(
        DossierStatus.RESULT_RETURNED.national_code
    )
    storage.close()


def test_no_answer_is_unavailable_and_a_wrong_login_is_refused(
    server: FakeNationalPortalServer,
) -> None:
    server.inject("timeout")
    with pytest.raises(NationalPortalUnavailable):
        client(server).update_progress([{"MaHoSo": "X"}])
    wrong = HttpNationalPortal(server.url, username="tinh", password="sai", timeout=TIMEOUT)
    with pytest.raises(NationalPortalRejected):
        wrong.update_progress([{"MaHoSo": "X"}])
    nobody = HttpNationalPortal("http://127.0.0.1:9", timeout=TIMEOUT)
    with pytest.raises(NationalPortalUnavailable):
        nobody.insert_dossier({"MaHoSo": "X"})


def test_configured_from_the_environment(server: FakeNationalPortalServer) -> None:
    config = Config.from_env(
        {
            "ONESTOP_NATIONAL_URL": server.url,
            "ONESTOP_NATIONAL_USERNAME": "tinh",
            "ONESTOP_NATIONAL_PASSWORD": "mat-khau",
            "ONESTOP_NATIONAL_TIMEOUT": "2",
        }
    )
    portal = config.national_portal()
    assert isinstance(portal, HttpNationalPortal)
    assert "mat-khau" not in repr(config) and "mat-khau" not in str(config.describe())
    portal.insert_dossier({"MaHoSo": "X"})
    assert "X" in server.records
    with pytest.raises(ConfigurationError, match="ONESTOP_NATIONAL_URL"):
        Config.from_env({"ONESTOP_NATIONAL_USERNAME": "u"}).national_portal()
    with pytest.raises(ConfigurationError, match="TIMEOUT"):
        Config.from_env(
            {"ONESTOP_NATIONAL_URL": server.url, "ONESTOP_NATIONAL_TIMEOUT": "soon"}
        ).national_portal()
    assert Config.from_env({}).national_portal() is None
