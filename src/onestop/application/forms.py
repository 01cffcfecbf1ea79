"""Printing the one-stop office's forms for an officer (``portal.forms``).

Each method gives one form of a dossier of the officer's agency, as PDF or HTML, as a
:class:`~onestop.forms.FormDocument` (bytes, media type, file name, response headers). The
officer is checked as for reading the dossier (:meth:`OfficerDesk.get
<onestop.application.desk.OfficerDesk.get>`): active, of the dossier's agency, the dossier
submitted; PermissionDenied or DossierNotFound otherwise. A form the dossier has no step for
(a refusal form for a received dossier) is TransitionNotAllowed.

The applicant gets the forms addressed to them (all but the control sheet, which is the
office's) with :meth:`FormService.for_applicant`, checked as for reading their own dossier.

The templates are loaded and checked when the service is built (so at ``bootstrap``), the
host's files in ``Settings.template_dir`` first, as for mail. Making a PDF needs the
``forms`` extra (fpdf2, segno); without it ConfigurationError says what to install.
"""

from __future__ import annotations

from typing import Final, Literal

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.desk import OfficerDesk
from onestop.application.dossiers import DossierService
from onestop.application.security_log import log_security_event
from onestop.domain.dossier import Dossier
from onestop.errors import AgencyNotFound, PermissionDenied
from onestop.forms import (
    AgencyLines,
    FormDocument,
    FormTemplates,
    check_format,
    form_spec,
    load_form_templates,
    render_form,
)

__all__ = ["FormService"]

Format = Literal["pdf", "html"]

#: The forms an applicant receives (the control sheet stays with the office).
APPLICANT_FORMS: Final = frozenset(
    {"receipt", "supplement_request", "refusal", "apology", "stop_notice"}
)


@checked_methods
class FormService:
    """The printable forms of a dossier, for the officers of its agency."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._desk = OfficerDesk(ctx)
        self._dossiers = DossierService(ctx)
        self.templates: FormTemplates = load_form_templates(ctx.settings.template_dir)

    def document(
        self, officer_id: str, dossier_id: str, form: str, *, format: Format = "pdf"
    ) -> FormDocument:
        """The form called ``form`` (a name in :data:`onestop.forms.FORMS`) of a dossier."""
        spec = form_spec(form)
        chosen = check_format(format)
        dossier = self._desk.get(officer_id, dossier_id)
        with self._ctx.storage.unit_of_work() as uow:
            officer_name = uow.officers.get(officer_id).full_name
        return self._render(dossier, spec.name, chosen, officer_name)

    def for_applicant(
        self, account_id: str, dossier_id: str, form: str, *, format: Format = "pdf"
    ) -> FormDocument:
        """A form addressed to the applicant, of one of their own dossiers.

        Any form but the control sheet (PermissionDenied: it is the office's record);
        someone else's dossier is DossierNotFound, as everywhere an applicant reads.
        """
        spec = form_spec(form)
        chosen = check_format(format)
        dossier = self._dossiers.get(account_id, dossier_id)
        if spec.name not in APPLICANT_FORMS:
            log_security_event(
                "permission.denied",
                "an applicant asked for an office-only form",
                actor_id=account_id,
                dossier_id=dossier.id,
                form=spec.name,
            )
            raise PermissionDenied(
                f"the {spec.name} is the office's record; an applicant may have the "
                f"{', '.join(sorted(APPLICANT_FORMS))}"
            )
        return self._render(dossier, spec.name, chosen, "")

    def _render(
        self, dossier: Dossier, form: str, chosen: Format, officer_name: str
    ) -> FormDocument:
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            agency = uow.catalog.get_agency(dossier.procedure.agency)
            parent_name = ""
            if agency.parent is not None:
                try:
                    parent_name = uow.catalog.get_agency(agency.parent).name
                except AgencyNotFound:
                    parent_name = ""
        return render_form(
            form,
            dossier,
            agency=AgencyLines(agency.name, parent_name),
            officer_name=officer_name,
            now=ctx.clock.now(),
            portal_name=ctx.settings.portal_name,
            portal_url=ctx.settings.base_url,
            format=chosen,
            templates=self.templates,
        )

    def receipt(self, officer_id: str, dossier_id: str, *, format: Format = "pdf") -> FormDocument:
        """Giấy tiếp nhận hồ sơ và hẹn trả kết quả, with the QR code (Circular 01/2023)."""
        return self.document(officer_id, dossier_id, "receipt", format=format)

    def supplement_request(
        self, officer_id: str, dossier_id: str, *, format: Format = "pdf"
    ) -> FormDocument:
        """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: the latest supplement request."""
        return self.document(officer_id, dossier_id, "supplement_request", format=format)

    def refusal(self, officer_id: str, dossier_id: str, *, format: Format = "pdf") -> FormDocument:
        """Phiếu từ chối tiếp nhận giải quyết hồ sơ, with the reason."""
        return self.document(officer_id, dossier_id, "refusal", format=format)

    def apology(self, officer_id: str, dossier_id: str, *, format: Format = "pdf") -> FormDocument:
        """Phiếu xin lỗi và hẹn lại ngày trả kết quả: the latest apology and its new date."""
        return self.document(officer_id, dossier_id, "apology", format=format)

    def stop_notice(
        self, officer_id: str, dossier_id: str, *, format: Format = "pdf"
    ) -> FormDocument:
        """Thông báo dừng xử lý hồ sơ, with the reason."""
        return self.document(officer_id, dossier_id, "stop_notice", format=format)

    def control_sheet(
        self, officer_id: str, dossier_id: str, *, format: Format = "pdf"
    ) -> FormDocument:
        """Phiếu kiểm soát quá trình giải quyết hồ sơ: every step so far, on time or late."""
        return self.document(officer_id, dossier_id, "control_sheet", format=format)
