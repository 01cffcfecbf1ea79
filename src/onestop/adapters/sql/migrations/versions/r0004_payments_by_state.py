"""payments: an index by state

Revision ID: 0004
Revises: 0003
Created: 2026-11-30

Adds ``ix_onestop_payments_state_created_at``: reconciliation and the review list read the
payments in one state, oldest first, instead of walking every agency's dossiers.
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("onestop_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onestop_payments_state_created_at"),
            ["state", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("onestop_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onestop_payments_state_created_at"))
