"""What only the SQL adapter has: real constraints, time zones, child rows, the file store,
URLs, failure injection through the whole submission, and the stateful sequencing machine."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop import bootstrap
from onestop.adapters.clocks import FixedClock, ManualClock
from onestop.adapters.memory_edges import InMemoryMailTransport
from onestop.adapters.sql import SqlFileStore, SqlStorage, create_schema, metadata
from onestop.adapters.sql import schema as t
from onestop.bootstrap import Portal
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import SCHEME_WIDE, VN_TZ, local_day
from onestop.domain.dossier import Actor, Dossier
from onestop.errors import (
    AttachmentTooLarge,
    ConfigurationError,
    DuplicateError,
    FileNotFoundInStore,
    InvalidAttachment,
    NaiveDatetime,
    StorageError,
)
from onestop.testing import builders
from onestop.testing.sequencing import code_sequencing_machine, fail_on_setter
from tests.adapters.sql_support import postgres_storage, sqlite_storage

SECRET = "a-test-secret-of-enough-bytes-0123456789"


@pytest.fixture
def storage(sql_url: str) -> Iterator[SqlStorage]:
    storage = SqlStorage.from_url(sql_url, busy_timeout=5.0)
    try:
        yield storage
    finally:
        storage.close()


def _add(storage: SqlStorage, *records: Any) -> None:
    with storage.unit_of_work() as uow:
        for record in records:
            put: dict[str, Callable[[Any], None]] = {
                "Account": uow.accounts.add,
                "Dossier": uow.dossiers.add,
                "Agency": uow.catalog.put_agency,
                "Field": uow.catalog.put_field,
                "Procedure": uow.catalog.put_procedure,
            }
            put[type(record).__name__](record)
        uow.commit()


def _raw_insert_fails(storage: SqlStorage, table: sa.Table, row: dict[str, Any]) -> None:
    with pytest.raises(sa.exc.IntegrityError), storage.engine.begin() as connection:
        connection.execute(table.insert(), row)


# --- constraints in the database, not only in Python ---------------------------------------


def test_database_refuses_a_second_dossier_with_the_same_agency_day_and_number(
    storage: SqlStorage,
) -> None:
    first = builders.submitted_dossier(seq=7)
    _add(storage, first)
    with storage.engine.connect() as connection:
        row = dict(
            connection.execute(sa.select(t.dossiers).where(t.dossiers.c.id == first.id))
            .mappings()
            .one()
        )
    # Same (agency, day, seq) written under another scheme: other text, same number.
    _raw_insert_fails(storage, t.dossiers, row | {"id": "other", "code": "other-text"})
    _raw_insert_fails(storage, t.dossiers, row | {"id": "other", "code_seq": 8})  # same text
    _raw_insert_fails(
        storage,
        t.dossiers,
        row | {"id": "other", "code": None, "code_agency": None, "code_day": None},
    )


def test_database_refuses_a_reused_idempotency_key_and_orphans(storage: SqlStorage) -> None:
    first = builders.submitted_dossier(idempotency_key="click-1")
    _add(storage, first)
    with storage.engine.connect() as connection:
        row = dict(
            connection.execute(sa.select(t.dossiers).where(t.dossiers.c.id == first.id))
            .mappings()
            .one()
        )
    fresh = {"code": None, "code_agency": None, "code_day": None, "code_seq": None}
    _raw_insert_fails(storage, t.dossiers, row | fresh | {"id": "other", "code_scheme": None})
    history = {
        "dossier_id": "no-such-dossier",
        "position": 0,
        "at": builders.T0,
        "actor_kind": "system",
        "actor_id": "system",
        "actor_name": "",
        "action": "x",
        "from_status": None,
        "to_status": "draft",
        "note": "",
    }
    _raw_insert_fails(storage, t.dossier_history, history)
    procedure = {"code": "9.999", "agency": "000.00.99.H34", "field": "f", "name": "n", "doc": ""}
    _raw_insert_fails(storage, t.procedures, procedure)


def test_duplicate_code_through_update_names_the_rule(storage: SqlStorage) -> None:
    taken = builders.submitted_dossier(seq=1)
    draft = builders.draft_dossier()
    _add(storage, taken, draft)
    with storage.unit_of_work() as uow:
        loaded = uow.dossiers.get(draft.id)
        assert taken.code is not None
        loaded.submit(code=taken.code, now=builders.T0)
        with pytest.raises(DuplicateError) as caught:
            uow.dossiers.update(loaded)
        assert caught.value.field == "dossier.code"
        # Raised from the driver's own error (sqlite3 or psycopg), kept as the cause.
        assert type(caught.value.__cause__).__name__ in ("IntegrityError", "UniqueViolation")


def test_wide_scheme_code_keeps_its_scheme(storage: SqlStorage) -> None:
    dossier = builders.submitted_dossier()
    assert dossier.code is not None
    dossier.code = builders.dossier_code(123456, scheme=SCHEME_WIDE)
    _add(storage, dossier)
    with storage.unit_of_work() as uow:
        code = uow.dossiers.get(dossier.id).code
        assert code is not None
        assert str(code) == "000.00.03.H34-20220622-123456"
        assert uow.dossiers.get_by_code(code).id == dossier.id


# --- time zones ----------------------------------------------------------------------------


def test_instants_come_back_aware_in_utc_and_sort_as_instants(storage: SqlStorage) -> None:
    owner = "owner-tz"
    # 09:00 in Vietnam is 02:00 UTC: earlier than 03:00 UTC although "09" > "03".
    vietnam = builders.draft_dossier(owner_id=owner, now=dt.datetime(2022, 6, 22, 9, tzinfo=VN_TZ))
    utc = builders.draft_dossier(owner_id=owner, now=dt.datetime(2022, 6, 22, 3, tzinfo=dt.UTC))
    _add(storage, vietnam, utc)
    with storage.unit_of_work() as uow:
        newest_first = uow.dossiers.list_by_owner(owner)
    assert [d.id for d in newest_first] == [utc.id, vietnam.id]
    with storage.engine.connect() as connection:
        stored = connection.execute(
            sa.select(t.dossiers.c.created_at).where(t.dossiers.c.id == vietnam.id)
        ).scalar_one()
    assert stored.utcoffset() == dt.timedelta(0)
    assert stored == dt.datetime(2022, 6, 22, 2, tzinfo=dt.UTC)


def test_a_naive_instant_is_refused_not_guessed(storage: SqlStorage) -> None:
    with pytest.raises(sa.exc.StatementError) as caught, storage.engine.begin() as connection:
        connection.execute(
            t.tokens.insert(), {"token_id": "naive", "used_at": dt.datetime(2022, 6, 22, 9)}
        )
    assert isinstance(caught.value.orig, NaiveDatetime)


# --- child rows ----------------------------------------------------------------------------


def _children(storage: SqlStorage, dossier_id: str) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with storage.engine.connect() as connection:
        for table in (t.dossier_files, t.dossier_fee_lines, t.dossier_history):
            rows = connection.execute(
                sa.select(table).where(table.c.dossier_id == dossier_id).order_by(table.c.position)
            ).all()
            out[table.name.removeprefix("onestop_")] = [tuple(r)[2:] for r in rows]
    return out


def test_child_rows_follow_every_update(storage: SqlStorage) -> None:
    draft = builders.draft_dossier()
    _add(storage, draft)
    # Changed in one unit of work after reading it there (appends only) ...
    with storage.unit_of_work() as uow:
        loaded = uow.dossiers.get(draft.id)
        loaded.attach("giay-de-nghi", builders.file_ref(b"second"))
        uow.dossiers.update(loaded)
        uow.commit()
    # ... then updated from a copy read in another unit of work (rewrites), detaching.
    with storage.unit_of_work() as uow:
        elsewhere = uow.dossiers.get(draft.id)
    elsewhere.detach("giay-de-nghi", elsewhere.attachments[0].file.key)
    elsewhere.submit(code=builders.dossier_code(3), now=builders.T0)
    with storage.unit_of_work() as uow:
        uow.dossiers.update(elsewhere)
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.dossiers.get(draft.id)

    rows = _children(storage, draft.id)
    assert [r[1] for r in rows["dossier_files"]] == [a.file.key for a in stored.attachments]
    assert len(stored.attachments) == 1
    assert [(r[0], r[1], r[2], r[3]) for r in rows["dossier_fee_lines"]] == [
        (f.kind.value, f.quantity, f.unit_amount, f.amount) for f in stored.fee_lines
    ]
    assert [r[4] for r in rows["dossier_history"]] == [h.action for h in stored.history]
    assert [r[4] for r in rows["dossier_history"]][-1] == "submitted"


def test_deleting_a_draft_deletes_its_child_rows(storage: SqlStorage) -> None:
    draft = builders.draft_dossier()
    _add(storage, draft)
    with storage.unit_of_work() as uow:
        uow.dossiers.delete_draft(draft.id)
        uow.commit()
    assert _children(storage, draft.id) == {
        "dossier_files": [],
        "dossier_fee_lines": [],
        "dossier_history": [],
    }


def test_due_dates_are_rows_and_columns_kept_in_step(storage: SqlStorage) -> None:
    """Receipt, supplement (restart) and apology: the dossier row carries the current due
    date and instant, ``onestop_dossier_due_dates`` one row per due date, appended as the
    dossier changes, and the dossier reads back with its whole due-date history."""
    calendar = WorkingCalendar()
    clerk = Actor.officer("officer-1", "Trần Thị Bình")
    procedure = builders.procedure(working_days=None, working_hours=8, supplement_rule="restart")
    dossier = builders.submitted_dossier(procedure=procedure)  # Wednesday 22/06/2022 09:30
    _add(storage, dossier)
    steps: list[Callable[[Dossier], object]] = [
        lambda d: d.receive(
            officer=clerk, now=builders.T0 + dt.timedelta(hours=1), calendar=calendar
        ),
        lambda d: d.request_supplement(
            officer=clerk, now=builders.T0 + dt.timedelta(hours=2), note="Bổ sung"
        ),
        lambda d: d.resubmit(
            actor=Actor.applicant(d.owner_id),
            now=builders.T0 + dt.timedelta(days=1),
            calendar=calendar,
        ),
        lambda d: d.reschedule(
            officer=clerk,
            now=builders.T0 + dt.timedelta(days=1, hours=1),
            new_due_date=dt.date(2022, 6, 28),
            reason="Cần xác minh",
            calendar=calendar,
        ),
    ]
    for step in steps:
        with storage.unit_of_work() as uow:
            loaded = uow.dossiers.get(dossier.id)
            step(loaded)
            uow.dossiers.update(loaded)
            uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.dossiers.get(dossier.id)
    assert [c.reason.value for c in stored.due_dates] == ["receipt", "supplement", "apology"]
    assert stored.due_dates[0].due_at == dt.datetime(2022, 6, 23, 10, 30, tzinfo=VN_TZ)
    with storage.engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                t.dossier_due_dates.c.due_date,
                t.dossier_due_dates.c.due_at,
                t.dossier_due_dates.c.reason,
                t.dossier_due_dates.c.actor_id,
            )
            .where(t.dossier_due_dates.c.dossier_id == dossier.id)
            .order_by(t.dossier_due_dates.c.position)
        ).all()
        row = connection.execute(
            sa.select(t.dossiers.c.due_date, t.dossiers.c.due_at).where(
                t.dossiers.c.id == dossier.id
            )
        ).one()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (c.due_date, c.due_at, c.reason.value, c.by.id) for c in stored.due_dates
    ]
    assert tuple(row) == (dt.date(2022, 6, 28), None)


# --- failure injection through the whole submission ----------------------------------------


def _portal(storage: SqlStorage, mail: InMemoryMailTransport) -> Portal:
    return bootstrap(
        storage=storage,
        clock=FixedClock(builders.T0),
        mail_transport=mail,
        secret_key=SECRET,
        calendar=WorkingCalendar(),
        environ={},
    )


def test_outbox_failing_mid_submission_leaves_no_dossier_mail_or_number(
    storage: SqlStorage,
) -> None:
    account = builders.account()
    draft = builders.draft_dossier(owner_id=account.id)
    _add(storage, builders.agency(), builders.field(), builders.procedure(), account, draft)
    mail = InMemoryMailTransport()
    portal = _portal(storage, mail)
    day = local_day(builders.T0)

    storage.fail_on = {"outbox.add"}
    with pytest.raises(StorageError, match=r"outbox\.add"):
        portal.dossiers.submit(account.id, draft.id, idempotency_key="k")
    storage.fail_on = set()

    with storage.unit_of_work() as uow:
        still = uow.dossiers.get(draft.id)
        assert still.code is None
        assert still.version == draft.version
        assert uow.dossiers.list_by_agency(builders.AGENCY) == []
        assert uow.dossiers.find_by_idempotency_key(account.id, "k") is None
        assert uow.codes.peek(builders.AGENCY, day) == 0
        assert uow.outbox.list() == []
    portal.dispatcher.dispatch_once()
    assert mail.sent == []

    submitted = portal.dossiers.submit(account.id, draft.id, idempotency_key="k")
    assert submitted.code is not None
    assert submitted.code.seq == 1, "the failed submission gave its number back"
    portal.dispatcher.dispatch_once()
    assert len(mail.sent) == 1


def test_unknown_failure_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"outbox\.ad"):
        sqlite_storage(tmp_path, fail_on={"outbox.ad"})


# --- URLs, opening, closing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "mysql+pymysql://u:p@localhost/db",
        "oracle://u:p@h/db",
        "sqlite://",
        "sqlite:///:memory:",
    ],
)
def test_unsupported_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        SqlStorage.from_url(url)


def test_unreachable_postgresql_is_a_storage_error() -> None:
    with pytest.raises(StorageError) as caught:
        SqlStorage.from_url(
            "postgresql://nobody:nothing@127.0.0.1:9/none", connect_args={"connect_timeout": 2}
        )
    assert caught.value.__cause__ is not None


def test_sqlite_is_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    storage = sqlite_storage(tmp_path, busy_timeout=2.5)
    try:
        with storage.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2500
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        storage.close()


def test_a_waiting_sqlite_writer_times_out_as_a_storage_error(tmp_path: Path) -> None:
    storage = sqlite_storage(tmp_path, busy_timeout=0.2)
    try:
        with storage.unit_of_work() as holder, storage.unit_of_work() as waiter:
            holder.tokens.consume("a", now=builders.T0)
            with pytest.raises(StorageError, match="write lock"):
                waiter.tokens.consume("b", now=builders.T0)
    finally:
        storage.close()


def test_closed_storage_refuses_units_of_work(tmp_path: Path) -> None:
    storage = sqlite_storage(tmp_path)
    storage.close()
    with pytest.raises(StorageError, match="closed"):
        storage.unit_of_work()


def test_create_schema_is_idempotent_and_metadata_lists_every_table(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    create_schema(engine)
    create_schema(engine)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert names - {"onestop_alembic_version"} == set(metadata.tables)
    assert all(name.startswith("onestop_") for name in names)  # no clash with a host's tables
    bare = {name.removeprefix("onestop_") for name in names}
    assert {"accounts", "officers", "agencies", "fields", "procedures", "dossiers"} <= bare
    assert {"dossier_files", "dossier_fee_lines", "dossier_history", "payments"} <= bare
    assert {"outbox", "code_counters", "tokens", "file_blobs"} <= bare


def test_bootstrap_from_the_environment_continues_the_sequence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    account = builders.account()
    codes = []
    for run in range(2):
        with bootstrap(
            clock=FixedClock(builders.T0),
            secret_key=SECRET,
            calendar=WorkingCalendar(),
            environ={"ONESTOP_DATABASE_URL": url, "ONESTOP_ALLOW_FAKES": "1"},
        ) as portal:
            assert isinstance(portal.storage, SqlStorage)
            assert isinstance(portal.context.file_store, SqlFileStore)
            with portal.storage.unit_of_work() as uow:
                # The catalog is put again on every run: insert or replace.
                uow.catalog.put_agency(builders.agency())
                uow.catalog.put_field(builders.field())
                uow.catalog.put_procedure(builders.procedure())
                if run == 0:
                    uow.accounts.add(account)
                uow.commit()
            draft = portal.dossiers.start_draft(account.id, builders.PROCEDURE_CODE)
            portal.dossiers.attach(
                account.id,
                draft.id,
                "giay-de-nghi",
                b"%%PDF-1.4 run %d" % run,
                filename="don.pdf",
                media_type="application/pdf",
            )
            codes.append(str(portal.dossiers.submit(account.id, draft.id).code))
    assert codes == ["000.00.03.H34-220622-0001", "000.00.03.H34-220622-0002"]


# --- the file store ------------------------------------------------------------------------


@pytest.fixture
def files(storage: SqlStorage) -> SqlFileStore:
    return SqlFileStore(storage.engine, chunk_size=7)


def test_files_are_content_addressed_and_kept_once(files: SqlFileStore) -> None:
    first = files.put(b"%PDF-1.4 a", name="a.pdf", media_type="application/pdf")
    again = files.put(io.BytesIO(b"%PDF-1.4 a"), name="b.pdf", media_type="application/pdf")
    assert first.key == again.key == first.sha256
    assert (first.name, again.name) == ("a.pdf", "b.pdf")
    assert files.get(first.key) == b"%PDF-1.4 a"
    assert files.exists(first.key)
    with files._engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(t.file_blobs)).scalar() == 1
        )


def test_too_large_files_are_refused_and_not_kept(files: SqlFileStore) -> None:
    with pytest.raises(AttachmentTooLarge):
        files.put(b"x" * 11, name="a.pdf", media_type="application/pdf", max_bytes=10)
    with pytest.raises(AttachmentTooLarge):
        files.put(io.BytesIO(b"x" * 100), name="a.pdf", media_type="application/pdf", max_bytes=10)
    with files._engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(t.file_blobs)).scalar() == 0
        )
    ref = files.put(b"x" * 10, name="a.pdf", media_type="application/pdf", max_bytes=10)
    assert ref.size == 10


def test_unknown_files_and_bad_names(files: SqlFileStore) -> None:
    assert not files.exists("0" * 64)
    with pytest.raises(FileNotFoundInStore):
        files.get("0" * 64)
    with pytest.raises(InvalidAttachment):
        files.put(b"x", name="", media_type="application/pdf")


@given(content=st.binary(max_size=300), chunk=st.integers(1, 64))
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_bytes_come_back_unchanged(tmp_path: Path, content: bytes, chunk: int) -> None:
    storage = sqlite_storage(Path(tempfile.mkdtemp(dir=tmp_path)))
    try:
        files = SqlFileStore(storage.engine, chunk_size=chunk)
        ref = files.put(io.BytesIO(content), name="f.bin", media_type="application/octet-stream")
        assert ref.size == len(content)
        assert files.get(ref.key) == content
    finally:
        storage.close()


# --- the stateful code-sequencing machine --------------------------------------------------

_MACHINE_SETTINGS = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_where: dict[str, Any] = {}


def _sql_portal(make: Callable[[], SqlStorage]) -> Callable[[ManualClock], Any]:
    def make_portal(clock: ManualClock) -> tuple[Portal, Callable[[set[str]], None]]:
        storage = make()
        portal = bootstrap(
            storage=storage,
            clock=clock,
            secret_key=SECRET,
            calendar=WorkingCalendar(),
            environ={},
        )
        return portal, fail_on_setter(storage)

    return make_portal


_SqliteSequencing = code_sequencing_machine(
    _sql_portal(lambda: sqlite_storage(Path(tempfile.mkdtemp(dir=_where["sqlite"]))))
)
_SqliteSequencing.TestCase.settings = _MACHINE_SETTINGS


class TestCodeSequencingSqlite(_SqliteSequencing.TestCase):  # type: ignore[name-defined,misc]
    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        _where["sqlite"] = tmp_path


_PostgresSequencing = code_sequencing_machine(
    _sql_portal(lambda: postgres_storage(_where["postgres"]))
)
_PostgresSequencing.TestCase.settings = _MACHINE_SETTINGS


@pytest.mark.postgres
class TestCodeSequencingPostgres(_PostgresSequencing.TestCase):  # type: ignore[name-defined,misc]
    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str) -> None:
        _where["postgres"] = postgres_url
