"""Storing an upload for a dossier: a citizen's file, an officer's scan, a result document.

:func:`store_upload` checks the file's name and declared media type before anything is
stored, the bytes against the media type and the size while the file store reads them, and
names the field in every refusal (``components[giay-de-nghi].size``, ``result.media_type``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import BinaryIO, Final

from onestop.application.context import AppContext
from onestop.application.files import content_checked
from onestop.domain.files import FileRef
from onestop.errors import AttachmentTooLarge, InvalidAttachment

__all__ = ["RESULT_MAX_BYTES", "RESULT_MEDIA_TYPES", "display_name", "store_upload"]

#: What an electronic result document (kết quả điện tử) may be: a signed PDF or a scan.
RESULT_MEDIA_TYPES: Final = frozenset({"application/pdf", "image/jpeg", "image/png"})
#: The largest electronic result document accepted.
RESULT_MAX_BYTES: Final = 20 * 1024 * 1024


def display_name(filename: str) -> str:
    """The last part of a client's file name: browsers may send a path, which is never used."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise InvalidAttachment("filename", "must name a file, e.g. 'giay-to.pdf'", filename)
    return name


def bare_media_type(media_type: str) -> str:
    """The media type without parameters ("application/pdf; charset=binary" is a PDF)."""
    return media_type.partition(";")[0].strip().lower()


def store_upload(
    ctx: AppContext,
    data: bytes | BinaryIO,
    *,
    filename: str,
    media_type: str,
    allowed: Collection[str],
    max_bytes: int,
    field: str,
) -> FileRef:
    """Store ``data`` in the file store if its media type is one of ``allowed``, its bytes
    are what the media type says and it is at most ``max_bytes`` long."""
    name = display_name(filename)
    bare = bare_media_type(media_type)
    if bare not in allowed:
        raise InvalidAttachment(
            f"{field}.media_type", f"must be one of {', '.join(sorted(allowed))}", media_type
        )
    # The bytes must be what the media type says (an executable is no PDF): checked as
    # the store reads them, so a refused stream keeps nothing.
    checked = content_checked(data, bare, field=f"{field}.content")
    try:
        return ctx.file_store.put(checked, name=name, media_type=bare, max_bytes=max_bytes)
    except AttachmentTooLarge as e:
        # Name the field, as the media type check does; the store knows only bytes.
        raise AttachmentTooLarge(f"{field}.size", e.rule, e.value, limits=e.limits) from e
