"""The shipped migrations: they agree with ``metadata``, round-trip, keep the rows, and
``SqlStorage.from_url`` creates, stamps or refuses a database by its revision.

Each test gets a database of its own: a new SQLite file, or a new PostgreSQL database
created (and dropped) on the server of ``ONESTOP_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import require_module

require_module("alembic")

import sqlalchemy as sa  # noqa: E402

from onestop import bootstrap  # noqa: E402
from onestop.adapters import FakePaymentGateway, InMemoryMailTransport, ManualClock  # noqa: E402
from onestop.adapters.sql import SqlStorage, metadata, migrations  # noqa: E402
from onestop.adapters.sql.migrations import SchemaState  # noqa: E402
from onestop.domain import VN_TZ  # noqa: E402
from onestop.errors import ConfigurationError  # noqa: E402
from tests.adapters.sql_support import new_postgres_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "examples" / "data" / "kontum-catalog.json"
SECRET = "a-secret-key-for-the-migration-tests-0123"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database of this test's own, with nothing in it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.db'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    with new_postgres_database(server, "onestop_migrations") as url:
        yield url


@pytest.fixture
def engine(new_url: str) -> Iterator[sa.Engine]:
    storage = SqlStorage.from_url(new_url, create=False)
    yield storage.engine
    storage.close()


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def every_row(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in connection.execute(sa.select(table))), key=repr
            )
            for table in metadata.sorted_tables
        }


# --- the revisions and the metadata ---------------------------------------------------------


def test_migrations_and_metadata_agree(engine: sa.Engine) -> None:
    """Autogenerate finds nothing: whoever changes schema.py must write the revision too."""
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    assert table_names(engine) == {*metadata.tables, migrations.VERSION_TABLE}


def test_upgrade_downgrade_upgrade_round_trips_revision_by_revision(engine: sa.Engine) -> None:
    for revision, before, _message in migrations.history():
        migrations.upgrade(engine, revision)
        assert migrations.status(engine).revision == revision
        migrations.downgrade(engine, before or "base")
        assert migrations.status(engine).revision == before
        migrations.upgrade(engine, revision)
    assert migrations.status(engine).state is SchemaState.CURRENT
    migrations.downgrade(engine, "base")
    assert table_names(engine) <= {migrations.VERSION_TABLE}
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []


def portal_on(url: str) -> Any:
    clock = ManualClock(dt.datetime(2022, 6, 22, 9, tzinfo=VN_TZ))
    return bootstrap(
        database_url=url,
        clock=clock,
        mail_transport=InMemoryMailTransport(),
        payment_gateway=FakePaymentGateway(),
        secret_key=SECRET,
        environ={},
    )


def submit_one(portal: Any) -> tuple[str, str]:
    """A citizen registers, verifies, and submits a dossier with files: (account, dossier)."""
    portal.catalog.load_json(CATALOG)
    account = portal.accounts.register_citizen(
        "nguyen.van.a@example.vn", "Mat-khau-an-toan-1", "Nguyễn Văn A", phone="0987 654 321"
    )
    portal.dispatcher.dispatch_once()
    sent = portal.context.mail_transport.sent
    token = re.search(r"token=([\w.=-]+)", sent[-1].message.text)
    assert token is not None
    portal.accounts.verify(token.group(1))
    draft = portal.dossiers.start_draft(account.id, "1.001612")
    for component in draft.procedure.components:
        portal.dossiers.attach(
            account.id,
            draft.id,
            component.id,
            PDF,
            filename=f"{component.id}.pdf",
            media_type="application/pdf",
        )
    submitted = portal.dossiers.submit(account.id, draft.id, idempotency_key=draft.id)
    return account.id, submitted.id


def test_a_database_filled_by_a_real_submission_survives_an_upgrade(new_url: str) -> None:
    with portal_on(new_url) as portal:
        account_id, dossier_id = submit_one(portal)
        engine = portal.storage.engine
        before = every_row(engine)
        assert before["onestop_dossiers"] and before["onestop_dossier_history"]
        assert before["onestop_outbox"] and before["onestop_file_blobs"]
        migrations.upgrade(engine)
        assert every_row(engine) == before
        code = portal.dossiers.get(account_id, dossier_id).code
    with portal_on(new_url) as again:
        assert again.dossiers.get(account_id, dossier_id).code == code


def test_downgrading_and_upgrading_again_keeps_every_row(new_url: str) -> None:
    """Revisions that add columns or tables for data the documents already hold fill them
    from the documents: after ``db downgrade`` and ``db upgrade`` every row is as it was (a
    linked national identity, digitised and result files, the due-date history)."""
    from onestop.domain.calendar import WorkingCalendar
    from onestop.domain.dossier import Actor
    from onestop.domain.national_identity import NationalIdentity
    from onestop.testing import builders

    storage = SqlStorage.from_url(new_url)
    account = builders.account()
    account.link_national_identity(
        NationalIdentity.vouched(
            "vneid-x", "https://sso.example.vn", 2, account.profile.id_number, builders.T0
        )
    )
    clerk = Actor.officer("officer-1", "Lê Văn Cường")
    dossier = builders.submitted_dossier(owner_id=account.id, seq=1)
    component = dossier.procedure.mandatory_components()[0].id
    hour = dt.timedelta(hours=1)
    dossier.receive(officer=clerk, now=builders.T0 + hour, calendar=WorkingCalendar())
    dossier.digitise(
        officer=clerk,
        now=builders.T0 + 2 * hour,
        component_id=component,
        file=builders.file_ref(b"%PDF-1.4 scan"),
    )
    dossier.start_processing(officer=clerk, now=builders.T0 + 3 * hour)
    dossier.add_result(
        officer=clerk, now=builders.T0 + 4 * hour, file=builders.file_ref(b"%PDF-1.4 kq")
    )
    with storage.unit_of_work() as uow:
        uow.accounts.add(account)
        uow.dossiers.add(dossier)
        uow.commit()
    engine = storage.engine
    before = every_row(engine)
    assert before["onestop_dossier_due_dates"]
    storage.close()

    migrations.downgrade(engine, "0005")
    migrations.upgrade(engine)

    assert every_row(engine) == before
    again = SqlStorage.from_url(new_url, create=False)
    with again.unit_of_work() as uow:
        found = uow.accounts.find_by_national_subject("vneid-x")
        assert found is not None and found.id == account.id
    again.close()


def test_the_rows_of_an_onestop_0_1_database_are_copied_into_new_tables(new_url: str) -> None:
    with portal_on(new_url) as portal:
        account_id, dossier_id = submit_one(portal)
        engine = portal.storage.engine
        before = every_row(engine)
        # What 0.1 left: the same tables without the prefix, and no revision.
        with engine.begin() as connection:
            for table in metadata.sorted_tables:
                old = table.name.removeprefix("onestop_")
                connection.execute(sa.text(f"CREATE TABLE {old} AS SELECT * FROM {table.name}"))
        metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP TABLE {migrations.VERSION_TABLE}"))
        assert migrations.status(engine).state is SchemaState.LEGACY

        copied = migrations.adopt_unprefixed(engine)

        assert copied["dossiers"] == 1
        assert migrations.status(engine).state is SchemaState.CURRENT
        assert migrations.differences(engine) == []
        assert every_row(engine) == before
        assert "dossiers" in table_names(engine)  # left for the operator to drop
    with portal_on(new_url) as again:
        assert again.dossiers.get(account_id, dossier_id).code is not None


def test_a_revision_runs_without_importing_onestop() -> None:
    """Custom column types are written out in SQLAlchemy (no NameError: name 'onestop')."""
    for path in (migrations.HERE / "versions").glob("r*.py"):
        text = path.read_text(encoding="utf-8")
        assert "onestop." not in text.replace("onestop_", ""), path.name


def test_autogenerate_renders_the_instant_type_with_its_import(tmp_path: Path) -> None:
    from alembic.autogenerate import produce_migrations, render_python_code
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts=migrations.configure_options("sqlite")
        )
        code = render_python_code(
            produce_migrations(context, metadata).upgrade_ops,  # type: ignore[arg-type]
            render_item=migrations.configure_options("sqlite")["render_item"],
        )
    engine.dispose()
    assert "onestop.adapters" not in code
    assert "postgresql.TIMESTAMP(timezone=True)" in code


# --- what from_url (and so bootstrap) does with each kind of database -----------------------


def test_from_url_creates_a_new_database_through_the_migrations(new_url: str) -> None:
    storage = SqlStorage.from_url(new_url)
    try:
        assert migrations.status(storage.engine).state is SchemaState.CURRENT
    finally:
        storage.close()


def test_from_url_refuses_a_database_behind_the_code_saying_what_to_run(
    engine: sa.Engine, new_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations.upgrade(engine)
    head = migrations.head_revision()
    # As if this onestop shipped a revision after the database's.
    monkeypatch.setattr(migrations, "head_revision", lambda: "9999")
    monkeypatch.setattr(migrations, "_status", _pretend_head(migrations._status, "9999"))
    with pytest.raises(ConfigurationError, match=f"at revision {head}.*onestop db upgrade"):
        SqlStorage.from_url(new_url)


def _pretend_head(real: Any, head: str) -> Any:
    def status(connection: sa.Connection) -> migrations.SchemaStatus:
        found = real(connection)
        if found.revision is not None:
            return migrations.SchemaStatus(SchemaState.BEHIND, found.revision, head)
        return found

    return status


def test_from_url_refuses_a_database_ahead_of_the_code(engine: sa.Engine, new_url: str) -> None:
    migrations.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {migrations.VERSION_TABLE} SET version_num = 'f00d'"))
    with pytest.raises(ConfigurationError, match=r"revision f00d.*newer onestop"):
        SqlStorage.from_url(new_url)
    with pytest.raises(ConfigurationError, match="newer onestop"):
        migrations.upgrade(engine)


def test_tables_made_by_create_all_are_recognised_and_stamped(
    engine: sa.Engine, new_url: str
) -> None:
    metadata.create_all(engine)
    assert migrations.status(engine).state is SchemaState.UNSTAMPED
    SqlStorage.from_url(new_url).close()
    assert migrations.status(engine).state is SchemaState.CURRENT


def test_unstamped_tables_that_differ_are_refused_not_recreated(
    engine: sa.Engine, new_url: str
) -> None:
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE onestop_tokens"))
    with pytest.raises(ConfigurationError, match="differ from the code"):
        SqlStorage.from_url(new_url)
    assert "onestop_tokens" not in table_names(engine)


def test_a_database_of_onestop_0_1_is_detected_and_left_alone(
    engine: sa.Engine, new_url: str
) -> None:
    legacy = sa.MetaData()
    for table in metadata.sorted_tables:
        sa.Table(
            table.name.removeprefix("onestop_"),
            legacy,
            *(sa.Column(c.name, sa.Text) for c in table.columns),
        )
    legacy.create_all(engine)
    with pytest.raises(ConfigurationError, match=r"onestop 0\.1"):
        SqlStorage.from_url(new_url)
    with pytest.raises(ConfigurationError, match=r"onestop 0\.1"):
        migrations.upgrade(engine)
    assert not any(name.startswith("onestop_") for name in table_names(engine))


def test_a_hosts_own_tables_and_alembic_history_are_left_alone(
    engine: sa.Engine, new_url: str
) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE accounts (id INTEGER PRIMARY KEY)"))
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('hosts-own')"))
    SqlStorage.from_url(new_url).close()
    assert migrations.differences(engine) == []
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
            ("hosts-own",)
        ]
    migrations.downgrade(engine, "base")
    assert {"accounts", "alembic_version"} <= table_names(engine)
