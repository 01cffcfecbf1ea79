"""What every file store does with an upload before keeping it (shared by the adapters).

* :func:`check_upload`: refuse a bad ``max_bytes``, name or media type before reading what
  may be a long stream.
* :func:`chunks`: the upload in chunks, bytes or a binary stream alike, raising
  :class:`~onestop.errors.AttachmentTooLarge` as soon as it passes the limit (a stream is
  read at most one byte past it).
* :func:`read_upload`: the whole upload as bytes, through :func:`chunks`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Final

from onestop.domain.files import FileRef
from onestop.errors import AttachmentTooLarge, InvalidInput

__all__ = ["CHUNK", "check_upload", "chunks", "is_size", "read_upload", "too_large"]

#: Bytes read from a stream at a time.
CHUNK: Final = 64 * 1024
_PLACEHOLDER_SHA256: Final = "0" * 64


def is_size(value: object) -> bool:
    """True for a whole number of bytes, 0 or more (``True`` is not a size)."""
    return not isinstance(value, bool) and isinstance(value, int) and value >= 0


def too_large(max_bytes: int, size: int | None) -> AttachmentTooLarge:
    return AttachmentTooLarge("file.size", f"must be at most {max_bytes} bytes", size)


def check_upload(*, name: str, media_type: str, max_bytes: int | None) -> None:
    """Refuse a bad limit, name or media type (the errors :class:`FileRef` raises)."""
    if max_bytes is not None and not is_size(max_bytes):
        raise InvalidInput("max_bytes", "must be a whole number of bytes, 0 or more", max_bytes)
    FileRef(_PLACEHOLDER_SHA256, name, media_type, 0, _PLACEHOLDER_SHA256)


def chunks(data: bytes | BinaryIO, limit: int | None, chunk_size: int) -> Iterator[bytes]:
    """The upload in chunks of at most ``chunk_size``; AttachmentTooLarge past ``limit``."""
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        if limit is not None and len(view) > limit:
            raise too_large(limit, len(view))
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])
        return
    size = 0
    while True:
        # Read one byte past the limit at most: enough to know the file is too large.
        want = chunk_size if limit is None else min(chunk_size, limit - size + 1)
        chunk = data.read(want)
        if not chunk:
            return
        size += len(chunk)
        if limit is not None and size > limit:
            raise too_large(limit, None)
        yield bytes(chunk)


def read_upload(data: bytes | BinaryIO, limit: int | None, chunk_size: int) -> bytes:
    """The whole upload; AttachmentTooLarge past ``limit``."""
    if isinstance(data, bytes | bytearray | memoryview):
        if limit is not None and len(data) > limit:
            raise too_large(limit, len(data))
        return bytes(data)
    return b"".join(chunks(data, limit, chunk_size))
