"""Storing an upload for a dossier: a citizen's file, an officer's scan, a result document.

:func:`store_upload` checks the file's name and declared media type before anything is
stored, the bytes against the media type and the size while the file store reads them, and
names the field in every refusal (``components[giay-de-nghi].size``, ``result.media_type``).
:func:`store_component_file` stores a file for one of a procedure's components under that
component's rules (a citizen's attachment, an officer's scan), and :func:`require_status`
refuses an upload to a dossier in the wrong status before anything is stored.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import BinaryIO, Final

from onestop.application.context import AppContext
from onestop.application.files import content_checked
from onestop.domain.catalog import Component
from onestop.domain.dossier import Dossier
from onestop.domain.files import FileRef
from onestop.domain.statuses import DossierStatus
from onestop.errors import AttachmentTooLarge, InvalidAttachment, TransitionNotAllowed

__all__ = [
    "RESULT_MAX_BYTES",
    "RESULT_MEDIA_TYPES",
    "display_name",
    "require_status",
    "store_component_file",
    "store_upload",
]

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


def store_component_file(
    ctx: AppContext,
    component: Component,
    data: bytes | BinaryIO,
    *,
    filename: str,
    media_type: str,
) -> FileRef:
    """:func:`store_upload` for one of a procedure's components: its media types, its size
    limit, and ``components[<id>]`` named in a refusal."""
    return store_upload(
        ctx,
        data,
        filename=filename,
        media_type=media_type,
        allowed=component.media_types,
        max_bytes=component.max_bytes,
        field=f"components[{component.id}]",
    )


def require_status(dossier: Dossier, allowed: Collection[DossierStatus], action: str) -> None:
    """TransitionNotAllowed (``action`` then the status) unless ``dossier`` is in ``allowed``;
    checked before a file is stored, so a refused upload stores nothing."""
    if dossier.status not in allowed:
        raise TransitionNotAllowed(action, dossier.status.value, tuple(s.value for s in allowed))
