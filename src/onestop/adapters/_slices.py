"""The one check every adapter makes on a slice of a list (``offset`` and ``limit``)."""

from __future__ import annotations

from onestop.errors import InvalidInput

__all__ = ["check_slice"]


def check_slice(offset: object, limit: object) -> None:
    """InvalidInput unless ``offset`` is 0 or more and ``limit`` None or 1 or more."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("offset", "must be a whole number, 0 or more", offset)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InvalidInput("limit", "must be a whole number, 1 or more, or None", limit)
