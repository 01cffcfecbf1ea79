"""Domain events: what happened to a dossier or an account, in the past tense.

The aggregate records them; the application layer pulls them after a change and turns the
ones that concern the applicant into outbox mail in the same unit of work.
"""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = [
    "AccountRegistered",
    "AccountVerified",
    "DomainEvent",
    "DossierDecided",
    "DossierEvent",
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


@attrs.frozen
class DomainEvent:
    """Something that happened at ``at``."""

    at: dt.datetime


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
