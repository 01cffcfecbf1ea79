"""``onestop officer``, ``onestop account`` and ``onestop audit`` on a real SQLite database."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from onestop import bootstrap
from onestop.cli.catalog import catalog
from onestop.cli.officers import account, audit, officer
from onestop.testing import builders

CATALOG_JSON = Path(__file__).parent.parent / "data" / "catalog.json"
WARD = "000.01.20.H34"
PASSWORD = "mật khẩu cán bộ 2022"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A portal database with the sample catalog, named by ONESTOP_DATABASE_URL."""
    path = tmp_path / "portal.db"
    for name in [n for n in os.environ if n.startswith("ONESTOP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ONESTOP_DATABASE_URL", f"sqlite:///{path}")
    result = CliRunner().invoke(catalog, ["load", str(CATALOG_JSON)])
    assert result.exit_code == 0, result.output
    return path


def run(group: object, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(group, list(args), input=stdin)  # type: ignore[arg-type]


def add(email: str, *extra: str, stdin: str | None = None) -> Result:
    return run(
        officer,
        "add",
        "--agency",
        WARD,
        "--name",
        "Phạm Thị Dung",
        "--email",
        email,
        *extra,
        stdin=stdin,
    )


def listed(*args: str) -> list[dict[str, object]]:
    result = run(officer, "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_add_with_roles_and_a_password_from_stdin(database: Path) -> None:
    """The officer is stored with the roles given and can log in with the password."""
    result = add(
        "dung@kontum.gov.vn",
        "--role",
        "reception",
        "--role",
        "RETURN",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "added officer dung@kontum.gov.vn" in result.output
    [shown] = listed()
    assert shown["roles"] == ["reception", "return"]
    assert shown["password"] is True
    portal = bootstrap(
        environ={**os.environ, "ONESTOP_ALLOW_FAKES": "1", "ONESTOP_SECRET_KEY": "k" * 32}
    )
    with portal:
        assert portal.desk.log_in("dung@kontum.gov.vn", PASSWORD).email == "dung@kontum.gov.vn"


def test_list_as_text_and_by_agency(database: Path) -> None:
    """One tab-separated line per officer; --agency keeps one agency's."""
    assert add("dung@kontum.gov.vn").exit_code == 0
    result = run(officer, "list")
    assert result.output.split("\t")[:4] == [
        "dung@kontum.gov.vn",
        WARD,
        "active",
        "accounting,approval,processing,reception,return",
    ]
    assert listed("--agency", "000.00.05.H34") == []


def test_wrong_arguments_are_usage_errors(database: Path) -> None:
    """An unknown role or a missing option is exit code 2, before anything is done."""
    assert add("dung@kontum.gov.vn", "--role", "boss").exit_code == 2
    assert run(officer, "add", "--agency", WARD).exit_code == 2
    assert add("x@kontum.gov.vn", "--password", "--password-stdin", stdin="a\n").exit_code == 2
    assert listed() == []


def test_refusals_are_one_line_and_exit_code_1(database: Path) -> None:
    """An unknown agency, a taken email, a weak password, an unknown officer."""
    assert add("dung@kontum.gov.vn").exit_code == 0
    for result in [
        run(officer, "add", "--agency", "000.00.99.H34", "--name", "A B", "--email", "a@b.vn"),
        add("dung@kontum.gov.vn"),
        add("weak@kontum.gov.vn", "--password-stdin", stdin="123\n"),
        run(officer, "deactivate", "nobody@kontum.gov.vn"),
    ]:
        assert result.exit_code == 1
        assert result.output.startswith("onestop: error: ")
        assert len(result.output.splitlines()) == 1
        assert "Traceback" not in result.output


def test_deactivate_reactivate_roles_and_set_password(database: Path) -> None:
    """Each change shows in the list, and is recorded in the audit trail as --by."""
    assert add("dung@kontum.gov.vn").exit_code == 0
    assert run(officer, "deactivate", "dung@kontum.gov.vn").exit_code == 0
    assert listed()[0]["active"] is False
    assert run(officer, "reactivate", "dung@kontum.gov.vn", "--by", "it@kontum").exit_code == 0
    assert listed()[0]["active"] is True
    assert run(officer, "roles", "dung@kontum.gov.vn", "--role", "approval").exit_code == 0
    assert listed()[0]["roles"] == ["approval"]
    result = run(officer, "set-password", "dung@kontum.gov.vn", "--password-stdin", stdin=PASSWORD)
    assert result.exit_code == 0, result.output
    assert listed()[0]["password"] is True
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT action, actor FROM onestop_audit_log WHERE stream = 'admin' ORDER BY position"
        ).fetchall()
    assert [a for a, _ in rows] == [
        "catalog.loaded",
        "officer.created",
        "officer.deactivated",
        "officer.reactivated",
        "officer.roles_changed",
        "officer.password_set",
    ]
    assert rows[3][1] == "it@kontum"


def test_set_password_prompts_on_a_terminal(database: Path) -> None:
    """Without --password-stdin the password is asked twice, hidden."""
    assert add("dung@kontum.gov.vn").exit_code == 0
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    assert run(officer, "set-password", "dung@kontum.gov.vn", stdin=typed).exit_code == 0


def test_account_lock_and_unlock(database: Path) -> None:
    """An administrator's lock, and its lifting; an unknown email is exit code 1."""
    from onestop.adapters.sql import SqlStorage

    storage = SqlStorage.from_url(f"sqlite:///{database}", create=False)
    citizen = builders.account(email="an.nguyen@example.vn")
    with storage.unit_of_work() as uow:
        uow.accounts.add(citizen)
        uow.commit()
    result = run(account, "lock", "an.nguyen@example.vn")
    assert result.exit_code == 0, result.output
    with storage.unit_of_work() as uow:
        assert uow.accounts.get(citizen.id).status.value == "locked"
    assert run(account, "unlock", "AN.NGUYEN@example.vn").exit_code == 0
    with storage.unit_of_work() as uow:
        assert uow.accounts.get(citizen.id).status.value == "active"
    storage.close()
    assert run(account, "lock", "nobody@example.vn").exit_code == 1


def test_audit_verify_finds_a_row_edited_in_sql(database: Path) -> None:
    """An intact trail exits 0; a record edited by hand is named, exit code 1."""
    assert add("dung@kontum.gov.vn").exit_code == 0
    result = run(audit, "verify")
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE onestop_audit_log SET actor = 'someone' WHERE stream = 'admin' AND position = 2"
        )
    result = run(audit, "verify")
    assert result.exit_code == 1
    assert "admin #2: modified" in result.output
    assert "audit trail BROKEN" in result.output


def test_audit_checkpoint_then_verify_against_it(database: Path, tmp_path: Path) -> None:
    """A checkpoint kept in a file is checked; a deleted head is found."""
    assert add("dung@kontum.gov.vn").exit_code == 0
    checkpoint = tmp_path / "checkpoint.json"
    result = run(audit, "checkpoint")
    assert result.exit_code == 0, result.output
    checkpoint.write_text(result.output, encoding="utf-8")
    assert run(audit, "verify", "--checkpoint", str(checkpoint)).exit_code == 0
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM onestop_audit_log WHERE stream = 'admin' AND position = 2")
    result = run(audit, "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert "checkpoint" in result.output


# --- through the real entry point --------------------------------------------------------


def onestop_command() -> list[str]:
    found = shutil.which("onestop", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from onestop.cli import main; main()"]


def test_the_console_script_adds_an_officer_and_verifies_the_trail(database: Path) -> None:
    """`onestop officer add ... --password-stdin` then `onestop audit verify`, as an operator."""
    command = onestop_command()
    env = {**os.environ}
    added = subprocess.run(
        [
            *command,
            *("officer", "add", "--agency", WARD, "--name", "Phạm Thị Dung"),
            *("--email", "dung@kontum.gov.vn", "--role", "reception", "--password-stdin"),
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    verified = subprocess.run(
        [*command, "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "audit trail intact" in verified.stdout
    wrong = subprocess.run(
        [*command, "officer", "add", "--agency", WARD], capture_output=True, text=True, env=env
    )
    assert wrong.returncode == 2


def test_a_database_that_is_down_is_one_line_and_exit_code_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing listens on the port: the command says so without a traceback."""
    monkeypatch.setenv("ONESTOP_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:1/none")
    result = run(officer, "list")
    assert result.exit_code == 1
    assert result.output.startswith("onestop: error: ")
    assert "Traceback" not in result.output
