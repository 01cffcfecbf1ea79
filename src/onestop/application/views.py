"""Read models: what the applicant, the public and the payer are shown about a dossier.

Views are built from the aggregate at read time and hold plain values, so a host can render
them without touching the domain. The public tracking view holds no personal data: codes are
sequential and guessable (DOMAIN section 2), so looking one up must reveal nothing about who
filed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from onestop.application.templates import check_locale
from onestop.domain.catalog import Component, FeesDue
from onestop.domain.codes import local_time
from onestop.domain.dossier import (
    ActorKind,
    Dossier,
    DueDateChange,
    DueDateReason,
    HistoryEntry,
    PaymentStatus,
)
from onestop.domain.files import FileRef
from onestop.domain.inputs import require_datetime
from onestop.domain.money import FeeLine
from onestop.domain.payments import Payment
from onestop.domain.statuses import DossierStatus
from onestop.errors import InvalidInput
from onestop.formatting import format_date, format_datetime, format_size, format_vnd

__all__ = [
    "ACTION_LABELS",
    "DUE_DATE_REASON_LABELS",
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
    return _day_text(day)


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
            reason_label=_pick(DUE_DATE_REASON_LABELS[change.reason], locale),
            by=(change.by.name or change.by.id) if with_names else "",
        )
        for change in changes
    )


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
    #: ``at`` as people read it on Vietnam's clock: ``09:30 22/06/2022``.
    at_text: str = ""

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
            at_text=format_datetime(entry.at),
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
    #: ``at`` as people read it on Vietnam's clock: ``09:30 22/06/2022``.
    at_text: str = ""

    def label(self, locale: str = "vi") -> str:
        """The step's status label in ``locale``."""
        return _pick((self.label_vi, self.label_en), locale)


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
                    at_text=format_datetime(entry.at),
                )
                # The draft's own steps happened before anyone outside could know of it.
                for entry in dossier.history
                if entry.to_status is not DossierStatus.DRAFT
            ),
            submitted_at_text=_instant_text(dossier.submitted_at),
            received_at_text=_instant_text(dossier.received_at),
            due_date_text=_day_text(dossier.due_date),
            decided_at_text=_instant_text(dossier.decision.at if dossier.decision else None),
            due_at_text=_instant_text(dossier.due_at),
            due_dates=due_date_lines(dossier.due_dates, with_names=False),
        )

    def status_label(self, locale: str = "vi") -> str:
        """The current status's label in ``locale``."""
        return _pick((self.status_label_vi, self.status_label_en), locale)


def _local(instant: dt.datetime | None) -> dt.datetime | None:
    return None if instant is None else local_time(instant)


def _instant_text(instant: dt.datetime | None) -> str:
    return "" if instant is None else format_datetime(instant)


def _day_text(day: dt.date | None) -> str:
    return "" if day is None else format_date(day)


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


# --- the dossier as a screen shows it ------------------------------------------------------

#: The words of the dossier screens (the guide's success screen), by locale.
SCREEN_LABELS: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "submitted": "Nộp hồ sơ thành công",
        "dossier": "Thông tin hồ sơ",
        "code": "Mã số hồ sơ",
        "applicant": "Người nộp hồ sơ",
        "full_name": "Họ tên người nộp",
        "date_of_birth": "Ngày sinh",
        "id_number": "CMND",
        "id_issued_by": "Nơi cấp CMND/ Căn cước",
        "phone": "Số điện thoại",
        "email": "Email",
        "address": "Địa chỉ",
        "organisation_name": "Tên tổ chức",
        "tax_code": "Mã số thuế",
        "components": "Thành phần hồ sơ",
        "component_name": "Tên giấy tờ",
        "copies": "Số lượng/ loại bản",
        "files": "Tệp tin",
        "fees": "Lệ phí hồ sơ",
        "fee_kind": "Loại lệ phí",
        "quantity": "Số lượng",
        "unit_amount": "Mức lệ phí",
        "amount": "Thành tiền",
        "description": "Mô tả",
        "total": "Tổng",
    },
    "en": {
        "submitted": "Dossier submitted",
        "dossier": "Dossier",
        "code": "Dossier code",
        "applicant": "Applicant",
        "full_name": "Full name",
        "date_of_birth": "Date of birth",
        "id_number": "ID number",
        "id_issued_by": "ID issued by",
        "phone": "Phone",
        "email": "Email",
        "address": "Address",
        "organisation_name": "Organisation",
        "tax_code": "Tax code",
        "components": "Documents",
        "component_name": "Document",
        "copies": "Quantity / kind",
        "files": "Files",
        "fees": "Fees",
        "fee_kind": "Kind",
        "quantity": "Quantity",
        "unit_amount": "Unit amount",
        "amount": "Amount",
        "description": "Description",
        "total": "Total",
    },
}

# The applicant block in the guide's order; an organisation's name and tax code when given.
_APPLICANT_FIELDS = (
    "full_name",
    "date_of_birth",
    "id_number",
    "id_issued_by",
    "phone",
    "email",
    "address",
)
_ORGANISATION_FIELDS = ("organisation_name", "tax_code")


@attrs.frozen
class LabelledValue:
    """One line of a block: the field's name, its label in the view's locale, its text."""

    field: str
    label: str
    value: str


@attrs.frozen
class FileLine:
    """An attached file as listed under its component (or an electronic result document)."""

    key: str
    name: str
    media_type: str
    size: int
    size_text: str
    sha256: str
    #: Scanned from the paper original at the desk (số hoá).
    digitised: bool = False
    #: Taken from the applicant's earlier dossier (tái sử dụng).
    reused: bool = False

    @classmethod
    def of(cls, ref: FileRef, *, digitised: bool = False, reused: bool = False) -> FileLine:
        return cls(
            key=ref.key,
            name=ref.name,
            media_type=ref.media_type,
            size=ref.size,
            size_text=format_size(ref.size),
            sha256=ref.sha256,
            digitised=digitised,
            reused=reused,
        )


@attrs.frozen
class ComponentLine:
    """One row of the components table (Thành phần hồ sơ)."""

    id: str
    name: str
    originals: int
    copies: int
    #: Số lượng/loại bản as the portal shows it: ``Bản chính: 1, Bản sao: 0``.
    copies_text: str
    mandatory: bool
    files: tuple[FileLine, ...]


@attrs.frozen
class FeeRow:
    """One row of the fee table: kind, quantity, unit amount, amount and description."""

    kind_label: str
    quantity: int
    unit_amount: int
    amount: int
    unit_amount_text: str
    amount_text: str
    description: str


@attrs.frozen
class FeeTable:
    """The fee table (Lệ phí hồ sơ) with its total, ``0 VND`` when nothing is due."""

    rows: tuple[FeeRow, ...]
    total: int
    total_text: str
    paid_amount: int
    paid_text: str


@attrs.frozen
class DossierView:
    """A dossier as one screen shows it, every value formatted for ``locale``.

    The success screen of the guide (``heading`` "Nộp hồ sơ thành công"), the applicant's
    own view and the officer's are this one shape; only the officer's ``progress`` keeps the
    notes officers wrote. ``labels`` holds the screen's words (column headings, ...).
    """

    locale: str
    heading: str
    code: str
    status: DossierStatus
    status_label: str
    procedure_code: str
    procedure_name: str
    agency: str
    submitted_at_text: str
    received_at_text: str
    due_date_text: str
    is_overdue: bool
    applicant: tuple[LabelledValue, ...]
    components: tuple[ComponentLine, ...]
    fees: FeeTable
    home_pickup_address: str | None
    home_delivery_address: str | None
    progress: tuple[ProgressEntry, ...]
    labels: Mapping[str, str]
    #: The due time for a limit in working hours ("09:30 22/06/2022"); "" otherwise.
    due_at_text: str = ""
    #: Every due date the dossier had, oldest first: when, why and by whom.
    due_dates: tuple[DueDateLine, ...] = ()
    #: The electronic result documents (kết quả điện tử), oldest first.
    results: tuple[FileLine, ...] = ()

    @classmethod
    def of(
        cls,
        dossier: Dossier,
        *,
        now: dt.datetime,
        locale: str = "vi",
        heading: str | None = None,
        with_notes: bool = True,
    ) -> DossierView:
        """The view of ``dossier`` at ``now``; ``heading`` defaults to the screen's title.

        ``with_notes=False`` blanks the notes of the progress history.
        """
        _require(dossier, Dossier, "dossier")
        require_datetime(now, "now")
        check_locale(locale)
        words = SCREEN_LABELS[locale]
        progress = tuple(ProgressEntry.of(entry) for entry in dossier.history)
        if not with_notes:
            progress = tuple(attrs.evolve(entry, note="") for entry in progress)
        return cls(
            locale=locale,
            heading=words["dossier"] if heading is None else heading,
            code="" if dossier.code is None else str(dossier.code),
            status=dossier.status,
            status_label=status_label(dossier.status, locale),
            procedure_code=dossier.procedure.code,
            procedure_name=dossier.procedure.name,
            agency=dossier.agency,
            submitted_at_text=_instant_text(dossier.submitted_at),
            received_at_text=_instant_text(dossier.received_at),
            due_date_text=_day_text(dossier.due_date),
            is_overdue=dossier.is_overdue(now),
            applicant=_applicant_block(dossier, words),
            components=tuple(
                _component_line(component, dossier, words)
                for component in dossier.procedure.components
            ),
            fees=_fee_table(dossier, locale),
            home_pickup_address=dossier.home_pickup_address,
            home_delivery_address=dossier.home_delivery_address,
            progress=progress,
            labels=words,
            due_at_text=_instant_text(dossier.due_at),
            due_dates=due_date_lines(dossier.due_dates, locale),
            results=tuple(FileLine.of(ref) for ref in dossier.results),
        )

    @classmethod
    def submitted(cls, dossier: Dossier, *, now: dt.datetime, locale: str = "vi") -> DossierView:
        """The success screen after submission: "Nộp hồ sơ thành công" and the whole dossier."""
        check_locale(locale)
        return cls.of(dossier, now=now, locale=locale, heading=SCREEN_LABELS[locale]["submitted"])


def _applicant_block(dossier: Dossier, words: Mapping[str, str]) -> tuple[LabelledValue, ...]:
    applicant = dossier.applicant
    names = list(_APPLICANT_FIELDS)
    if applicant.organisation_name or applicant.tax_code:
        names[1:1] = _ORGANISATION_FIELDS
    lines = []
    for name in names:
        value = getattr(applicant, name)
        text = format_date(value) if isinstance(value, dt.date) else (value or "")
        lines.append(LabelledValue(name, words[name], text))
    return tuple(lines)


def _component_line(
    component: Component, dossier: Dossier, words: Mapping[str, str]
) -> ComponentLine:
    return ComponentLine(
        id=component.id,
        name=component.name,
        originals=component.originals,
        copies=component.copies,
        copies_text=(
            component.copies_label_vi
            if words is SCREEN_LABELS["vi"]
            else f"Originals: {component.originals}, copies: {component.copies}"
        ),
        mandatory=component.mandatory,
        files=tuple(
            FileLine.of(a.file, digitised=a.digitised, reused=a.reused)
            for a in dossier.attachments
            if a.component_id == component.id
        ),
    )


def _fee_row(line: FeeLine, locale: str) -> FeeRow:
    return FeeRow(
        kind_label=_pick((line.kind.label_vi, line.kind.label_en), locale),
        quantity=line.quantity,
        unit_amount=line.unit_amount,
        amount=line.amount,
        unit_amount_text=format_vnd(line.unit_amount),
        amount_text=format_vnd(line.amount),
        description=line.description,
    )


def _fee_table(dossier: Dossier, locale: str) -> FeeTable:
    # A draft has no fee lines yet (they are set at submission): show the procedure's.
    lines = dossier.fee_lines or dossier.procedure.fee_lines()
    total = sum(line.amount for line in lines)
    return FeeTable(
        rows=tuple(_fee_row(line, locale) for line in lines),
        total=total,
        total_text=format_vnd(total),
        paid_amount=dossier.paid_amount,
        paid_text=format_vnd(dossier.paid_amount),
    )
