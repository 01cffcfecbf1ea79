"""The officer's desk in a real browser, beside the citizen whose dossier it handles."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from tests.e2e import flows
from tests.e2e.browser import Browser
from tests.e2e.conftest import PDF

#: The electronic result document the officer attaches (a PDF of its own).
RESULT = PDF.replace(b"%%EOF", b"% Giay chung nhan dang ky ho kinh doanh\n%%EOF")


def officer_logs_in(officer: Browser) -> None:
    officer.open("/officer/login")
    officer.fill("email", flows.OFFICER_EMAIL)
    officer.fill("password", flows.OFFICER_PASSWORD)
    officer.press("Đăng nhập")
    officer.wait_for_text("Hồ sơ của đơn vị")


def download(browser: Browser, href: str) -> bytes:
    """A file link fetched with the browser's session cookie."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.driver.get_cookies())
    request = urllib.request.Request(href, headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=30) as answer:
        content: bytes = answer.read()
        return content


def test_receive_supplement_decide_and_return(
    browser: Browser, second_browser: Browser, pdf: Path, tmp_path: Path
) -> None:
    """The officer receives (the receipt shows the appointment date), asks for a supplement,
    the citizen sends it, the officer processes, attaches the electronic result, approves and
    returns the result; the citizen follows every step in "Hồ sơ của tôi" and downloads the
    result document."""
    citizen, officer = browser, second_browser
    result = tmp_path / "giay-chung-nhan.pdf"
    result.write_bytes(RESULT)
    flows.citizen(citizen, "tran.thi.b", "Trần Thị B", "062192001236")
    flows.open_procedure(
        citizen, "Đăng ký kinh doanh", "ho kinh doanh", "Đăng ký kinh doanh hộ kinh doanh"
    )
    code = flows.submit(citizen, {"giay-de-nghi": pdf, "giay-to-phap-ly": pdf})

    officer_logs_in(officer)
    officer.wait_for_text(code)
    officer.select("status", "Hồ sơ đang chờ tiếp nhận")
    officer.press("Lọc")
    officer.wait_for_text(code)
    statuses = {
        cell.text for cell in officer.driver.find_elements("css selector", "tbody td:nth-child(4)")
    }
    assert statuses == {"Hồ sơ đang chờ tiếp nhận"}  # only what awaits reception
    officer.shot("hang-doi")
    officer.click_link(code)
    officer.wait_for_text("Xử lý hồ sơ")
    assert "Trần Thị B" in officer.text
    # The dossier's files, read through desk.open_file.
    link = officer.driver.find_element("link text", "giay-de-nghi.pdf").get_attribute("href")
    assert download(officer, link) == PDF
    officer.shot("ho-so")

    officer.press("Tiếp nhận hồ sơ")
    officer.wait_for_text("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    assert officer.text_of("dossier-code") == code
    assert officer.text_of("due-date")  # counted by the library in working days
    officer.shot("giay-tiep-nhan")
    # The same receipt as the library prints it: a PDF (with the QR code of Circular 01/2023).
    pdf_link = officer.driver.find_element("id", "receipt-pdf").get_attribute("href")
    assert download(officer, pdf_link).startswith(b"%PDF-")
    officer.click_link("← Về hồ sơ")

    officer.press("Yêu cầu bổ sung hồ sơ")  # without saying what: refused, next to the form
    officer.wait_for_text("«Ghi chú»")
    assert officer.error_for("request_supplement")
    officer.fill("note-request_supplement", "Bổ sung bản sao CCCD rõ nét hơn")
    officer.press("Yêu cầu bổ sung hồ sơ")
    officer.wait_for_text("Đã thực hiện: Yêu cầu bổ sung hồ sơ")
    assert officer.text_of("status") == "Yêu cầu bổ sung giấy tờ"
    request_form = officer.driver.find_element("id", "form-supplement_request")
    assert request_form.text == "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
    assert download(officer, request_form.get_attribute("href")).startswith(b"%PDF-")

    citizen.open("/dossiers")
    citizen.click_link(code)
    citizen.wait_for_text("Bổ sung bản sao CCCD rõ nét hơn")
    assert citizen.text_of("status") == "Yêu cầu bổ sung giấy tờ"
    citizen.upload("file-giay-to-phap-ly", pdf)
    citizen.fill("note", "Đã bổ sung bản rõ nét")
    citizen.shot("bo-sung")
    citizen.press("Nộp bổ sung")
    citizen.wait_for_text("Nộp bổ sung hồ sơ")

    officer.driver.refresh()
    officer.press("Chuyển xử lý")
    officer.wait_for_text("Đã thực hiện: Chuyển xử lý")
    # The electronic result (kết quả điện tử): refused without a file, next to the form.
    officer.press("Cập nhật kết quả điện tử")
    officer.wait_for_text("Kết quả điện tử")
    assert officer.error_for("result").startswith("Lỗi: Tệp đính kèm không được chấp nhận")
    officer.upload("result", result)
    officer.press("Cập nhật kết quả điện tử")
    officer.wait_for_text("Đã cập nhật kết quả điện tử: giay-chung-nhan.pdf.")
    officer.shot("ket-qua-dien-tu")
    for action in ("Duyệt: chấp thuận", "Trả kết quả"):
        officer.press(action)
        officer.wait_for_text(f"Đã thực hiện: {action}")
    assert officer.text_of("status") == "Đã trả kết quả"
    officer.shot("da-tra-ket-qua")

    citizen.open("/dossiers")
    citizen.wait_for_text(code)
    assert "Đã trả kết quả" in citizen.text
    citizen.shot("ho-so-cua-toi")
    citizen.click_link(code)
    for step in (
        "Tiếp nhận hồ sơ và hẹn trả kết quả",
        "Yêu cầu bổ sung giấy tờ",
        "Đã xử lý xong: chấp thuận",
        "Đã trả kết quả",
    ):
        assert step in citizen.text, step
    # The result document, served through dossiers.open_file with the citizen's session.
    assert "Kết quả giải quyết điện tử" in citizen.text
    link = citizen.driver.find_element("link text", "giay-chung-nhan.pdf").get_attribute("href")
    assert download(citizen, link) == RESULT
    citizen.shot("tai-ket-qua")

    # Rating the returned dossier, once.
    citizen.driver.find_element("id", "level-very_satisfied").click()
    citizen.fill("comment", "Cán bộ hướng dẫn tận tình")
    citizen.press("Gửi đánh giá")
    citizen.wait_for_text("Cảm ơn Ông/Bà đã đánh giá.")
    assert (
        citizen.text_of("rating") == "Ông/Bà đã đánh giá: Rất hài lòng · Cán bộ hướng dẫn tận tình"
    )
    assert "Gửi đánh giá" not in citizen.text
    citizen.shot("danh-gia")
