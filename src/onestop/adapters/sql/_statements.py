"""Statements of the SQL storage, built once (building one costs far more than running it)."""

from __future__ import annotations

import functools
from typing import Any, Final

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)

from onestop.adapters.sql import schema as t
from onestop.domain.mail import OutboxState
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncState
from onestop.errors import (
    ConfigurationError,
)


def _dialect_insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    raise ConfigurationError(f"the SQL storage supports SQLite and PostgreSQL, not {dialect!r}")


# --- statements, built once (building one costs far more than running it) -----------------


def _by(table: Table, *columns: str) -> Any:
    """``SELECT * FROM table WHERE column = :p_column AND ...``."""
    return select(table).where(*(table.c[c] == bindparam(f"p_{c}") for c in columns))


def _children_of(table: Table) -> Any:
    return delete(table).where(table.c.dossier_id == bindparam("p_dossier_id"))


_ACCOUNT_BY_ID: Final = _by(t.accounts, "id")
_ACCOUNT_BY_EMAIL: Final = _by(t.accounts, "email")
_ACCOUNT_BY_SUBJECT: Final = _by(t.accounts, "national_subject")
_OFFICER_BY_ID: Final = _by(t.officers, "id")
_OFFICERS_OF_AGENCY: Final = _by(t.officers, "agency").order_by(t.officers.c.id)
_OFFICER_BY_EMAIL: Final = _by(t.officers, "email")
_OFFICER_BY_SUBJECT: Final = _by(t.officers, "external_subject")
_ALL_OFFICERS: Final = select(t.officers).order_by(t.officers.c.agency, t.officers.c.id)
_AUDIT_HEAD: Final = _by(t.audit_log, "stream").order_by(t.audit_log.c.position.desc()).limit(1)
_AUDIT_OF_STREAM: Final = _by(t.audit_log, "stream").order_by(t.audit_log.c.position)
_AUDIT_STREAMS: Final = select(t.audit_log.c.stream).distinct().order_by(t.audit_log.c.stream)
_AGENCY_BY_CODE: Final = _by(t.agencies, "code")
_AGENCY_EXISTS: Final = select(t.agencies.c.code).where(t.agencies.c.code == bindparam("p_code"))
# A procedure's agency (None if missing) with the names its search text folds.
_SEARCH_NAMES: Final = select(
    t.agencies.c.name.label("agency_name"),
    select(t.fields.c.name)
    .where(t.fields.c.id == bindparam("p_field"))
    .scalar_subquery()
    .label("field_name"),
).where(t.agencies.c.code == bindparam("p_code"))
_AGENCY_NAME: Final = select(t.agencies.c.name).where(t.agencies.c.code == bindparam("p_code"))
_FIELD_NAME: Final = select(t.fields.c.name).where(t.fields.c.id == bindparam("p_code"))
_ALL_AGENCIES: Final = select(t.agencies)
_FIELD_BY_ID: Final = _by(t.fields, "id")
_ALL_FIELDS: Final = select(t.fields).order_by(t.fields.c.id)
_PROCEDURE_BY_CODE: Final = _by(t.procedures, "code")
_DOSSIER_BY_ID: Final = _by(t.dossiers, "id")
_DOSSIER_BY_CODE: Final = _by(t.dossiers, "code_agency", "code_day", "code_seq")
_DOSSIER_BY_KEY: Final = _by(t.dossiers, "owner_id", "idempotency_key")
_DOSSIER_STATE: Final = select(t.dossiers.c.status, t.dossiers.c.version).where(
    t.dossiers.c.id == bindparam("p_id")
)
_DELETE_DRAFT: Final = delete(t.dossiers).where(
    t.dossiers.c.id == bindparam("p_id"),
    t.dossiers.c.version == bindparam("p_version"),
    t.dossiers.c.status == DossierStatus.DRAFT.value,
)
_DOSSIERS_OF_OWNER: Final = _by(t.dossiers, "owner_id").order_by(
    t.dossiers.c.created_at.desc(), t.dossiers.c.id.desc()
)
_DOSSIERS_OF_AGENCY: Final = (
    _by(t.dossiers, "agency")
    .where(t.dossiers.c.status != DossierStatus.DRAFT.value)
    .order_by(func.coalesce(t.dossiers.c.submitted_at, t.dossiers.c.created_at), t.dossiers.c.id)
)
_DOSSIERS_OF_AGENCY_IN: Final = _DOSSIERS_OF_AGENCY.where(
    t.dossiers.c.status.in_(bindparam("p_statuses", expanding=True))
)
# One page: a bound LIMIT needs a number, so "all the rest" is the largest one.
_ALL_ROWS: Final = 2**62
_DOSSIERS_OF_OWNER_PAGE: Final = _DOSSIERS_OF_OWNER.limit(bindparam("p_limit")).offset(
    bindparam("p_offset")
)
_DOSSIERS_OF_AGENCY_PAGE: Final = _DOSSIERS_OF_AGENCY.limit(bindparam("p_limit")).offset(
    bindparam("p_offset")
)
_DOSSIERS_OF_AGENCY_IN_PAGE: Final = _DOSSIERS_OF_AGENCY_IN.limit(bindparam("p_limit")).offset(
    bindparam("p_offset")
)
_COUNT_OF_OWNER: Final = select(func.count().label("n")).where(
    t.dossiers.c.owner_id == bindparam("p_owner_id")
)
_COUNT_OF_AGENCY: Final = select(func.count().label("n")).where(
    t.dossiers.c.agency == bindparam("p_agency"),
    t.dossiers.c.status != DossierStatus.DRAFT.value,
)
_COUNT_OF_AGENCY_IN: Final = _COUNT_OF_AGENCY.where(
    t.dossiers.c.status.in_(bindparam("p_statuses", expanding=True))
)
_DOSSIERS_DUE_OF_AGENCY: Final = (
    select(t.dossiers)
    .where(
        t.dossiers.c.agency == bindparam("p_agency"),
        t.dossiers.c.status.in_(bindparam("p_statuses", expanding=True)),
        t.dossiers.c.due_date.is_not(None),
        t.dossiers.c.due_date <= bindparam("p_due_by"),
    )
    .order_by(t.dossiers.c.due_date, t.dossiers.c.id)
)
_FILE_KEYS_IN_USE: Final = (
    select(t.dossier_files.c.file_key)
    .where(t.dossier_files.c.file_key.in_(bindparam("p_keys", expanding=True)))
    .distinct()
)
_CHILD_TABLES: Final = (
    t.dossier_files,
    t.dossier_fee_lines,
    t.dossier_history,
    t.dossier_due_dates,
)
_DELETE_CHILDREN: Final = {table.name: _children_of(table) for table in _CHILD_TABLES}
_INSERT: Final = {table.name: table.insert() for table in t.metadata.sorted_tables}
_PAYMENT_BY_ID: Final = _by(t.payments, "id")
_PAYMENT_BY_TXN: Final = _by(t.payments, "gateway", "txn_ref")
_PAYMENTS_OF_DOSSIER: Final = _by(t.payments, "dossier_id").order_by(
    t.payments.c.created_at, t.payments.c.id
)
_PAYMENTS_IN_STATE: Final = _by(t.payments, "state").order_by(
    t.payments.c.created_at, t.payments.c.id
)
_PAYMENTS_IN_STATE_BEFORE: Final = _PAYMENTS_IN_STATE.where(
    t.payments.c.created_at <= bindparam("p_created_before")
)
_ENTRY_BY_ID: Final = _by(t.outbox, "id")
_ALL_ENTRIES: Final = select(t.outbox).order_by(t.outbox.c.created_at, t.outbox.c.id)
_ENTRIES_IN_STATE: Final = _by(t.outbox, "state").order_by(t.outbox.c.created_at, t.outbox.c.id)
_SYNC_ORDER: Final = (t.sync_outbox.c.created_at, t.sync_outbox.c.sequence, t.sync_outbox.c.id)
_SYNC_BY_ID: Final = _by(t.sync_outbox, "id")
_SYNC_LAST_FOR: Final = (
    _by(t.sync_outbox, "dossier_id").order_by(t.sync_outbox.c.sequence.desc()).limit(1)
)
_SYNC_ALL: Final = select(t.sync_outbox).order_by(*_SYNC_ORDER)
_SYNC_IN_STATE: Final = _by(t.sync_outbox, "state").order_by(*_SYNC_ORDER)
_SYNC_OF_DOSSIER: Final = _by(t.sync_outbox, "dossier_id").order_by(*_SYNC_ORDER)
_SYNC_OF_DOSSIER_IN_STATE: Final = _by(t.sync_outbox, "dossier_id", "state").order_by(*_SYNC_ORDER)
_SYNC_SENT_AMONG: Final = (
    select(t.sync_outbox.c.dossier_id)
    .where(
        t.sync_outbox.c.state == SyncState.SENT.value,
        t.sync_outbox.c.dossier_id.in_(bindparam("p_ids", expanding=True)),
    )
    .distinct()
)
_LAST_NUMBER: Final = select(t.code_counters.c.last).where(
    t.code_counters.c.agency == bindparam("p_agency"),
    t.code_counters.c.day == bindparam("p_day"),
)
_UPDATES: dict[tuple[str, tuple[str, ...]], Any] = {}


def _update_statement(table: Table, columns: tuple[str, ...]) -> Any:
    """``UPDATE table SET <columns> WHERE id = :b_id AND version = :b_version``, cached.

    Only the columns that changed are set: SQLite then leaves the other indexes alone.
    """
    key = (table.name, columns)
    statement = _UPDATES.get(key)
    if statement is None:
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values({name: bindparam(name) for name in columns})
        )
        _UPDATES[key] = statement
    return statement


_VERSION_OF: Final = {
    table.name: select(table.c.version).where(table.c.id == bindparam("p_id"))
    for table in (t.accounts, t.officers, t.dossiers, t.payments, t.outbox, t.sync_outbox)
}


@functools.cache
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


class _Statements:
    """The statements whose text depends on the database (upserts, row locks), built once."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

        counters = t.code_counters
        upsert = _dialect_insert(dialect, counters).values(
            agency=bindparam("agency"), day=bindparam("day"), last=literal_column("1")
        )
        self.next_number = upsert.on_conflict_do_update(
            index_elements=[counters.c.agency, counters.c.day],
            set_={"last": counters.c.last + literal_column("1")},
            where=counters.c.last < bindparam("maximum"),
        ).returning(counters.c.last)

        def put(table: Table, key: str) -> Any:
            stmt = _dialect_insert(dialect, table)
            columns = [c.name for c in table.columns if c.name != key]
            return stmt.on_conflict_do_update(
                index_elements=[table.c[key]],
                set_={name: stmt.excluded[name] for name in columns},
            )

        self.put_agency = put(t.agencies, "code")
        self.put_field = put(t.fields, "id")
        self.put_procedure = put(t.procedures, "code")

        due = or_(
            and_(
                t.outbox.c.state == OutboxState.PENDING.value,
                or_(
                    t.outbox.c.next_attempt_at.is_(None),
                    t.outbox.c.next_attempt_at <= bindparam("now", type_=t.UtcDateTime()),
                ),
            ),
            and_(
                t.outbox.c.state == OutboxState.CLAIMED.value,
                t.outbox.c.claimed_until.is_not(None),
                t.outbox.c.claimed_until <= bindparam("now", type_=t.UtcDateTime()),
            ),
        )
        claim = (
            select(t.outbox)
            .where(due)
            .order_by(t.outbox.c.created_at, t.outbox.c.id)
            .limit(bindparam("limit"))
        )
        if dialect == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        self.claim_due = claim

        # A dossier's entries go one at a time, in sequence: only an entry with no earlier
        # unsent one of the same dossier may be claimed.
        sync = t.sync_outbox
        earlier = sync.alias("earlier")
        sync_due = or_(
            and_(
                sync.c.state == SyncState.PENDING.value,
                or_(
                    sync.c.next_attempt_at.is_(None),
                    sync.c.next_attempt_at <= bindparam("now", type_=t.UtcDateTime()),
                ),
            ),
            and_(
                sync.c.state == SyncState.CLAIMED.value,
                sync.c.claimed_until.is_not(None),
                sync.c.claimed_until <= bindparam("now", type_=t.UtcDateTime()),
            ),
        )
        first_unsent = ~(
            select(earlier.c.id)
            .where(
                earlier.c.dossier_id == sync.c.dossier_id,
                earlier.c.sequence < sync.c.sequence,
                earlier.c.state != SyncState.SENT.value,
            )
            .exists()
        )
        claim_sync = (
            select(sync)
            .where(sync_due, first_unsent)
            .order_by(sync.c.created_at, sync.c.id)
            .limit(bindparam("limit"))
        )
        if dialect == "postgresql":
            claim_sync = claim_sync.with_for_update(of=sync, skip_locked=True)
        self.claim_sync = claim_sync
