"""onestop's shipped Alembic migrations, run through Alembic's API (no ``alembic.ini``).

The revisions in ``versions/`` are the single source of truth for the schema: a new empty
database is created by running them (never by ``create_all``), and a test checks that
Alembic's autogenerate finds no difference between them and :data:`~onestop.adapters.sql.
metadata`, on SQLite and on PostgreSQL. The README next to this file says how to add one.

* :func:`status` says where a database stands (:class:`SchemaState`) and what to run.
* :func:`upgrade` and :func:`downgrade` move it; ``onestop db upgrade`` calls the first.
* :func:`ensure_schema` is what :meth:`SqlStorage.from_url` runs: it creates a new empty
  database, stamps one made by :func:`~onestop.adapters.sql.create_schema` before
  migrations existed (when it matches exactly), and refuses any other database whose
  revision is not the code's, with a :class:`~onestop.errors.ConfigurationError` that
  says what to run.

Only tables named ``onestop_*`` are ours; the revision is kept in
``onestop_alembic_version``, so a host's own tables and its own Alembic history in the same
database are left alone. Migrations run in one transaction that holds a lock (``BEGIN
IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so two processes starting on a new
database do not both create it. On SQLite, foreign keys are switched off while a revision
runs (a batch "copy and move" drops a table, which would otherwise cascade-delete its
children) and checked before the commit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import attrs
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, inspect, text

from onestop.adapters.sql.errors import translate_errors
from onestop.adapters.sql.schema import UtcDateTime, metadata
from onestop.errors import ConfigurationError, OnestopError

__all__ = [
    "HERE",
    "LEGACY_TABLES",
    "TABLE_PREFIX",
    "VERSION_TABLE",
    "SchemaState",
    "SchemaStatus",
    "adopt_unprefixed",
    "configure_options",
    "differences",
    "downgrade",
    "ensure_schema",
    "head_revision",
    "history",
    "revision",
    "status",
    "upgrade",
]

#: This folder: Alembic's ``script_location``.
HERE: Final = Path(__file__).resolve().parent
#: Every table of ours starts with it.
TABLE_PREFIX: Final = "onestop_"
#: Where the revision of a database is kept (not ``alembic_version``: that one is the host's).
VERSION_TABLE: Final = "onestop_alembic_version"
#: Tables that onestop 0.1 created without a prefix and without a revision: when all of them
#: are there and none of ours, the database is from that release.
LEGACY_TABLES: Final = frozenset(
    {"dossiers", "dossier_history", "code_counters", "outbox", "procedures", "file_blobs"}
)
# Any constant: two processes migrating one PostgreSQL database wait for each other on it.
_LOCK_KEY: Final = 0x0E57_0B01


class SchemaState(enum.Enum):
    """Where a database stands against the code's migrations."""

    EMPTY = "empty"  # none of our tables: create them
    CURRENT = "current"  # at the code's head revision
    BEHIND = "behind"  # an older revision: onestop db upgrade
    AHEAD = "ahead"  # a revision this code does not know: a newer onestop wrote it
    UNSTAMPED = "unstamped"  # our tables, no revision (create_schema, before migrations)
    LEGACY = "legacy"  # onestop 0.1's unprefixed tables


@attrs.frozen
class SchemaStatus:
    """A database's revision, the code's, and what to do about the difference."""

    state: SchemaState
    revision: str | None
    head: str

    @property
    def advice(self) -> str:
        """One sentence for an operator: what the state means and what to run."""
        at = f"revision {self.revision}" if self.revision else "no revision"
        if self.state is SchemaState.CURRENT:
            return f"the database is at {at}, the code's head: nothing to do"
        if self.state is SchemaState.EMPTY:
            return (
                f"the database has no onestop tables: onestop db upgrade creates them at "
                f"{self.head}"
            )
        if self.state is SchemaState.BEHIND:
            return (
                f"the database is at {at} and this onestop needs {self.head}: back it up, "
                "then run onestop db upgrade"
            )
        if self.state is SchemaState.AHEAD:
            return (
                f"the database is at {at}, which this onestop does not know (its head is "
                f"{self.head}): a newer onestop upgraded it; install that version, or run "
                "onestop db downgrade with the newer version first"
            )
        if self.state is SchemaState.UNSTAMPED:
            return (
                f"the database has onestop tables but no revision ({VERSION_TABLE}): "
                "onestop db upgrade stamps it when its tables match the code exactly"
            )
        return (
            "the database holds tables of onestop 0.1 (dossiers, outbox, ... without the "
            "onestop_ prefix, and no revision), which this onestop does not read: back it "
            "up, then onestop db upgrade --from-unprefixed copies their rows into new "
            "onestop_ tables"
        )


def configure_options(dialect: str) -> dict[str, Any]:
    """Options for Alembic's ``context.configure``: our tables only, batch mode on SQLite."""
    return {
        "target_metadata": metadata,
        "version_table": VERSION_TABLE,
        "render_as_batch": dialect == "sqlite",
        "include_name": _include_name,
        "render_item": _render_item,
        "compare_type": True,
    }


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    del parent_names
    if type_ == "table":
        return bool(name) and str(name).startswith(TABLE_PREFIX) and name != VERSION_TABLE
    return True


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Written out in plain SQLAlchemy, so that a revision runs without importing onestop
    # (else: NameError: name 'onestop' is not defined) and never changes with the code.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return (
            "sa.String(length=32).with_variant(postgresql.TIMESTAMP(timezone=True), 'postgresql')"
        )
    return False


def _config(connection: Connection | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The revision the code expects."""
    head = _script().get_current_head()
    assert head is not None, "the package ships at least one revision"
    return head


def _status(connection: Connection) -> SchemaStatus:
    head = head_revision()
    names = set(inspect(connection).get_table_names())
    ours = {n for n in names if n.startswith(TABLE_PREFIX) and n != VERSION_TABLE}
    if VERSION_TABLE in names:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        current = context.get_current_revision()
        if current is None:
            state = SchemaState.UNSTAMPED if ours else SchemaState.EMPTY
        elif current == head:
            state = SchemaState.CURRENT
        else:
            try:
                known = _script().get_revision(current)
            except CommandError:
                known = None
            state = SchemaState.BEHIND if known is not None else SchemaState.AHEAD
        return SchemaStatus(state, current, head)
    if ours:
        return SchemaStatus(SchemaState.UNSTAMPED, None, head)
    if names >= LEGACY_TABLES:
        return SchemaStatus(SchemaState.LEGACY, None, head)
    return SchemaStatus(SchemaState.EMPTY, None, head)


def status(engine: Engine) -> SchemaStatus:
    """Where ``engine``'s database stands against the code's head revision."""
    with translate_errors("reading the database's revision"), engine.connect() as connection:
        return _status(connection)


def differences(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate finds between the database and :data:`metadata`."""
    with translate_errors("comparing the database with the code"), engine.connect() as c:
        return _differences(c)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts=configure_options(connection.dialect.name)
    )
    return list(compare_metadata(context, metadata))


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other migrating process shares."""
    sqlite = engine.dialect.name == "sqlite"
    with translate_errors("migrating the database"), engine.connect() as connection:
        if sqlite:
            # Only outside a transaction does this take effect.
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.commit()
        try:
            if sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            yield connection
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise ConfigurationError(
                        f"a migration left rows whose foreign key points nowhere: {broken[:5]}"
                    )
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                connection.commit()


def _stamp_if_it_matches(connection: Connection, head: str) -> None:
    found = _differences(connection)
    if found:
        raise ConfigurationError(
            f"the database has onestop tables but no revision ({VERSION_TABLE}), and they "
            f"differ from the code's ({len(found)} difference(s), first {found[0]!r}): "
            "onestop db check lists them; fix the tables by hand, then onestop db upgrade"
        )
    command.stamp(_config(connection), head)


def _refuse(current: SchemaStatus) -> None:
    if current.state in (SchemaState.AHEAD, SchemaState.LEGACY):
        raise ConfigurationError(current.advice)


def ensure_schema(engine: Engine) -> SchemaStatus:
    """Make a new empty database ready; refuse one whose revision is not the code's.

    Creates the tables of an empty database through the migrations and stamps one whose
    tables were made by ``create_schema`` before migrations (when they match the code);
    raises :class:`~onestop.errors.ConfigurationError` saying what to run otherwise.
    """
    found = status(engine)
    if found.state is SchemaState.CURRENT:
        return found
    if found.state not in (SchemaState.EMPTY, SchemaState.UNSTAMPED):
        raise ConfigurationError(f"cannot use this database: {found.advice}")
    with _migrating(engine) as connection:
        found = _status(connection)  # again, under the lock: another process may have won
        if found.state is SchemaState.EMPTY:
            command.upgrade(_config(connection), found.head)
        elif found.state is SchemaState.UNSTAMPED:
            _stamp_if_it_matches(connection, found.head)
        elif found.state is not SchemaState.CURRENT:
            raise ConfigurationError(f"cannot use this database: {found.advice}")
        return _status(connection)


def upgrade(engine: Engine, revision: str = "heads") -> tuple[SchemaStatus, SchemaStatus]:
    """Create or upgrade the database to ``revision`` (the code's head by default).

    Returns where it stood before and after. A database made before migrations is
    stamped first (when its tables match); one from onestop 0.1, or from a newer onestop,
    is refused.
    """
    with _migrating(engine) as connection:
        before = _status(connection)
        _refuse(before)
        if before.state is SchemaState.UNSTAMPED:
            _stamp_if_it_matches(connection, before.head)
        _alembic(command.upgrade, connection, revision)
        return before, _status(connection)


def adopt_unprefixed(engine: Engine) -> dict[str, int]:
    """Create the tables of a onestop 0.1 database anew and copy every row into them.

    Returns the rows copied by table. Runs in one transaction: the new ``onestop_*``
    tables are made by the migrations, each 0.1 table's rows are copied (the columns both
    have; a column added since takes its default), and the counts are checked. The 0.1
    tables are left as they were, for the operator to drop once the portal runs.
    """
    with _migrating(engine) as connection:
        found = _status(connection)
        if found.state is not SchemaState.LEGACY:
            raise ConfigurationError(f"no onestop 0.1 tables to copy: {found.advice}")
        command.upgrade(_config(connection), found.head)
        inspector = inspect(connection)
        quote = connection.dialect.identifier_preparer.quote
        copied: dict[str, int] = {}
        for table in metadata.sorted_tables:
            old = table.name.removeprefix(TABLE_PREFIX)
            if not inspector.has_table(old):
                continue
            old_columns = {column["name"] for column in inspector.get_columns(old)}
            names = ", ".join(quote(c.name) for c in table.columns if c.name in old_columns)
            connection.execute(
                text(f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {quote(old)}")
            )
            count = "SELECT COUNT(*) FROM {}"
            before = connection.execute(text(count.format(quote(old)))).scalar_one()
            after = connection.execute(text(count.format(quote(table.name)))).scalar_one()
            if before != after:  # pragma: no cover - an INSERT ... SELECT copies every row
                raise ConfigurationError(f"copied {after} of the {before} rows of {old}")
            copied[old] = int(after)
        return copied


def downgrade(engine: Engine, revision: str) -> tuple[SchemaStatus, SchemaStatus]:
    """Take the database back to ``revision`` (``base`` drops every onestop table)."""
    with _migrating(engine) as connection:
        before = _status(connection)
        _refuse(before)
        if before.state in (SchemaState.EMPTY, SchemaState.UNSTAMPED):
            raise ConfigurationError(f"nothing to downgrade: {before.advice}")
        _alembic(command.downgrade, connection, revision)
        return before, _status(connection)


def _alembic(run: Any, connection: Connection, revision: str) -> None:
    try:
        run(_config(connection), revision)
    except CommandError as e:
        raise ConfigurationError(f"{e} (onestop db history lists the revisions)") from e


def history() -> list[tuple[str, str | None, str]]:
    """Every shipped revision, oldest first: (revision, the one before, its message)."""
    revisions = list(_script().walk_revisions())
    return [
        (r.revision, r.down_revision if isinstance(r.down_revision, str) else None, r.doc or "")
        for r in reversed(revisions)
    ]


def revision(engine: Engine, message: str, rev_id: str) -> str:
    """Write a new revision autogenerated against ``engine``'s database (at the head).

    For developers of onestop (see the README in this folder); returns the file's path.
    """
    with translate_errors("comparing the database with the code"), engine.connect() as c:
        script = command.revision(_config(c), message=message, autogenerate=True, rev_id=rev_id)
    if script is None or isinstance(script, list):  # pragma: no cover - one head, one script
        raise OnestopError("alembic wrote no single revision")
    return str(script.path)
