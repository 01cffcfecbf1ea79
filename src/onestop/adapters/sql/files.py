"""Attachments' bytes in the database: :class:`SqlFileStore`, content-addressed by sha256.

The ``file_blobs`` table keeps one row per distinct content; a file's key is the sha256 of
its bytes, so storing the same bytes twice keeps one copy. Each ``put`` is its own short
transaction, committed before it returns: a dossier that references the key afterwards
never references a file that is not stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from typing import Any, BinaryIO

from sqlalchemy import Engine, Select, func, select
from sqlalchemy import exc as sa_exc

from onestop.adapters._uploads import CHUNK, check_upload, read_upload
from onestop.adapters.clocks import SystemClock
from onestop.adapters.sql.schema import file_blobs
from onestop.adapters.sql.storage import _dialect_insert
from onestop.domain.files import FileRef
from onestop.errors import FileNotFoundInStore, FileStoreError, InvalidInput
from onestop.ports.edges import Clock

__all__ = ["SqlFileStore"]

_KEY = re.compile(r"[0-9a-f]{64}")


def _is_key(key: object) -> bool:
    # Keys are sha256 digests: anything else is not stored, and never reaches the driver
    # (PostgreSQL refuses a NUL in text; a lone surrogate cannot be encoded).
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


class SqlFileStore:
    """Files in the ``file_blobs`` table of ``engine``'s database, keyed by content sha256.

    The table must exist (:func:`~onestop.adapters.sql.create_schema`, or
    :meth:`SqlStorage.from_url <onestop.adapters.sql.SqlStorage.from_url>`). Database
    failures raise :class:`~onestop.errors.FileStoreError`.
    """

    def __init__(
        self, engine: Engine, *, chunk_size: int = CHUNK, clock: Clock | None = None
    ) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidInput("chunk_size", "must be 1 byte or more", chunk_size)
        self._engine = engine
        self._chunk_size = chunk_size
        self._clock: Clock = SystemClock() if clock is None else clock
        insert = _dialect_insert(engine.dialect.name, file_blobs)
        # The same bytes stored again are young again (their stored_at moves), so that
        # collecting unreferenced files never takes a file an attach is about to reference.
        self._insert = insert.on_conflict_do_update(
            index_elements=[file_blobs.c.sha256],
            set_={"stored_at": insert.excluded.stored_at},
        )

    def __repr__(self) -> str:
        return f"<SqlFileStore {self._engine.dialect.name}>"

    def put(
        self,
        data: bytes | BinaryIO,
        *,
        name: str,
        media_type: str,
        max_bytes: int | None = None,
    ) -> FileRef:
        """Store bytes (or a binary stream, read in chunks); AttachmentTooLarge past ``max_bytes``.

        Nothing is kept when the file is refused. ``name`` is for display only.
        """
        check_upload(name=name, media_type=media_type, max_bytes=max_bytes)
        content = read_upload(data, max_bytes, self._chunk_size)
        digest = hashlib.sha256(content).hexdigest()
        ref = FileRef(
            key=digest, name=name, media_type=media_type, size=len(content), sha256=digest
        )
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    self._insert,
                    {
                        "sha256": digest,
                        "size": len(content),
                        "data": content,
                        "stored_at": self._clock.now(),
                    },
                )
        except sa_exc.SQLAlchemyError as e:
            raise FileStoreError(f"could not store {name!r}: {getattr(e, 'orig', e)}") from e
        return ref

    def get(self, key: str) -> bytes:
        """The stored bytes, or FileNotFoundInStore (also for anything that is not a key)."""
        if not _is_key(key):
            raise FileNotFoundInStore(key)
        content = self._select(select(file_blobs.c.data).where(file_blobs.c.sha256 == key), key)
        if content is None:
            raise FileNotFoundInStore(key)
        assert isinstance(content, bytes | bytearray | memoryview)
        return bytes(content)

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a stream, read from the database a chunk at a time.

        Each chunk is one short query (``substr`` of the blob), so no connection is held
        while the caller sends the file on. A file collected while it is being read ends
        the stream with FileStoreError.
        """
        if not _is_key(key):
            raise FileNotFoundInStore(key)
        size = self._select(select(file_blobs.c.size).where(file_blobs.c.sha256 == key), key)
        if size is None:
            raise FileNotFoundInStore(key)
        assert isinstance(size, int)
        return io.BufferedReader(_BlobReader(self, key, size), buffer_size=self._chunk_size)

    def _read_chunk(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of ``key`` from ``offset`` (from 0); FileStoreError if it is gone."""
        part = func.substr(file_blobs.c.data, offset + 1, length)
        found = self._select(select(part).where(file_blobs.c.sha256 == key), key)
        if not isinstance(found, bytes | bytearray | memoryview):
            raise FileStoreError(f"stored file {key} was deleted while it was being read")
        return bytes(found)

    def exists(self, key: str) -> bool:
        """True when ``key`` is stored (False for anything that is not a key)."""
        if not _is_key(key):
            return False
        found = self._select(select(file_blobs.c.size).where(file_blobs.c.sha256 == key), key)
        return found is not None

    def keys_older_than(self, older_than: dt.timedelta) -> list[str]:
        """The keys stored (or stored again) more than ``older_than`` ago."""
        cutoff = self._clock.now() - older_than
        query = (
            select(file_blobs.c.sha256)
            .where(file_blobs.c.stored_at < cutoff)
            .order_by(file_blobs.c.sha256)
        )
        try:
            with self._engine.connect() as connection:
                return list(connection.execute(query).scalars())
        except sa_exc.SQLAlchemyError as e:
            raise FileStoreError(f"could not list stored files: {getattr(e, 'orig', e)}") from e

    def delete_if_older(self, key: str, older_than: dt.timedelta) -> bool:
        """Delete ``key`` unless it was stored (again) within ``older_than``; True if deleted.

        One conditional DELETE: a concurrent ``put`` of the same bytes either moved
        ``stored_at`` first (nothing is deleted) or inserts the row anew after.
        """
        if not _is_key(key):
            return False
        cutoff = self._clock.now() - older_than
        statement = file_blobs.delete().where(
            file_blobs.c.sha256 == key, file_blobs.c.stored_at < cutoff
        )
        try:
            with self._engine.begin() as connection:
                return bool(connection.execute(statement).rowcount)
        except sa_exc.SQLAlchemyError as e:
            raise FileStoreError(f"could not delete {key!r}: {getattr(e, 'orig', e)}") from e

    def _select(self, query: Select[Any], key: str) -> object | None:
        try:
            with self._engine.connect() as connection:
                found: object | None = connection.execute(query).scalar()
                return found
        except sa_exc.SQLAlchemyError as e:
            raise FileStoreError(f"could not read {key!r}: {getattr(e, 'orig', e)}") from e


class _BlobReader(io.RawIOBase):
    """A stored blob read a chunk at a time, each chunk one query."""

    def __init__(self, store: SqlFileStore, key: str, size: int) -> None:
        self._store = store
        self._key = key
        self._size = size
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._size - self._offset)
        if wanted <= 0:
            return 0
        chunk = self._store._read_chunk(self._key, self._offset, wanted)
        if not chunk:
            raise FileStoreError(f"stored file {self._key} ended before its size")
        count = min(len(chunk), wanted)
        memoryview(buffer)[:count] = chunk[:count]
        self._offset += count
        return count
