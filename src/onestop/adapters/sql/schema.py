"""The tables of the SQL storage, as one SQLAlchemy :data:`metadata`.

Every table is named ``onestop_*`` (a host's own tables in the same database never
collide). The shipped Alembic revisions in :mod:`onestop.adapters.sql.migrations` are what
creates them (:func:`create_schema`, ``onestop db upgrade``); a test checks that they and
:data:`metadata` agree on SQLite and PostgreSQL, so a change here needs a revision there
(see the README in that folder).

Each aggregate is one row whose key columns and unique rules are real columns with real
constraints (unique dossier code, unique (agency, day, sequence), unique (owner,
idempotency key), unique (gateway, txn_ref), unique emails, foreign keys), and whose other
parts are a JSON document written by :mod:`onestop.serialization` (``doc``; a dossier's
procedure snapshot in ``procedure_doc``). The document is what the storage reads back. A
dossier's files, fee lines, progress history and due dates are also child rows
(``dossier_files``, ``dossier_fee_lines``, ``dossier_history``, ``dossier_due_dates``,
foreign keys to ``dossiers``) written in the
same transaction as the document and kept in step with it, so that reports and other
systems can query them with plain SQL.

Instants are stored in UTC: ``timestamptz`` on PostgreSQL, fixed-width ISO 8601 text on
SQLite (so that text order is time order); both come back as aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Dialect,
    Engine,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import BYTEA, TIMESTAMP
from sqlalchemy.types import TypeDecorator, TypeEngine

from onestop.errors import ConfigurationError, NaiveDatetime

__all__ = [
    "CONSTRAINT_RULES",
    "UtcDateTime",
    "accounts",
    "agencies",
    "audit_log",
    "catalog_revision",
    "code_counters",
    "complaints",
    "create_schema",
    "dossier_due_dates",
    "dossier_fee_lines",
    "dossier_files",
    "dossier_history",
    "dossiers",
    "fields",
    "file_blobs",
    "metadata",
    "officers",
    "outbox",
    "payments",
    "procedures",
    "ratings",
    "sync_outbox",
    "tokens",
]


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware instant stored in UTC; a naive datetime is refused, never guessed."""

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetime("datetime", "must carry its UTC offset", value)
        utc = value.astimezone(dt.UTC)
        if dialect.name == "postgresql":
            return utc
        # 2022-06-22T02:30:00.000000+00:00: fixed width, so text order is time order.
        return utc.isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:  # pragma: no cover - only a foreign writer stores naive text
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _key() -> TypeEngine[str]:
    """Text compared and sorted by code point on every database (as Python sorts str)."""
    return String().with_variant(String(collation="C"), "postgresql")


_BLOB: Final = LargeBinary().with_variant(BYTEA(), "postgresql")

_NAMING: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Every table of the SQL storage, for ``create_all`` or Alembic's ``target_metadata``.
metadata: Final = MetaData(naming_convention=_NAMING)

accounts: Final = Table(
    "onestop_accounts",
    metadata,
    Column("id", _key(), nullable=False),
    Column("email", _key(), nullable=False),
    Column("kind", String(), nullable=False),
    Column("status", String(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("doc", Text, nullable=False),
    # The national identity's subject (VNeID) linked to the account (None: not linked).
    Column("national_subject", _key(), nullable=True),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("email"),
    UniqueConstraint("national_subject"),
)

officers: Final = Table(
    "onestop_officers",
    metadata,
    Column("id", _key(), nullable=False),
    Column("email", _key(), nullable=False),
    Column("agency", _key(), nullable=False),
    Column("active", Boolean, nullable=False),
    # The subject the host's single sign-on vouches for (None: password only).
    Column("external_subject", _key(), nullable=True),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("email"),
    UniqueConstraint("external_subject"),
    Index(None, "agency", "id"),
)

agencies: Final = Table(
    "onestop_agencies",
    metadata,
    Column("code", _key(), nullable=False),
    Column("name", Text, nullable=False),
    Column("parent", _key(), nullable=True),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("code"),
)

fields: Final = Table(
    "onestop_fields",
    metadata,
    Column("id", _key(), nullable=False),
    Column("name", Text, nullable=False),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("id"),
)

procedures: Final = Table(
    "onestop_procedures",
    metadata,
    Column("code", _key(), nullable=False),
    Column("agency", _key(), ForeignKey("onestop_agencies.code"), nullable=False),
    Column("field", _key(), nullable=False),
    Column("name", Text, nullable=False),
    Column("doc", Text, nullable=False),
    # The folded words search compares: SearchDocument.text (name | field and agency names).
    Column("search_text", Text, nullable=False, server_default=""),
    PrimaryKeyConstraint("code"),
    Index(None, "agency", "field"),
)

# One row, bumped by every transaction that writes the catalog: search indexes kept in a
# process compare it to tell whether another process changed the catalog.
catalog_revision: Final = Table(
    "onestop_catalog_revision",
    metadata,
    Column("id", Integer, nullable=False),
    Column("revision", BigInteger, nullable=False),
    PrimaryKeyConstraint("id"),
)

dossiers: Final = Table(
    "onestop_dossiers",
    metadata,
    Column("id", _key(), nullable=False),
    Column("owner_id", _key(), nullable=False),
    Column("agency", _key(), nullable=False),
    Column("procedure_code", _key(), nullable=False),
    Column("procedure_doc", Text, nullable=False),  # the snapshot taken at the draft
    Column("status", String(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=True),
    # The code, as text and as its parts; the scheme says how it is written.
    Column("code", _key(), nullable=True),
    Column("code_agency", _key(), nullable=True),
    Column("code_day", Date, nullable=True),
    Column("code_seq", Integer, nullable=True),
    Column("code_scheme", Text, nullable=True),
    Column("idempotency_key", _key(), nullable=True),
    Column("version", Integer, nullable=False),
    Column("doc", Text, nullable=False),
    # The current due date (and instant, for a limit in working hours), for reports.
    Column("due_date", Date, nullable=True),
    Column("due_at", UtcDateTime(), nullable=True),
    # What the service indicators count (onestop.domain.reports.static_facts), kept in step
    # with the document so that reports are aggregate queries.
    Column("received_at", UtcDateTime(), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("decided_on", Date, nullable=True),  # the local day of the decision
    Column("closed_at", UtcDateTime(), nullable=True),  # refused, withdrawn or stopped
    Column("supplement_requests", Integer, nullable=False, server_default="0"),
    Column("rescheduled", Boolean, nullable=False, server_default="0"),
    Column("online", Boolean, nullable=False, server_default="1"),
    Column("total_fees", BigInteger, nullable=False, server_default="0"),
    # Revision 0009: result documents, digitised and reused component files.
    Column("result_files", Integer, nullable=False, server_default="0"),
    Column("digitised_files", Integer, nullable=False, server_default="0"),
    Column("reused_files", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("code"),
    UniqueConstraint("code_agency", "code_day", "code_seq"),
    UniqueConstraint("owner_id", "idempotency_key"),
    CheckConstraint(
        "(code IS NULL AND code_agency IS NULL AND code_day IS NULL AND code_seq IS NULL)"
        " OR (code IS NOT NULL AND code_agency IS NOT NULL AND code_day IS NOT NULL"
        " AND code_seq IS NOT NULL AND code_seq >= 1)",
        name="code_parts",
    ),
    Index(None, "owner_id", "created_at"),
    Index(None, "agency", "status"),
    Index(None, "agency", "due_date"),
    Index(None, "agency", "received_at"),
    Index(None, "agency", "decided_at"),
)

dossier_files: Final = Table(
    "onestop_dossier_files",
    metadata,
    Column("dossier_id", _key(), nullable=False),
    Column("position", Integer, nullable=False),
    Column("component_id", _key(), nullable=False),
    Column("file_key", _key(), nullable=False),
    Column("name", Text, nullable=False),
    Column("media_type", String(), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    # Revision 0009: flags of a component's file, and result documents ("result", no component).
    Column("digitised", Boolean, nullable=False, server_default="0"),
    Column("reused", Boolean, nullable=False, server_default="0"),
    Column("kind", String(), nullable=False, server_default="component"),
    PrimaryKeyConstraint("dossier_id", "position"),
    ForeignKeyConstraint(["dossier_id"], ["onestop_dossiers.id"], ondelete="CASCADE"),
)

dossier_fee_lines: Final = Table(
    "onestop_dossier_fee_lines",
    metadata,
    Column("dossier_id", _key(), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_amount", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("description", Text, nullable=False),
    PrimaryKeyConstraint("dossier_id", "position"),
    ForeignKeyConstraint(["dossier_id"], ["onestop_dossiers.id"], ondelete="CASCADE"),
)

dossier_history: Final = Table(
    "onestop_dossier_history",
    metadata,
    Column("dossier_id", _key(), nullable=False),
    Column("position", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_kind", String(), nullable=False),
    Column("actor_id", _key(), nullable=False),
    Column("actor_name", Text, nullable=False),
    Column("action", String(), nullable=False),
    Column("from_status", String(), nullable=True),
    Column("to_status", String(), nullable=False),
    Column("note", Text, nullable=False),
    PrimaryKeyConstraint("dossier_id", "position"),
    ForeignKeyConstraint(["dossier_id"], ["onestop_dossiers.id"], ondelete="CASCADE"),
)

# Every due date a dossier had, oldest first (set at receipt, moved, given with an apology).
dossier_due_dates: Final = Table(
    "onestop_dossier_due_dates",
    metadata,
    Column("dossier_id", _key(), nullable=False),
    Column("position", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("due_at", UtcDateTime(), nullable=True),
    Column("set_at", UtcDateTime(), nullable=False),
    Column("actor_kind", String(), nullable=False),
    Column("actor_id", _key(), nullable=False),
    Column("actor_name", Text, nullable=False),
    Column("reason", String(), nullable=False),
    PrimaryKeyConstraint("dossier_id", "position"),
    ForeignKeyConstraint(["dossier_id"], ["onestop_dossiers.id"], ondelete="CASCADE"),
)

payments: Final = Table(
    "onestop_payments",
    metadata,
    Column("id", _key(), nullable=False),
    Column("dossier_id", _key(), nullable=False),
    Column("gateway", _key(), nullable=False),
    Column("txn_ref", _key(), nullable=False),
    Column("state", String(), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("gateway", "txn_ref"),
    Index(None, "dossier_id", "created_at"),
    Index(None, "state", "created_at"),
)

# Citizens' ratings of returned dossiers (one per dossier) and complaints about dossiers
# (onestop.domain.satisfaction): written once, never changed; listed and counted per agency.
ratings: Final = Table(
    "onestop_ratings",
    metadata,
    Column("dossier_id", _key(), nullable=False),
    Column("account_id", _key(), nullable=False),
    Column("agency", _key(), nullable=False),
    Column("level", String(), nullable=False),
    Column("comment", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("dossier_id"),
    Index(None, "agency", "at"),
)

complaints: Final = Table(
    "onestop_complaints",
    metadata,
    Column("id", _key(), nullable=False),
    Column("dossier_id", _key(), nullable=False),
    Column("account_id", _key(), nullable=False),
    Column("agency", _key(), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "agency", "at", "id"),
    Index(None, "dossier_id", "at"),
)

outbox: Final = Table(
    "onestop_outbox",
    metadata,
    Column("id", _key(), nullable=False),
    Column("state", String(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "state", "created_at"),
)

sync_outbox: Final = Table(
    "onestop_sync_outbox",
    metadata,
    Column("id", _key(), nullable=False),
    Column("dossier_id", _key(), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("state", String(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("dossier_id", "sequence"),
    CheckConstraint("sequence >= 1", name="sequence_positive"),
    Index(None, "state", "created_at"),
)

code_counters: Final = Table(
    "onestop_code_counters",
    metadata,
    Column("agency", _key(), nullable=False),
    Column("day", Date, nullable=False),
    Column("last", Integer, nullable=False),
    PrimaryKeyConstraint("agency", "day"),
    CheckConstraint("last >= 1", name="last_positive"),
)

tokens: Final = Table(
    "onestop_tokens",
    metadata,
    Column("token_id", _key(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("token_id"),
)

file_blobs: Final = Table(
    "onestop_file_blobs",
    metadata,
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("data", _BLOB, nullable=False),
    # When the bytes were last stored (storing them again updates it): what collecting
    # unreferenced files goes by.
    Column("stored_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("sha256"),
)

# The chained audit records (onestop.domain.audit): append-only, one chain per stream.
audit_log: Final = Table(
    "onestop_audit_log",
    metadata,
    Column("stream", _key(), nullable=False),
    Column("position", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("stream", "position"),
    CheckConstraint("position >= 1", name="position_positive"),
)

#: Unique rules by constraint name: the ``what`` a DuplicateError names for each.
CONSTRAINT_RULES: Final = {
    "pk_onestop_accounts": "account.id",
    "uq_onestop_accounts_email": "account.email",
    "uq_onestop_accounts_national_subject": "account.national_subject",
    "pk_onestop_officers": "officer.id",
    "uq_onestop_officers_email": "officer.email",
    "uq_onestop_officers_external_subject": "officer.external_subject",
    "pk_onestop_audit_log": "audit.id",
    "pk_onestop_dossiers": "dossier.id",
    "uq_onestop_dossiers_code": "dossier.code",
    "uq_onestop_dossiers_code_agency_code_day_code_seq": "dossier.code",
    "uq_onestop_dossiers_owner_id_idempotency_key": "dossier.idempotency_key",
    "pk_onestop_payments": "payment.id",
    "uq_onestop_payments_gateway_txn_ref": "payment.txn_ref",
    "pk_onestop_ratings": "rating.id",
    "pk_onestop_complaints": "complaint.id",
    "pk_onestop_outbox": "outbox_entry.id",
    "pk_onestop_sync_outbox": "sync_entry.id",
    "uq_onestop_sync_outbox_dossier_id_sequence": "sync_entry.sequence",
    "pk_onestop_tokens": "token.id",
}


def create_schema(engine: Engine) -> None:
    """Bring a new empty database to the code's revision through the shipped migrations.

    A database already at that revision is left alone; any other is refused with a
    :class:`~onestop.errors.ConfigurationError` saying what to run (``onestop db upgrade``).
    """
    try:
        from onestop.adapters.sql.migrations import ensure_schema
    except ImportError as e:  # pragma: no cover - the sql extra installs Alembic
        raise ConfigurationError(
            "creating the tables needs Alembic: pip install 'onestop[sql]'"
        ) from e
    ensure_schema(engine)
