"""Read models: what the applicant, the public and the payer are shown about a dossier.

Views are built from the aggregate at read time and hold plain values, so a host can render
them without touching the domain. The public tracking view holds no personal data: codes are
sequential and guessable (DOMAIN section 2), so looking one up must reveal nothing about who
filed it.

This module holds public tracking (:class:`TrackingView`) and where fees stand
(:class:`PaymentStatusView`), and re-exports the rest from the private modules that hold
them: the labels, progress history and due-date lines
(:mod:`onestop.application._history_view`) and the dossier as a screen shows it
(:mod:`onestop.application._dossier_view`).
"""

from __future__ import annotations

import datetime as dt

import attrs

from onestop.application._dossier_view import (
    SCREEN_LABELS,
    ComponentLine,
    DossierView,
    FeeRow,
    FeeTable,
    FileLine,
    LabelledValue,
)
from onestop.application._history_view import (
    ACTION_LABELS,
    DUE_DATE_REASON_LABELS,
    DueDateLine,
    ProgressEntry,
    action_label,
    day_text,
    due_date_lines,
    instant_text,
    local_or_none,
    pick,
    progress_of,
    require_kind,
    status_label,
)
from onestop.domain.catalog import FeesDue
from onestop.domain.codes import local_time
from onestop.domain.dossier import Dossier, PaymentStatus
from onestop.domain.inputs import require_datetime
from onestop.domain.payments import Payment
from onestop.domain.statuses import DossierStatus
from onestop.formatting import format_datetime

__all__ = [
    "ACTION_LABELS",
    "DUE_DATE_REASON_LABELS",
    "SCREEN_LABELS",
    "ComponentLine",
    "DossierView",
    "DueDateLine",
    "FeeRow",
    "FeeTable",
    "FileLine",
    "LabelledValue",
    "PaymentStatusView",
    "ProgressEntry",
    "TrackingStep",
    "TrackingView",
    "action_label",
    "due_date_lines",
    "progress_of",
    "status_label",
]


@attrs.frozen
class TrackingStep:
    """One step in public tracking: when, and the status it led to (no actor, no note)."""

    at: dt.datetime
    status: DossierStatus
    label_vi: str
    label_en: str
    #: ``at`` as people read it on Vietnam's clock: ``09:30 22/06/2022``.
    at_text: str = ""

    def label(self, locale: str = "vi") -> str:
        """The step's status label in ``locale``."""
        return pick((self.label_vi, self.label_en), locale)


@attrs.frozen
class TrackingView:
    """What public tracking by code shows: status, labels, national code and dates only.

    Deliberately no name, id number, phone, address, notes, reasons or files: notes and
    reasons are written about the applicant and may name them.
    """

    code: str
    procedure_code: str
    status: DossierStatus
    status_label_vi: str
    status_label_en: str
    national_code: int | None
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_date: dt.date | None
    decided_at: dt.datetime | None
    is_overdue: bool
    steps: tuple[TrackingStep, ...]
    #: The dates formatted for people (dd/mm/yyyy, times on Vietnam's clock); "" if none.
    submitted_at_text: str = ""
    received_at_text: str = ""
    due_date_text: str = ""
    decided_at_text: str = ""
    #: The due time for a limit in working hours ("09:30 22/06/2022"); "" otherwise.
    due_at_text: str = ""
    #: Every due date the dossier had, oldest first, without who set them.
    due_dates: tuple[DueDateLine, ...] = ()

    @classmethod
    def of(cls, dossier: Dossier, *, now: dt.datetime) -> TrackingView:
        """The public view of a submitted dossier at ``now``; instants in local time."""
        require_kind(dossier, Dossier, "dossier")
        require_datetime(now, "now")
        return cls(
            code=str(dossier.code),
            procedure_code=dossier.procedure.code,
            status=dossier.status,
            status_label_vi=dossier.status.label_vi,
            status_label_en=dossier.status.label_en,
            national_code=dossier.status.national_code,
            submitted_at=local_or_none(dossier.submitted_at),
            received_at=local_or_none(dossier.received_at),
            due_date=dossier.due_date,
            decided_at=local_or_none(dossier.decision.at if dossier.decision else None),
            is_overdue=dossier.is_overdue(now),
            steps=tuple(
                TrackingStep(
                    at=local_time(entry.at),
                    status=entry.to_status,
                    label_vi=entry.to_status.label_vi,
                    label_en=entry.to_status.label_en,
                    at_text=format_datetime(entry.at),
                )
                # The draft's own steps happened before anyone outside could know of it.
                for entry in dossier.history
                if entry.to_status is not DossierStatus.DRAFT
            ),
            submitted_at_text=instant_text(dossier.submitted_at),
            received_at_text=instant_text(dossier.received_at),
            due_date_text=day_text(dossier.due_date),
            decided_at_text=instant_text(dossier.decision.at if dossier.decision else None),
            due_at_text=instant_text(dossier.due_at),
            due_dates=due_date_lines(dossier.due_dates, with_names=False),
        )

    def status_label(self, locale: str = "vi") -> str:
        """The current status's label in ``locale``."""
        return pick((self.status_label_vi, self.status_label_en), locale)


@attrs.frozen
class PaymentStatusView:
    """Where a dossier's fees stand, and every payment attempt, oldest first."""

    dossier_id: str
    payment_status: PaymentStatus
    total_fees: int
    paid_amount: int
    amount_due: int
    fees_due: FeesDue
    payable_now: bool
    payments: tuple[Payment, ...]
