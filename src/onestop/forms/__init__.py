"""The one-stop office's printable forms, as PDF and HTML (install ``onestop[forms]``).

A portal prints them through :class:`~onestop.application.forms.FormService`
(``portal.forms.receipt(officer_id, dossier_id, format="pdf")``), which checks that the
officer may read the dossier. A host's own view can use the pieces here directly:
:func:`render_form` (a form of a dossier as a document, in one call), or its parts
:func:`form_values` (what a form shows) and :func:`load_form_templates` with
:meth:`FormTemplates.render` (the document), :class:`ReceiptQr` and :func:`parse_payload`
(the QR code of Circular 01/2023/TT-VPCP).

The forms (:data:`FORMS`): ``receipt`` (Giấy tiếp nhận hồ sơ và hẹn trả kết quả),
``supplement_request`` (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ), ``refusal`` (Phiếu từ chối
tiếp nhận giải quyết hồ sơ), ``apology`` (Phiếu xin lỗi và hẹn lại ngày trả kết quả),
``stop_notice`` (Thông báo dừng xử lý hồ sơ) and ``control_sheet`` (Phiếu kiểm soát quá
trình giải quyết hồ sơ). HTML needs only Jinja2; the QR code needs segno and the PDF fpdf2,
both in the ``forms`` extra.
"""

from onestop.forms._pdf import FONT_FAMILY, html_to_pdf
from onestop.forms._qr import PAYLOAD_VERSION, ReceiptQr, parse_payload, qr_data_uri
from onestop.forms._render import (
    FORMATS,
    FormDocument,
    FormTemplates,
    check_format,
    load_form_templates,
    render_form,
)
from onestop.forms._values import (
    COMMON_VALUES,
    FORMS,
    AgencyLines,
    ApplicantLines,
    ComponentRow,
    ControlStep,
    DossierLines,
    FormSpec,
    QrImage,
    form_spec,
    form_values,
    issued_at,
    long_day,
    long_instant,
    receipt_qr,
)

__all__ = [
    "COMMON_VALUES",
    "FONT_FAMILY",
    "FORMATS",
    "FORMS",
    "PAYLOAD_VERSION",
    "AgencyLines",
    "ApplicantLines",
    "ComponentRow",
    "ControlStep",
    "DossierLines",
    "FormDocument",
    "FormSpec",
    "FormTemplates",
    "QrImage",
    "ReceiptQr",
    "check_format",
    "form_spec",
    "form_values",
    "html_to_pdf",
    "issued_at",
    "load_form_templates",
    "long_day",
    "long_instant",
    "parse_payload",
    "qr_data_uri",
    "receipt_qr",
    "render_form",
]
