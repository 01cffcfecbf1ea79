"""accounts: national subject

Revision ID: 0006
Revises: 0005
Created: 2026-11-30

Adds ``onestop_accounts.national_subject``, the subject of the national identity (VNeID)
linked to the account, unique when set (None: not linked), so that a login through the
national single sign-on finds its account by an index. Accounts stored before hold no
national identity: the column starts empty, nothing to fill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("onestop_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "national_subject",
                sa.String().with_variant(sa.String(collation="C"), "postgresql"),
                nullable=True,
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_onestop_accounts_national_subject"), ["national_subject"]
        )


def downgrade() -> None:
    with op.batch_alter_table("onestop_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_onestop_accounts_national_subject"), type_="unique")
        batch_op.drop_column("national_subject")
