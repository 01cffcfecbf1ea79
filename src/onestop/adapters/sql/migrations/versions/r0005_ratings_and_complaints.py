"""ratings and complaints

Revision ID: 0005
Revises: 0004
Created: 2026-11-30

Adds ``onestop_ratings`` (a citizen's rating of a returned dossier, one per dossier: the
dossier id is the key) and ``onestop_complaints`` (complaints about dossiers), each indexed
by agency and time for the officers' listing and the satisfaction indicator. New tables:
nothing to fill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "onestop_complaints",
        sa.Column(
            "id", sa.String().with_variant(sa.String(collation="C"), "postgresql"), nullable=False
        ),
        sa.Column(
            "dossier_id",
            sa.String().with_variant(sa.String(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.String().with_variant(sa.String(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "agency",
            sa.String().with_variant(sa.String(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "at",
            sa.String(length=32).with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onestop_complaints")),
    )
    with op.batch_alter_table("onestop_complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onestop_complaints_agency_at_id"), ["agency", "at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_onestop_complaints_dossier_id_at"), ["dossier_id", "at"], unique=False
        )

    op.create_table(
        "onestop_ratings",
        sa.Column(
            "dossier_id",
            sa.String().with_variant(sa.String(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.String().with_variant(sa.String(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "agency",
            sa.String().with_variant(sa.String(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "at",
            sa.String(length=32).with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_onestop_ratings")),
    )
    with op.batch_alter_table("onestop_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onestop_ratings_agency_at"), ["agency", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("onestop_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onestop_ratings_agency_at"))

    op.drop_table("onestop_ratings")
    with op.batch_alter_table("onestop_complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onestop_complaints_dossier_id_at"))
        batch_op.drop_index(batch_op.f("ix_onestop_complaints_agency_at_id"))

    op.drop_table("onestop_complaints")
