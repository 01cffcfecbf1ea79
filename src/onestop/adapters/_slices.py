"""The checks every adapter makes on a slice of a list (``offset`` and ``limit``) and on a
claim of due outbox entries (``now``, ``lease``, ``limit``)."""

from __future__ import annotations

import datetime as dt

from onestop.domain.codes import require_aware
from onestop.errors import InvalidInput

__all__ = ["check_claim", "check_slice"]


def check_slice(offset: object, limit: object) -> None:
    """InvalidInput unless ``offset`` is 0 or more and ``limit`` None or 1 or more."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("offset", "must be a whole number, 0 or more", offset)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InvalidInput("limit", "must be a whole number, 1 or more, or None", limit)


def check_claim(now: dt.datetime, lease: dt.timedelta, limit: int) -> None:
    """NaiveDatetime or InvalidInput unless ``now`` is aware, ``lease`` positive and
    ``limit`` a whole number, 1 or more."""
    require_aware(now, "now")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidInput("limit", "must be a whole number, 1 or more", limit)
    if lease <= dt.timedelta(0):
        raise InvalidInput("lease", "must be a positive duration", lease)
