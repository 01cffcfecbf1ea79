"""Attachments going out: a stream with what a host needs to send it (DOMAIN section 7).

:meth:`DossierService.open_file <onestop.application.dossiers.DossierService.open_file>`
and :meth:`OfficerDesk.open_file <onestop.application.desk.OfficerDesk.open_file>` check
who may read the file, then return a :class:`FileDownload`: the file store's stream, the
name, media type, size and sha256 the dossier recorded, and a ready ``Content-Disposition``
value (:func:`content_disposition`, RFC 6266 with the RFC 5987 ``filename*`` form, so a
Vietnamese name arrives intact and older clients get a plain ASCII fallback).
"""

from __future__ import annotations

import types
import unicodedata
from collections.abc import Iterator
from typing import BinaryIO, Final, Literal
from urllib.parse import quote

import attrs

from onestop.domain.dossier import Dossier
from onestop.domain.files import FileRef
from onestop.errors import FileNotFoundInStore, InvalidInput
from onestop.ports.edges import FileStore

__all__ = ["CHUNK_SIZE", "FileDownload", "content_disposition", "open_attached"]

#: How much :class:`FileDownload` yields at a time when iterated.
CHUNK_SIZE: Final = 64 * 1024

# RFC 5987 attr-char besides letters and digits: what stays unencoded in filename*.
_ATTR_CHARS: Final = "!#$&+-.^_`|~"
_FALLBACK: Final = "download"
_LETTERS_WITHOUT_DECOMPOSITION: Final = str.maketrans({"đ": "d", "Đ": "D"})


def content_disposition(
    filename: str, disposition: Literal["attachment", "inline"] = "attachment"
) -> str:
    """A ``Content-Disposition`` header value for ``filename`` (RFC 6266 and RFC 5987).

    ``attachment; filename="Giay de nghi.pdf"; filename*=UTF-8''Gi%E1%BA%A5y%20...``: the
    quoted name is an ASCII fallback (diacritics dropped, đ as d, quotes, backslashes and
    control characters removed); ``filename*`` is the exact name, percent-encoded. Any path
    part of ``filename`` is dropped.
    """
    if disposition not in ("attachment", "inline"):
        raise InvalidInput("disposition", "must be 'attachment' or 'inline'", disposition)
    if not isinstance(filename, str):
        raise InvalidInput("filename", "must be text", filename)
    name = _printable(filename.replace("\\", "/").rsplit("/", 1)[-1]).strip() or _FALLBACK
    fallback = _ascii_fallback(name)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    return value


def _printable(text: str) -> str:
    # Control, format (bidi, zero-width) and unassigned characters never reach a header.
    return "".join(c for c in text if unicodedata.category(c)[0] not in "CZ" or c == " ")


def _ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.translate(_LETTERS_WITHOUT_DECOMPOSITION))
    kept = "".join(c for c in decomposed if " " <= c <= "~" and c not in '"\\')
    stem, dot, extension = kept.strip().rpartition(".")
    if dot and not stem.strip():
        return f"{_FALLBACK}.{extension}"  # only the extension was ASCII
    return " ".join(kept.split()) or _FALLBACK


@attrs.define(repr=False)
class FileDownload:
    """An attachment opened for reading: iterate it (or :meth:`read`) and close it.

    A context manager; the metadata is what the dossier recorded when the file was attached.
    """

    name: str
    media_type: str
    size: int
    sha256: str
    #: A ready ``Content-Disposition`` header value (attachment, with the UTF-8 name).
    content_disposition: str
    stream: BinaryIO

    def __repr__(self) -> str:
        return f"<FileDownload {self.name!r} {self.media_type} {self.size} bytes>"

    @classmethod
    def of(
        cls,
        ref: FileRef,
        stream: BinaryIO,
        disposition: Literal["attachment", "inline"] = "attachment",
    ) -> FileDownload:
        """The download of ``ref`` read from ``stream``."""
        return cls(
            name=ref.name,
            media_type=ref.media_type,
            size=ref.size,
            sha256=ref.sha256,
            content_disposition=content_disposition(ref.name, disposition),
            stream=stream,
        )

    @property
    def headers(self) -> dict[str, str]:
        """The response headers of the download: type, length, disposition, a strong ETag."""
        return {
            "Content-Type": self.media_type,
            "Content-Length": str(self.size),
            "Content-Disposition": self.content_disposition,
            "ETag": f'"{self.sha256}"',
            "X-Content-Type-Options": "nosniff",
        }

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when -1); ``b""`` at the end."""
        return self.stream.read(size)

    def __iter__(self) -> Iterator[bytes]:
        """The content in chunks of :data:`CHUNK_SIZE`; closes the stream at the end."""
        try:
            while chunk := self.stream.read(CHUNK_SIZE):
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        """Release the stream (a file handle on disk)."""
        self.stream.close()

    def __enter__(self) -> FileDownload:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.close()


def attached_file(dossier: Dossier, file_key: str, component_id: str | None = None) -> FileRef:
    """The file ``file_key`` attached to ``dossier`` or one of its electronic results; with
    ``component_id``, the one attached to that component.

    The file store keeps equal bytes under one key, so one dossier may hold a key twice
    (the same scan for two components, under two names): without ``component_id`` the first
    is meant. FileNotFoundInStore if there is none.
    """
    for attachment in dossier.attachments:
        if attachment.file.key == file_key and component_id in (None, attachment.component_id):
            return attachment.file
    if component_id is None:
        for result in dossier.results:
            if result.key == file_key:
                return result
    raise FileNotFoundInStore(file_key)


def open_attached(
    file_store: FileStore,
    dossier: Dossier,
    file_key: str,
    disposition: Literal["attachment", "inline"] = "attachment",
    component_id: str | None = None,
) -> FileDownload:
    """Open a file attached to ``dossier`` (the caller checked who may read it)."""
    ref = attached_file(dossier, file_key, component_id)
    return FileDownload.of(ref, file_store.open(ref.key), disposition)
