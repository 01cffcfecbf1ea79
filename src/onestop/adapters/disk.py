"""Attachments on the local file system, content-addressed by sha256 (DOMAIN section 7).

A file's key is the sha256 of its bytes, in hex, and it lives at ``root/ab/cd/<sha256>``
(the first two pairs of hex digits as directories, so no directory grows too large). The
same bytes stored twice are kept once.

A file is written to a temporary file under ``root/.incoming``, flushed to disk, and only
then renamed into place (``os.replace``, atomic on one file system): a reader sees a whole
file or none, never part of one. Whatever goes wrong while writing (the size limit passed
mid-stream, the stream failing, the disk filling up), the temporary file is removed; only a
process killed mid-write leaves one behind, for :meth:`DiskFileStore.remove_stale_uploads`.

A file's modification time is when its bytes were last stored (by the store's ``clock``):
:meth:`~DiskFileStore.keys_older_than` and :meth:`~DiskFileStore.delete_if_older` go by it
when unreferenced files are collected.

The name the user gave a file is kept in its :class:`~onestop.domain.files.FileRef` for
display only and never touches the file system; keys given to :meth:`~DiskFileStore.get`
are checked to be 64 hex digits before any path is built from them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO, Final

from onestop.adapters._uploads import CHUNK, check_upload, chunks, is_size, too_large
from onestop.adapters.clocks import SystemClock
from onestop.domain.files import FileRef
from onestop.errors import (
    ConfigurationError,
    FileNotFoundInStore,
    FileStoreError,
)
from onestop.ports.edges import Clock

__all__ = ["DiskFileStore"]

_KEY: Final = re.compile(r"[0-9a-f]{64}")
_INCOMING: Final = ".incoming"


class DiskFileStore:
    """Files under ``root``, keyed by the sha256 of their content; safe across processes.

    ``max_bytes`` caps every file (a ``put`` may ask for less); ``fsync`` (on by default)
    makes each file durable before :meth:`put` returns.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_bytes: int | None = None,
        chunk_size: int = CHUNK,
        fsync: bool = True,
        clock: Clock | None = None,
    ) -> None:
        if max_bytes is not None and not is_size(max_bytes):
            raise ConfigurationError(f"max_bytes must be a whole number, 0 or more: {max_bytes!r}")
        if not is_size(chunk_size) or chunk_size < 1:
            raise ConfigurationError(f"chunk_size must be 1 byte or more: {chunk_size!r}")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._chunk_size = chunk_size
        self._fsync = fsync
        self._clock: Clock = SystemClock() if clock is None else clock

    def __repr__(self) -> str:
        return f"DiskFileStore({str(self.root)!r})"

    # --- the port -------------------------------------------------------------------------

    def put(
        self,
        data: bytes | BinaryIO,
        *,
        name: str,
        media_type: str,
        max_bytes: int | None = None,
    ) -> FileRef:
        """Store bytes (or a binary stream, read in chunks); AttachmentTooLarge past the limit.

        Nothing is kept when the file is refused or writing fails. ``name`` is for display.
        """
        check_upload(name=name, media_type=media_type, max_bytes=max_bytes)
        limit = _smallest(max_bytes, self.max_bytes)
        if (
            isinstance(data, bytes | bytearray | memoryview)
            and limit is not None
            and len(data) > limit
        ):
            raise too_large(limit, len(data))  # before creating any temporary file
        incoming = self.root / _INCOMING
        temporary: str | None = None
        try:
            incoming.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=incoming, prefix="put-", suffix=".part")
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks(data, limit, self._chunk_size):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                if self._fsync:
                    os.fsync(out.fileno())
            key = digest.hexdigest()
            final = self._path(key)
            # The modification time is when the bytes were last stored: what collecting
            # unreferenced files goes by. Storing the same bytes again makes them young.
            stamp = self._clock.now().timestamp()
            try:
                os.utime(final, (stamp, stamp))
            except FileNotFoundError:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temporary, final)
                os.utime(final, (stamp, stamp))
                if self._fsync:
                    _fsync_directory(final.parent)
            else:
                os.unlink(temporary)  # the same bytes are stored already
            temporary = None
        except OSError as e:
            raise FileStoreError(f"cannot store {name!r} under {self.root}: {e}") from e
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
        return FileRef(key=key, name=name, media_type=media_type, size=size, sha256=key)

    def get(self, key: str) -> bytes:
        """The stored bytes, or FileNotFoundInStore (also for anything that is not a key).

        FileStoreError when the file on disk no longer matches its sha256 (corrupted).
        """
        path = self._existing_path(key)
        if path is None:
            raise FileNotFoundInStore(key)
        try:
            content = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError) as e:
            raise FileNotFoundInStore(key) from e
        except OSError as e:
            raise FileStoreError(f"cannot read stored file {key}: {e}") from e
        if hashlib.sha256(content).hexdigest() != key:
            raise FileStoreError(f"stored file {key} is corrupted: its content changed on disk")
        return content

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a stream read from disk, or FileNotFoundInStore.

        The content is hashed as it is read: reaching the end of a file whose bytes no
        longer match its sha256 raises FileStoreError (corrupted) instead of ending cleanly.
        """
        path = self._existing_path(key)
        if path is None:
            raise FileNotFoundInStore(key)
        try:
            handle = path.open("rb", buffering=0)
        except (FileNotFoundError, IsADirectoryError) as e:
            raise FileNotFoundInStore(key) from e
        except OSError as e:
            raise FileStoreError(f"cannot read stored file {key}: {e}") from e
        return io.BufferedReader(_VerifiedReader(handle, key), buffer_size=self._chunk_size)

    def exists(self, key: str) -> bool:
        """True when ``key`` is stored (False for anything that is not a key)."""
        path = self._existing_path(key)
        return path is not None and path.is_file()

    def remove_stale_uploads(self, older_than: dt.timedelta = dt.timedelta(hours=1)) -> int:
        """Delete temporary files left by a process killed mid-write; returns how many.

        A running upload keeps writing to its file, so only files untouched for
        ``older_than`` are removed. Nothing else ever needs cleaning up.
        """
        incoming = self.root / _INCOMING
        deadline = time.time() - older_than.total_seconds()
        removed = 0
        try:
            leftovers = list(incoming.glob("put-*.part"))
        except OSError as e:
            raise FileStoreError(f"cannot list {incoming}: {e}") from e
        for leftover in leftovers:
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < deadline:
                    leftover.unlink()
                    removed += 1
        return removed

    def keys_older_than(self, older_than: dt.timedelta) -> list[str]:
        """The keys stored (or stored again) more than ``older_than`` ago."""
        cutoff = (self._clock.now() - older_than).timestamp()
        found: list[str] = []
        try:
            for path in self.root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
                key = path.name
                if not _KEY.fullmatch(key) or path != self._path(key):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < cutoff:
                        found.append(key)
        except OSError as e:
            raise FileStoreError(f"cannot list the files under {self.root}: {e}") from e
        return sorted(found)

    def delete_if_older(self, key: str, older_than: dt.timedelta) -> bool:
        """Delete ``key`` unless it was stored (again) within ``older_than``; True if deleted.

        The file is first renamed aside (atomic), then its age is checked again: a
        :meth:`put` of the same bytes that touched it just before is seen and the file is
        put back (same bytes, so putting it back is harmless); one that comes just after
        finds no file and stores its own copy.
        """
        path = self._existing_path(key)
        if path is None:
            return False
        cutoff = (self._clock.now() - older_than).timestamp()
        aside = self.root / _INCOMING / f"put-collected-{key}-{secrets.token_hex(4)}.part"
        try:
            if path.stat().st_mtime >= cutoff:
                return False
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, aside)
        except FileNotFoundError:
            return False
        except OSError as e:
            raise FileStoreError(f"cannot delete stored file {key}: {e}") from e
        try:
            if aside.stat().st_mtime >= cutoff:
                os.replace(aside, path)  # stored again meanwhile: keep it
                return False
            os.unlink(aside)
        except OSError as e:
            raise FileStoreError(f"cannot delete stored file {key}: {e}") from e
        return True

    # --- helpers --------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key[2:4] / key

    def _existing_path(self, key: object) -> Path | None:
        # Only 64 lowercase hex digits ever become a path: no '..', '/', NUL or drive.
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            return None
        return self._path(key)


class _VerifiedReader(io.RawIOBase):
    """A stored file read as it is, hashed on the way; a mismatch at the end is an error."""

    def __init__(self, raw: io.FileIO, key: str) -> None:
        self._raw = raw
        self._key = key
        self._digest = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            count = self._raw.readinto(buffer)
        except OSError as e:
            raise FileStoreError(f"cannot read stored file {self._key}: {e}") from e
        if count:
            self._digest.update(memoryview(buffer)[:count])
        elif not self._checked:
            self._checked = True
            if self._digest.hexdigest() != self._key:
                raise FileStoreError(
                    f"stored file {self._key} is corrupted: its content changed on disk"
                )
        return int(count or 0)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def _fsync_directory(directory: Path) -> None:
    # The rename is durable once the directory is; not every system can open a directory.
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _smallest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
