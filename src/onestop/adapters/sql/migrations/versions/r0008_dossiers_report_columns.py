"""dossiers: report columns

Revision ID: 0008
Revises: 0007
Created: 2026-11-30

Adds to ``onestop_dossiers`` what the service indicators count, so that a report is a few
aggregate queries instead of every dossier read back: ``received_at``, ``decided_at`` and
``decided_on`` (its local day), ``closed_at`` (reception refused, withdrawn or stopped),
``supplement_requests``, ``rescheduled``, ``online`` (channel 2: not fetched from home by
post) and ``total_fees``, with indexes by (agency, received_at) and (agency, decided_at).
The dossiers already stored are filled from their documents, as
the domain's ``static_facts`` (reports) reads a dossier today (written out here: a
revision never imports the library).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_INSTANT = sa.String(length=32).with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
_VN = dt.timezone(dt.timedelta(hours=7))
_CLOSING = {"reception_refused", "withdrawn", "stopped"}


def _instant(text: str | None, sqlite: bool) -> Any:
    if text is None:
        return None
    utc = dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    return utc.isoformat(timespec="microseconds") if sqlite else utc


def _columns(doc: dict[str, Any], sqlite: bool) -> dict[str, Any]:
    decision = doc.get("decision") or None
    decided = None if decision is None else decision["at"]
    history = doc.get("history") or []
    closed = [h["at"] for h in history if h["action"] in _CLOSING]
    fees = sum(int(f["quantity"]) * int(f["unit_amount"]) for f in doc.get("fee_lines") or [])
    decided_on = None
    if decided is not None:
        decided_on = dt.datetime.fromisoformat(decided).astimezone(_VN).date()
    return {
        "c_received_at": _instant(doc.get("received_at"), sqlite),
        "c_decided_at": _instant(decided, sqlite),
        "c_decided_on": decided_on,
        "c_closed_at": _instant(closed[-1] if closed else None, sqlite),
        "c_supplement_requests": sum(h["action"] == "supplement_requested" for h in history),
        "c_rescheduled": any(h["action"] == "rescheduled" for h in history),
        "c_online": doc.get("home_pickup_address") is None,
        "c_total_fees": fees,
    }


def upgrade() -> None:
    with op.batch_alter_table("onestop_dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_at", _INSTANT, nullable=True))
        batch_op.add_column(sa.Column("decided_at", _INSTANT, nullable=True))
        batch_op.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", _INSTANT, nullable=True))
        batch_op.add_column(
            sa.Column("supplement_requests", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rescheduled", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("online", sa.Boolean(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("total_fees", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_onestop_dossiers_agency_decided_at"),
            ["agency", "decided_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_onestop_dossiers_agency_received_at"),
            ["agency", "received_at"],
            unique=False,
        )
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    dossiers = sa.Table("onestop_dossiers", sa.MetaData(), autoload_with=connection)
    rows = connection.execute(
        sa.select(dossiers.c.id, dossiers.c.doc).where(dossiers.c.status != "draft")
    ).all()
    update = (
        dossiers.update()
        .where(dossiers.c.id == sa.bindparam("c_id"))
        .values(
            received_at=sa.bindparam("c_received_at"),
            decided_at=sa.bindparam("c_decided_at"),
            decided_on=sa.bindparam("c_decided_on"),
            closed_at=sa.bindparam("c_closed_at"),
            supplement_requests=sa.bindparam("c_supplement_requests"),
            rescheduled=sa.bindparam("c_rescheduled"),
            online=sa.bindparam("c_online"),
            total_fees=sa.bindparam("c_total_fees"),
        )
    )
    filled = [{"c_id": key, **_columns(json.loads(doc), sqlite)} for key, doc in rows]
    if filled:
        connection.execute(update, filled)


def downgrade() -> None:
    with op.batch_alter_table("onestop_dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onestop_dossiers_agency_received_at"))
        batch_op.drop_index(batch_op.f("ix_onestop_dossiers_agency_decided_at"))
        batch_op.drop_column("total_fees")
        batch_op.drop_column("online")
        batch_op.drop_column("rescheduled")
        batch_op.drop_column("supplement_requests")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("decided_on")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("received_at")
