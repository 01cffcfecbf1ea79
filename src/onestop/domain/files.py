"""References to stored files: what a dossier keeps about an attachment (DOMAIN section 7)."""

from __future__ import annotations

import re

import attrs

from onestop.errors import InvalidAttachment

__all__ = ["FileRef"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile("[\x00-\x1f\x7f]")  # control characters (below 32, and DEL)
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _check_sha256(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _SHA256.fullmatch(value):
        raise InvalidAttachment("file.sha256", "must be 64 lowercase hexadecimal digits", value)


def _check_media_type(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _MEDIA_TYPE.fullmatch(value):
        raise InvalidAttachment("file.media_type", "must look like 'type/subtype'", value)


def _check_size(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidAttachment("file.size", "must be a whole number of bytes, 0 or more", value)


def _check_name(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value or len(value) > 255 or _CONTROL.search(value):
        raise InvalidAttachment(
            "file.name", "must be 1 to 255 characters without control characters", value
        )


@attrs.frozen
class FileRef:
    """A stored file as a dossier sees it.

    ``key`` is the file store's own key; ``name`` is what the user called the file, kept for
    display only and never used as a path.
    """

    key: str
    name: str = attrs.field(validator=_check_name)
    media_type: str = attrs.field(validator=_check_media_type)
    size: int = attrs.field(validator=_check_size)
    sha256: str = attrs.field(validator=_check_sha256)
