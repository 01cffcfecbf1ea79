"""What the portal answers without a browser: CSRF, labels on every field, the IPN endpoint."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest

from tests.e2e.browser import PortalProcess

PUBLIC_FORMS = ("/register", "/login", "/track", "/services", "/officer/login")


class Fields(HTMLParser):
    """The page's language, its visible form fields' ids and the ids its labels name."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.fields: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "label" and found.get("for"):
            self.labelled.add(found["for"] or "")
        elif tag in {"input", "select", "textarea"} and found.get("type") not in {
            "hidden",
            "submit",
        }:
            self.fields.append(found.get("id") or f"<{tag} name={found.get('name')}>")


def get(server: PortalProcess, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(server.base_url + path, timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


@pytest.mark.parametrize("path", PUBLIC_FORMS)
def test_every_field_has_a_label_and_the_page_is_vietnamese(
    portal_server: PortalProcess, path: str
) -> None:
    status, page = get(portal_server, path)
    assert status == 200
    parsed = Fields()
    parsed.feed(page)
    assert parsed.lang == "vi"
    assert parsed.fields, f"{path} has no form fields"
    unlabelled = [field for field in parsed.fields if field not in parsed.labelled]
    assert not unlabelled, f"{path}: fields without a label: {unlabelled}"


def test_a_form_posted_without_its_csrf_token_is_refused(portal_server: PortalProcess) -> None:
    data = urllib.parse.urlencode({"email": "a@example.vn", "password": "x"}).encode()
    request = urllib.request.Request(portal_server.base_url + "/login", data=data)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400
    assert "Yêu cầu không hợp lệ" in refused.value.read().decode("utf-8")


def test_a_forged_ipn_gets_vnpays_invalid_signature_reply(portal_server: PortalProcess) -> None:
    query = urllib.parse.urlencode(
        {"vnp_TxnRef": "abc", "vnp_Amount": "15000000", "vnp_SecureHash": "00" * 64}
    )
    status, body = get(portal_server, f"/payments/ipn?{query}")
    assert status == 200  # VNPay reads the reply's code, not the HTTP status
    assert json.loads(body)["RspCode"] == "97"


def test_an_unknown_page_is_answered_in_vietnamese(portal_server: PortalProcess) -> None:
    status, page = get(portal_server, "/khong-co-trang-nay")
    assert status == 404
    assert "Không tìm thấy trang" in page
