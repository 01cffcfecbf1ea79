"""dossiers: due date columns and the due-date history

Revision ID: 0007
Revises: 0006
Created: 2026-11-30

Adds ``due_date`` and ``due_at`` to ``onestop_dossiers`` (the current due date, and the due
instant of a limit in working hours), indexed by agency and due date, and the child table
``onestop_dossier_due_dates``: every due date a dossier had, with when, by whom and why
(receipt, supplement, pause, payment, apology). ``due_date`` is filled from each dossier's
document; the history of dossiers stored before starts empty (their documents hold none).
"""

from __future__ import annotations

import datetime as dt
import json

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

    # Every stored dossier before this revision had a limit in working days: a date only.
    dossiers = sa.table(
        "onestop_dossiers", sa.column("id"), sa.column("doc"), sa.column("due_date", sa.Date())
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(dossiers.c.id, dossiers.c.doc)).all()
    for dossier_id, doc in rows:
        due = json.loads(doc).get("due_date")
        if due:
            connection.execute(
                dossiers.update()
                .where(dossiers.c.id == dossier_id)
                .values(due_date=dt.date.fromisoformat(due))
            )


def downgrade() -> None:
    op.drop_table("onestop_dossier_due_dates")
    with op.batch_alter_table("onestop_dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onestop_dossiers_agency_due_date"))
        batch_op.drop_column("due_at")
        batch_op.drop_column("due_date")
