"""The dossier as one screen shows it (:class:`DossierView`): the applicant block, the
components with their files, the fee table and the progress, every value formatted for the
screen's locale, with the screen's own words (:data:`SCREEN_LABELS`).

Part of the read models re-exported by :mod:`onestop.application.views`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from onestop.application._history_view import (
    DueDateLine,
    ProgressEntry,
    day_text,
    due_date_lines,
    instant_text,
    pick,
    require_kind,
    status_label,
)
from onestop.application.templates import check_locale
from onestop.domain.catalog import Component
from onestop.domain.dossier import Dossier
from onestop.domain.files import FileRef
from onestop.domain.inputs import require_datetime
from onestop.domain.money import FeeLine
from onestop.domain.statuses import DossierStatus
from onestop.formatting import format_date, format_size, format_vnd

__all__ = [
    "SCREEN_LABELS",
    "ComponentLine",
    "DossierView",
    "FeeRow",
    "FeeTable",
    "FileLine",
    "LabelledValue",
]

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
        require_kind(dossier, Dossier, "dossier")
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
            submitted_at_text=instant_text(dossier.submitted_at),
            received_at_text=instant_text(dossier.received_at),
            due_date_text=day_text(dossier.due_date),
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
            due_at_text=instant_text(dossier.due_at),
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
        kind_label=pick((line.kind.label_vi, line.kind.label_en), locale),
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
