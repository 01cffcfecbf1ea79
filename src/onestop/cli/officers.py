"""``onestop officer``, ``onestop account`` and ``onestop audit``: people and the audit trail.

Officers are named by their email. Passwords are never command-line arguments (they would
show in ``ps`` and the shell's history): ``--password`` asks for one on the terminal,
``--password-stdin`` reads the first line of standard input (for scripts). Every change is
recorded in the audit trail as done by ``--by`` (``cli:<login name>`` by default).

The portal is the one the environment configures (:func:`onestop.cli._support.open_portal`:
no mail transport, gateway or secret key needed). A refusal of the library is one line on
standard error, ``onestop: error: <message>``, with exit code 1; a wrong argument is
Click's usage error, exit code 2. ``onestop audit verify`` exits 1 when it finds a
problem, after listing each one on standard error.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO, TypeVar

import click

from onestop.cli._support import fail, open_portal, reports_errors
from onestop.domain.accounts import Officer, OfficerRole

if TYPE_CHECKING:
    from onestop.bootstrap import Portal

__all__ = ["account", "audit", "officer"]

T = TypeVar("T")

_ROLE = click.Choice([r.value for r in OfficerRole], case_sensitive=False)
_BY = click.option(
    "--by",
    default=None,
    metavar="WHO",
    help="Who is recorded in the audit trail as having done it (default: cli:<login name>).",
)


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def _run(work: Callable[[Portal], T]) -> T:
    """Run ``work`` on the configured portal (closed afterwards)."""
    with open_portal() as portal:
        return work(portal)


def _password(prompt: bool, from_stdin: bool) -> str | None:
    if prompt and from_stdin:
        raise click.UsageError("give --password or --password-stdin, not both")
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    if prompt:
        value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    return None


def _roles(values: tuple[str, ...]) -> frozenset[OfficerRole] | None:
    return frozenset(OfficerRole(v.lower()) for v in values) if values else None


def _describe(o: Officer) -> str:
    roles = ",".join(sorted(r.value for r in o.roles))
    state = "active" if o.active else "deactivated"
    login = "password" if o.password_hash else ("sso" if o.external_subject else "no-login")
    return f"{o.email}\t{o.agency}\t{state}\t{roles}\t{login}\t{o.full_name}"


# --- officer ---------------------------------------------------------------------------------


@click.group()
def officer() -> None:
    """Create, list, deactivate and reactivate officers; set their roles and passwords."""


@officer.command("add")
@click.option("--agency", required=True, help="The agency's code (000.00.03.H34).")
@click.option("--name", "full_name", required=True, help="The officer's full name.")
@click.option("--email", required=True, help="The officer's email: their login.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=_ROLE,
    help="A role (repeat for several); every role when none is given.",
)
@click.option("--password", "ask", is_flag=True, help="Ask for a password on the terminal.")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--subject", default=None, help="The subject single sign-on knows them by.")
@_BY
@reports_errors
def add_officer(
    agency: str,
    full_name: str,
    email: str,
    roles: tuple[str, ...],
    ask: bool,
    from_stdin: bool,
    subject: str | None,
    by: str | None,
) -> None:
    """Add an officer to an agency of the catalog."""
    password = _password(ask, from_stdin)
    created = _run(
        lambda portal: portal.desk.register_officer(
            agency,
            full_name,
            email,
            roles=_roles(roles),
            password=password,
            external_subject=subject,
            by=_who(by),
        )
    )
    click.echo(f"added officer {created.email} ({created.id}) to {created.agency}")


@officer.command("list")
@click.option("--agency", default=None, help="Only the officers of this agency.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@reports_errors
def list_officers(agency: str | None, as_json: bool) -> None:
    """List officers: email, agency, state, roles, how they log in, name."""
    found: list[Officer] = _run(lambda portal: portal.desk.list_officers(agency))
    for o in found:
        if as_json:
            record = {
                "id": o.id,
                "email": o.email,
                "agency": str(o.agency),
                "full_name": o.full_name,
                "active": o.active,
                "roles": sorted(r.value for r in o.roles),
                "password": o.password_hash is not None,
                "external_subject": o.external_subject,
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(_describe(o))


def _officer_id(portal: Portal, email: str) -> str:
    """The id of the officer with this email (OfficerNotFound otherwise)."""
    return portal.desk.find_officer(email).id


@officer.command("deactivate")
@click.argument("email")
@_BY
@reports_errors
def deactivate_officer(email: str, by: str | None) -> None:
    """Take every right away from an officer (who left); they can do nothing."""
    changed = _run(lambda portal: portal.desk.deactivate(_officer_id(portal, email), by=_who(by)))
    click.echo(f"deactivated officer {changed.email}")


@officer.command("reactivate")
@click.argument("email")
@_BY
@reports_errors
def reactivate_officer(email: str, by: str | None) -> None:
    """Give a deactivated officer their rights back."""
    changed = _run(lambda portal: portal.desk.reactivate(_officer_id(portal, email), by=_who(by)))
    click.echo(f"reactivated officer {changed.email}")


@officer.command("roles")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, type=_ROLE, help="Repeatable.")
@_BY
@reports_errors
def officer_roles(email: str, roles: tuple[str, ...], by: str | None) -> None:
    """Replace an officer's roles (reception, processing, approval, return, accounting)."""
    chosen = _roles(roles)
    assert chosen is not None  # required=True

    changed = _run(
        lambda portal: portal.desk.change_roles(_officer_id(portal, email), chosen, by=_who(by))
    )
    click.echo(f"officer {changed.email} now holds {', '.join(sorted(roles))}")


@officer.command("set-password")
@click.argument("email")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read it from stdin.")
@_BY
@reports_errors
def set_officer_password(email: str, from_stdin: bool, by: str | None) -> None:
    """Set an officer's password (asked on the terminal unless --password-stdin)."""
    password = _password(not from_stdin, from_stdin)
    assert password is not None

    changed = _run(
        lambda portal: portal.desk.set_password(_officer_id(portal, email), password, by=_who(by))
    )
    click.echo(f"password set for officer {changed.email}")


# --- account ---------------------------------------------------------------------------------


@click.group()
def account() -> None:
    """Lock and unlock citizens' and organisations' accounts."""


@account.command("lock")
@click.argument("email")
@_BY
@reports_errors
def lock_account(email: str, by: str | None) -> None:
    """Lock an account until an administrator unlocks it."""
    locked = _run(lambda portal: portal.accounts.lock(email, by=_who(by)))
    click.echo(f"locked account {locked.email}")


@account.command("unlock")
@click.argument("email")
@_BY
@reports_errors
def unlock_account(email: str, by: str | None) -> None:
    """Lift every lock of an account (an administrator's and failed logins')."""
    unlocked = _run(lambda portal: portal.accounts.unlock(email, by=_who(by)))
    click.echo(f"unlocked account {unlocked.email}")


# --- audit -----------------------------------------------------------------------------------


@click.group()
def audit() -> None:
    """Verify the tamper-evident audit trail; take checkpoints to keep elsewhere."""


@audit.command("verify")
@click.option(
    "--checkpoint",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="A checkpoint written by 'onestop audit checkpoint' to check the chains against.",
)
@reports_errors
def verify_audit(checkpoint: TextIO | None) -> None:
    """Check every chain and every dossier's history; exit 1 and list what is wrong."""
    text = None if checkpoint is None else checkpoint.read()
    report = _run(lambda portal: portal.audit.verify(checkpoint=text))
    summary = f"{report.records} records in {report.streams} streams, {report.dossiers} dossiers"
    if report.ok:
        click.echo(f"audit trail intact: {summary}")
        return
    for problem in report.problems:
        click.echo(str(problem), err=True)
    fail(f"audit trail BROKEN: {len(report.problems)} problems; {summary}")


@audit.command("checkpoint")
@reports_errors
def checkpoint_audit() -> None:
    """Print the head of every chain (JSON) to keep where the database's admins cannot write."""
    text = _run(lambda portal: portal.audit.checkpoint())
    click.echo(text)
