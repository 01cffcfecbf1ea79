"""A dossier's history as people read it: the labels of statuses, steps and due-date reasons,
the progress history (tiến độ xử lý) and the due-date lines, plus the few text helpers every
view shares (pick the locale's label, format an instant or a day, refuse a wrong kind).

Part of the read models re-exported by :mod:`onestop.application.views`.
"""

from __future__ import annotations

import datetime as dt

import attrs

from onestop.application.templates import check_locale
from onestop.domain.codes import local_time
from onestop.domain.dossier import (
    ActorKind,
    Dossier,
    DueDateChange,
    DueDateReason,
    HistoryEntry,
)
from onestop.domain.statuses import DossierStatus
from onestop.errors import InvalidInput
from onestop.formatting import format_date, format_datetime

__all__ = [
    "ACTION_LABELS",
    "DUE_DATE_REASON_LABELS",
    "DueDateLine",
    "ProgressEntry",
    "action_label",
    "day_text",
    "due_date_lines",
    "instant_text",
    "local_or_none",
    "pick",
    "progress_of",
    "require_kind",
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
    "component_digitised": ("Số hoá thành phần hồ sơ", "Component digitised"),
    "result_added": ("Cập nhật kết quả điện tử", "Electronic result added"),
}


#: Why a due date was set or moved, Vietnamese then English.
DUE_DATE_REASON_LABELS: dict[DueDateReason, tuple[str, str]] = {
    DueDateReason.RECEIPT: ("Hẹn khi tiếp nhận hồ sơ", "Set at receipt"),
    DueDateReason.SUPPLEMENT: ("Hẹn lại sau khi bổ sung hồ sơ", "Moved after the supplement"),
    DueDateReason.PAUSE: ("Dời theo thời gian tạm dừng", "Moved by the pause"),
    DueDateReason.PAYMENT: (
        "Dời theo thời gian thực hiện nghĩa vụ tài chính",
        "Moved by the wait for payment",
    ),
    DueDateReason.APOLOGY: ("Xin lỗi và hẹn lại ngày trả kết quả", "Apology, new date"),
}


@attrs.frozen
class DueDateLine:
    """One due date a dossier had, as a screen shows it: the date (with its time for a
    limit in working hours), when and why it was set, and by whom ("" on public tracking)."""

    due_date: dt.date
    due_text: str
    set_at_text: str
    reason: DueDateReason
    reason_label: str
    by: str = ""


def _due_text(day: dt.date | None, at: dt.datetime | None) -> str:
    if at is not None:
        return format_datetime(at)
    return day_text(day)


def due_date_lines(
    changes: tuple[DueDateChange, ...], locale: str = "vi", *, with_names: bool = True
) -> tuple[DueDateLine, ...]:
    """Every due date a dossier had, oldest first; ``with_names=False`` leaves out who."""
    check_locale(locale)
    return tuple(
        DueDateLine(
            due_date=change.due_date,
            due_text=_due_text(change.due_date, change.due_at),
            set_at_text=format_datetime(change.set_at),
            reason=change.reason,
            reason_label=pick(DUE_DATE_REASON_LABELS[change.reason], locale),
            by=(change.by.name or change.by.id) if with_names else "",
        )
        for change in changes
    )


def pick(labels: tuple[str, str], locale: str) -> str:
    """The English of a (Vietnamese, English) pair for "en", the Vietnamese otherwise."""
    return labels[1] if locale == "en" else labels[0]


def require_kind(value: object, cls: type, field: str) -> None:
    """InvalidInput naming ``field`` unless ``value`` is a ``cls``."""
    if not isinstance(value, cls):
        raise InvalidInput(field, f"must be a {cls.__name__}", value)


def status_label(status: DossierStatus, locale: str = "vi") -> str:
    """The label of a status in ``locale`` ("vi" or "en"; anything else reads as "vi")."""
    require_kind(status, DossierStatus, "status")
    return pick((status.label_vi, status.label_en), locale)


def action_label(entry: HistoryEntry, locale: str = "vi") -> str:
    """The label of one history step; an action without a label shows its new status."""
    require_kind(entry, HistoryEntry, "entry")
    labels = ACTION_LABELS.get(entry.action, (entry.to_status.label_vi, entry.to_status.label_en))
    return pick(labels, locale)


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
    #: ``at`` as people read it on Vietnam's clock: ``09:30 22/06/2022``.
    at_text: str = ""

    @classmethod
    def of(cls, entry: HistoryEntry) -> ProgressEntry:
        """The view of one recorded step; ``at`` is shown in Vietnam's local time."""
        require_kind(entry, HistoryEntry, "entry")
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
            at_text=format_datetime(entry.at),
        )

    def label(self, locale: str = "vi") -> str:
        """The step's label in ``locale``."""
        return pick((self.label_vi, self.label_en), locale)


def progress_of(dossier: Dossier) -> list[ProgressEntry]:
    """The dossier's history as progress entries, oldest first."""
    require_kind(dossier, Dossier, "dossier")
    return [ProgressEntry.of(entry) for entry in dossier.history]


def local_or_none(instant: dt.datetime | None) -> dt.datetime | None:
    """``instant`` on Vietnam's clock; None stays None."""
    return None if instant is None else local_time(instant)


def instant_text(instant: dt.datetime | None) -> str:
    """``instant`` as people read it (``09:30 22/06/2022``); "" for None."""
    return "" if instant is None else format_datetime(instant)


def day_text(day: dt.date | None) -> str:
    """``day`` as people read it (``22/06/2022``); "" for None."""
    return "" if day is None else format_date(day)
