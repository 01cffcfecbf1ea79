"""dossiers: due date columns and the due-date history

Revision ID: 0007
Revises: 0006
Created: 2026-11-30

Adds ``due_date`` and ``due_at`` to ``onestop_dossiers`` (the current due date, and the due
instant of a limit in working hours), indexed by agency and due date, and the child table
``onestop_dossier_due_dates``: every due date a dossier had, with when, by whom and why
(receipt, supplement, pause, payment, apology). All three are filled from each dossier's
document: dossiers stored before this revision hold a due date and no history, but a
database upgraded again after ``onestop db downgrade`` holds both, and due instants.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_KEY = sa.String().with_variant(sa.String(collation="C"), "postgresql")
_INSTANT = sa.String(length=32).with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("onestop_dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("due_at", _INSTANT, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_onestop_dossiers_agency_due_date"), ["agency", "due_date"], unique=False
        )

    op.create_table(
        "onestop_dossier_due_dates",
        sa.Column("dossier_id", _KEY, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_at", _INSTANT, nullable=True),
        sa.Column("set_at", _INSTANT, nullable=False),
        sa.Column("actor_kind", sa.String(), nullable=False),
        sa.Column("actor_id", _KEY, nullable=False),
        sa.Column("actor_name", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["onestop_dossiers.id"],
            name=op.f("fk_onestop_dossier_due_dates_dossier_id_onestop_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "dossier_id", "position", name=op.f("pk_onestop_dossier_due_dates")
        ),
    )

    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    dossiers = sa.table(
        "onestop_dossiers",
        sa.column("id"),
        sa.column("doc"),
        sa.column("due_date", sa.Date()),
        sa.column("due_at"),
    )
    history = sa.table(
        "onestop_dossier_due_dates",
        *(sa.column(name) for name in ("dossier_id", "position", "due_at", "set_at", "actor_kind")),
        *(sa.column(name) for name in ("actor_id", "actor_name", "reason")),
        sa.column("due_date", sa.Date()),
    )
    dues: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for dossier_id, doc in connection.execute(sa.select(dossiers.c.id, dossiers.c.doc)).all():
        data = json.loads(doc)
        if data.get("due_date"):
            dues.append(
                {
                    "c_id": dossier_id,
                    "c_due_date": dt.date.fromisoformat(data["due_date"]),
                    "c_due_at": _instant(data.get("due_at"), sqlite),
                }
            )
        for position, change in enumerate(data.get("due_dates") or []):
            changes.append(
                {
                    "dossier_id": dossier_id,
                    "position": position,
                    "due_date": dt.date.fromisoformat(change["due_date"]),
                    "due_at": _instant(change.get("due_at"), sqlite),
                    "set_at": _instant(change["set_at"], sqlite),
                    "actor_kind": change["by"]["kind"],
                    "actor_id": change["by"]["id"],
                    "actor_name": change["by"]["name"],
                    "reason": change["reason"],
                }
            )
    if dues:
        update = (
            dossiers.update()
            .where(dossiers.c.id == sa.bindparam("c_id"))
            .values(due_date=sa.bindparam("c_due_date"), due_at=sa.bindparam("c_due_at"))
        )
        connection.execute(update, dues)
    if changes:
        connection.execute(history.insert(), changes)


def _instant(text: str | None, sqlite: bool) -> Any:
    """A stored instant as its column holds it: UTC text on SQLite, a datetime elsewhere."""
    if not text:
        return None
    utc = dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    return utc.isoformat(timespec="microseconds") if sqlite else utc


def downgrade() -> None:
    op.drop_table("onestop_dossier_due_dates")
    with op.batch_alter_table("onestop_dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onestop_dossiers_agency_due_date"))
        batch_op.drop_column("due_at")
        batch_op.drop_column("due_date")
