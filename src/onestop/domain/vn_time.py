"""Vietnam's local time and day: UTC+7, with no daylight saving."""

from __future__ import annotations

import datetime as dt
from typing import Final

from dateutil import tz

from onestop import errors
from onestop.domain.inputs import require_datetime

__all__ = ["VN_TZ", "local_day", "local_time", "require_aware"]

# Vietnam has kept UTC+7 without daylight saving since 1975; a fixed offset needs no tz database.
VN_TZ: Final = tz.tzoffset("ICT", 7 * 3600)


def require_aware(value: dt.datetime, field: str) -> dt.datetime:
    """Return ``value`` unchanged if it has a time zone; raise NaiveDatetime naming ``field``.

    A value that is not a datetime at all is InvalidInput naming ``field`` too.
    """
    return require_datetime(value, field)


def local_time(instant: dt.datetime) -> dt.datetime:
    """The same instant seen on a clock in Vietnam (UTC+7)."""
    require_aware(instant, "instant")
    try:
        return instant.astimezone(VN_TZ)
    except (OverflowError, ValueError) as e:
        # Only instants within hours of year 1 or year 9999 get here.
        raise errors.InvalidInput(
            "instant", "must fall within the years 1 to 9999 in Vietnam's local time", instant
        ) from e


def local_day(instant: dt.datetime) -> dt.date:
    """The calendar day in Vietnam (UTC+7) of an aware instant; days turn at 17:00 UTC."""
    return local_time(instant).date()
