"""procedures: folded search text

Revision ID: 0003
Revises: 0002
Created: 2026-11-30

Adds ``onestop_procedures.search_text``, the folded words catalog search compares
(``SearchDocument.text``: the name's words, then the field's and agency's), and fills it
for the procedures already stored; and ``onestop_catalog_revision``, the one row every
catalog write bumps (the first write makes it), so that a process can tell its search
index is out of date. The folding is written out here, as the domain's ``search_words``
does it today, because a revision never imports the library; should the folding ever
change, a later revision refills the column.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")
    return [w.replace("y", "i") for w in re.findall(r"[a-z0-9]+", bare)]


def _search_text(name: str, field_name: str, agency_name: str) -> str:
    context = _words(f"{field_name} {agency_name}")
    return f" {' '.join(_words(name))} | {' '.join(context)} "


def upgrade() -> None:
    op.create_table(
        "onestop_catalog_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onestop_catalog_revision")),
    )
    with op.batch_alter_table("onestop_procedures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    connection = op.get_bind()
    meta = sa.MetaData()
    procedures = sa.Table("onestop_procedures", meta, autoload_with=connection)
    fields = sa.Table("onestop_fields", meta, autoload_with=connection)
    agencies = sa.Table("onestop_agencies", meta, autoload_with=connection)
    field_names = dict(connection.execute(sa.select(fields.c.id, fields.c.name)).all())
    agency_names = dict(connection.execute(sa.select(agencies.c.code, agencies.c.name)).all())
    rows = connection.execute(
        sa.select(procedures.c.code, procedures.c.name, procedures.c.field, procedures.c.agency)
    ).all()
    update = (
        procedures.update()
        .where(procedures.c.code == sa.bindparam("p_code"))
        .values(search_text=sa.bindparam("p_text"))
    )
    filled = [
        {
            "p_code": code,
            "p_text": _search_text(name, field_names.get(field, ""), agency_names.get(agency, "")),
        }
        for code, name, field, agency in rows
    ]
    if filled:
        connection.execute(update, filled)


def downgrade() -> None:
    with op.batch_alter_table("onestop_procedures", schema=None) as batch_op:
        batch_op.drop_column("search_text")
    op.drop_table("onestop_catalog_revision")
