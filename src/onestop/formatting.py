"""How the portal writes values for people: money, dates and times the Vietnamese way.

The one public home of these helpers, for a host's own pages as much as for our mail and
views: money as ``1.250.000 VND``, days as ``22/06/2022``, instants on Vietnam's clock
(UTC+7, whatever the server's time zone) as ``09:30 22/06/2022``.
"""

from __future__ import annotations

import datetime as dt

from onestop.domain.codes import local_time
from onestop.domain.money import format_vnd
from onestop.errors import InvalidInput

__all__ = ["format_date", "format_datetime", "format_size", "format_time", "format_vnd"]


def format_date(day: dt.date) -> str:
    """A day as Vietnamese letters and forms write it: ``22/06/2022``.

    An aware datetime is first read on Vietnam's clock (its local day); a naive one is
    refused, since its day depends on a time zone nobody stated.
    """
    if isinstance(day, dt.datetime):
        day = local_time(day).date()
    elif not isinstance(day, dt.date):
        raise InvalidInput("day", "must be a date", day)
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def format_time(instant: dt.datetime) -> str:
    """The time of day of an instant on Vietnam's clock: ``09:30``."""
    local = local_time(instant)
    return f"{local.hour:02d}:{local.minute:02d}"


def format_datetime(instant: dt.datetime) -> str:
    """An instant on Vietnam's clock (UTC+7), hours first: ``09:30 22/06/2022``."""
    local = local_time(instant)
    return f"{local.hour:02d}:{local.minute:02d} {format_date(local.date())}"


def format_size(size: int) -> str:
    """A file size for people, with a decimal comma: ``850 B``, ``12,5 KB``, ``1,2 MB``."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidInput("size", "must be a whole number of bytes, 0 or more", size)
    if size < 1024:
        return f"{size} B"
    amount = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        amount /= 1024
        if amount < 1024 or unit == "TB":
            break
    shown = f"{amount:.1f}".removesuffix(".0").replace(".", ",")
    return f"{shown} {unit}"
