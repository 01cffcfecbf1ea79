"""Attached files (DOMAIN section 7): the reference a dossier keeps, and what content may be.

* :class:`FileRef`: a stored file as a dossier sees it. Its ``name`` is for display only and
  holds no control, bidirectional or other invisible character (``"\u202efdp.exe"`` would
  show as ``exe.pdf``).
* :class:`ContentCheck`: whether an upload's bytes are what its declared media type says,
  fed chunk by chunk as the upload is read (a PDF starts ``%PDF-``, a PNG with its 8-byte
  signature, plain text is UTF-8 without NUL...). :func:`describe_content` names what a
  file's first bytes look like, for the error message.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from typing import Final

import attrs

from onestop.domain.inputs import is_valid_unicode
from onestop.errors import AttachmentContentMismatch, InvalidAttachment

__all__ = [
    "CHECKED_MEDIA_TYPES",
    "HEAD_BYTES",
    "ContentCheck",
    "FileRef",
    "describe_content",
    "is_safe_file_name",
]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile("[\x00-\x1f\x7f]")  # control characters (below 32, and DEL)
# Unicode categories never allowed in a file name: controls, format characters (bidi
# controls, zero-width characters), surrogates, line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _check_key(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if (
        not isinstance(value, str)
        or not value
        or len(value) > 255
        or _CONTROL.search(value)
        or not is_valid_unicode(value)
    ):
        raise InvalidAttachment(
            "file.key", "must be the file store's key: 1 to 255 characters of text", value
        )


def _check_sha256(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidAttachment("file.sha256", "must be 64 lowercase hexadecimal digits", value)


def _check_media_type(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _MEDIA_TYPE.fullmatch(value):
        raise InvalidAttachment("file.media_type", "must look like 'type/subtype'", value)


def _check_size(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidAttachment("file.size", "must be a whole number of bytes, 0 or more", value)


def is_safe_file_name(name: str) -> bool:
    """True for 1 to 255 characters with no control, format (bidi, zero-width) or line break.

    Refused: control characters (C0 and C1), format characters (the bidirectional
    embeddings, overrides, isolates and marks U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
    U+061C, zero-width spaces and joiners, the byte-order mark, the soft hyphen), lone
    surrogates, and the line and paragraph separators. Code points unassigned in this
    Python's Unicode version are let through: a newer emoji is not an attack.
    """
    if not isinstance(name, str) or not name or len(name) > 255:
        return False
    if name.isascii():
        return not _CONTROL.search(name)
    return not any(unicodedata.category(c) in _INVISIBLE for c in name)


def _check_name(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not is_safe_file_name(value):
        raise InvalidAttachment(
            "file.name",
            "must be 1 to 255 characters without control characters, bidirectional "
            "controls or other invisible characters",
            value,
        )


@attrs.frozen
class FileRef:
    """A stored file as a dossier sees it.

    ``key`` is the file store's own key; ``name`` is what the user called the file, kept for
    display only and never used as a path.
    """

    key: str = attrs.field(validator=_check_key)
    name: str = attrs.field(validator=_check_name)
    media_type: str = attrs.field(validator=_check_media_type)
    size: int = attrs.field(validator=_check_size)
    sha256: str = attrs.field(validator=_check_sha256)


# --- content -------------------------------------------------------------------------------

#: How much of a file's start :class:`ContentCheck` looks at for a signature.
HEAD_BYTES: Final = 4096

_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP: Final = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
_ODF_MIMETYPE: Final = b"mimetype"  # ODF's first entry, stored uncompressed at offset 30

# What a file's first bytes say it is: (description, test), most specific first. The
# descriptions name the content in the error message ("it looks like a Windows program").
_KINDS: Final[tuple[tuple[str, Callable[[bytes], bool]], ...]] = (
    ("a PDF document", lambda h: h.startswith(b"%PDF-")),
    ("a PNG image", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    ("a JPEG image", lambda h: h.startswith(b"\xff\xd8\xff")),
    ("a GIF image", lambda h: h.startswith((b"GIF87a", b"GIF89a"))),
    ("a TIFF image", lambda h: h.startswith((b"II*\x00", b"MM\x00*"))),
    ("a WebP image", lambda h: h.startswith(b"RIFF") and h[8:12] == b"WEBP"),
    ("a BMP image", lambda h: h.startswith(b"BM") and len(h) >= 14 and h[6:10] == bytes(4)),
    ("a DWG drawing", lambda h: h.startswith(b"AC10")),
    ("a ZIP archive (docx, xlsx, odt...)", lambda h: h.startswith(_ZIP)),
    ("an OLE2 compound document (doc, xls)", lambda h: h.startswith(_OLE2)),
    ("a Windows program (MZ)", lambda h: h.startswith(b"MZ")),
    ("a Linux program (ELF)", lambda h: h.startswith(b"\x7fELF")),
    (
        "a macOS program (Mach-O)",
        lambda h: (
            h[:4]
            in {b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"}
        ),
    ),
    ("a Java class or fat binary", lambda h: h.startswith(b"\xca\xfe\xba\xbe")),
    ("a script (#!)", lambda h: h.startswith(b"#!")),
    ("a RAR archive", lambda h: h.startswith(b"Rar!\x1a\x07")),
    ("a 7-Zip archive", lambda h: h.startswith(b"7z\xbc\xaf\x27\x1c")),
    ("a gzip archive", lambda h: h.startswith(b"\x1f\x8b")),
    ("an HTML page", lambda h: _html(h)),
    ("an XML document", lambda h: h.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml")),
)

_SIGNATURE_OF: Final[dict[str, str]] = {
    "application/pdf": "a PDF document",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/pjpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/tiff": "a TIFF image",
    "image/webp": "a WebP image",
    "image/bmp": "a BMP image",
    "image/vnd.dwg": "a DWG drawing",
    "application/zip": "a ZIP archive (docx, xlsx, odt...)",
    "application/msword": "an OLE2 compound document (doc, xls)",
    "application/vnd.ms-excel": "an OLE2 compound document (doc, xls)",
    "application/vnd.ms-powerpoint": "an OLE2 compound document (doc, xls)",
}
_OOXML: Final = "application/vnd.openxmlformats-officedocument."
_ODF: Final = "application/vnd.oasis.opendocument."
_TEXT: Final = frozenset({"text/plain", "text/csv"})
#: What text may look like at its start besides plain text (an XML file, a script).
_TEXT_LOOKALIKES: Final = frozenset({"text", "an XML document", "a script (#!)"})

#: The media types whose content :class:`ContentCheck` checks (plus every OOXML and ODF type);
#: other types are taken as declared, since no signature is known for them.
CHECKED_MEDIA_TYPES: Final = frozenset(_SIGNATURE_OF) | _TEXT


def _html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<script", b"<head", b"<body"))


def describe_content(head: bytes) -> str:
    """What a file starting with ``head`` looks like, in words ("a PDF document", "text")."""
    if not head:
        return "an empty file"
    for description, matches in _KINDS:
        if matches(head):
            return description
    if b"\x00" not in head:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            pass
        else:
            return "text"
    return "data of no known type"


def _is_checked(media_type: str) -> bool:
    return media_type in CHECKED_MEDIA_TYPES or media_type.startswith((_OOXML, _ODF))


class ContentCheck:
    """Whether an upload's content is what ``media_type`` says; fed while the upload is read.

    :meth:`feed` each chunk in order, then :meth:`finish`. Either raises
    :class:`~onestop.errors.AttachmentContentMismatch` (naming ``field``, the declared type
    and what the content looks like) as soon as the content is known not to match: after
    the first :data:`HEAD_BYTES` for a signature, at the first bad byte for text. Only the
    head is kept; text is validated as UTF-8 chunk by chunk, never held whole.

    An empty file passes (the size rules refuse it), and so does a media type with no known
    signature (:data:`CHECKED_MEDIA_TYPES`).
    """

    def __init__(self, media_type: str, *, field: str = "file.content") -> None:
        self.media_type = media_type
        self.field = field
        self._head = bytearray()
        self._done = not _is_checked(media_type)
        self._text = media_type in _TEXT
        self._utf8 = codecs.getincrementaldecoder("utf-8")() if self._text else None
        self._size = 0
        self._signature_checked = False

    @property
    def decided(self) -> bool:
        """True once the rest of the upload cannot change the verdict (a signature was seen)."""
        return self._done

    def feed(self, chunk: bytes) -> None:
        """Look at the next chunk of the upload."""
        self._size += len(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        if self._done:
            return
        if self._utf8 is not None:
            self._check_text(chunk, final=False)
        if len(self._head) >= HEAD_BYTES:
            self._check_signature()

    def finish(self) -> None:
        """The upload ended: check what could not be checked before."""
        if self._size == 0:
            return
        if self._utf8 is not None:
            self._check_text(b"", final=True)
        if not self._done:
            self._check_signature()

    def _check_text(self, chunk: bytes, *, final: bool) -> None:
        assert self._utf8 is not None
        if b"\x00" in chunk:
            self._refuse("must be text without NUL characters")
        # Decoded in slices and thrown away: the text is validated, never held whole.
        for start in range(0, max(len(chunk), 1), 64 * 1024):
            try:
                self._utf8.decode(chunk[start : start + 64 * 1024], final=final)
            except UnicodeDecodeError:
                self._refuse("must be UTF-8 text")

    def _check_signature(self) -> None:
        self._done = self._utf8 is None  # text goes on being checked to its last byte
        if self._signature_checked:
            return
        self._signature_checked = True
        head = bytes(self._head)
        media_type = self.media_type
        if self._utf8 is not None:
            # ASCII-only PDFs and HTML pages decode as UTF-8 too: text must not look like them.
            looks = describe_content(head)
            if looks not in _TEXT_LOOKALIKES:
                self._refuse("must be plain text")
            return
        if media_type.startswith(_ODF):
            # An ODF file is a ZIP whose first entry, "mimetype", holds its media type.
            if head.startswith(_ZIP[0]) and head[30:38] == _ODF_MIMETYPE:
                if head[38 : 38 + len(media_type)] == media_type.encode("utf-8", "replace"):
                    return
                self._refuse("must be an OpenDocument file of that type", kind="another ODF file")
            if not head.startswith(_ZIP):
                self._refuse("must be an OpenDocument (ZIP) file")
            return
        if media_type.startswith(_OOXML):
            if not head.startswith(_ZIP):
                self._refuse("must be an Office Open XML (ZIP) file")
            return
        expected = _SIGNATURE_OF[media_type]
        if describe_content(head) != expected:
            self._refuse(f"must be {expected}")

    def _refuse(self, rule: str, *, kind: str | None = None) -> None:
        self._done = True
        looks = kind or describe_content(bytes(self._head))
        raise AttachmentContentMismatch(
            self.field,
            f"{rule}: it is declared as {self.media_type} but its content looks like {looks}",
            declared=self.media_type,
            looks_like=looks,
        )
