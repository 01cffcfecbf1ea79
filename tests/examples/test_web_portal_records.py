"""The web portal's records pages through Flask's test client: the officer digitises a
component and attaches an electronic result, the citizen sees the flags and downloads the
result; every refusal is the library's, shown next to the form it concerns."""

from __future__ import annotations

import html
import io
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onestop import Portal
from onestop.adapters import InMemoryMailTransport
from onestop.domain import Account, Dossier, DossierStatus, OfficerRole
from tests.support import require_module

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROCEDURE = "1.001612"  # Đăng ký kinh doanh hộ kinh doanh: two mandatory components
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PASSWORD = "Mat-khau-an-toan-1"


def pdf_of(name: str) -> bytes:
    """A PDF of its own: the file store keeps one copy of equal contents, under one key."""
    return PDF.replace(b"%%EOF", f"% {name}\n%%EOF".encode())


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The example's app on a new SQLite file, CSRF off (the e2e tests post real forms)."""
    require_module("flask")
    require_module("flask_wtf")
    sys.path.insert(0, str(EXAMPLES))
    try:
        from web_portal import PortalConfig, close_app, create_app

        database = tmp_path_factory.mktemp("records") / "portal.db"
        app = create_app(
            PortalConfig(
                database_url=f"sqlite:///{database}",
                secret_key="records-test-secret-0123456789abcdef",
                mail_interval=0.05,
            )
        )
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
        try:
            yield app
        finally:
            close_app(app)
    finally:
        sys.path.remove(str(EXAMPLES))


def portal_of(app: Any) -> Portal:
    portal: Portal = app.extensions["onestop"].portal
    return portal


_names = iter(range(1, 10_000))


def citizen(app: Any) -> Account:
    """A verified citizen (the mail worker sends the link within a moment)."""
    portal = portal_of(app)
    mailbox: InMemoryMailTransport = app.extensions["onestop"].mailbox
    email = f"cong.dan.{next(_names)}@example.vn"
    portal.accounts.register_citizen(email, PASSWORD, "Lê Văn Công", phone="0987 654 321")
    from _demo import link_from_mail, token_of  # examples/_demo.py

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        link = link_from_mail(mailbox, email)
        if link is not None:
            portal.accounts.verify(token_of(link))
            return portal.accounts.log_in(email, PASSWORD)
        time.sleep(0.05)
    raise AssertionError(f"no verification mail reached {email}")


def submitted(app: Any, account: Account) -> Dossier:
    """A dossier awaiting reception, a PDF for each mandatory component."""
    portal = portal_of(app)
    draft = portal.dossiers.start_draft(account.id, PROCEDURE)
    for component in draft.procedure.components:
        if component.mandatory:
            portal.dossiers.attach(
                account.id,
                draft.id,
                component.id,
                pdf_of(f"{draft.id} {component.id}"),
                filename=f"{component.id}.pdf",
                media_type="application/pdf",
            )
    return portal.dossiers.submit(account.id, draft.id, idempotency_key=draft.id)


def officer_id(app: Any, roles: frozenset[OfficerRole] | None = None) -> str:
    """The demo officer, or a new officer of the same agency with only ``roles``."""
    portal = portal_of(app)
    if roles is None:
        return portal.desk.log_in("canbo@kontum.gov.vn", "Can-bo-mot-cua-2022").id
    email = f"can.bo.{next(_names)}@kontum.gov.vn"
    return portal.desk.register_officer(
        "000.00.03.H34", "Đỗ Văn Nhận", email, roles=roles, password=PASSWORD
    ).id


def as_citizen(app: Any, account: Account) -> Any:
    client = app.test_client()
    with client.session_transaction() as session:
        session["account_id"] = account.id
    return client


def as_officer(app: Any, officer: str) -> Any:
    client = app.test_client()
    with client.session_transaction() as session:
        session["officer_id"] = officer
        session["officer_name"] = "Cán bộ"
    return client


def processing(app: Any, dossier: Dossier) -> None:
    desk, officer = portal_of(app).desk, officer_id(app)
    desk.receive(officer, dossier.id)
    desk.start_processing(officer, dossier.id, "")


def error_next_to(page: str, field: str) -> str:
    """The text of the error paragraph the page shows for ``field`` ("" when none)."""
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', page, re.S)
    if found is None:
        return ""
    shown = re.sub(r'<span class="sr">.*?</span>', "", found[1])  # "Lỗi: " for screen readers
    return html.unescape(re.sub(r"<[^>]+>", "", shown)).strip()


def upload(name: str, content: bytes, media_type: str) -> tuple[io.BytesIO, str, str]:
    return io.BytesIO(content), name, media_type


def officer_page(client: Any, dossier: Dossier) -> str:
    answer = client.get(f"/officer/dossiers/{dossier.id}")
    assert answer.status_code == 200
    page: str = answer.get_data(as_text=True)
    return page


# --- the officer's dossier page ---------------------------------------------------------------


def test_the_forms_offered_follow_the_status(app: Any) -> None:
    """Số hoá before processing (one form per component), the result form while processing."""
    dossier = submitted(app, citizen(app))
    client = as_officer(app, officer_id(app))
    page = officer_page(client, dossier)
    for component in dossier.procedure.components:
        assert f'id="scan-{component.id}"' in page
    assert 'id="do-attach_result"' not in page
    assert "Chưa có kết quả điện tử." in page
    processing(app, dossier)
    page = officer_page(client, dossier)
    assert 'id="do-attach_result"' in page
    assert 'id="scan-giay-de-nghi"' not in page


def test_digitising_a_component_marks_the_file_for_officer_and_citizen(app: Any) -> None:
    account = citizen(app)
    dossier = submitted(app, account)
    client = as_officer(app, officer_id(app))
    answer = client.post(
        f"/officer/dossiers/{dossier.id}/digitise",
        data={
            "component": "bien-ban-hop",
            "scan-bien-ban-hop": upload("ban-quet.pdf", PDF, "application/pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Đã số hoá: ban-quet.pdf." in page
    stored = portal_of(app).dossiers.get(account.id, dossier.id)
    scans = [a for a in stored.attachments if a.component_id == "bien-ban-hop"]
    assert [(a.file.name, a.digitised, a.reused) for a in scans] == [("ban-quet.pdf", True, False)]
    mine = as_citizen(app, account).get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert mine.count('data-flag="digitised"') == 1  # only the scan, not the uploads
    row = re.search(r"ban-quet\.pdf</a>[^<]*<span[^>]*>([^<]+)</span>", mine)
    assert row is not None and row[1] == "Bản số hoá"


@pytest.mark.parametrize(
    ("name", "content", "media_type", "expected"),
    [
        ("ghi-chu.txt", b"not a scan", "text/plain", "Tệp đính kèm không được chấp nhận"),
        ("gia-mao.pdf", b"MZ\x90\x00 not a pdf", "application/pdf", "Nội dung tệp không đúng"),
        ("", b"", "application/octet-stream", "Tệp đính kèm không được chấp nhận"),
    ],
)
def test_a_refused_scan_is_shown_next_to_its_component_and_nothing_is_attached(
    app: Any, name: str, content: bytes, media_type: str, expected: str
) -> None:
    account = citizen(app)
    dossier = submitted(app, account)
    client = as_officer(app, officer_id(app))
    answer = client.post(
        f"/officer/dossiers/{dossier.id}/digitise",
        data={
            "component": "bien-ban-hop",
            "scan-bien-ban-hop": upload(name, content, media_type),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert expected in error_next_to(page, "scan-bien-ban-hop")
    assert 'aria-invalid="true" aria-describedby="scan-bien-ban-hop-error"' in page
    stored = portal_of(app).dossiers.get(account.id, dossier.id)
    assert stored.files_for("bien-ban-hop") == ()
    assert stored.history == dossier.history


def test_a_scan_for_a_component_the_procedure_lacks_is_shown_above_the_forms(app: Any) -> None:
    dossier = submitted(app, citizen(app))
    client = as_officer(app, officer_id(app))
    answer = client.post(
        f"/officer/dossiers/{dossier.id}/digitise",
        data={"component": "khong-co", "scan-khong-co": upload("a.pdf", PDF, "application/pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert error_next_to(answer.get_data(as_text=True), "digitise")


def test_digitising_needs_the_reception_role_and_a_dossier_not_yet_processed(app: Any) -> None:
    dossier = submitted(app, citizen(app))
    data = {"component": "bien-ban-hop"}
    approver = as_officer(app, officer_id(app, frozenset({OfficerRole.APPROVAL})))
    answer = approver.post(
        f"/officer/dossiers/{dossier.id}/digitise",
        data={**data, "scan-bien-ban-hop": upload("a.pdf", PDF, "application/pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert error_next_to(answer.get_data(as_text=True), "scan-bien-ban-hop") == (
        "Bạn không có quyền xem hoặc thực hiện thao tác này."
    )
    processing(app, dossier)
    answer = as_officer(app, officer_id(app)).post(
        f"/officer/dossiers/{dossier.id}/digitise",
        data={**data, "scan-bien-ban-hop": upload("a.pdf", PDF, "application/pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert "«Đang xử lý»" in error_next_to(answer.get_data(as_text=True), "digitise")


def test_an_attached_result_is_listed_and_the_citizen_downloads_it(app: Any) -> None:
    account = citizen(app)
    dossier = submitted(app, account)
    processing(app, dossier)
    officer = as_officer(app, officer_id(app))
    answer = officer.post(
        f"/officer/dossiers/{dossier.id}/results",
        data={"result": upload("giay-chung-nhan.pdf", PDF, "application/pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Đã cập nhật kết quả điện tử: giay-chung-nhan.pdf." in page
    (result,) = portal_of(app).dossiers.get(account.id, dossier.id).results
    link = f"/officer/dossiers/{dossier.id}/files/{result.key}"
    assert f'href="{link}"' in page
    assert officer.get(link).data == PDF

    client = as_citizen(app, account)
    mine = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Kết quả giải quyết điện tử" in mine
    href = f"/dossiers/{dossier.id}/files/{result.key}"
    assert f'<a href="{href}" download>giay-chung-nhan.pdf</a>' in mine
    got = client.get(href)
    assert got.status_code == 200
    assert got.data == PDF
    assert got.headers["Content-Type"].startswith("application/pdf")
    assert got.headers["Content-Disposition"].startswith("attachment")


def test_another_citizen_cannot_download_the_result(app: Any) -> None:
    account = citizen(app)
    dossier = submitted(app, account)
    processing(app, dossier)
    result = portal_of(app).desk.attach_result(
        officer_id(app), dossier.id, PDF, filename="kq.pdf", media_type="application/pdf"
    )
    stranger = as_citizen(app, citizen(app))
    answer = stranger.get(f"/dossiers/{dossier.id}/files/{result.key}")
    assert answer.status_code == 404
    assert PDF not in answer.data
    assert "Không tìm thấy hồ sơ" in answer.get_data(as_text=True)
    # Nor a key that is no file of the citizen's own dossier.
    answer = as_citizen(app, account).get(f"/dossiers/{dossier.id}/files/khong-co")
    assert answer.status_code == 404


def test_a_citizen_without_results_sees_no_results_section(app: Any) -> None:
    account = citizen(app)
    dossier = submitted(app, account)
    page = as_citizen(app, account).get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Kết quả giải quyết điện tử" not in page
    assert 'data-flag="' not in page


@pytest.mark.parametrize(
    ("name", "content", "media_type", "expected"),
    [
        ("ket-qua.docx", b"PK\x03\x04", "application/msword", "Tệp đính kèm không được chấp nhận"),
        ("ket-qua.png", b"%PDF-1.4 not a png", "image/png", "Nội dung tệp không đúng"),
        ("", b"", "application/octet-stream", "Tệp đính kèm không được chấp nhận"),
    ],
)
def test_a_refused_result_is_shown_next_to_the_form_and_nothing_is_added(
    app: Any, name: str, content: bytes, media_type: str, expected: str
) -> None:
    account = citizen(app)
    dossier = submitted(app, account)
    processing(app, dossier)
    answer = as_officer(app, officer_id(app)).post(
        f"/officer/dossiers/{dossier.id}/results",
        data={"result": upload(name, content, media_type)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert expected in error_next_to(answer.get_data(as_text=True), "result")
    assert portal_of(app).dossiers.get(account.id, dossier.id).results == ()


def test_a_result_needs_a_processing_role_and_a_dossier_being_processed(app: Any) -> None:
    account = citizen(app)
    dossier = submitted(app, account)
    posted = {"result": upload("kq.pdf", PDF, "application/pdf")}
    # Awaiting reception: the form is not offered, and a forged post is refused.
    answer = as_officer(app, officer_id(app)).post(
        f"/officer/dossiers/{dossier.id}/results", data=posted, content_type="multipart/form-data"
    )
    assert answer.status_code == 422
    assert "«Hồ sơ đang chờ tiếp nhận»" in error_next_to(answer.get_data(as_text=True), "result")
    processing(app, dossier)
    receptionist = as_officer(app, officer_id(app, frozenset({OfficerRole.RECEPTION})))
    answer = receptionist.post(
        f"/officer/dossiers/{dossier.id}/results",
        data={"result": upload("kq.pdf", PDF, "application/pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert error_next_to(answer.get_data(as_text=True), "result") == (
        "Bạn không có quyền xem hoặc thực hiện thao tác này."
    )
    assert portal_of(app).dossiers.get(account.id, dossier.id).results == ()


def test_the_records_forms_need_an_officer(app: Any) -> None:
    dossier = submitted(app, citizen(app))
    answer = app.test_client().post(f"/officer/dossiers/{dossier.id}/results")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/officer/login")


# --- the citizen's dossier page -----------------------------------------------------------------


def test_a_file_reused_from_an_earlier_dossier_is_marked(app: Any) -> None:
    account = citizen(app)
    earlier = submitted(app, account)
    portal = portal_of(app)
    draft = portal.dossiers.start_draft(account.id, PROCEDURE)
    (old,) = earlier.files_for("giay-to-phap-ly")
    portal.dossiers.reuse_file(account.id, draft.id, "giay-to-phap-ly", earlier.id, old.key)
    portal.dossiers.attach(
        account.id,
        draft.id,
        "giay-de-nghi",
        PDF,
        filename="giay-de-nghi-moi.pdf",
        media_type="application/pdf",
    )
    dossier = portal.dossiers.submit(account.id, draft.id, idempotency_key=draft.id)
    assert dossier.status is DossierStatus.AWAITING_RECEPTION
    client = as_citizen(app, account)
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert page.count('data-flag="reused"') == 1
    row = re.search(r"giay-to-phap-ly\.pdf</a>[^<]*<span[^>]*>([^<]+)</span>", page)
    assert row is not None and row[1] == "Tái sử dụng"
    assert client.get(f"/dossiers/{dossier.id}/files/{old.key}").data == pdf_of(
        f"{earlier.id} giay-to-phap-ly"
    )


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


def applicant_form(account: Account) -> dict[str, Any]:
    return {"full_name": account.profile.full_name, "email": account.email}


def reuse_choices(page: str, component_id: str) -> dict[str, str]:
    """The options of a component's "dùng lại tệp" list: value to label."""
    found = re.search(rf'<select id="reuse-{component_id}".*?</select>', page, re.S)
    if found is None:
        return {}
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', found[0])
    return {value: html.unescape(label) for value, label in options if value}


def test_the_procedure_page_offers_the_files_a_component_accepts(app: Any) -> None:
    """An earlier dossier's PNG is offered where PNG is accepted, not for a PDF-only one."""
    account = citizen(app)
    portal = portal_of(app)
    draft = portal.dossiers.start_draft(account.id, PROCEDURE)
    portal.dossiers.attach(
        account.id, draft.id, "giay-de-nghi", PNG, filename="don.png", media_type="image/png"
    )
    client = as_citizen(app, account)
    page = client.get(f"/services/{PROCEDURE}").get_data(as_text=True)
    (ref,) = portal.dossiers.get(account.id, draft.id).files_for("giay-de-nghi")
    assert reuse_choices(page, "giay-to-phap-ly") == {
        f"{draft.id}:{ref.key}": f"don.png ({ref.size} B), hồ sơ nháp"
    }
    assert reuse_choices(page, "bien-ban-hop") == {}  # PDF only
    # A citizen with no earlier files is offered nothing.
    fresh = as_citizen(app, citizen(app)).get(f"/services/{PROCEDURE}").get_data(as_text=True)
    assert 'id="reuse-' not in fresh


def test_a_file_chosen_on_the_procedure_page_is_reused_and_marked(app: Any) -> None:
    account = citizen(app)
    earlier = submitted(app, account)
    (old,) = earlier.files_for("giay-to-phap-ly")
    client = as_citizen(app, account)
    page = client.get(f"/services/{PROCEDURE}").get_data(as_text=True)
    choice = f"{earlier.id}:{old.key}"
    assert choice in reuse_choices(page, "giay-to-phap-ly")
    answer = client.post(
        f"/services/{PROCEDURE}",
        data={
            **applicant_form(account),
            "file-giay-de-nghi": upload("don-moi.pdf", pdf_of("don moi"), "application/pdf"),
            "reuse-giay-to-phap-ly": choice,
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    dossier_id = answer.headers["Location"].split("/dossiers/", 1)[1].split("/", 1)[0]
    dossier = portal_of(app).dossiers.get(account.id, dossier_id)
    assert dossier.status is DossierStatus.AWAITING_RECEPTION
    reused = [(a.component_id, a.file.key) for a in dossier.attachments if a.reused]
    assert reused == [("giay-to-phap-ly", old.key)]
    mine = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert mine.count('data-flag="reused"') == 1


def test_a_forged_reuse_of_someone_elses_file_is_refused_next_to_the_component(
    app: Any,
) -> None:
    owner = citizen(app)
    theirs = submitted(app, owner)
    (ref,) = theirs.files_for("giay-to-phap-ly")
    account = citizen(app)
    client = as_citizen(app, account)
    answer = client.post(
        f"/services/{PROCEDURE}",
        data={**applicant_form(account), "reuse-giay-to-phap-ly": f"{theirs.id}:{ref.key}"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert (
        error_next_to(page, "file-giay-to-phap-ly")
        == "Không tìm thấy hồ sơ. Vui lòng kiểm tra lại mã hồ sơ."
    )
    (draft,) = portal_of(app).dossiers.list_mine(account.id, page=1).items
    assert draft.status is DossierStatus.DRAFT
    assert draft.files_for("giay-to-phap-ly") == ()


def test_a_supplement_may_reuse_a_file_of_another_dossier(app: Any) -> None:
    account = citizen(app)
    earlier = submitted(app, account)
    dossier = submitted(app, account)
    portal_of(app).desk.request_supplement(officer_id(app), dossier.id, "Bổ sung biên bản họp")
    (old,) = earlier.files_for("giay-de-nghi")
    client = as_citizen(app, account)
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    choice = f"{earlier.id}:{old.key}"
    assert choice in reuse_choices(page, "bien-ban-hop")
    answer = client.post(
        f"/dossiers/{dossier.id}",
        data={"reuse-bien-ban-hop": choice, "note": "Dùng lại biên bản đã nộp"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    stored = portal_of(app).dossiers.get(account.id, dossier.id)
    assert stored.status is DossierStatus.AWAITING_RECEPTION
    assert [
        (a.file.key, a.reused) for a in stored.attachments if a.component_id == "bien-ban-hop"
    ] == [(old.key, True)]


def test_the_same_bytes_under_two_components_download_under_each_name(app: Any) -> None:
    """The file store keeps equal bytes once: each component's link names its component,
    so each file downloads under the name the citizen gave it."""
    account = citizen(app)
    portal = portal_of(app)
    draft = portal.dossiers.start_draft(account.id, PROCEDURE)
    mandatory = [c for c in draft.procedure.components if c.mandatory]
    assert len(mandatory) >= 2
    for component in mandatory:
        portal.dossiers.attach(
            account.id,
            draft.id,
            component.id,
            PDF,
            filename=f"{component.id}.pdf",
            media_type="application/pdf",
        )
    dossier = portal.dossiers.submit(account.id, draft.id, idempotency_key=draft.id)
    key = dossier.attachments[0].file.key
    client = as_citizen(app, account)
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    for component in mandatory:
        href = f"/dossiers/{dossier.id}/files/{key}?component={component.id}"
        assert f'href="{html.escape(href)}"' in page
        got = client.get(href)
        assert got.status_code == 200 and got.data == PDF
        assert f"{component.id}.pdf" in got.headers["Content-Disposition"]
