"""Attachments' bytes: checking an upload's content while it is stored, and collecting the
blobs no dossier references any more (DOMAIN section 7).

* :func:`content_checked`: the upload, checked against its declared media type by
  :class:`~onestop.domain.files.ContentCheck` as the file store reads it (bytes are checked
  at once, a stream chunk by chunk: nothing is read twice or held whole for the check).
* :class:`FileService` (``portal.files``): :meth:`~FileService.collect_unreferenced` deletes
  stored files no dossier (draft included) references: files detached, from discarded drafts
  or from failed attaches.

Why collection is safe under a concurrent attach: an attach stores the file first (which
makes it young again, even when the same bytes were stored long before) and references it
in the same request. Collection only considers files stored more than a grace period ago,
asks storage which of them a dossier references, and deletes each of the rest only if it
is *still* older than the grace period: a file stored again in between is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import BinaryIO, Final

import attrs

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.domain.files import ContentCheck
from onestop.errors import InvalidInput

__all__ = ["DEFAULT_GRACE", "CollectionReport", "FileService", "content_checked"]

#: How long a stored file is left alone before it may be collected: far longer than any
#: attach takes between storing a file and referencing it.
DEFAULT_GRACE: Final = dt.timedelta(hours=24)
#: The shortest grace period accepted: below it, a slow attach could lose its file.
MIN_GRACE: Final = dt.timedelta(minutes=10)
_BATCH: Final = 500
_SLICE: Final = 64 * 1024


class _CheckedStream:
    """A binary stream that passes each chunk read to a :class:`ContentCheck` on the way."""

    def __init__(self, stream: BinaryIO, check: ContentCheck) -> None:
        self._stream = stream
        self._check = check

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if isinstance(chunk, bytes | bytearray | memoryview):
            if chunk:
                self._check.feed(bytes(chunk))
            else:
                self._check.finish()
        # Anything else goes to the file store unchanged, which refuses it (FileStoreError).
        return chunk


def content_checked(
    data: bytes | BinaryIO, media_type: str, *, field: str = "file.content"
) -> bytes | BinaryIO:
    """``data``, refused with AttachmentContentMismatch if it is not ``media_type``.

    Bytes are checked now; a stream is checked as the file store reads it, and the store
    keeps nothing when the check refuses it part way.
    """
    check = ContentCheck(media_type, field=field)
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        if view.ndim != 1 or view.itemsize != 1:
            view = memoryview(view.tobytes())
        # In slices, stopping once decided: a signature needs the head only, text its end.
        for start in range(0, len(view), _SLICE):
            if check.decided:
                break
            check.feed(bytes(view[start : start + _SLICE]))
        check.finish()
        return data
    return _CheckedStream(data, check)  # type: ignore[return-value]


@attrs.frozen
class CollectionReport:
    """What :meth:`FileService.collect_unreferenced` did."""

    #: Files old enough to be considered.
    considered: int
    #: Files a dossier still references, kept.
    referenced: int
    #: Files deleted.
    deleted: tuple[str, ...]
    #: Files stored again while collection ran, kept.
    kept_young: int


#: The longest grace period: older files than this are kept anyway (and a cutoff before the
#: year 1 cannot be computed).
MAX_GRACE = dt.timedelta(days=3660)


@checked_methods
class FileService:
    """Housekeeping of the file store; a host runs it on a schedule (daily is plenty)."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def collect_unreferenced(self, *, older_than: dt.timedelta = DEFAULT_GRACE) -> CollectionReport:
        """Delete the stored files no dossier references, stored more than ``older_than`` ago.

        A file any dossier references (a draft, a submitted or a closed one) is never
        deleted, nor one stored (or stored again) within ``older_than``, so an attach
        running at the same moment keeps its file. ``older_than`` is 10 minutes at least.
        """
        if older_than < MIN_GRACE:
            raise InvalidInput(
                "older_than",
                f"must be at least {MIN_GRACE}, so that an attach in progress keeps its file",
                older_than,
            )
        if older_than > MAX_GRACE:
            raise InvalidInput("older_than", f"must be at most {MAX_GRACE.days} days", older_than)
        ctx = self._ctx
        candidates = list(ctx.file_store.keys_older_than(older_than))
        referenced: set[str] = set()
        for start in range(0, len(candidates), _BATCH):
            batch = candidates[start : start + _BATCH]
            with ctx.storage.unit_of_work() as uow:
                referenced |= uow.dossiers.referenced_file_keys(batch)
        deleted: list[str] = []
        kept_young = 0
        for key in candidates:
            if key in referenced:
                continue
            if ctx.file_store.delete_if_older(key, older_than):
                deleted.append(key)
            else:
                kept_young += 1
        return CollectionReport(
            considered=len(candidates),
            referenced=len(referenced),
            deleted=tuple(deleted),
            kept_young=kept_young,
        )
