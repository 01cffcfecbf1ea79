"""SQL adapters on SQLAlchemy 2 Core: SQLite (standard library driver) or PostgreSQL (psycopg 3).

Needs the ``sql`` extra (``postgres`` for PostgreSQL). Importing this package connects to
nothing; :meth:`SqlStorage.from_url` opens an engine and creates the tables.

* :class:`SqlStorage`: every storage port and the unit of work.
* :class:`SqlFileStore`: attachments' bytes in the ``file_blobs`` table, by sha256.
* :data:`metadata` and :func:`create_schema`: the tables, for ``create_all`` or Alembic.
"""

from onestop.adapters.sql.files import SqlFileStore
from onestop.adapters.sql.schema import create_schema, metadata
from onestop.adapters.sql.storage import SqlStorage, SqlUnitOfWork

__all__ = ["SqlFileStore", "SqlStorage", "SqlUnitOfWork", "create_schema", "metadata"]
