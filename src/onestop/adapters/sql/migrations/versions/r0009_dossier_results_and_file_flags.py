"""dossier files: digitised and reused flags, result documents; their report columns

Revision ID: 0009
Revises: 0008
Created: 2026-11-30

``onestop_dossier_files`` gains ``digitised`` (an officer scanned the paper original at the
desk) and ``reused`` (taken from the applicant's earlier dossier), both false by default,
and ``kind``: ``component`` for a component's file, ``result`` for an electronic result
document (kết quả điện tử, no component). ``onestop_dossiers`` gains the report columns
``result_files``, ``digitised_files`` and ``reused_files``. Both are filled from the stored
documents: one written before this revision has no flags and no results (its counts stay
0), but a database upgraded again after ``onestop db downgrade`` holds them.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def _counts(doc: dict[str, Any]) -> dict[str, int]:
    attachments = doc.get("attachments") or []
    return {
        "c_result_files": len(doc.get("results") or []),
        "c_digitised_files": sum(bool(a.get("digitised")) for a in attachments),
        "c_reused_files": sum(bool(a.get("reused")) for a in attachments),
    }


def _fill_file_rows(connection: Any) -> None:
    """Each file row as its dossier's document says: an attachment's flags, and the rows
    after the attachments (the electronic results) of kind ``result``."""
    dossiers = sa.table("onestop_dossiers", sa.column("id"), sa.column("doc"))
    files = sa.table(
        "onestop_dossier_files",
        sa.column("dossier_id"),
        sa.column("position"),
        sa.column("digitised", sa.Boolean()),
        sa.column("reused", sa.Boolean()),
        sa.column("kind"),
    )
    marked: list[dict[str, Any]] = []
    for key, doc in connection.execute(sa.select(dossiers.c.id, dossiers.c.doc)).all():
        data = json.loads(doc)
        attachments = data.get("attachments") or []
        for position, attachment in enumerate(attachments):
            if attachment.get("digitised") or attachment.get("reused"):
                marked.append(
                    {
                        "c_id": key,
                        "c_position": position,
                        "c_digitised": bool(attachment.get("digitised")),
                        "c_reused": bool(attachment.get("reused")),
                        "c_kind": "component",
                    }
                )
        for offset in range(len(data.get("results") or [])):
            marked.append(
                {
                    "c_id": key,
                    "c_position": len(attachments) + offset,
                    "c_digitised": False,
                    "c_reused": False,
                    "c_kind": "result",
                }
            )
    if marked:
        update = (
            files.update()
            .where(files.c.dossier_id == sa.bindparam("c_id"))
            .where(files.c.position == sa.bindparam("c_position"))
            .values(
                digitised=sa.bindparam("c_digitised"),
                reused=sa.bindparam("c_reused"),
                kind=sa.bindparam("c_kind"),
            )
        )
        connection.execute(update, marked)


def upgrade() -> None:
    with op.batch_alter_table("onestop_dossier_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digitised", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("reused", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("kind", sa.String(), server_default="component", nullable=False)
        )
    with op.batch_alter_table("onestop_dossiers", schema=None) as batch_op:
        for name in ("result_files", "digitised_files", "reused_files"):
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
    connection = op.get_bind()
    dossiers = sa.Table("onestop_dossiers", sa.MetaData(), autoload_with=connection)
    rows = connection.execute(
        sa.select(dossiers.c.id, dossiers.c.doc).where(dossiers.c.status != "draft")
    ).all()
    update = (
        dossiers.update()
        .where(dossiers.c.id == sa.bindparam("c_id"))
        .values(
            result_files=sa.bindparam("c_result_files"),
            digitised_files=sa.bindparam("c_digitised_files"),
            reused_files=sa.bindparam("c_reused_files"),
        )
    )
    _fill_file_rows(connection)
    filled = [{"c_id": key, **_counts(json.loads(doc))} for key, doc in rows]
    filled = [
        f for f in filled if f["c_result_files"] or f["c_digitised_files"] or f["c_reused_files"]
    ]
    if filled:
        connection.execute(update, filled)


def downgrade() -> None:
    with op.batch_alter_table("onestop_dossiers", schema=None) as batch_op:
        batch_op.drop_column("reused_files")
        batch_op.drop_column("digitised_files")
        batch_op.drop_column("result_files")
    with op.batch_alter_table("onestop_dossier_files", schema=None) as batch_op:
        batch_op.drop_column("kind")
        batch_op.drop_column("reused")
        batch_op.drop_column("digitised")
