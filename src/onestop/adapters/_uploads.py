"""What every file store does with an upload before keeping it (shared by the adapters).

* :func:`check_upload`: refuse a bad ``max_bytes``, name or media type before reading what
  may be a long stream.
* :func:`chunks`: the upload in chunks, bytes or a binary stream alike, raising
  :class:`~onestop.errors.AttachmentTooLarge` as soon as it passes the limit (a stream is
  read at most one byte past it).
* :func:`read_upload`: the whole upload as bytes, through :func:`chunks`.

A stream is the client's upload: its ``read()`` may fail (``ConnectionResetError`` when the
client goes away, ``ValueError`` on a closed file, anything from a host's own wrapper) or give
something that is not bytes. Every file store answers all of these the same way, with
:class:`~onestop.errors.FileStoreError` (the upload could not be read), and keeps nothing.
Errors of the library itself (a content check refusing the file while it is read) pass as
they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Final

from onestop.domain.files import FileRef
from onestop.errors import (
    AttachmentTooLarge,
    FileStoreError,
    InvalidAttachment,
    InvalidInput,
    OnestopError,
    show_value,
)

__all__ = ["CHUNK", "check_upload", "chunks", "is_size", "read_upload", "too_large"]

#: Bytes read from a stream at a time.
CHUNK: Final = 64 * 1024
_PLACEHOLDER_SHA256: Final = "0" * 64


def is_size(value: object) -> bool:
    """True for a whole number of bytes, 0 or more (``True`` is not a size)."""
    return not isinstance(value, bool) and isinstance(value, int) and value >= 0


def too_large(max_bytes: int, size: int | None) -> AttachmentTooLarge:
    return AttachmentTooLarge(
        "file.size", f"must be at most {max_bytes} bytes", size, limits={"max_bytes": max_bytes}
    )


def check_upload(*, name: str, media_type: str, max_bytes: int | None) -> None:
    """Refuse a bad limit, name or media type (the errors :class:`FileRef` raises)."""
    if max_bytes is not None and not is_size(max_bytes):
        raise InvalidInput("max_bytes", "must be a whole number of bytes, 0 or more", max_bytes)
    FileRef(_PLACEHOLDER_SHA256, name, media_type, 0, _PLACEHOLDER_SHA256)


def _byte_view(data: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(data)
    # A memoryview of an array of ints counts items, not bytes: look at its bytes.
    return view if view.format in {"B", "b", "c"} and view.ndim == 1 else memoryview(bytes(view))


def _read(data: BinaryIO, want: int) -> bytes:
    """One read of the client's stream, its failures and wrong types as FileStoreError."""
    try:
        chunk = data.read(want)
    except OnestopError:
        raise
    except Exception as e:  # the client's stream may fail in any way (a reset connection)
        raise FileStoreError(
            f"the upload could not be read: {type(e).__name__}: {show_value(str(e))}"
        ) from e
    if not isinstance(chunk, bytes | bytearray | memoryview):
        raise FileStoreError(
            f"the upload stream must give bytes, it gave {type(chunk).__name__} "
            "(open the file in binary mode, 'rb')"
        )
    return bytes(chunk)


def chunks(data: bytes | BinaryIO, limit: int | None, chunk_size: int) -> Iterator[bytes]:
    """The upload in chunks of at most ``chunk_size``; AttachmentTooLarge past ``limit``.

    FileStoreError when a stream's ``read()`` fails or gives something other than bytes.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        view = _byte_view(data)
        if limit is not None and len(view) > limit:
            raise too_large(limit, len(view))
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])
        return
    if not callable(getattr(data, "read", None)):
        raise InvalidAttachment(
            "file.data", "must be bytes or a binary stream with a read() method", data
        )
    size = 0
    while True:
        # Read one byte past the limit at most: enough to know the file is too large.
        want = chunk_size if limit is None else min(chunk_size, limit - size + 1)
        chunk = _read(data, want)
        if not chunk:
            return
        size += len(chunk)
        if limit is not None and size > limit:
            raise too_large(limit, None)
        yield chunk


def read_upload(data: bytes | BinaryIO, limit: int | None, chunk_size: int) -> bytes:
    """The whole upload; AttachmentTooLarge past ``limit``, FileStoreError if it cannot be read."""
    if isinstance(data, bytes | bytearray | memoryview):
        view = _byte_view(data)
        if limit is not None and len(view) > limit:
            raise too_large(limit, len(view))
        return bytes(view)
    return b"".join(chunks(data, limit, chunk_size))
