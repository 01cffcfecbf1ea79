"""The national electronic identity (VNeID) an account is linked to (DOMAIN.md section 12).

Decree 69/2024 lets level-1 and level-2 VNeID accounts be used for public services. The
national portal's single sign-on vouches for a *subject* (its stable id of the person), the
personal id number it has checked, and the level of assurance of this login. A portal
account records them as a :class:`NationalIdentity`; whether an account is identified
through VNeID (the flag the national sync sends and the indicators count) is whether it
holds one.

The rules are the account's (:meth:`onestop.domain.accounts.Account.link_national_identity`):
an account holding an id number may only be linked to an identity vouching for that same
number (:class:`~onestop.errors.NationalIdNumberConflict`); that one subject belongs to one
account is the storage's unique rule.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

import attrs

from onestop.domain.identity import check_citizen_id
from onestop.domain.inputs import is_valid_unicode, require_datetime
from onestop.errors import InvalidInput

__all__ = ["LEVELS_OF_ASSURANCE", "MAX_SUBJECT_LENGTH", "NationalIdentity", "level_of_acr"]

#: The levels of assurance of Decree 69/2024 (mức 1: the account; mức 2: with the chip card).
LEVELS_OF_ASSURANCE: Final = (1, 2)
#: Longest subject or issuer kept (OpenID Connect allows 255 ASCII characters for ``sub``).
MAX_SUBJECT_LENGTH: Final = 255

_TRAILING_LEVEL: Final = re.compile(r"(?:^|[^0-9])([0-9])$")


def level_of_acr(acr: str | None) -> int | None:
    """The level of assurance an ``acr`` value names, by its last digit, or None.

    Providers spell the level differently (``"2"``, ``"loa2"``, ``"urn:vneid:loa:2"``,
    ``"muc-2"``); each ends with the level's digit. A value naming no level of
    :data:`LEVELS_OF_ASSURANCE` gives None, which no requirement accepts.
    """
    if not isinstance(acr, str):
        return None
    found = _TRAILING_LEVEL.search(acr.strip())
    if found is None:
        return None
    level = int(found.group(1))
    return level if level in LEVELS_OF_ASSURANCE else None


def _short_text(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_SUBJECT_LENGTH
        or not is_valid_unicode(value)
        or not value.isprintable()
    ):
        raise InvalidInput(
            attribute.name,
            f"must be non-empty printable text of at most {MAX_SUBJECT_LENGTH} characters",
        )


def _level(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value not in LEVELS_OF_ASSURANCE:
        raise InvalidInput(attribute.name, "must be a level of assurance: 1 or 2", value)


def _id_number(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or check_citizen_id(value) != value):
        raise InvalidInput(attribute.name, "must be None or a checked CMND/CCCD number")


def _instant(_: object, attribute: attrs.Attribute[dt.datetime], value: dt.datetime) -> None:
    require_datetime(value, attribute.name)


@attrs.frozen
class NationalIdentity:
    """Who the national identity provider vouched for, as linked to an account.

    ``subject`` is the provider's ``sub`` (unique per ``issuer``), ``id_number`` the CMND or
    CCCD number it vouches for (None when it gave none), ``level_of_assurance`` 1 or 2, and
    ``linked_at`` when it was linked (or last proved at login).
    """

    subject: str = attrs.field(validator=_short_text)
    issuer: str = attrs.field(validator=_short_text)
    level_of_assurance: int = attrs.field(validator=_level)
    id_number: str | None = attrs.field(validator=_id_number)
    linked_at: dt.datetime = attrs.field(validator=_instant)

    @classmethod
    def vouched(
        cls,
        subject: str,
        issuer: str,
        level_of_assurance: int,
        id_number: str | None,
        now: dt.datetime,
    ) -> NationalIdentity:
        """An identity as the provider vouched for it now, the id number checked."""
        number = None if id_number is None else check_citizen_id(id_number, field="id_number")
        return cls(
            subject=subject,
            issuer=issuer,
            level_of_assurance=level_of_assurance,
            id_number=number,
            linked_at=now,
        )
