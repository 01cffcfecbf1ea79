"""accounts: national subject

Revision ID: 0006
Revises: 0005
Created: 2026-11-30

Adds ``onestop_accounts.national_subject``, the subject of the national identity (VNeID)
linked to the account, unique when set (None: not linked), so that a login through the
national single sign-on finds its account by an index. The column is filled from each
account's document: empty for accounts stored before national login, but a database
upgraded again after ``onestop db downgrade`` holds linked accounts whose subject must be
found again.
"""

from __future__ import annotations

import json

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

    accounts = sa.table(
        "onestop_accounts", sa.column("id"), sa.column("doc"), sa.column("national_subject")
    )
    connection = op.get_bind()
    filled = []
    for key, doc in connection.execute(sa.select(accounts.c.id, accounts.c.doc)):
        identity = json.loads(doc).get("national_identity")
        if identity:
            filled.append({"c_id": key, "c_subject": identity["subject"]})
    if filled:
        update = (
            accounts.update()
            .where(accounts.c.id == sa.bindparam("c_id"))
            .values(national_subject=sa.bindparam("c_subject"))
        )
        connection.execute(update, filled)


def downgrade() -> None:
    with op.batch_alter_table("onestop_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_onestop_accounts_national_subject"), type_="unique")
        batch_op.drop_column("national_subject")
