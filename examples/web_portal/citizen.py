"""The citizen's pages: find a procedure, fill and submit a dossier, follow it, track one.

The procedure page is one form (the guide's Bước 2): "Thông tin người nộp hồ sơ" prefilled
from the account, "Thành phần hồ sơ theo quy định" with a file input per component, the home
pick-up and delivery checkboxes with their addresses, and "Nộp hồ sơ". The first POST starts
a draft; its id comes back in the form, so after an error the files already attached stay
attached and only the refused ones need sending again. Each upload is handed to the library
as the stream Werkzeug spooled it to; the library checks type and content and streams it
into the file store, refusing it past the component's size limit. A file of an earlier
dossier may be chosen instead of an upload (:mod:`.reuse`).

The dossier page lists the electronic result documents the agency attached, each a link
served through ``dossiers.open_file`` (the owner's rights checked by the library, as for the
submitted files), and marks the files scanned at the desk and the reused ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, cast

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from onestop.domain import Account, Dossier
from onestop.domain.satisfaction import SatisfactionLevel
from onestop.domain.statuses import DossierStatus
from onestop.errors import DossierNotFound, OnestopError

from .accounts import parse_date
from .reuse import attach_reused, reusable_files, reuse_field
from .support import (
    citizen_required,
    component_field,
    current_account,
    field_errors,
    form_text,
    optional,
    portal,
)

bp = Blueprint("citizen", __name__)

#: The applicant block's fields, in the guide's order (labels from the library's view).
APPLICANT_FIELDS = (
    "full_name",
    "date_of_birth",
    "id_number",
    "id_issued_by",
    "phone",
    "email",
    "address",
)


def _account() -> Account:
    account = current_account()
    if account is None:  # citizen_required let nobody else in
        abort(401)
    return account


def _account_id() -> str:
    return _account().id


@bp.route("/")
def home() -> ResponseReturnValue:
    """The home page: "Đăng ký", "Đăng nhập", and what the portal offers."""
    return render_template("home.html")


@bp.route("/services")
def services() -> ResponseReturnValue:
    """Chọn Đơn vị, chọn Lĩnh vực, tìm kiếm dịch vụ công (diacritics optional)."""
    catalog = portal().catalog
    agency = request.args.get("agency", "") or None
    field = request.args.get("field", "") or None
    query = request.args.get("q", "")
    errors: dict[str, str] = {}
    found: Any = None
    fields: Any = catalog.list_fields()
    try:
        if agency is not None:
            fields = catalog.list_fields(agency)
            if field is not None and field not in {f.id for f in fields}:
                field = None  # a field of another agency: the agency was just changed
        found = catalog.search(query, agency=agency, field=field)
    except OnestopError as error:
        errors = field_errors(error, default="q")
    return render_template(
        "services.html",
        agencies=catalog.list_agencies(),
        fields=fields,
        agency=agency or "",
        field=field or "",
        query=query,
        found=found,
        errors=errors,
    )


@bp.route("/services/<code>", methods=["GET", "POST"])
@citizen_required
def procedure(code: str) -> ResponseReturnValue:
    """The procedure page and its "Nộp hồ sơ" button."""
    account_id = _account_id()
    dossiers = portal().dossiers
    procedure = portal().catalog.get_procedure(code)
    draft_id = form_text("draft_id") or request.args.get("draft", "")
    draft = dossiers.get(account_id, draft_id) if draft_id else None
    if draft is not None and draft.status is not DossierStatus.DRAFT:
        return redirect(url_for(".submitted", dossier_id=draft.id))  # submitted already
    if draft is not None and draft.procedure.code != procedure.code:
        return redirect(url_for(".procedure", code=draft.procedure.code, draft=draft.id))
    errors: dict[str, str] = {}
    if request.method == "POST":
        if draft is None:
            draft = dossiers.start_draft(account_id, code)
        errors = _fill_draft(account_id, draft)
        if not errors:
            try:
                # The draft's id as the idempotency key: a double click submits once.
                dossier = dossiers.submit(account_id, draft.id, idempotency_key=draft.id)
            except OnestopError as error:
                errors = field_errors(error)
            else:
                return redirect(url_for(".submitted", dossier_id=dossier.id))
    view = dossiers.view(account_id, draft.id) if draft is not None else None
    applicant = draft.applicant if draft else _account().profile
    return render_template(
        "procedure.html",
        procedure=procedure,
        draft=draft,
        view=view,
        files={c.id: c.files for c in view.components} if view else {},
        reusable=reusable_files(account_id, procedure, draft),
        reuse_field=reuse_field,
        applicant=applicant,
        applicant_fields=APPLICANT_FIELDS,
        form=request.form,
        errors=errors,
        component_field=component_field,
    ), (422 if errors else 200)


def _fill_draft(account_id: str, draft: Dossier) -> dict[str, str]:
    """Store the form on the draft: applicant block, files, home services; errors by field."""
    dossiers = portal().dossiers
    errors: dict[str, str] = {}
    try:
        dossiers.update_applicant(
            account_id,
            draft.id,
            full_name=form_text("full_name"),
            email=form_text("email"),
            phone=optional(form_text("phone")),
            address=optional(form_text("address")),
            date_of_birth=parse_date("date_of_birth"),
            id_number=optional(form_text("id_number")),
            id_issued_by=optional(form_text("id_issued_by")),
        )
    except OnestopError as error:
        errors.update(field_errors(error))
    errors.update(attach_uploads(account_id, draft))
    errors.update(attach_reused(account_id, draft))
    pickup = form_text("pickup_address") if request.form.get("home_pickup") else None
    delivery = form_text("delivery_address") if request.form.get("home_delivery") else None
    try:
        dossiers.choose_home_services(
            account_id, draft.id, pickup_address=pickup, delivery_address=delivery
        )
    except OnestopError as error:
        errors.update(field_errors(error))
    return errors


def attach_uploads(account_id: str, dossier: Dossier) -> dict[str, str]:
    """Attach every file posted for a component of ``dossier``; refused ones by field."""
    errors: dict[str, str] = {}
    for component in dossier.procedure.components:
        for upload in request.files.getlist(component_field(component.id)):
            if not upload.filename:
                continue  # the input was left empty
            try:
                portal().dossiers.attach(
                    account_id,
                    dossier.id,
                    component.id,
                    cast(BinaryIO, upload.stream),  # spooled by Werkzeug, read in chunks
                    filename=upload.filename,
                    media_type=upload.mimetype or "application/octet-stream",
                )
            except OnestopError as error:
                errors.update(field_errors(error))
    return errors


@bp.route("/dossiers/<dossier_id>/submitted")
@citizen_required
def submitted(dossier_id: str) -> ResponseReturnValue:
    """Nộp hồ sơ thành công: the library's submission view, as the guide shows it."""
    account_id = _account_id()
    screen = portal().dossiers.submission_view(account_id, dossier_id)
    payment = portal().payments.status(account_id, dossier_id)
    return render_template(
        "submitted.html",
        screen=screen,
        dossier_id=dossier_id,
        payment=payment,
        file_url=_file_url(dossier_id),
    )


def _file_url(dossier_id: str) -> Callable[..., str]:
    """The link to each file of the dossier, for the components table: with the component,
    so that the same bytes attached to two components download under each one's name."""
    return lambda key, component=None: url_for(
        ".file", dossier_id=dossier_id, file_key=key, component=component
    )


@bp.route("/dossiers")
@citizen_required
def my_dossiers() -> ResponseReturnValue:
    """Hồ sơ của tôi: newest first, with where each one stands."""
    page_number = request.args.get("page", "1")
    page = portal().dossiers.list_mine(
        _account_id(), page=int(page_number) if page_number.isdigit() else 1
    )
    return render_template("my_dossiers.html", page=page, stages=STAGES, stage_of=stage_of)


#: The stages a dossier goes through, for the progress bar of "Hồ sơ của tôi".
STAGES = ("Đã nộp", "Đã tiếp nhận", "Đang xử lý", "Đã có kết quả", "Đã trả kết quả")
_STAGE = {
    DossierStatus.DRAFT: 0,
    DossierStatus.AWAITING_RECEPTION: 1,
    DossierStatus.RECEIVED: 2,
    DossierStatus.PROCESSING: 3,
    DossierStatus.SUPPLEMENT_REQUESTED: 3,
    DossierStatus.PAYMENT_REQUESTED: 3,
    DossierStatus.DECIDED: 4,
    DossierStatus.RESULT_RETURNED: 5,
}


def stage_of(dossier: Dossier) -> int:
    """How many of :data:`STAGES` the dossier has passed (0 for a draft or a closed one)."""
    return _STAGE.get(dossier.status, 0)


@bp.route("/dossiers/<dossier_id>", methods=["GET", "POST"])
@citizen_required
def dossier(dossier_id: str) -> ResponseReturnValue:
    """One dossier: progress history, fees and payment, and the supplement form when asked."""
    account_id = _account_id()
    dossiers = portal().dossiers
    current = dossiers.get(account_id, dossier_id)
    if current.status is DossierStatus.DRAFT:
        return redirect(url_for(".procedure", code=current.procedure.code, draft=current.id))
    errors: dict[str, str] = {}
    if request.method == "POST":  # "Nộp bổ sung": the files asked for, then resubmit
        errors = attach_uploads(account_id, current)
        errors.update(attach_reused(account_id, current))
        if not errors:
            try:
                dossiers.resubmit(account_id, dossier_id, form_text("note"))
            except OnestopError as error:
                errors = field_errors(error, default="note")
            else:
                return redirect(url_for(".dossier", dossier_id=dossier_id))
    returned = current.status is DossierStatus.RESULT_RETURNED
    supplement = current.status is DossierStatus.SUPPLEMENT_REQUESTED
    return render_template(
        "dossier.html",
        view=dossiers.view(account_id, dossier_id),
        rating=dossiers.rating(account_id, dossier_id) if returned else None,
        rate=returned,
        levels=list(SatisfactionLevel),
        dossier_id=dossier_id,
        payment=portal().payments.status(account_id, dossier_id),
        supplement=supplement,
        reusable=reusable_files(account_id, current.procedure, current) if supplement else {},
        reuse_field=reuse_field,
        file_url=_file_url(dossier_id),
        component_field=component_field,
        errors=errors,
    ), (422 if errors else 200)


@bp.post("/dossiers/<dossier_id>/rate")
@citizen_required
def rate(dossier_id: str) -> ResponseReturnValue:
    """Đánh giá mức độ hài lòng, once the result is returned (once per dossier)."""
    try:
        portal().dossiers.rate(_account_id(), dossier_id, form_text("level"), form_text("comment"))
    except OnestopError as error:
        flash(error.message("vi"), "error")
    else:
        flash("Cảm ơn Ông/Bà đã đánh giá.", "success")
    return redirect(url_for(".dossier", dossier_id=dossier_id))


@bp.route("/dossiers/<dossier_id>/files/<file_key>")
@citizen_required
def file(dossier_id: str, file_key: str) -> ResponseReturnValue:
    """A file attached to one of the citizen's dossiers, streamed from the file store."""
    component = request.args.get("component") or None
    download = portal().dossiers.open_file(
        _account_id(), dossier_id, file_key, component_id=component
    )
    return Response(download, headers=download.headers)


@bp.route("/track", methods=["GET", "POST"])
def track() -> ResponseReturnValue:
    """Tra cứu hồ sơ: the code and the applicant's id number (or phone); no personal data."""
    errors: dict[str, str] = {}
    found = None
    code = request.values.get("code", "").strip()
    if request.method == "POST":
        try:
            found = portal().dossiers.track(code, form_text("id_number"))
        except DossierNotFound as error:
            errors = {"code": error.message("vi")}
        except OnestopError as error:
            errors = field_errors(error, default="code")
    return render_template(
        "track.html", code=code, form=request.form, found=found, errors=errors
    ), (422 if errors else 200)
