"""The officer's desk: log in, the queue, a dossier with its files, and the actions on it.

Each action is one call on ``portal.desk`` (receive, refuse reception, request a supplement,
start processing, decide, return the result); the library checks the officer's agency and
roles and the dossier's status, and its refusal is shown next to the form it concerns.
Receiving shows the receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) with the appointment
date the library counted in working days.

The records forms upload a file: "Số hoá" hands the scan of a paper original to
``portal.desk.digitise`` (the file joins its component, marked digitised), "Cập nhật kết quả
điện tử" hands a result document to ``portal.desk.attach_result`` (the applicant downloads it
from their dossier page). Like the actions, their refusals are shown next to the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, cast

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from onestop.application import DossierView
from onestop.application.uploads import RESULT_MEDIA_TYPES
from onestop.domain.statuses import DossierStatus
from onestop.errors import OnestopError
from onestop.forms import FORMS

from .support import field_errors, form_text, officer_required, portal

bp = Blueprint("officer", __name__, url_prefix="/officer")

#: The actions of the dossier page: label, and the call with the posted note.
ACTIONS: dict[str, tuple[str, Callable[[str, str, str], object]]] = {
    "receive": (
        "Tiếp nhận hồ sơ",
        lambda officer, dossier, note: portal().desk.receive(officer, dossier, note=note),
    ),
    "refuse_reception": (
        "Từ chối tiếp nhận",
        lambda officer, dossier, note: portal().desk.refuse_reception(officer, dossier, note),
    ),
    "request_supplement": (
        "Yêu cầu bổ sung hồ sơ",
        lambda officer, dossier, note: portal().desk.request_supplement(officer, dossier, note),
    ),
    "start_processing": (
        "Chuyển xử lý",
        lambda officer, dossier, note: portal().desk.start_processing(officer, dossier, note),
    ),
    "approve": (
        "Duyệt: chấp thuận",
        lambda officer, dossier, note: portal().desk.decide(officer, dossier, approved=True),
    ),
    "refuse": (
        "Duyệt: từ chối",
        lambda officer, dossier, note: portal().desk.decide(
            officer, dossier, approved=False, reasons=note
        ),
    ),
    "return_result": (
        "Trả kết quả",
        lambda officer, dossier, note: portal().desk.return_result(officer, dossier, note),
    ),
}

#: Which actions the page offers in each status (the library has the last word).
OFFERED: dict[DossierStatus, tuple[str, ...]] = {
    DossierStatus.AWAITING_RECEPTION: ("receive", "request_supplement", "refuse_reception"),
    DossierStatus.RECEIVED: ("start_processing", "request_supplement"),
    DossierStatus.PROCESSING: ("approve", "refuse", "request_supplement"),
    DossierStatus.PAYMENT_REQUESTED: ("approve", "refuse"),
    DossierStatus.DECIDED: ("return_result",),
}
#: The statuses in which the page offers the records forms (the library has the last word).
DIGITISE_STATUSES = (DossierStatus.AWAITING_RECEPTION, DossierStatus.RECEIVED)
RESULT_STATUSES = (DossierStatus.PROCESSING, DossierStatus.DECIDED)
#: The statuses the queue can be narrowed to, in the order a dossier meets them.
FILTERS = (
    DossierStatus.AWAITING_RECEPTION,
    DossierStatus.RECEIVED,
    DossierStatus.PROCESSING,
    DossierStatus.SUPPLEMENT_REQUESTED,
    DossierStatus.PAYMENT_REQUESTED,
    DossierStatus.DECIDED,
    DossierStatus.RESULT_RETURNED,
)
#: The actions whose note is required, and what the note is called there.
NOTE_LABELS = {
    "refuse_reception": "Lý do từ chối tiếp nhận",
    "request_supplement": "Nội dung yêu cầu bổ sung",
    "refuse": "Lý do từ chối",
}


def _officer_id() -> str:
    officer_id: str = session["officer_id"]  # officer_required checked it
    return officer_id


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Đăng nhập cán bộ."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            officer = portal().desk.log_in(form_text("email"), request.form.get("password", ""))
        except OnestopError as error:
            errors = field_errors(error, default="password")
        else:
            session.clear()
            session["officer_id"] = officer.id
            session["officer_name"] = officer.full_name
            return redirect(url_for(".queue"))
    return render_template("officer_login.html", errors=errors, form=request.form), (
        401 if errors else 200
    )


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for(".login"))


@bp.route("/")
@officer_required
def queue() -> ResponseReturnValue:
    """Hồ sơ của đơn vị: oldest first, awaiting an action or not."""
    page_number = request.args.get("page", "1")
    wanted = [s for s in FILTERS if s.value == request.args.get("status")]
    page = portal().desk.queue(
        _officer_id(),
        statuses=wanted or None,
        page=int(page_number) if page_number.isdigit() else 1,
    )
    return render_template(
        "officer_queue.html",
        page=page,
        filters=FILTERS,
        status=wanted[0].value if wanted else "",
    )


@bp.route("/dossiers/<dossier_id>")
@officer_required
def dossier(dossier_id: str) -> ResponseReturnValue:
    """A dossier of the officer's agency: applicant, files, progress, the actions it allows."""
    return _dossier_page(dossier_id, errors={})


def _dossier_page(dossier_id: str, errors: dict[str, str]) -> ResponseReturnValue:
    view = portal().desk.view(_officer_id(), dossier_id)
    return render_template(
        "officer_dossier.html",
        view=view,
        dossier_id=dossier_id,
        actions=[(name, ACTIONS[name][0]) for name in OFFERED.get(view.status, ())],
        forms=printable_forms(view),
        note_labels=NOTE_LABELS,
        digitise=view.status in DIGITISE_STATUSES,
        attach_result=view.status in RESULT_STATUSES,
        result_types=sorted(RESULT_MEDIA_TYPES),
        errors=errors,
        scan_field=scan_field,
        file_url=lambda key, component=None: url_for(
            ".file", dossier_id=dossier_id, file_key=key, component=component
        ),
    ), (422 if errors else 200)


@bp.post("/dossiers/<dossier_id>/<action>")
@officer_required
def act(dossier_id: str, action: str) -> ResponseReturnValue:
    """One action on the dossier; its refusal is shown next to the action's form."""
    if action not in ACTIONS:
        return _dossier_page(dossier_id, {"form": "Thao tác không hợp lệ."})
    label, call = ACTIONS[action]
    try:
        call(_officer_id(), dossier_id, form_text("note"))
    except OnestopError as error:
        return _dossier_page(dossier_id, {action: error.message("vi")})
    flash(f"Đã thực hiện: {label}.", "success")
    if action == "receive":
        return redirect(url_for(".receipt", dossier_id=dossier_id))
    return redirect(url_for(".dossier", dossier_id=dossier_id))


@bp.post("/dossiers/<dossier_id>/results")
@officer_required
def attach_result(dossier_id: str) -> ResponseReturnValue:
    """Cập nhật kết quả điện tử: the posted document to ``portal.desk.attach_result``."""
    upload = request.files.get("result")
    try:
        data, filename, media_type = _posted(upload)
        ref = portal().desk.attach_result(
            _officer_id(), dossier_id, data, filename=filename, media_type=media_type
        )
    except OnestopError as error:
        return _dossier_page(dossier_id, {"result": error.message("vi")})
    flash(f"Đã cập nhật kết quả điện tử: {ref.name}.", "success")
    return redirect(url_for(".dossier", dossier_id=dossier_id))


@bp.post("/dossiers/<dossier_id>/digitise")
@officer_required
def digitise(dossier_id: str) -> ResponseReturnValue:
    """Số hoá: the scan of a component's paper original to ``portal.desk.digitise``."""
    component_id = form_text("component")
    upload = request.files.get(scan_field(component_id))
    try:
        data, filename, media_type = _posted(upload)
        ref = portal().desk.digitise(
            _officer_id(),
            dossier_id,
            component_id,
            data,
            filename=filename,
            media_type=media_type,
        )
    except OnestopError as error:
        # Next to the component's input; above the forms for a component the dossier lacks,
        # or when the forms are gone (the dossier moved on since the page was loaded).
        view = portal().desk.view(_officer_id(), dossier_id)
        offered = view.status in DIGITISE_STATUSES
        known = {c.id for c in view.components}
        where = scan_field(component_id) if offered and component_id in known else "digitise"
        return _dossier_page(dossier_id, {where: error.message("vi")})
    flash(f"Đã số hoá: {ref.name}.", "success")
    return redirect(url_for(".dossier", dossier_id=dossier_id))


def scan_field(component_id: str) -> str:
    """The name of the file input of a component's "Số hoá" form (``scan-giay-de-nghi``)."""
    return f"scan-{component_id}"


def _posted(upload: FileStorage | None) -> tuple[BinaryIO | bytes, str, str]:
    """The file input's stream (spooled by Werkzeug, read in chunks by the library), name and
    media type as the browser sent them. An input left empty is sent as it is: the library
    refuses a file without a name, and checks the media type against the bytes."""
    if upload is None:
        return b"", "", "application/octet-stream"
    media_type = upload.mimetype or "application/octet-stream"
    return cast(BinaryIO, upload.stream), upload.filename or "", media_type


@bp.route("/dossiers/<dossier_id>/receipt")
@officer_required
def receipt(dossier_id: str) -> ResponseReturnValue:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả, to print and hand over."""
    view = portal().desk.view(_officer_id(), dossier_id)
    return render_template(
        "receipt.html", view=view, dossier_id=dossier_id, officer=session.get("officer_name")
    )


@bp.route("/dossiers/<dossier_id>/forms/<form>.pdf")
@officer_required
def form_pdf(dossier_id: str, form: str) -> ResponseReturnValue:
    """A form as the library prints it (``portal.forms``): the receipt with the QR code of
    Circular 01/2023, the supplement request, the control sheet, ..."""
    document = portal().forms.document(_officer_id(), dossier_id, form, format="pdf")
    return Response(document.content, headers=document.headers)


def printable_forms(view: DossierView) -> list[tuple[str, str]]:
    """(name, document name) of each form the dossier has the step for, in FORMS' order."""
    actions = {step.action for step in view.progress}
    return [
        (spec.name, spec.document_name)
        for spec in FORMS.values()
        if (spec.statuses is None or view.status in spec.statuses)
        and (spec.step is None or actions & set(spec.step))
    ]


@bp.route("/dossiers/<dossier_id>/files/<file_key>")
@officer_required
def file(dossier_id: str, file_key: str) -> ResponseReturnValue:
    """A file of the dossier, opened in the browser (PDF and images)."""
    component = request.args.get("component") or None
    download = portal().desk.open_file(
        _officer_id(), dossier_id, file_key, component_id=component, disposition="inline"
    )
    return Response(download, headers=download.headers)
