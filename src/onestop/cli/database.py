"""``onestop db``: create, upgrade, downgrade and check the database's schema.

Wraps the shipped migrations (:mod:`onestop.adapters.sql.migrations`); there is no
``alembic.ini`` to edit. The database is ``--database-url`` or ``ONESTOP_DATABASE_URL``.
"""

from __future__ import annotations

import click

from onestop.cli._support import fail, open_engine, reports_errors

__all__ = ["db"]

_URL = click.option(
    "--database-url",
    metavar="URL",
    help="The database (default: ONESTOP_DATABASE_URL).",
)


@click.group()
def db() -> None:
    """Create, upgrade and check the database's schema (the shipped migrations)."""


@db.command()
@_URL
@click.option("--revision", default="heads", show_default=True, help="The revision to upgrade to.")
@click.option(
    "--from-unprefixed",
    is_flag=True,
    help="Copy the rows of onestop 0.1's tables (no onestop_ prefix) into new tables.",
)
@reports_errors
def upgrade(database_url: str | None, revision: str, from_unprefixed: bool) -> None:
    """Create the tables of a new database, or upgrade one to this onestop's revision.

    Back the database up first: a revision may rewrite tables. A database made before
    migrations existed is stamped when its tables match exactly; one of onestop 0.1 is
    refused unless --from-unprefixed copies its rows into new onestop_ tables (the old
    tables stay, for you to drop once the portal runs).
    """
    from onestop.adapters.sql import migrations

    with open_engine(database_url) as engine:
        if from_unprefixed:
            copied = migrations.adopt_unprefixed(engine)
            for table, rows in copied.items():
                click.echo(f"{table}: {rows} row(s) copied to onestop_{table}")
            click.echo(
                f"copied {sum(copied.values())} row(s) into revision "
                f"{migrations.head_revision()}; the old tables are untouched: drop them "
                "once the portal runs"
            )
            return
        before, after = migrations.upgrade(engine, revision)
        where = engine.url.render_as_string(hide_password=True)
    if before.revision == after.revision:
        click.echo(f"{where}: already at revision {after.revision}; nothing to do")
    else:
        click.echo(f"{where}: upgraded from {before.revision or 'nothing'} to {after.revision}")


@db.command()
@click.argument("revision")
@_URL
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@reports_errors
def downgrade(revision: str, database_url: str | None, yes: bool) -> None:
    """Take the database back to REVISION (an id, -1 for one step, base for nothing).

    Data in what the revisions undo is lost: ``base`` drops every onestop table.
    """
    from onestop.adapters.sql import migrations

    with open_engine(database_url) as engine:
        current = migrations.status(engine)
        if not yes:
            click.confirm(
                f"Downgrade from revision {current.revision} to {revision}? Data in the "
                "tables and columns it removes is lost",
                abort=True,
                err=True,
            )
        before, after = migrations.downgrade(engine, revision)
    click.echo(f"downgraded from {before.revision} to {after.revision or 'nothing (base)'}")


@db.command()
@_URL
@reports_errors
def current(database_url: str | None) -> None:
    """Print the database's revision (or "none") and what it means."""
    from onestop.adapters.sql import migrations

    with open_engine(database_url) as engine:
        found = migrations.status(engine)
    click.echo(f"{found.revision or 'none'} ({found.state.value}): {found.advice}")


@db.command()
@_URL
@reports_errors
def check(database_url: str | None) -> None:
    """Exit 0 when the database is at this onestop's revision and its tables match, else 1."""
    from onestop.adapters.sql import migrations

    with open_engine(database_url) as engine:
        found = migrations.status(engine)
        if found.state is not migrations.SchemaState.CURRENT:
            fail(found.advice)
        drift = migrations.differences(engine)
    if drift:
        fail(
            f"the database is at revision {found.revision} but its tables differ from the "
            f"code's in {len(drift)} way(s), first {drift[0]!r}"
        )
    click.echo(f"ok: revision {found.revision}, tables as the code expects")


@db.command()
@reports_errors
def history() -> None:
    """List the shipped revisions, oldest first."""
    from onestop.adapters.sql import migrations

    head = migrations.head_revision()
    for revision, _before, message in migrations.history():
        mark = " (head)" if revision == head else ""
        click.echo(f"{revision}{mark}  {message.splitlines()[0] if message else ''}")
