"""What each printable form shows, built from a dossier: the forms and their values.

The one-stop office's forms (Circular 01/2018/TT-VPCP forms 01 to 05, and the notice that
processing stopped that Circular 03/2025/TT-VPCP adds) are listed in :data:`FORMS`. Each
is filled from the dossier and the step of its history it documents (the reception, the
supplement request, the refusal, the apology, the stop), so printing it again tomorrow gives
the same document; the control sheet is the whole history, as of the time it is printed.

The values are text already written the way the forms write it (``10 giờ 00 phút, ngày 22
tháng 06 năm 2022``), grouped in small frozen records that a template reads by attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

import attrs

from onestop.application.views import action_label
from onestop.domain.deadlines import TimeLimit
from onestop.domain.dossier import Dossier, HistoryEntry
from onestop.domain.dossier_parts import DueDateChange, DueDateReason
from onestop.domain.statuses import DossierStatus
from onestop.domain.vn_time import local_day, local_time
from onestop.errors import InvalidInput, TransitionNotAllowed
from onestop.formatting import format_datetime
from onestop.forms._qr import ReceiptQr, qr_data_uri

__all__ = [
    "COMMON_VALUES",
    "FORMS",
    "AgencyLines",
    "ApplicantLines",
    "ComponentRow",
    "ControlStep",
    "DossierLines",
    "FormSpec",
    "QrImage",
    "form_spec",
    "form_values",
    "issued_at",
    "long_day",
    "long_instant",
    "receipt_qr",
]

S = DossierStatus


@attrs.frozen
class AgencyLines:
    """The issuing agency as the form's heading names it: its parent above, itself below."""

    name: str
    parent_name: str = ""


@attrs.frozen
class ApplicantLines:
    """The applicant's block: name and contact details ("" where the dossier has none)."""

    full_name: str
    address: str
    phone: str
    email: str
    #: CMND/CCCD number, or an organisation's tax code.
    id_number: str
    organisation_name: str


@attrs.frozen
class DossierLines:
    """The dossier's code, procedure and dates as the forms write them."""

    code: str
    procedure_code: str
    procedure_name: str
    #: ``3 ngày làm việc``.
    time_limit: str
    status_label: str
    #: ``10 giờ 00 phút, ngày 22 tháng 06 năm 2022``; "" before reception.
    received_at: str
    #: ``ngày 27 tháng 06 năm 2022`` (the current appointment date, with the hour for a limit
    #: in working hours); "" if none yet.
    due_date: str


@attrs.frozen
class ComponentRow:
    """One line of the receipt's table of documents (Thành phần hồ sơ)."""

    number: int
    name: str
    #: ``1 bản chính, 1 bản sao``.
    kind: str
    #: ``2 tệp`` (the files attached online), or "" when none.
    files: str


@attrs.frozen
class ControlStep:
    """One line of the processing control sheet: a step of the dossier's history."""

    number: int
    at: str
    actor: str
    step: str
    status: str
    #: ``Trước hạn``, ``Đúng hạn`` or ``Quá hạn`` against the appointment date; "" before it.
    timeliness: str
    note: str


@attrs.frozen
class QrImage:
    """The receipt's QR code: its payload and a ``data:`` URI of its picture."""

    payload: str
    image: str


@attrs.frozen
class FormSpec:
    """One printable form: its template, title, the values it is given, when it applies."""

    name: str
    #: The title printed on the form, in capitals.
    title: str
    #: The form's name in the QR code and the file name.
    document_name: str
    #: The values this form is given besides :data:`COMMON_VALUES`.
    values: frozenset[str]
    #: Values the template must show (a host's template that leaves one out is refused).
    essential: frozenset[str]
    file_stem: str
    #: The history step the form documents (its latest), None for the whole history.
    step: tuple[str, ...] | None
    #: The statuses a dossier may be in for the form to apply (None: any with the step).
    statuses: frozenset[DossierStatus] | None = None

    @property
    def path(self) -> str:
        """The template's loader path, ``forms/receipt.html``."""
        return f"forms/{self.name}.html"

    @property
    def allowed(self) -> frozenset[str]:
        """Every name the template may use."""
        return COMMON_VALUES | self.values


#: Values every form is given: the portal, the agency, the dossier, the applicant, the
#: officer, the day the form is dated, the form itself and the layout it extends.
COMMON_VALUES: Final = frozenset(
    {
        "portal_name",
        "portal_url",
        "layout",
        "form",
        "agency",
        "dossier",
        "applicant",
        "officer_name",
        "dated",
    }
)

_RECEIVED_ONWARDS: Final = frozenset(
    {
        S.RECEIVED,
        S.PROCESSING,
        S.SUPPLEMENT_REQUESTED,
        S.PAYMENT_REQUESTED,
        S.DECIDED,
        S.RESULT_RETURNED,
        S.WITHDRAWN,
        S.STOPPED,
    }
)


def _spec(
    name: str,
    title: str,
    document_name: str,
    file_stem: str,
    values: set[str],
    essential: set[str],
    step: tuple[str, ...] | None,
    statuses: frozenset[DossierStatus] | None = None,
) -> FormSpec:
    return FormSpec(
        name,
        title,
        document_name,
        frozenset(values),
        frozenset(essential),
        file_stem,
        step,
        statuses,
    )


#: Every printable form, by name.
FORMS: Mapping[str, FormSpec] = {
    f.name: f
    for f in (
        _spec(
            "receipt",
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
            "giay-tiep-nhan-ho-so",
            {"components", "copies", "result_place", "qr", "appointment"},
            {"dossier", "qr", "appointment"},
            ("received",),
        ),
        _spec(
            "supplement_request",
            "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
            "phieu-yeu-cau-bo-sung",
            {"requested_at", "request"},
            {"dossier", "request"},
            ("supplement_requested",),
        ),
        _spec(
            "refusal",
            "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
            "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
            "phieu-tu-choi-tiep-nhan",
            {"refused_at", "reason"},
            {"dossier", "reason"},
            ("reception_refused",),
            frozenset({S.RECEPTION_REFUSED}),
        ),
        _spec(
            "apology",
            "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
            "phieu-xin-loi-hen-lai",
            {"apologised_at", "reason", "old_due_date", "new_due_date"},
            {"dossier", "reason", "new_due_date"},
            ("rescheduled",),
        ),
        _spec(
            "stop_notice",
            "THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ",
            "Thông báo dừng xử lý hồ sơ",
            "thong-bao-dung-xu-ly",
            {"stopped_at", "reason"},
            {"dossier", "reason"},
            ("stopped",),
            frozenset({S.STOPPED}),
        ),
        _spec(
            "control_sheet",
            "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
            "Phiếu kiểm soát quá trình giải quyết hồ sơ",
            "phieu-kiem-soat",
            {"steps"},
            {"dossier", "steps"},
            None,
            _RECEIVED_ONWARDS,
        ),
    )
}


def form_spec(name: str) -> FormSpec:
    """The form called ``name``; InvalidInput naming ``form`` for an unknown one."""
    spec = FORMS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise InvalidInput("form", f"must be one of {', '.join(FORMS)}", name)
    return spec


def long_day(day: dt.date) -> str:
    """``ngày 22 tháng 06 năm 2022``, as administrative documents date themselves."""
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year:04d}"


def long_instant(instant: dt.datetime) -> str:
    """``10 giờ 00 phút, ngày 22 tháng 06 năm 2022`` on Vietnam's clock."""
    local = local_time(instant)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, {long_day(local.date())}"


def _latest(dossier: Dossier, actions: tuple[str, ...]) -> HistoryEntry | None:
    for entry in reversed(dossier.history):
        if entry.action in actions:
            return entry
    return None


def _check_applies(spec: FormSpec, dossier: Dossier) -> HistoryEntry | None:
    """The step the form documents; TransitionNotAllowed when the dossier has none."""
    entry = None if spec.step is None else _latest(dossier, spec.step)
    applies = spec.step is None or entry is not None
    if spec.statuses is not None and dossier.status not in spec.statuses:
        applies = False
    if not applies:
        allowed = spec.statuses or (_RECEIVED_ONWARDS | {S.RECEPTION_REFUSED})
        raise TransitionNotAllowed(
            f"print the {spec.document_name} ({spec.name}) of",
            dossier.status.value,
            tuple(sorted(s.value for s in allowed)),
        )
    return entry


def issued_at(form: str, dossier: Dossier, now: dt.datetime) -> dt.datetime:
    """When the form is dated: the step it documents, or ``now`` for the control sheet.

    TransitionNotAllowed when the dossier has no such step.
    """
    entry = _check_applies(form_spec(form), dossier)
    return now if entry is None else entry.at


def _applicant(dossier: Dossier) -> ApplicantLines:
    a = dossier.applicant
    return ApplicantLines(
        full_name=a.full_name,
        address=a.address or "",
        phone=a.phone or "",
        email=a.email,
        id_number=a.id_number or a.tax_code or "",
        organisation_name=a.organisation_name or "",
    )


def _dossier(dossier: Dossier) -> DossierLines:
    procedure = dossier.procedure
    return DossierLines(
        code="" if dossier.code is None else str(dossier.code),
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        time_limit=_time_limit(procedure.time_limit),
        status_label=dossier.status.label_vi,
        received_at="" if dossier.received_at is None else long_instant(dossier.received_at),
        due_date=_due_text(dossier.due_dates[-1] if dossier.due_dates else None)
        or ("" if dossier.due_date is None else long_day(dossier.due_date)),
    )


def _time_limit(limit: TimeLimit) -> str:
    """``3 ngày làm việc`` or, for a limit in working hours, ``8 giờ làm việc``."""
    unit = "giờ" if limit.unit == "hours" else "ngày"
    return f"{limit.amount} {unit} làm việc"


def _copies(originals: int, copies: int) -> str:
    parts = []
    if originals:
        parts.append(f"{originals} bản chính")
    if copies:
        parts.append(f"{copies} bản sao")
    return ", ".join(parts) or "Không yêu cầu bản giấy"


def _components(dossier: Dossier) -> tuple[ComponentRow, ...]:
    rows = []
    for number, component in enumerate(dossier.procedure.components, start=1):
        files = len(dossier.files_for(component.id))
        rows.append(
            ComponentRow(
                number=number,
                name=component.name,
                kind=_copies(component.originals, component.copies),
                files=f"{files} tệp" if files else "",
            )
        )
    return tuple(rows)


def _due_then(dossier: Dossier, at: dt.datetime) -> DueDateChange | None:
    """The due date in force at ``at``: the latest one set at or before it."""
    found = None
    for change in dossier.due_dates:
        if change.set_at <= at:
            found = change
    return found


def _latest_due(dossier: Dossier, reason: DueDateReason) -> DueDateChange | None:
    for change in reversed(dossier.due_dates):
        if change.reason is reason:
            return change
    return None


def _due_text(change: DueDateChange | None) -> str:
    """``ngày 27 tháng 06 năm 2022``, with the hour for a limit in working hours."""
    if change is None:
        return ""
    if change.due_at is not None:
        return long_instant(change.due_at)
    return long_day(change.due_date)


def _timeliness(dossier: Dossier, at: dt.datetime) -> str:
    """The step against the due date in force when it was taken; "" before reception."""
    due = _due_then(dossier, at)
    if due is None:
        return ""
    if due.due_at is not None:
        if at < due.due_at and local_day(at) < due.due_date:
            return "Trước hạn"
        return "Đúng hạn" if at <= due.due_at else "Quá hạn"
    day = local_day(at)
    if day < due.due_date:
        return "Trước hạn"
    return "Đúng hạn" if day == due.due_date else "Quá hạn"


#: Longest note a line of the control sheet shows: a table row must fit on one page, and
#: a note may be 4000 characters long (the history keeps it whole).
MAX_STEP_NOTE: Final = 400


def _shortened(note: str) -> str:
    if len(note) <= MAX_STEP_NOTE:
        return note
    return note[: MAX_STEP_NOTE - 1].rstrip() + "…"


def _steps(dossier: Dossier) -> tuple[ControlStep, ...]:
    shown = [h for h in dossier.history if h.action != "draft_started"]
    return tuple(
        ControlStep(
            number=number,
            at=format_datetime(entry.at),
            actor=entry.actor.name or entry.actor.id,
            step=action_label(entry),
            status=entry.to_status.label_vi,
            timeliness=_timeliness(dossier, entry.at),
            note=_shortened(entry.note),
        )
        for number, entry in enumerate(shown, start=1)
    )


def _specific(
    spec: FormSpec,
    dossier: Dossier,
    entry: HistoryEntry | None,
    system_name: str,
    qr_kind: str,
) -> dict[str, object]:
    name = spec.name
    at = "" if entry is None else long_instant(entry.at)
    note = "" if entry is None else entry.note
    if name == "receipt":
        assert entry is not None  # _check_applies found the reception
        code = receipt_qr(dossier, system_name, entry.at)
        delivery = dossier.home_delivery_address
        return {
            "components": _components(dossier),
            "copies": "01 bộ",
            "result_place": (
                f"Tại nhà, qua dịch vụ bưu chính công ích: {delivery}"
                if delivery
                else "Bộ phận Tiếp nhận và Trả kết quả"
            ),
            "qr": QrImage(code.payload, qr_data_uri(code.payload, kind=qr_kind)),
            "appointment": _due_text(_latest_due(dossier, DueDateReason.RECEIPT)),
        }
    if name == "supplement_request":
        return {"requested_at": at, "request": note}
    if name == "refusal":
        return {"refused_at": at, "reason": note}
    if name == "apology":
        assert entry is not None  # _check_applies found the apology
        reason, _, _ = note.partition(" — Hẹn lại ngày")
        new = _latest_due(dossier, DueDateReason.APOLOGY)
        before = [c for c in dossier.due_dates if new is None or c.set_at < new.set_at]
        return {
            "apologised_at": at,
            "reason": reason,
            "old_due_date": _due_text(before[-1] if before else None),
            "new_due_date": _due_text(new),
        }
    if name == "stop_notice":
        return {"stopped_at": at, "reason": note}
    return {"steps": _steps(dossier)}


def receipt_qr(dossier: Dossier, system_name: str, issued_at: dt.datetime) -> ReceiptQr:
    """What the receipt's QR code says: issued at reception, with the appointment date."""
    a = dossier.applicant
    return ReceiptQr(
        dossier_code="" if dossier.code is None else str(dossier.code),
        procedure_code=dossier.procedure.code,
        id_number=a.id_number or a.tax_code or "",
        document_name=FORMS["receipt"].document_name,
        system_name=system_name,
        issued_at=issued_at,
        appointment=(
            receipt.due_date
            if (receipt := _latest_due(dossier, DueDateReason.RECEIPT))
            else dossier.due_date
        ),
    )


def form_values(
    form: str,
    dossier: Dossier,
    *,
    agency: AgencyLines,
    officer_name: str,
    now: dt.datetime,
    portal_name: str,
    portal_url: str = "",
    qr_kind: str = "png",
) -> dict[str, object]:
    """Every value the template of ``form`` is given, for ``dossier``.

    TransitionNotAllowed when the dossier has no step the form documents (a refusal form
    for a dossier that was received). The form is dated the day of that step and signed by
    the officer who took it (the control sheet: ``now`` and ``officer_name``, who prints
    it). ``qr_kind`` is "png" (for the PDF) or "svg" (for the page).
    """
    spec = form_spec(form)
    if not isinstance(dossier, Dossier):
        raise InvalidInput("dossier", "must be a Dossier", dossier)
    entry = _check_applies(spec, dossier)
    dated = now if entry is None else entry.at
    return {
        "portal_name": portal_name,
        "portal_url": portal_url,
        "form": spec,
        "agency": agency,
        "dossier": _dossier(dossier),
        "applicant": _applicant(dossier),
        "officer_name": officer_name if entry is None else entry.actor.name or officer_name,
        "dated": long_day(local_day(dated)),
        **_specific(spec, dossier, entry, portal_name, qr_kind),
    }
