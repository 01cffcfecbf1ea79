"""The citizen's whole flow in a real browser, as the portal guide tells it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import flows
from tests.e2e.browser import Browser


def test_register_verify_log_in_search_submit_follow_and_track(browser: Browser, pdf: Path) -> None:
    """Đăng ký, the mailed link, Đăng nhập, Đơn vị/Lĩnh vực/search, Nộp hồ sơ with home
    delivery, the success screen, Hồ sơ của tôi, and public tracking by code and id number."""
    email = flows.new_email("nguyen.trung.hieu")
    flows.register(browser, email, "Nguyễn Trung Hiếu", "062092001234", shots=True)
    flows.log_in(browser, email, shots=True)
    browser.wait_for_text("Xin chào Nguyễn Trung Hiếu")

    flows.open_procedure(
        browser,
        "Đăng ký kinh doanh",
        "dang ky kinh doanh",
        "Đăng ký kinh doanh hộ kinh doanh",
        shots=True,
    )
    # "Thông tin người nộp hồ sơ" is prefilled from the account.
    assert (
        browser.driver.find_element("id", "full_name").get_attribute("value") == "Nguyễn Trung Hiếu"
    )
    assert browser.driver.find_element("id", "id_number").get_attribute("value") == "062092001234"
    assert "Thành phần hồ sơ theo quy định" in browser.text
    browser.check("home_delivery")
    browser.fill("delivery_address", "34 Trần Phú, TP Kon Tum")
    code = flows.submit(browser, {"giay-de-nghi": pdf, "giay-to-phap-ly": pdf}, shots=True)
    assert code.startswith("000.00.03.H34-")
    page = browser.text
    for words in (
        "Mã số hồ sơ",
        "Hồ sơ đang chờ tiếp nhận",
        "Người nộp hồ sơ",
        "Nguyễn Trung Hiếu",
        "Nhận kết quả tại nhà:",
        "34 Trần Phú",
        "Thành phần hồ sơ",
        "giay-de-nghi.pdf",
        "Lệ phí hồ sơ",
        "Tổng",
        "0 VND",
    ):
        assert words in page, words
    browser.shot("nop-thanh-cong")
    assert browser.fits_a_phone("nop-thanh-cong-dien-thoai")  # tables scroll inside the page

    browser.click_link("Hồ sơ của tôi")
    browser.wait_for_text(code)
    assert "Hồ sơ đang chờ tiếp nhận" in browser.text
    browser.shot("ho-so-cua-toi")
    assert browser.fits_a_phone("ho-so-cua-toi-dien-thoai")
    browser.click_link(code)
    assert browser.text_of("status") == "Hồ sơ đang chờ tiếp nhận"
    assert "Nộp hồ sơ trực tuyến" in browser.text  # the progress history

    browser.driver.delete_all_cookies()  # anyone may track, logged in or not
    browser.open("/track")
    browser.fill("code", code)
    browser.fill("id_number", "062092001234")
    browser.press("Tra cứu")
    browser.wait_for_text(f"Hồ sơ {code}")
    assert browser.text_of("status") == "Hồ sơ đang chờ tiếp nhận"
    assert "Nguyễn Trung Hiếu" not in browser.text  # tracking shows no personal data
    browser.shot("tra-cuu")


def test_fees_paid_on_the_local_vnpay_page(browser: Browser, pdf: Path) -> None:
    """A 150.000 VND procedure: "Thanh toán", VNPay's page (local): cancelled, then paid;
    nothing is left due."""
    flows.citizen(browser, "vo.thi.e", "Võ Thị E", "062092001235")
    flows.open_procedure(
        browser,
        "Thành lập và hoạt động doanh nghiệp",
        "thay doi noi dung",
        "Đăng ký thay đổi nội dung đăng ký kinh doanh",
    )
    flows.submit(browser, {"thong-bao-thay-doi": pdf})
    assert "150.000 VND" in browser.text
    # The payer first cancels on the gateway's page: nothing paid, still due.
    browser.press("Thanh toán 150.000 VND")
    browser.wait_for_text("Cổng thanh toán VNPAY (mô phỏng)")
    browser.press("Hủy giao dịch")
    browser.wait_for_text("Kết quả thanh toán")
    assert browser.text_of("payment-outcome") == "Thanh toán không thành công hoặc đã bị hủy."
    browser.click_link("Xem hồ sơ")
    assert browser.text_of("amount-due") == "150.000 VND"
    browser.press("Thanh toán 150.000 VND")
    browser.wait_for_text("Cổng thanh toán VNPAY (mô phỏng)")
    assert browser.text_of("amount") == "150.000 VND"
    browser.shot("vnpay")
    browser.press("Thanh toán")
    browser.wait_for_text("Kết quả thanh toán")
    assert browser.text_of("payment-outcome") == "Thanh toán thành công"
    browser.shot("thanh-toan-thanh-cong")
    browser.click_link("Xem hồ sơ")
    assert browser.text_of("amount-due") == "0 VND"
    assert "Đã nộp: 150.000 VND" in browser.text
