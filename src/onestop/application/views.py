"""Read models: what the applicant, the public and the payer are shown about a dossier.

Views are built from the aggregate at read time and hold plain values, so a host can render
them without touching the domain. The public tracking view holds no personal data: codes are
sequential and guessable (DOMAIN section 2), so looking one up must reveal nothing about who
filed it.
"""

from __future__ import annotations

import datetime as dt

import attrs

from onestop.domain.catalog import FeesDue
from onestop.domain.codes import local_time
from onestop.domain.dossier import ActorKind, Dossier, HistoryEntry, PaymentStatus
from onestop.domain.inputs import require_datetime
from onestop.domain.payments import Payment
from onestop.domain.statuses import DossierStatus
from onestop.errors import InvalidInput

__all__ = [
    "ACTION_LABELS",
    "PaymentStatusView",
    "ProgressEntry",
    "TrackingStep",
    "TrackingView",
    "action_label",
    "progress_of",
    "status_label",
]

#: Labels of the steps a dossier's history records, Vietnamese then English.
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "draft_started": ("Tạo hồ sơ nháp", "Draft started"),
    "submitted": ("Nộp hồ sơ trực tuyến", "Submitted online"),
    "received": ("Tiếp nhận hồ sơ và hẹn trả kết quả", "Received, appointment date set"),
    "reception_refused": ("Không tiếp nhận hồ sơ", "Reception refused"),
    "supplement_requested": ("Yêu cầu bổ sung giấy tờ", "Supplement requested"),
    "resubmitted": ("Nộp bổ sung hồ sơ", "Supplement submitted"),
    "processing_started": ("Bắt đầu xử lý", "Processing started"),
    "paused": ("Tạm dừng tính thời hạn xử lý", "Processing clock paused"),
    "resumed": ("Tiếp tục xử lý", "Processing resumed"),
    "payment_requested": ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment requested"),
    "payment_completed": ("Đã thực hiện nghĩa vụ tài chính", "Fees paid"),
    "approved": ("Đã xử lý xong: chấp thuận", "Decided: approved"),
    "refused": ("Đã xử lý xong: từ chối", "Decided: refused"),
    "result_returned": ("Đã trả kết quả", "Result returned"),
    "withdrawn": ("Công dân yêu cầu rút hồ sơ", "Withdrawn by the applicant"),
    "stopped": ("Dừng xử lý", "Processing stopped"),
    "rescheduled": (
        "Xin lỗi và hẹn lại ngày trả kết quả",
        "Apology, new appointment date",
    ),
}


def _pick(labels: tuple[str, str], locale: str) -> str:
    return labels[1] if locale == "en" else labels[0]


def _require(value: object, cls: type, field: str) -> None:
    if not isinstance(value, cls):
        raise InvalidInput(field, f"must be a {cls.__name__}", value)


def status_label(status: DossierStatus, locale: str = "vi") -> str:
    """The label of a status in ``locale`` ("vi" or "en"; anything else reads as "vi")."""
    _require(status, DossierStatus, "status")
    return _pick((status.label_vi, status.label_en), locale)


def action_label(entry: HistoryEntry, locale: str = "vi") -> str:
    """The label of one history step; an action without a label shows its new status."""
    _require(entry, HistoryEntry, "entry")
    labels = ACTION_LABELS.get(entry.action, (entry.to_status.label_vi, entry.to_status.label_en))
    return _pick(labels, locale)


@attrs.frozen
class ProgressEntry:
    """One step of the progress history (tiến độ xử lý) as the applicant sees it."""

    at: dt.datetime
    action: str
    label_vi: str
    label_en: str
    status: DossierStatus
    status_label_vi: str
    status_label_en: str
    actor_kind: ActorKind
    actor_name: str
    note: str

    @classmethod
    def of(cls, entry: HistoryEntry) -> ProgressEntry:
        """The view of one recorded step; ``at`` is shown in Vietnam's local time."""
        _require(entry, HistoryEntry, "entry")
        return cls(
            at=local_time(entry.at),
            action=entry.action,
            label_vi=action_label(entry, "vi"),
            label_en=action_label(entry, "en"),
            status=entry.to_status,
            status_label_vi=entry.to_status.label_vi,
            status_label_en=entry.to_status.label_en,
            actor_kind=entry.actor.kind,
            actor_name=entry.actor.name,
            note=entry.note,
        )

    def label(self, locale: str = "vi") -> str:
        """The step's label in ``locale``."""
        return _pick((self.label_vi, self.label_en), locale)


def progress_of(dossier: Dossier) -> list[ProgressEntry]:
    """The dossier's history as progress entries, oldest first."""
    _require(dossier, Dossier, "dossier")
    return [ProgressEntry.of(entry) for entry in dossier.history]


@attrs.frozen
class TrackingStep:
    """One step in public tracking: when, and the status it led to (no actor, no note)."""

    at: dt.datetime
    status: DossierStatus
    label_vi: str
    label_en: str


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

    @classmethod
    def of(cls, dossier: Dossier, *, now: dt.datetime) -> TrackingView:
        """The public view of a submitted dossier at ``now``; instants in local time."""
        _require(dossier, Dossier, "dossier")
        require_datetime(now, "now")
        return cls(
            code=str(dossier.code),
            procedure_code=dossier.procedure.code,
            status=dossier.status,
            status_label_vi=dossier.status.label_vi,
            status_label_en=dossier.status.label_en,
            national_code=dossier.status.national_code,
            submitted_at=_local(dossier.submitted_at),
            received_at=_local(dossier.received_at),
            due_date=dossier.due_date,
            decided_at=_local(dossier.decision.at if dossier.decision else None),
            is_overdue=dossier.is_overdue(now),
            steps=tuple(
                TrackingStep(
                    at=local_time(entry.at),
                    status=entry.to_status,
                    label_vi=entry.to_status.label_vi,
                    label_en=entry.to_status.label_en,
                )
                # The draft's own steps happened before anyone outside could know of it.
                for entry in dossier.history
                if entry.to_status is not DossierStatus.DRAFT
            ),
        )

    def status_label(self, locale: str = "vi") -> str:
        """The current status's label in ``locale``."""
        return _pick((self.status_label_vi, self.status_label_en), locale)


def _local(instant: dt.datetime | None) -> dt.datetime | None:
    return None if instant is None else local_time(instant)


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
