"""``onestop sync status|retry|dispatch`` against a fake national portal on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import require_module

require_module("click")
require_module("httpx")

from click.testing import CliRunner, Result  # noqa: E402

from onestop.cli.sync import sync  # noqa: E402
from onestop.testing.national_server import FakeNationalPortalServer  # noqa: E402
from tests.sync_support import make_world, submit  # noqa: E402


def run(*args: str) -> Result:
    return CliRunner().invoke(sync, list(args))


@pytest.fixture
def server() -> Iterator[FakeNationalPortalServer]:
    with FakeNationalPortalServer(username="tinh", password="mat-khau") as s:
        yield s


@pytest.fixture
def configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeNationalPortalServer
) -> str:
    for name in [n for n in os.environ if n.startswith("ONESTOP_")]:
        monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    world = make_world(database_url=url)
    dossier = submit(world)
    world.portal.desk.receive(world.officer.id, dossier.id)
    world.portal.close()
    monkeypatch.setenv("ONESTOP_DATABASE_URL", url)
    monkeypatch.setenv("ONESTOP_NATIONAL_URL", server.url)
    monkeypatch.setenv("ONESTOP_NATIONAL_USERNAME", "tinh")
    monkeypatch.setenv("ONESTOP_NATIONAL_PASSWORD", "mat-khau")
    return str(dossier.code)


def test_status_dispatch_and_retry(configured: str, server: FakeNationalPortalServer) -> None:
    before = run("status")
    assert before.exit_code == 0, before.output
    assert "pending          2" in before.output
    server.inject("refuse", service="DongBoHoSoMC")
    refused = run("dispatch", "--once")
    assert refused.exit_code == 1
    assert "need attention 1" in refused.output
    stuck = run("status")
    assert stuck.exit_code == 1
    assert f"dossier {configured} step 1" in stuck.output
    assert "onestop sync retry" in stuck.output
    retried = run("retry")
    assert retried.exit_code == 0, retried.output
    assert "1 change(s)" in retried.output
    done = run("dispatch", "--once")
    assert done.exit_code == 0, done.output
    assert "sent 2" in done.output
    assert server.records[configured]["TrangThaiHoSo"] == "2"
    assert "sent             2" in run("status").output


def test_dispatch_without_a_national_portal_says_what_to_set(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ONESTOP_NATIONAL_URL", "ONESTOP_NATIONAL_USERNAME", "ONESTOP_NATIONAL_PASSWORD"):
        monkeypatch.delenv(name)
    result = run("dispatch", "--once")
    assert result.exit_code == 1
    assert "ONESTOP_NATIONAL_URL" in result.output
