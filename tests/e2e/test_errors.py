"""The main error cases in a real browser: each says what is wrong, in Vietnamese, next to
the field it concerns, and keeps what was typed."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.keys import Keys

from tests.e2e import flows
from tests.e2e.browser import Browser


def test_wrong_password_is_refused_next_to_the_password(browser: Browser) -> None:
    email = flows.new_email("le.van.c")
    flows.register(browser, email, "Lê Văn C", "062092001237")
    # By keyboard alone: the skip link first, then the form in order, Enter submits.
    browser.open("/login")
    keys = browser.keyboard()
    keys.send_keys(Keys.TAB).perform()
    assert browser.focused_text() == "Bỏ qua, đến nội dung chính"
    browser.driver.find_element("id", "email").click()
    keys.send_keys(email, Keys.TAB, "Sai-mat-khau-1", Keys.ENTER).perform()
    browser.wait_for_text("Email hoặc mật khẩu không đúng.")
    assert browser.error_for("password") == "Lỗi: Email hoặc mật khẩu không đúng."
    assert browser.driver.find_element("id", "email").get_attribute("value") == email
    assert browser.driver.find_element("id", "password").get_attribute("aria-invalid") == "true"
    browser.shot("sai-mat-khau")


def test_missing_component_and_file_too_large(browser: Browser, pdf: Path, tmp_path: Path) -> None:
    """Submitting without a mandatory file names the components; an 11 MB scan is refused
    (the limit is 10 MB); the files that were accepted stay attached for the next try."""
    flows.citizen(browser, "pham.van.d", "Phạm Văn D", "062092001238")
    flows.open_procedure(
        browser, "Đăng ký kinh doanh", "dang ky kinh doanh", "Đăng ký kinh doanh hộ kinh doanh"
    )
    browser.upload("file-giay-de-nghi", pdf)
    browser.press("Nộp hồ sơ")
    browser.wait_for_text("Vui lòng kiểm tra lại thông tin")
    missing = browser.error_for("file-giay-to-phap-ly")
    assert "Hồ sơ còn thiếu tệp cho thành phần bắt buộc" in missing
    assert "Đã đính kèm: giay-de-nghi.pdf" in browser.text
    browser.shot("thieu-thanh-phan")
    # The draft waits in "Hồ sơ của tôi" with its file, and opens where it was left.
    browser.open("/dossiers")
    browser.click_link("Hồ sơ nháp")
    browser.wait_for_text("Đã đính kèm: giay-de-nghi.pdf")

    large = tmp_path / "cccd-qua-lon.pdf"
    large.write_bytes(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    browser.upload("file-giay-to-phap-ly", large)
    browser.press("Nộp hồ sơ")
    browser.wait_for_text("vượt quá dung lượng cho phép")
    assert "10 MB" in browser.error_for("file-giay-to-phap-ly")
    browser.shot("tep-qua-lon")

    browser.upload("file-giay-to-phap-ly", pdf)
    browser.press("Nộp hồ sơ")
    browser.wait_for_text("Nộp hồ sơ thành công")


def test_wrong_tracking_id_reveals_nothing(browser: Browser, pdf: Path) -> None:
    """A real code with someone else's id number gets the same answer as an unknown code."""
    flows.citizen(browser, "hoang.thi.g", "Hoàng Thị G", "062192001239")
    flows.open_procedure(
        browser, "Đăng ký kinh doanh", "dang ky kinh doanh", "Đăng ký kinh doanh hộ kinh doanh"
    )
    code = flows.submit(browser, {"giay-de-nghi": pdf, "giay-to-phap-ly": pdf})
    browser.driver.delete_all_cookies()
    answers = []
    for tried_code, id_number in (
        (code, "062092009999"),
        ("000.00.03.H34-220101-9999", "062192001239"),
    ):
        browser.open("/track")
        browser.fill("code", tried_code)
        browser.fill("id_number", id_number)
        browser.press("Tra cứu")
        browser.wait_for_text("Vui lòng kiểm tra lại thông tin")
        answers.append(browser.error_for("code"))
    assert answers[0] == answers[1] == "Lỗi: Không tìm thấy hồ sơ. Vui lòng kiểm tra lại mã hồ sơ."
    assert "Hoàng Thị G" not in browser.text
    browser.shot("sai-ma-tra-cuu")
