"""``onestop db | catalog | mail | payments | dossier | config``: through the console script
in a subprocess (exit codes, one-line errors on stderr), and Click's runner for the details.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support import require_module

require_module("click")
require_module("alembic")

from click.testing import CliRunner, Result  # noqa: E402

from onestop import bootstrap  # noqa: E402
from onestop.adapters.sql import migrations  # noqa: E402
from onestop.cli.catalog import catalog  # noqa: E402
from onestop.cli.configuration import config  # noqa: E402
from onestop.cli.database import db  # noqa: E402
from onestop.cli.operations import dossier, mail, payments  # noqa: E402
from onestop.testing.smtp_server import LocalSmtpServer  # noqa: E402

#: The newest shipped revision (each new revision moves it).
HEAD = migrations.history()[-1][0]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CATALOG = ROOT / "examples" / "data" / "kontum-catalog.json"
SUBMIT = ROOT / "examples" / "submit_online.py"
SECRET = "a-secret-key-for-the-command-tests-0123456789"
DOWN = "postgresql+psycopg://nobody:secret-pw@127.0.0.1:1/none"


def onestop_command() -> list[str]:
    """The console script installed next to this Python (``python -m onestop.cli`` else)."""
    script = Path(sys.executable).with_name("onestop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "onestop.cli"]


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESTOP_")}
    env.update(values)
    return env


def onestop(
    *args: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*onestop_command(), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("onestop: error: "), result.stderr
    return lines[0]


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ONESTOP_* variable of the developer's shell reaches the command."""
    for name in [n for n in os.environ if n.startswith("ONESTOP_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def sqlite_url(tmp_path: Path, isolated: None, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    monkeypatch.setenv("ONESTOP_DATABASE_URL", url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database of this test's own: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.db'}"
        return
    from tests.adapters.sql_support import new_postgres_database

    server: str = request.getfixturevalue("postgres_url")
    with new_postgres_database(server, "onestop_cli") as url:
        yield url


def run(group: object, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(group, list(args), input=stdin)  # type: ignore[arg-type]


def smtp_env(server: LocalSmtpServer) -> dict[str, str]:
    return {
        "ONESTOP_SMTP_HOST": server.host,
        "ONESTOP_SMTP_PORT": str(server.port),
        "ONESTOP_SMTP_SECURITY": "none",
        "ONESTOP_SMTP_FROM": "no-reply@dichvucong.example.gov.vn",
    }


# --- the real entry point, in a subprocess -------------------------------------------------


def test_help_lists_every_area_and_exits_0() -> None:
    result = onestop("--help", env=clean_env())
    assert result.returncode == 0, result.stderr
    for group in ("db", "catalog", "mail", "payments", "dossier", "config"):
        assert re.search(rf"^\s+{group}\s", result.stdout, re.MULTILINE), group


@pytest.mark.parametrize(
    "args",
    [("no-such-command",), ("db", "downgrade"), ("mail", "dispatch", "--interval", "0")],
)
def test_wrong_arguments_exit_2(args: tuple[str, ...]) -> None:
    result = onestop(*args, env=clean_env())
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("db", "upgrade"),
        ("catalog", "load", str(SAMPLE_CATALOG)),
        ("dossier", "show", "000.00.03.H34-220622-0001"),
    ],
)
def test_a_database_that_is_down_is_one_line_and_exit_1(args: tuple[str, ...]) -> None:
    result = onestop(*args, env=clean_env(ONESTOP_DATABASE_URL=DOWN))
    line = assert_one_line_error(result)
    assert "secret-pw" not in line + result.stdout


@pytest.mark.parametrize(
    ("group", "args"),
    [(db, ["current"]), (db, ["check"]), (payments, ["expire"]), (catalog, ["export"])],
)
def test_every_command_reports_a_database_that_is_down_in_one_line(
    isolated: None, monkeypatch: pytest.MonkeyPatch, group: object, args: list[str]
) -> None:
    monkeypatch.setenv("ONESTOP_DATABASE_URL", DOWN)
    result = run(group, *args)
    assert result.exit_code == 1
    assert result.output.startswith("onestop: error: ")
    assert len(result.output.strip().splitlines()) == 1
    assert "secret-pw" not in result.output


def test_without_a_database_the_commands_say_which_variable_to_set() -> None:
    line = assert_one_line_error(onestop("catalog", "load", str(SAMPLE_CATALOG), env=clean_env()))
    assert "ONESTOP_DATABASE_URL" in line


def test_the_operators_flow_end_to_end(any_url: str) -> None:
    """upgrade, load the catalog, submit (the example), dispatch to SMTP, show the dossier."""
    with LocalSmtpServer() as server:
        env = clean_env(ONESTOP_DATABASE_URL=any_url, ONESTOP_SECRET_KEY=SECRET)
        env.update(smtp_env(server))
        upgraded = onestop("db", "upgrade", env=env)
        assert upgraded.returncode == 0, upgraded.stderr
        assert "upgraded from nothing to" in upgraded.stdout
        assert onestop("db", "check", env=env).returncode == 0
        loaded = onestop("catalog", "load", str(SAMPLE_CATALOG), env=env)
        assert loaded.returncode == 0, loaded.stderr
        assert "4 procedures" in loaded.stdout

        submitted = subprocess.run(
            [sys.executable, str(SUBMIT)], env=env, capture_output=True, text=True, timeout=120
        )
        assert submitted.returncode == 0, submitted.stderr
        code = re.search(r"^Mã số hồ sơ: (\S+)$", submitted.stdout, re.MULTILINE)
        assert code is not None, submitted.stdout
        assert "queued: onestop mail dispatch --once sends it" in submitted.stdout

        dispatched = onestop("mail", "dispatch", "--once", env=env)
        assert dispatched.returncode == 0, dispatched.stderr
        assert "sent 1," in dispatched.stdout
        assert dispatched.stderr == ""  # no progress bar in a pipe
        [receipt] = server.messages
        assert "nthieu.stc@kontum.gov.vn" in receipt.recipients

        shown = onestop("dossier", "show", code.group(1), env=env)
        assert shown.returncode == 0, shown.stderr
        assert f"Mã số hồ sơ: {code.group(1)}" in shown.stdout
        assert "Hồ sơ đang chờ tiếp nhận" in shown.stdout
        assert onestop("payments", "expire", env=env).stdout.strip() == "expired 0 payment(s)"


def test_mail_dispatch_loop_stops_on_sigterm(tmp_path: Path) -> None:
    env = clean_env(ONESTOP_DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
    with LocalSmtpServer() as server:
        env.update(smtp_env(server))
        assert onestop("db", "upgrade", env=env).returncode == 0
        worker = subprocess.Popen(
            [*onestop_command(), "mail", "dispatch", "--loop", "--interval", "0.2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert worker.stderr is not None
        started = worker.stderr.readline()  # written once the SIGTERM handler is in place
        assert "Ctrl-C stops" in started, started
        time.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "SIGTERM: stopping" in err


# --- db ------------------------------------------------------------------------------------


def test_db_current_and_check_on_a_new_database(sqlite_url: str) -> None:
    current = run(db, "current")
    assert current.exit_code == 0
    assert current.output.startswith("none (empty)")
    check = run(db, "check")
    assert check.exit_code == 1
    assert "onestop db upgrade creates them" in check.output


def test_db_upgrade_then_current_then_again(sqlite_url: str) -> None:
    assert run(db, "upgrade").exit_code == 0
    assert run(db, "current").output.startswith(f"{HEAD} (current)")
    again = run(db, "upgrade")
    assert again.exit_code == 0
    assert "nothing to do" in again.output


def test_db_downgrade_asks_first_and_aborts_without_an_answer(sqlite_url: str) -> None:
    assert run(db, "upgrade").exit_code == 0
    refused = run(db, "downgrade", "base", stdin="n\n")
    assert refused.exit_code == 1
    assert run(db, "current").output.startswith(HEAD)
    done = run(db, "downgrade", "base", "--yes")
    assert done.exit_code == 0, done.output
    assert f"downgraded from {HEAD} to nothing" in done.output


def test_db_check_finds_tables_that_drifted(sqlite_url: str, tmp_path: Path) -> None:
    assert run(db, "upgrade").exit_code == 0
    with sqlite3.connect(tmp_path / "portal.db") as connection:
        connection.execute("DROP TABLE onestop_tokens")
    drifted = run(db, "check")
    assert drifted.exit_code == 1
    assert "differ from the code" in drifted.output


def test_db_downgrade_to_an_unknown_revision_is_one_line(sqlite_url: str) -> None:
    assert run(db, "upgrade").exit_code == 0
    result = run(db, "downgrade", "nonsense", "--yes")
    assert result.exit_code == 1
    assert result.output.count("onestop: error:") == 1


def test_db_history_lists_the_head(isolated: None) -> None:
    result = run(db, "history")
    assert result.exit_code == 0
    assert f"{HEAD} (head)" in result.output


# --- catalog -------------------------------------------------------------------------------


def test_catalog_export_reads_back_the_same(sqlite_url: str, tmp_path: Path) -> None:
    assert run(catalog, "load", str(SAMPLE_CATALOG)).exit_code == 0
    exported = tmp_path / "exported.json"
    assert run(catalog, "export", "-o", str(exported)).exit_code == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert len(data["procedures"]) == 4
    assert run(catalog, "load", str(exported)).exit_code == 0
    second = run(catalog, "export")
    assert second.exit_code == 0
    assert json.loads(second.stdout_bytes) == data


def test_catalog_load_of_a_broken_file_loads_nothing(sqlite_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"agencies": [{"code": "not a code"}]}', encoding="utf-8")
    result = run(catalog, "load", str(broken))
    assert result.exit_code == 1
    assert result.output.startswith("onestop: error: ")
    assert len(result.output.strip().splitlines()) == 1
    assert json.loads(run(catalog, "export").stdout_bytes)["agencies"] == []


def test_catalog_load_shows_a_progress_bar_on_a_terminal_only(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the bar reaches every entry; in a pipe nothing but the summary."""
    quiet = run(catalog, "load", str(SAMPLE_CATALOG))
    assert quiet.exit_code == 0 and "loading" not in quiet.output
    monkeypatch.setattr("onestop.cli.catalog.on_a_terminal", lambda: True)
    shown = run(catalog, "load", str(SAMPLE_CATALOG))
    assert shown.exit_code == 0, shown.output
    assert "loading" in shown.output
    assert shown.output.strip().endswith("4 agencies, 4 fields, 4 procedures")


def test_load_json_reports_progress_up_to_every_entry() -> None:
    seen: list[tuple[int, int]] = []
    with bootstrap(environ={}) as portal:
        report = portal.catalog.load_json(
            SAMPLE_CATALOG, progress=lambda done, total: seen.append((done, total))
        )
    total = report.agencies + report.fields + report.procedures
    assert seen and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_catalog_load_of_a_missing_file_is_a_usage_error(sqlite_url: str) -> None:
    assert run(catalog, "load", "no-such-file.json").exit_code == 2


# --- mail ----------------------------------------------------------------------------------


def test_mail_dispatch_refuses_the_in_memory_transport_even_with_fakes_allowed(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONESTOP_ALLOW_FAKES", "1")
    result = run(mail, "dispatch", "--once")
    assert result.exit_code == 1
    assert "ONESTOP_SMTP_HOST" in result.output


def test_mail_dispatch_with_a_server_that_is_down_exits_1_and_keeps_the_mail(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from onestop import bootstrap
    from onestop.adapters import FakePaymentGateway, InMemoryMailTransport
    from onestop.domain.mail import OutboxState

    with bootstrap(
        mail_transport=InMemoryMailTransport(),
        payment_gateway=FakePaymentGateway(),
        secret_key=SECRET,
    ) as portal:
        portal.accounts.register_citizen("a@example.vn", "Mat-khau-an-toan-1", "Lê Văn A")
    server = LocalSmtpServer()  # never started: nothing listens on its port
    for name, value in smtp_env(server).items():
        monkeypatch.setenv(name, value)
    result = run(mail, "dispatch", "--once")
    assert result.exit_code == 1
    assert "sent 0, to retry 1" in result.output
    with (
        bootstrap(
            mail_transport=InMemoryMailTransport(),
            payment_gateway=FakePaymentGateway(),
            secret_key=SECRET,
        ) as portal,
        portal.storage.unit_of_work() as uow,
    ):
        assert len(uow.outbox.list(state=OutboxState.PENDING)) == 1


# --- dossier and payments ------------------------------------------------------------------


def test_dossier_show_of_a_bad_code_is_a_usage_error(sqlite_url: str) -> None:
    result = run(dossier, "show", "not-a-code")
    assert result.exit_code == 2
    assert "is not a dossier code" in result.output


def test_dossier_show_of_an_unknown_code_exits_1(sqlite_url: str) -> None:
    assert run(db, "upgrade").exit_code == 0
    result = run(dossier, "show", "000.00.03.H34-220622-0001")
    assert result.exit_code == 1
    assert "no dossier '000.00.03.H34-220622-0001'" in result.output


def test_payments_expire_on_an_empty_database(sqlite_url: str) -> None:
    result = run(payments, "expire")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "expired 0 payment(s)"


# --- config check --------------------------------------------------------------------------


def test_config_check_in_memory_is_safe(isolated: None) -> None:
    result = run(config, "check")
    assert result.exit_code == 0, result.output
    assert "database     in memory" in result.output


def test_config_check_names_every_danger_and_masks_secrets(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONESTOP_DATABASE_URL", DOWN)
    monkeypatch.setenv("ONESTOP_SECRET_KEY", "short-secret")
    monkeypatch.setenv("ONESTOP_SMTP_HOST", "smtp.example.gov.vn")  # and no ONESTOP_SMTP_FROM
    monkeypatch.setenv("ONESTOP_SMTP_PASSWORD", "smtp-password-456")
    result = run(config, "check")
    assert result.exit_code == 1
    out = result.output
    assert "secret-pw" not in out and "short-secret" not in out and "smtp-password-456" not in out
    assert "nobody:***@127.0.0.1:1/none" in out
    assert "dangerous: no payment gateway" in out
    assert "dangerous: the secret key is 12 characters long" in out
    assert "dangerous: SMTP: set ONESTOP_SMTP_FROM" in out
    assert "dangerous: database:" in out


def test_config_check_of_a_complete_setup_passes(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(db, "upgrade").exit_code == 0
    for name, value in {
        "ONESTOP_SECRET_KEY": SECRET,
        "ONESTOP_SMTP_HOST": "smtp.example.gov.vn",
        "ONESTOP_SMTP_FROM": "no-reply@example.gov.vn",
        "ONESTOP_VNPAY_TMN_CODE": "DEMO0001",
        "ONESTOP_VNPAY_HASH_SECRET": "vnpay-hash-secret-789",
        "ONESTOP_VNPAY_URL": "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        "ONESTOP_BASE_URL": "https://dichvucong.kontum.gov.vn",
    }.items():
        monkeypatch.setenv(name, value)
    result = run(config, "check")
    assert result.exit_code == 0, result.output
    assert f"revision: {HEAD} (current)" in result.output
    assert "vnpay-hash-secret-789" not in result.output


def test_config_check_fails_on_a_database_behind_or_ahead(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONESTOP_ALLOW_FAKES", "1")
    monkeypatch.setenv("ONESTOP_SECRET_KEY", SECRET)
    assert run(db, "upgrade").exit_code == 0
    with sqlite3.connect(tmp_path / "portal.db") as connection:
        connection.execute("UPDATE onestop_alembic_version SET version_num = 'f00d'")
    result = run(config, "check")
    assert result.exit_code == 1
    assert "newer onestop" in result.output


def test_db_upgrade_refuses_onestop_0_1_then_copies_it_when_asked(
    sqlite_url: str, tmp_path: Path
) -> None:
    from onestop.adapters.sql import metadata

    with sqlite3.connect(tmp_path / "portal.db") as connection:
        for table in metadata.sorted_tables:
            columns = ", ".join(f"{c.name} TEXT" for c in table.columns)
            connection.execute(f"CREATE TABLE {table.name.removeprefix('onestop_')} ({columns})")
        connection.execute("INSERT INTO tokens (token_id, used_at) VALUES ('t1', 'x')")
    refused = run(db, "upgrade")
    assert refused.exit_code == 1
    assert "onestop 0.1" in refused.output and "--from-unprefixed" in refused.output
    copied = run(db, "upgrade", "--from-unprefixed")
    assert copied.exit_code == 0, copied.output
    assert "tokens: 1 row(s) copied to onestop_tokens" in copied.output
    assert run(db, "check").exit_code == 0
