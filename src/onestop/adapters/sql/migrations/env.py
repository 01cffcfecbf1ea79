"""Alembic's entry point for onestop's shipped migrations; run through
:mod:`onestop.adapters.sql.migrations`, which hands over an open connection in a transaction.
"""

from __future__ import annotations

from alembic import context

from onestop.adapters.sql.migrations import configure_options

connection = context.config.attributes["connection"]
context.configure(connection=connection, **configure_options(connection.dialect.name))
with context.begin_transaction():
    context.run_migrations()
