"""``onestop report indicators`` on a SQLite portal: table, CSV, JSON and the PNG chart."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from tests.support import require_module

require_module("click")

from click.testing import CliRunner, Result  # noqa: E402

from onestop.cli.reports import report  # noqa: E402
from tests.sync_support import AGENCY, make_world, submit  # noqa: E402

PERIOD = ["--from", "2022-06-01", "--to", "2022-07-31"]


def run(*args: str) -> Result:
    return CliRunner().invoke(report, ["indicators", *args])


@pytest.fixture
def portal_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two dossiers received at AGENCY in June 2022, one of them decided; their ids."""
    for name in [n for n in os.environ if n.startswith("ONESTOP_")]:
        monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    world = make_world(database_url=url)
    desk, officer = world.portal.desk, world.officer
    ids = []
    for _ in range(2):
        dossier = submit(world)
        desk.receive(officer.id, dossier.id)
        ids.append(dossier.id)
    desk.start_processing(officer.id, ids[0])
    desk.decide(officer.id, ids[0], approved=False, reasons="Thiếu giấy tờ")
    world.portal.close()
    monkeypatch.setenv("ONESTOP_DATABASE_URL", url)
    return ids


def test_json_states_numerator_and_denominator(portal_db: list[str]) -> None:
    result = run(*PERIOD, "--agency", AGENCY, "--format", "json")
    assert result.exit_code == 0, result.output
    [figures] = json.loads(result.output)
    assert figures["agency"] == AGENCY
    assert figures["received"] == 2
    assert figures["figures"]["on_time"] == {"numerator": 1, "denominator": 1, "percent": 100.0}
    assert figures["figures"]["open"] == {"numerator": 1, "denominator": 2, "percent": 50.0}
    assert figures["not_recorded"] == []
    # Recorded now: neither dossier has an electronic result document.
    assert figures["figures"]["electronic_results"]["numerator"] == 0


def test_csv_has_a_row_per_agency_and_measure(portal_db: list[str]) -> None:
    result = run(*PERIOD, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    mine = {r["measure"]: r for r in rows if r["agency"] == AGENCY}
    assert mine["received"]["numerator"] == "2"
    assert (mine["online"]["numerator"], mine["online"]["denominator"]) == ("2", "2")
    assert (
        mine["digitised_components"]["numerator"],
        mine["digitised_components"]["denominator"],
    ) == ("0", "2")
    # Every agency of the catalog has its rows, most of them with nothing received.
    assert len({r["agency"] for r in rows}) > 1


def test_the_table_shows_each_figure(portal_db: list[str]) -> None:
    result = run(*PERIOD, "--agency", AGENCY, "--with-sub-agencies")
    assert result.exit_code == 0, result.output
    header, line = result.output.splitlines()[:2]
    assert header.split()[:3] == ["agency", "received", "on"]
    assert line.startswith(AGENCY)
    assert "1/2 (50%)" in line


def test_the_chart_is_a_png(portal_db: list[str], tmp_path: Path) -> None:
    require_module("matplotlib")
    chart = tmp_path / "indicators.png"
    result = run(*PERIOD, "--agency", AGENCY, "--chart", str(chart))
    assert result.exit_code == 0, result.output
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.stat().st_size > 5_000


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2022-13-01", "--to", "2022-07-01"],
        ["--from", "2022-07-01", "--to", "2022-06-01"],
        [*PERIOD, "--agency", "not-an-agency"],
        [*PERIOD, "--agency", "000.00.99.H34"],
    ],
)
def test_bad_input_is_one_line_and_a_failing_exit(portal_db: list[str], args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code in (1, 2)
    # A click error (SystemExit), not an exception the runner caught and hid.
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "error" in result.output.lower()
