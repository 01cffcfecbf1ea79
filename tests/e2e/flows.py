"""The steps people take on the portal, as the tests repeat them."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from tests.e2e.browser import Browser

PASSWORD = "Mat-khau-2022!"
VERIFY_SUBJECT = "Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến"
AGENCY = "Sở Kế hoạch và Đầu tư tỉnh Kon Tum"
OFFICER_EMAIL = "canbo@kontum.gov.vn"
OFFICER_PASSWORD = "Can-bo-mot-cua-2022"
_people = itertools.count(1)


def new_email(stem: str) -> str:
    """An address no other test (or earlier step) registered."""
    return f"{stem}.{os.getpid()}.{next(_people)}@example.vn"


def register(
    browser: Browser, email: str, name: str, id_number: str, *, shots: bool = False
) -> None:
    """Đăng ký from the home page, then the link of the mail in "Hộp thư"."""
    browser.open("/")
    if shots:
        browser.shot("trang-chu")
    browser.click_link("Đăng ký")
    browser.fill("email", email)
    browser.fill("password", PASSWORD)
    browser.fill("password_confirm", PASSWORD)
    browser.fill("full_name", name)
    browser.fill("phone", "0912 345 678")
    browser.fill("id_number", id_number)
    browser.set_date("date_of_birth", "1992-05-14")
    browser.fill("id_issued_by", "Cục Cảnh sát QLHC về TTXH")
    browser.fill("address", "12 Lê Lợi, TP Kon Tum, tỉnh Kon Tum")
    if shots:
        browser.shot("dang-ky")
    browser.press("Đăng ký")
    browser.wait_for_text("vui lòng xác nhận email")
    browser.click_link("Hộp thư")
    # The mail worker sends within a second or two of the registration.
    browser.wait_for_text(email, reload=True)
    if shots:
        browser.shot("hop-thu")
    assert VERIFY_SUBJECT in browser.text
    links = [
        a for a in browser.driver.find_elements("css selector", ".mail a") if email in _mail_of(a)
    ]
    links[0].click()
    browser.wait_for_text("Tài khoản đã được xác nhận")


def _mail_of(link: object) -> str:
    article = link.find_element("xpath", "ancestor::article")  # type: ignore[attr-defined]
    text: str = article.text
    return text


def log_in(browser: Browser, email: str, password: str = PASSWORD, *, shots: bool = False) -> None:
    browser.open("/login")
    browser.fill("email", email)
    browser.fill("password", password)
    if shots:
        browser.shot("dang-nhap")
    browser.press("Đăng nhập")


def citizen(browser: Browser, stem: str, name: str, id_number: str) -> str:
    """A registered, verified, logged-in citizen; their email."""
    email = new_email(stem)
    register(browser, email, name, id_number)
    log_in(browser, email)
    browser.wait_for_text("Xin chào")
    return email


def open_procedure(
    browser: Browser, field: str, query: str, name: str, *, shots: bool = False
) -> None:
    """Chọn Đơn vị, chọn Lĩnh vực, tìm kiếm, then click the procedure's name."""
    browser.open("/services")
    browser.select("agency", AGENCY)
    browser.press("Tìm kiếm")  # the agency's fields (no JavaScript needed)
    browser.select("field", field)
    browser.fill("q", query)
    browser.press("Tìm kiếm")
    browser.wait_for_text("Kết quả:")
    if shots:
        browser.shot("tim-kiem")
    browser.click_link(name)
    browser.wait_for_text("Thông tin người nộp hồ sơ")


def submit(browser: Browser, files: dict[str, Path], *, shots: bool = False) -> str:
    """Attach ``files`` (component id: file), press "Nộp hồ sơ"; the dossier's code."""
    for component, path in files.items():
        browser.upload(f"file-{component}", path)
    if shots:
        browser.shot("nop-ho-so")
    browser.press("Nộp hồ sơ")
    browser.wait_for_text("Nộp hồ sơ thành công")
    return browser.text_of("dossier-code")
