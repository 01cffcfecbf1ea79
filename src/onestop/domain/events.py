"""Domain events: what happened to a dossier or an account, in the past tense.

The aggregate records them; the application layer pulls them after a change and turns the
ones that concern the applicant into outbox mail in the same unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs

from onestop.domain.inputs import require_datetime
from onestop.errors import InvalidInput

__all__ = [
    "AccountRegistered",
    "AccountVerified",
    "ComplaintFiled",
    "DomainEvent",
    "DossierDecided",
    "DossierEvent",
    "DossierRated",
    "DossierReceived",
    "DossierRescheduled",
    "DossierResubmitted",
    "DossierSubmitted",
    "DossierWithdrawn",
    "PaymentConfirmed",
    "PaymentRecorded",
    "PaymentRequested",
    "ProcessingPaused",
    "ProcessingResumed",
    "ProcessingStarted",
    "ProcessingStopped",
    "ReceptionRefused",
    "ResultReturned",
    "SupplementRequested",
]


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_day(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_flag(value: object) -> bool:
    return isinstance(value, bool)


# What each annotation used below accepts; events are built by the aggregates, so a wrong
# value here is a bug surfacing as InvalidInput rather than as a corrupt event.
_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "str": (_is_text, "text"),
    "int": (_is_count, "a whole number"),
    "bool": (_is_flag, "true or false"),
    "dt.date": (_is_day, "a date"),
}
_FIELD_CHECKS: dict[type, tuple[tuple[str, Callable[[object], bool], str, bool], ...]] = {}


def _checks_of(cls: type) -> tuple[tuple[str, Callable[[object], bool], str, bool], ...]:
    """(field, check, what it must be, None allowed) for every field but ``at``, cached."""
    found = _FIELD_CHECKS.get(cls)
    if found is None:
        rows = []
        for field in attrs.fields(cls):
            annotation = str(field.type)
            optional = annotation.endswith(" | None")
            check = _CHECKS.get(annotation.removesuffix(" | None"))
            if check is not None:
                rows.append((field.name, check[0], check[1], optional))
        found = _FIELD_CHECKS[cls] = tuple(rows)
    return found


@attrs.frozen
class DomainEvent:
    """Something that happened at ``at``."""

    at: dt.datetime

    def __attrs_post_init__(self) -> None:
        if self.at.__class__ is not dt.datetime or self.at.tzinfo is not dt.UTC:
            require_datetime(self.at, "event.at")  # the clock's UTC instants skip this
        for name, check, what, optional in _checks_of(type(self)):
            value: Any = getattr(self, name)
            if not (check(value) or (optional and value is None)):
                raise InvalidInput(f"event.{name}", f"must be {what}", value)


@attrs.frozen
class DossierEvent(DomainEvent):
    """Something that happened to dossier ``dossier_id``."""

    dossier_id: str


@attrs.frozen
class DossierSubmitted(DossierEvent):
    code: str


@attrs.frozen
class DossierReceived(DossierEvent):
    due_date: dt.date


@attrs.frozen
class ReceptionRefused(DossierEvent):
    reason: str


@attrs.frozen
class SupplementRequested(DossierEvent):
    note: str


@attrs.frozen
class DossierResubmitted(DossierEvent):
    pass


@attrs.frozen
class ProcessingStarted(DossierEvent):
    pass


@attrs.frozen
class ProcessingPaused(DossierEvent):
    reason: str


@attrs.frozen
class ProcessingResumed(DossierEvent):
    due_date: dt.date | None


@attrs.frozen
class PaymentRequested(DossierEvent):
    amount: int


@attrs.frozen
class PaymentRecorded(DossierEvent):
    payment_id: str
    amount: int


@attrs.frozen
class DossierDecided(DossierEvent):
    approved: bool
    reasons: str


@attrs.frozen
class ResultReturned(DossierEvent):
    pass


@attrs.frozen
class DossierWithdrawn(DossierEvent):
    reason: str


@attrs.frozen
class ProcessingStopped(DossierEvent):
    reason: str


@attrs.frozen
class DossierRescheduled(DossierEvent):
    """The appointment moved (the apology letter, Phiếu xin lỗi và hẹn lại ngày trả kết quả)."""

    old_due_date: dt.date | None
    new_due_date: dt.date
    reason: str


@attrs.frozen
class DossierRated(DossierEvent):
    """The applicant rated the returned dossier (``level``: a SatisfactionLevel's value)."""

    level: str


@attrs.frozen
class ComplaintFiled(DossierEvent):
    """The applicant left a complaint (phản ánh, kiến nghị) about the dossier."""

    complaint_id: str


@attrs.frozen
class PaymentConfirmed(DomainEvent):
    payment_id: str
    dossier_id: str
    amount: int


@attrs.frozen
class AccountRegistered(DomainEvent):
    account_id: str


@attrs.frozen
class AccountVerified(DomainEvent):
    account_id: str
