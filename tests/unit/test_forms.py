"""The printable forms: every form as PDF and HTML, read back, with the receipt's QR code.

The PDF is read back with poppler's ``pdftotext``; the QR code is decoded from a page
rendered by ``pdftoppm`` with zbar's ``zbarimg`` (Debian's poppler-utils and zbar-tools,
installed by ``.ci/run``; missing, these tests skip locally and fail under CI).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import subprocess
import unicodedata
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.application.context import Settings
from onestop.bootstrap import bootstrap
from onestop.domain import Dossier
from onestop.errors import (
    DossierNotFound,
    InvalidInput,
    PermissionDenied,
    TemplateError,
    TransitionNotAllowed,
)
from onestop.forms import FORMS, ReceiptQr, load_form_templates, parse_payload
from onestop.forms._pdf import FONT_FILES
from tests.support import require_module, require_program
from tests.unit.conftest import BUILD, CATALOG_JSON, HKD, WARD, PortalKit, make_kit, vn

require_module("fpdf")
require_module("segno")

NAME = "Nguyễn Văn An"
REQUEST = "Bổ sung bản sao hợp đồng thuê địa điểm kinh doanh có chứng thực"
REFUSAL = "Giấy đề nghị thiếu chữ ký của chủ hộ <không hợp lệ>"
APOLOGY = "Cần xác minh thêm thông tin địa điểm kinh doanh với UBND phường"
STOP = "Người nộp hồ sơ không bổ sung giấy tờ trong thời hạn quy định"


def flat(text: str) -> str:
    """``text`` in NFC with every run of white space one space (a PDF wraps its lines)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """The text of a PDF, as pdftotext reads it."""
    program = require_program("pdftotext")
    path = tmp_path / "form.pdf"
    path.write_bytes(content)
    done = subprocess.run(
        [program, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return flat(done.stdout.decode("utf-8"))


def qr_codes(content: bytes, tmp_path: Path) -> list[str]:
    """What every QR code on the PDF's first page says (pdftoppm, then zbarimg)."""
    pdftoppm = require_program("pdftoppm")
    zbarimg = require_program("zbarimg")
    path = tmp_path / "form.pdf"
    path.write_bytes(content)
    subprocess.run(
        [pdftoppm, "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    page = next(tmp_path.glob("page*.png"))
    done = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(page)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return [line for line in done.stdout.decode("utf-8").splitlines() if line]


def in_state(kit: PortalKit, form: str) -> tuple[str, Dossier]:
    """An officer of the ward and a dossier that has the step ``form`` documents."""
    officer = kit.officer(WARD, "Lê Văn Cường").id
    dossier = kit.submitted(HKD)
    desk = kit.portal.desk
    kit.clock.set(vn(2022, 6, 22, 10))
    if form == "refusal":
        return officer, desk.refuse_reception(officer, dossier.id, REFUSAL)
    dossier = desk.receive(officer, dossier.id)
    if form in ("receipt", "control_sheet"):
        return officer, dossier
    kit.clock.set(vn(2022, 6, 23, 8))
    desk.start_processing(officer, dossier.id)
    if form == "supplement_request":
        return officer, desk.request_supplement(officer, dossier.id, REQUEST)
    if form == "apology":
        return officer, desk.send_apology(officer, dossier.id, reason=APOLOGY)
    assert form == "stop_notice"
    return officer, desk.stop_processing(officer, dossier.id, STOP)


#: What each form must show besides its title, the dossier code and the applicant's name.
SHOWS: dict[str, tuple[str, ...]] = {
    "receipt": (
        "Thời gian trả kết quả giải quyết hồ sơ: ngày 27 tháng 06 năm 2022",
        "10 giờ 00 phút, ngày 22 tháng 06 năm 2022",
        "Phòng Tài chính",
    ),
    "supplement_request": (REQUEST, "NGƯỜI HƯỚNG DẪN"),
    "refusal": (REFUSAL, "NGƯỜI TIẾP NHẬN HỒ SƠ"),
    "apology": (APOLOGY, "xin lỗi Ông/Bà"),
    "stop_notice": (STOP, "dừng xử lý hồ sơ này"),
    "control_sheet": (
        "Hẹn trả kết quả: ngày 27 tháng 06 năm 2022",
        "tình trạng: Được tiếp nhận",
        "Lê Văn Cường",
    ),
}


def test_the_forms_the_issue_asks_for_are_all_there() -> None:
    assert set(FORMS) == set(SHOWS)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_as_pdf_reads_back_with_its_vietnamese_text(
    kit: PortalKit, tmp_path: Path, form: str
) -> None:
    """Title, code, name and the form's own content come back from the PDF, diacritics kept."""
    officer, dossier = in_state(kit, form)
    document = kit.portal.forms.document(officer, dossier.id, form, format="pdf")
    assert document.media_type == "application/pdf"
    assert document.content.startswith(b"%PDF-")
    assert b"/Lang (vi)" in document.content  # declared Vietnamese, for screen readers
    assert document.filename == f"{FORMS[form].file_stem}-{dossier.code}.pdf"
    text = pdf_text(document.content, tmp_path)
    for expected in (FORMS[form].title, str(dossier.code), NAME, *SHOWS[form]):
        assert flat(expected) in text, f"{expected!r} is not in the {form} PDF: {text}"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_as_html_is_a_whole_escaped_page(kit: PortalKit, form: str) -> None:
    officer, dossier = in_state(kit, form)
    document = kit.portal.forms.document(officer, dossier.id, form, format="html")
    assert document.media_type == "text/html; charset=utf-8"
    assert document.filename.endswith(".html")
    page = document.content.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="vi">' in page
    for expected in (FORMS[form].title, str(dossier.code), NAME):
        assert expected in page
    assert "<không hợp lệ>" not in page  # the refusal's reason is escaped, not markup
    if form == "refusal":
        assert "&lt;không hợp lệ&gt;" in page


def test_the_receipts_qr_code_decodes_to_the_circulars_fields(
    kit: PortalKit, tmp_path: Path
) -> None:
    """Dossier code, procedure code, id number, document, system, time and appointment."""
    officer, dossier = in_state(kit, "receipt")
    document = kit.portal.forms.receipt(officer, dossier.id)
    [payload] = qr_codes(document.content, tmp_path)
    qr = parse_payload(payload)
    assert qr.dossier_code == str(dossier.code)
    assert qr.procedure_code == HKD
    assert qr.id_number == dossier.applicant.id_number == "062090001234"
    assert qr.document_name == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    assert qr.system_name == kit.portal.context.settings.portal_name
    assert qr.issued_at == dossier.received_at == vn(2022, 6, 22, 10)
    assert qr.appointment == dossier.due_date == dt.date(2022, 6, 27)


def test_the_html_receipt_carries_the_same_qr_code_as_svg(kit: PortalKit) -> None:
    officer, dossier = in_state(kit, "receipt")
    page = kit.portal.forms.receipt(officer, dossier.id, format="html").content.decode()
    assert 'src="data:image/svg+xml' in page
    assert f"Mã QR của hồ sơ {dossier.code}" in page


def test_the_same_form_twice_is_the_same_pdf(kit: PortalKit) -> None:
    """Dated by its step, not by the printing: a reprint is byte for byte the same."""
    officer, dossier = in_state(kit, "refusal")
    first = kit.portal.forms.refusal(officer, dossier.id).content
    kit.clock.set(vn(2022, 6, 22, 11))
    assert kit.portal.forms.refusal(officer, dossier.id).content == first


def test_the_forms_are_the_same_from_sqlite(kit: PortalKit, tmp_path: Path) -> None:
    """History and due dates stored in SQL give the very same documents as in memory."""
    sql = require_module("onestop.adapters.sql")
    storage = sql.SqlStorage.from_url(f"sqlite:///{tmp_path / 'portal.db'}")
    try:
        portal = bootstrap(
            storage=storage,
            clock=kit.clock,
            payment_gateway=kit.gateway,
            calendar=kit.portal.context.calendar,
            environ={},
            secret_key="k" * 32,
        )
        portal.catalog.load_json(CATALOG_JSON)
        with storage.unit_of_work() as uow:
            uow.accounts.add(kit.citizen)
            uow.accounts.add(kit.stranger)
            uow.commit()
        documents = []
        for where in (kit, attrs.evolve(kit, portal=portal, storage=storage)):
            where.clock.set(vn(2022, 6, 22, 9))
            officer, dossier = in_state(where, "receipt")
            where.clock.set(vn(2022, 6, 23, 8))
            where.portal.desk.start_processing(officer, dossier.id)
            where.portal.desk.request_supplement(officer, dossier.id, REQUEST)
            documents.append(
                [
                    where.portal.forms.document(officer, dossier.id, form, format="html").content
                    for form in ("receipt", "supplement_request", "control_sheet")
                ]
            )
        in_memory, from_sql = documents
        assert all(b"000.01.20.H34-220622-0001" in page for page in from_sql)
        assert from_sql == in_memory
    finally:
        storage.close()


def test_a_hosts_view_renders_a_form_without_the_service(kit: PortalKit) -> None:
    """render_form gives the document portal.forms gives, from the dossier alone."""
    from onestop.forms import AgencyLines, render_form

    officer, dossier = in_state(kit, "receipt")
    document = render_form(
        "receipt",
        dossier,
        agency=AgencyLines(
            "Phòng Tài chính - Kế hoạch thành phố Kon Tum", "ỦY BAN NHÂN DÂN THÀNH PHỐ KON TUM"
        ),
        officer_name="Lê Văn Cường",
        now=kit.clock.now(),
        portal_name=kit.portal.context.settings.portal_name,
        portal_url=kit.portal.context.settings.base_url,
        format="html",
    )
    assert document == kit.portal.forms.receipt(officer, dossier.id, format="html")


def test_a_form_without_its_step_is_refused(kit: PortalKit) -> None:
    officer, dossier = in_state(kit, "receipt")
    with pytest.raises(TransitionNotAllowed) as refused:
        kit.portal.forms.refusal(officer, dossier.id)
    assert refused.value.status == "received"
    with pytest.raises(TransitionNotAllowed):
        kit.portal.forms.stop_notice(officer, dossier.id)
    waiting = kit.submitted(HKD)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.forms.receipt(officer, waiting.id)


def test_only_an_active_officer_of_the_agency_prints_a_dossiers_forms(kit: PortalKit) -> None:
    officer, dossier = in_state(kit, "receipt")
    outsider = kit.officer(BUILD, "Phạm Văn Dũng").id
    with pytest.raises(PermissionDenied):
        kit.portal.forms.receipt(outsider, dossier.id)
    kit.portal.desk.deactivate(officer)
    with pytest.raises(PermissionDenied):
        kit.portal.forms.receipt(officer, dossier.id)
    colleague = kit.officer(WARD, "Đỗ Thị Hoa").id
    draft = kit.draft(HKD)
    with pytest.raises(DossierNotFound):
        kit.portal.forms.control_sheet(colleague, draft.id)


def test_the_applicant_gets_the_forms_addressed_to_them(kit: PortalKit, tmp_path: Path) -> None:
    officer, dossier = in_state(kit, "receipt")
    mine = kit.portal.forms.for_applicant(kit.citizen.id, dossier.id, "receipt")
    assert mine.content == kit.portal.forms.receipt(officer, dossier.id).content
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in pdf_text(mine.content, tmp_path)
    with pytest.raises(DossierNotFound):
        kit.portal.forms.for_applicant(kit.stranger.id, dossier.id, "receipt")
    with pytest.raises(PermissionDenied):
        kit.portal.forms.for_applicant(kit.citizen.id, dossier.id, "control_sheet")
    with pytest.raises(TransitionNotAllowed):
        kit.portal.forms.for_applicant(kit.citizen.id, dossier.id, "refusal", format="html")


def test_an_unknown_format_or_form_names_the_argument(kit: PortalKit) -> None:
    officer, dossier = in_state(kit, "receipt")
    with pytest.raises(InvalidInput) as bad_format:
        kit.portal.forms.receipt(officer, dossier.id, format="docx")  # type: ignore[arg-type]
    assert bad_format.value.field == "format"
    with pytest.raises(InvalidInput) as bad_form:
        kit.portal.forms.document(officer, dossier.id, "register_book")
    assert bad_form.value.field == "form"


def test_the_control_sheet_judges_each_step_against_the_appointment(kit: PortalKit) -> None:
    officer, dossier = in_state(kit, "receipt")
    kit.clock.set(vn(2022, 6, 27, 9))  # the appointment day
    kit.portal.desk.start_processing(officer, dossier.id)
    kit.clock.set(vn(2022, 6, 28, 9))  # a day late
    kit.portal.desk.pause(officer, dossier.id, "Chờ ý kiến phối hợp")
    page = kit.portal.forms.control_sheet(officer, dossier.id, format="html").content.decode()
    rows = [line for line in page.splitlines() if 'align="left"' in line]
    assert len(rows) == 4  # submitted, received, processing started, paused
    assert "Trước hạn" in rows[1]
    assert "Đúng hạn" in rows[2]
    assert "Quá hạn" in rows[3]
    assert "Trước hạn" not in rows[0] and "hạn</td>" not in rows[0]  # before the appointment


def test_the_apology_shows_the_old_and_the_new_date(kit: PortalKit, tmp_path: Path) -> None:
    officer, dossier = in_state(kit, "apology")
    assert dossier.due_date is not None and dossier.due_date > dt.date(2022, 6, 27)
    text = pdf_text(kit.portal.forms.apology(officer, dossier.id).content, tmp_path)
    day = dossier.due_date
    assert "hẹn trả kết quả vào ngày 27 tháng 06 năm 2022" in text  # the receipt's
    assert f"vào ngày {day.day:02d} tháng {day.month:02d} năm {day.year}." in text
    assert "Hẹn lại ngày" not in text  # the history note's date suffix is not the reason


def test_a_receipt_printed_again_keeps_the_appointment_it_gave(
    kit: PortalKit, tmp_path: Path
) -> None:
    """After a supplement moved the due date, the receipt still shows (and encodes) its own."""
    officer, dossier = in_state(kit, "receipt")
    first = kit.portal.forms.receipt(officer, dossier.id).content
    kit.clock.set(vn(2022, 6, 23, 8))
    kit.portal.desk.start_processing(officer, dossier.id)
    kit.portal.desk.request_supplement(officer, dossier.id, REQUEST)
    kit.clock.set(vn(2022, 6, 28, 9))
    moved = kit.portal.dossiers.resubmit(kit.citizen.id, dossier.id, "Đã bổ sung")
    assert moved.due_date is not None and moved.due_date > dt.date(2022, 6, 27)
    again = kit.portal.forms.receipt(officer, dossier.id).content
    assert again == first
    assert parse_payload(qr_codes(again, tmp_path)[0]).appointment == dt.date(2022, 6, 27)
    sheet = kit.portal.forms.control_sheet(officer, dossier.id, format="html").content.decode()
    day = moved.due_date
    assert f"Hẹn trả kết quả: <b>ngày {day.day:02d} tháng {day.month:02d}" in sheet


def test_the_longest_notes_still_make_a_pdf(kit: PortalKit, tmp_path: Path) -> None:
    """A 4000-character reason runs over pages; the control sheet shortens it to one row."""
    officer = kit.officer(WARD).id
    dossier = kit.submitted(HKD)
    reason = ("Thiếu chữ ký của chủ hộ trên giấy đề nghị. " * 100)[:4000]
    kit.portal.desk.refuse_reception(officer, dossier.id, reason)
    refusal = kit.portal.forms.refusal(officer, dossier.id).content
    assert flat(reason) in pdf_text(refusal, tmp_path)
    received = kit.submitted(HKD)
    kit.portal.desk.receive(officer, received.id, note=reason)
    sheet = kit.portal.forms.control_sheet(officer, received.id)
    assert "Thiếu chữ ký của chủ hộ" in pdf_text(sheet.content, tmp_path)
    assert (
        "…" in kit.portal.forms.control_sheet(officer, received.id, format="html").content.decode()
    )


def test_text_typed_with_combining_marks_is_drawn_with_precomposed_glyphs(
    kit: PortalKit, tmp_path: Path
) -> None:
    officer = kit.officer(WARD).id
    dossier = kit.submitted(HKD)
    decomposed = unicodedata.normalize("NFD", "Thiếu bản sao hộ khẩu của người đề nghị")
    kit.portal.desk.refuse_reception(officer, dossier.id, decomposed)
    text = pdf_text(kit.portal.forms.refusal(officer, dossier.id).content, tmp_path)
    assert "Thiếu bản sao hộ khẩu của người đề nghị" in text


def test_a_form_document_gives_its_response_headers(kit: PortalKit) -> None:
    officer, dossier = in_state(kit, "receipt")
    document = kit.portal.forms.receipt(officer, dossier.id)
    headers = document.headers
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Length"] == str(len(document.content))
    assert headers["Content-Disposition"].startswith('inline; filename="giay-tiep-nhan-ho-so-')


_REFUSAL_VALUES: dict[str, object] = {}


def refusal_values() -> dict[str, object]:
    """The values of a real refusal form, made once for the property tests."""
    if not _REFUSAL_VALUES:
        kit = make_kit()
        officer, dossier = in_state(kit, "refusal")
        page = kit.portal.forms.refusal(officer, dossier.id, format="html")
        assert page.content
        from onestop.forms import AgencyLines, form_values

        _REFUSAL_VALUES.update(
            form_values(
                "refusal",
                kit.portal.desk.get(officer, dossier.id),
                agency=AgencyLines("Phòng Tài chính - Kế hoạch", "UBND thành phố Kon Tum"),
                officer_name="Lê Văn Cường",
                now=kit.clock.now(),
                portal_name="Cổng dịch vụ công",
            )
        )
    return dict(_REFUSAL_VALUES)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60),
)
def test_any_text_in_a_form_makes_a_pdf(reason: str, name: str) -> None:
    """Whatever a reason or a name holds (emoji, scripts the font lacks, controls, markup),
    the PDF is made: a missing glyph is left out, never an error."""
    values = refusal_values()
    values["reason"] = reason
    values["officer_name"] = name
    document = load_form_templates().render(
        "refusal", values, format="pdf", created_at=vn(2022, 6, 22, 10)
    )
    assert document.content.startswith(b"%PDF-")


VIETNAMESE_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
    "ĐƯƠÂĂÊÔ"
)
vietnamese = st.text(
    # No "-": pdftotext takes a hyphen that ends a line for a word break and drops it.
    st.sampled_from(VIETNAMESE_LETTERS + " ,.;:()/0123456789"),
    min_size=1,
    max_size=200,
).filter(lambda t: any(c.isalpha() for c in t))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(vietnamese)
def test_vietnamese_text_reads_back_from_the_pdf(reason: str) -> None:
    pdftotext = require_program("pdftotext")
    values = refusal_values()
    values["reason"] = reason
    document = load_form_templates().render(
        "refusal", values, format="pdf", created_at=vn(2022, 6, 22, 10)
    )
    done = subprocess.run(
        [pdftotext, "-enc", "UTF-8", "-", "-"],
        input=document.content,
        capture_output=True,
        check=True,
        timeout=60,
    )
    # A word longer than the line is broken where it must: compare without white space.
    drawn = "".join(flat(done.stdout.decode("utf-8")).split())
    assert "".join(flat(reason).split()) in drawn


# --- the QR payload ---------------------------------------------------------------------------

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=7))]),
).map(lambda d: d.replace(microsecond=0))
receipts = st.builds(
    ReceiptQr,
    dossier_code=texts,
    procedure_code=texts,
    id_number=texts,
    document_name=texts,
    system_name=texts,
    issued_at=instants,
    appointment=st.none() | st.dates(),
)


@given(receipts)
def test_the_qr_payload_reads_back_as_written(qr: ReceiptQr) -> None:
    again = parse_payload(qr.payload)
    assert again == qr
    assert again.issued_at.utcoffset() == dt.timedelta(hours=7)  # on Vietnam's clock
    assert ("ngay_hen_tra" in qr.payload) == (qr.appointment is not None)


@given(receipts, st.sampled_from(["v", "ma_ho_so", "ma_thu_tuc", "so_giay_to", "thoi_gian"]))
def test_a_payload_missing_a_field_is_refused(qr: ReceiptQr, key: str) -> None:
    import json

    fields = json.loads(qr.payload)
    del fields[key]
    with pytest.raises(InvalidInput):
        parse_payload(json.dumps(fields))


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "000.00.03.H34-220622-0001",
        "[1, 2]",
        "[" * 5000,  # nested deeper than the JSON reader goes
        '{"v": 2}',
        '{"v": true}',  # True == 1, but not the version
        '{"v": 1.0}',
        '{"v":1,"ma_ho_so":1,"ma_thu_tuc":"x","so_giay_to":"","ten_giay_to":"","he_thong":""}',
        '{"v":1,"ma_ho_so":"a","ma_thu_tuc":"b","so_giay_to":"","ten_giay_to":"","he_thong":"",'
        '"thoi_gian":"2022-06-22T10:00:00"}',
        '{"v":1,"ma_ho_so":"a","ma_thu_tuc":"b","so_giay_to":"","ten_giay_to":"","he_thong":"",'
        '"thoi_gian":"2022-06-22T10:00:00+07:00","ngay_hen_tra":"27/06/2022"}',
    ],
)
def test_a_malformed_payload_is_refused_naming_the_field(payload: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_payload(payload)
    assert refused.value.field.startswith("payload")


# --- templates a host overrides -------------------------------------------------------------

OWN_RECEIPT = """{% extends layout %}{% block body %}
<h1>BIÊN NHẬN HỒ SƠ CỦA TỈNH KON TUM</h1>
<p>Mã hồ sơ: {{ dossier.code }}; hẹn trả: {{ appointment }}</p>
<img src="{{ qr.image }}" width="90" height="90">
{% endblock %}"""


def write(directory: Path, path: str, text: str) -> None:
    target = directory / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def host_portal(kit: PortalKit, directory: Path) -> PortalKit:
    """The kit with its portal's forms loaded from ``directory`` first."""
    settings = Settings(template_dir=directory)
    portal = bootstrap(
        storage=kit.storage,
        clock=kit.clock,
        payment_gateway=kit.gateway,
        calendar=kit.portal.context.calendar,
        settings=settings,
        environ={},
        secret_key="k" * 32,
    )
    kit.portal = portal
    return kit


def test_a_hosts_template_replaces_the_packaged_one_in_pdf_and_html(
    kit: PortalKit, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    write(templates, "forms/receipt.html", OWN_RECEIPT)
    kit = host_portal(kit, templates)
    assert kit.portal.forms.templates.overridden == ("forms/receipt.html",)
    officer, dossier = in_state(kit, "receipt")
    page = kit.portal.forms.receipt(officer, dossier.id, format="html").content.decode()
    assert "BIÊN NHẬN HỒ SƠ CỦA TỈNH KON TUM" in page
    assert "GIẤY TIẾP NHẬN" not in page
    pdf = kit.portal.forms.receipt(officer, dossier.id).content
    text = pdf_text(pdf, tmp_path)
    assert "BIÊN NHẬN HỒ SƠ CỦA TỈNH KON TUM" in text
    assert parse_payload(qr_codes(pdf, tmp_path)[0]).dossier_code == str(dossier.code)
    # The forms the host left alone still come from the package.
    sheet = kit.portal.forms.control_sheet(officer, dossier.id, format="html").content.decode()
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in sheet


def test_a_host_overrides_the_shared_heading_once_for_every_form(
    kit: PortalKit, tmp_path: Path
) -> None:
    write(tmp_path, "forms/_heading.html", "<h1>UBND TỈNH KON TUM</h1><h2>{{ form.title }}</h2>")
    kit = host_portal(kit, tmp_path)
    officer, dossier = in_state(kit, "refusal")
    page = kit.portal.forms.refusal(officer, dossier.id, format="html").content.decode()
    assert "<h1>UBND TỈNH KON TUM</h1>" in page
    assert "Độc lập - Tự do - Hạnh phúc" not in page


@pytest.mark.parametrize(
    ("path", "source", "complaint"),
    [
        ("forms/receipt.html", OWN_RECEIPT.replace("{{ qr.image }}", "{{ ma_qr }}"), "ma_qr"),
        ("forms/receipt.html", OWN_RECEIPT.replace("{{ qr.image }}", "x"), "never shows qr"),
        ("forms/refusal.html", "{{ dossier.code }} {{ reason }} {{ due }}", "due"),
        ("forms/_heading.html", "{{ agency.name }} {{ reason }}", "reason"),
        ("forms/_screen.html", "{% block body %}{% endblock %}{{ css }}", "css"),
        ("forms/stop_notice.html", "{{ dossier.code }} {{ reason | sign }}", "sign"),
        ("forms/apology.html", "{{ dossier.code }} {% if %}", "does not compile"),
    ],
)
def test_a_template_that_cannot_work_fails_when_the_portal_starts(
    kit: PortalKit, tmp_path: Path, path: str, source: str, complaint: str
) -> None:
    """An unknown value, filter or syntax error names the file, at bootstrap."""
    write(tmp_path, path, source)
    with pytest.raises(TemplateError, match=complaint) as caught:
        host_portal(kit, tmp_path)
    assert path.rsplit("/", 1)[-1] in str(caught.value)


def test_a_template_the_pdf_cannot_draw_is_a_template_error(kit: PortalKit, tmp_path: Path) -> None:
    """fpdf2 draws no tag nested in a table cell: the host hears which form, not a crash."""
    nested = OWN_RECEIPT.replace(
        "{% endblock %}",
        "<table><tr><td>Mã <b>{{ dossier.code }}</b></td></tr></table>{% endblock %}",
    )
    write(tmp_path, "forms/receipt.html", nested)
    kit = host_portal(kit, tmp_path)
    officer, dossier = in_state(kit, "receipt")
    assert kit.portal.forms.receipt(officer, dossier.id, format="html").content
    with pytest.raises(TemplateError, match="cannot be drawn as PDF"):
        kit.portal.forms.receipt(officer, dossier.id)


@pytest.mark.parametrize(
    "image", ["logo.png", "data:image/png;base64,bm90IGFuIGltYWdl"], ids=["path", "not-an-image"]
)
def test_an_image_the_pdf_cannot_read_is_a_template_error(
    kit: PortalKit, tmp_path: Path, image: str
) -> None:
    """Only data: URIs holding an image are drawn; a file path or bad data names the form."""
    own = OWN_RECEIPT.replace("</h1>", f'</h1><img src="{image}">')
    write(tmp_path, "forms/receipt.html", own)
    kit = host_portal(kit, tmp_path)
    officer, dossier = in_state(kit, "receipt")
    with pytest.raises(TemplateError, match="cannot be drawn as PDF"):
        kit.portal.forms.receipt(officer, dossier.id)


def test_bold_italic_text_is_drawn_with_the_fonts_it_needs(kit: PortalKit, tmp_path: Path) -> None:
    """A PDF reads only the styles its text uses; bold italic text still finds its font."""
    own = OWN_RECEIPT.replace("</h1>", "</h1><p><b>Lưu ý: <i>mang theo giấy hẹn</i></b></p>")
    write(tmp_path, "forms/receipt.html", own)
    kit = host_portal(kit, tmp_path)
    officer, dossier = in_state(kit, "receipt")
    text = pdf_text(kit.portal.forms.receipt(officer, dossier.id).content, tmp_path)
    assert "Lưu ý: mang theo giấy hẹn" in text


# --- the bundled font ----------------------------------------------------------------------


def test_the_font_and_its_licence_ship_in_the_package() -> None:
    fonts = importlib.resources.files("onestop.forms") / "fonts"
    for name in set(FONT_FILES.values()):
        assert (fonts / name).read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType
    licence = (fonts / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence
    assert "Arev Fonts Copyright" in licence


def test_the_licence_file_is_the_licence_the_fonts_carry() -> None:
    ttlib = require_module("fontTools.ttLib")
    fonts = importlib.resources.files("onestop.forms") / "fonts"
    shipped = (fonts / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    for name in set(FONT_FILES.values()):
        with importlib.resources.as_file(fonts / name) as path:
            names = ttlib.TTFont(str(path))["name"]
        carried = names.getName(13, 3, 1, 0x409).toUnicode()
        assert carried.strip() in shipped
        assert names.getName(1, 3, 1, 0x409).toUnicode() == "DejaVu Sans"


def test_the_font_has_every_vietnamese_letter_with_every_tone() -> None:
    ttlib = require_module("fontTools.ttLib")
    vowels = "aăâeêioôơuưy"
    letters = set("bcdđghklmnpqrstvx" + vowels)
    letters |= {
        unicodedata.normalize("NFC", v + t)
        for v in vowels
        for t in "\u0300\u0301\u0303\u0309\u0323"
    }
    letters |= {c.upper() for c in letters}
    fonts = importlib.resources.files("onestop.forms") / "fonts"
    for name in set(FONT_FILES.values()):
        with importlib.resources.as_file(fonts / name) as path:
            cmap = ttlib.TTFont(str(path)).getBestCmap()
        missing = sorted(c for c in letters if ord(c) not in cmap)
        assert not missing, f"{name} lacks {missing}"
        assert len(letters) == 2 * (17 + 12 + 12 * 5)
