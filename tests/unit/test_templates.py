"""Mail templates: Jinja2 files in Vietnamese and English, overridable, checked at load."""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.adapters import InMemoryStorage, ManualClock
from onestop.application.context import Settings
from onestop.application.mail import queue_mail
from onestop.application.templates import (
    GLOBALS,
    LOCALES,
    TEMPLATES,
    check_locale,
    load_mail_templates,
    placeholders,
    render,
)
from onestop.bootstrap import bootstrap
from onestop.domain.calendar import WorkingCalendar
from onestop.errors import ConfigurationError, InvalidInput, TemplateError
from onestop.formatting import format_date, format_datetime

#: The mails the workflow issue asks for, by template name.
REQUIRED = (
    "account_verification",
    "submission_receipt",
    "supplement_requested",
    "reception_refused",
    "received",
    "result_ready",
    "apology",
)
LINK = "https://dichvucong.example.vn/verify?token=eyJhbGci.OiJIUzI1_-~&lang=vi&x=1%2B2"
PORTAL = "Cổng dịch vụ công trực tuyến tỉnh Kon Tum"

SAMPLE: dict[str, str] = {
    "full_name": "Nguyễn Thị Hồng Nhung",
    "link": LINK,
    "expires_at": "09:30 22/06/2026",
    "code": "000.01.20.H34-260622-0001",
    "procedure_name": "Đăng ký kinh doanh hộ kinh doanh",
    "status_label": "Hồ sơ đang chờ tiếp nhận",
    "submitted_at": "08:15 22/06/2026",
    "total_fees": "100.000 ₫",
    "note": "Bổ sung bản sao hợp đồng thuê địa điểm kinh doanh có chứng thực",
    "reason": "Giấy đề nghị thiếu chữ ký của chủ hộ",
    "received_at": "10:00 22/06/2026",
    "due_date": "25/06/2026",
    "outcome": "Được chấp thuận",
    "reasons": "Hồ sơ hợp lệ",
    "old_due_date": "25/06/2026",
    "new_due_date": "30/06/2026",
    "amount": "100.000 ₫",
    "tracking_link": "https://dichvucong.example.vn/track?code=000.01.20.H34-260622-0001",
}


def values_for(template: str) -> dict[str, str]:
    return {name: SAMPLE[name] for name in placeholders(template)}


def test_every_required_mail_has_a_template_in_every_locale() -> None:
    assert LOCALES[0] == "vi" and "en" in LOCALES
    packaged = Path(__file__).parents[2] / "src" / "onestop" / "templates"
    for name in REQUIRED:
        assert name in TEMPLATES
        for locale in LOCALES:
            subject, text, _ = TEMPLATES[name].paths(locale)
            assert (packaged / subject).is_file() and (packaged / text).is_file()
            assert render(name, values_for(name), locale).locale == locale


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_packaged_text_body_shows_every_value(name: str) -> None:
    """What a message is given, its packaged text shows (an override may leave some out)."""
    marked = {key: f"<<{key}>>" for key in placeholders(name)}
    for locale in LOCALES:
        text = render(name, marked, locale).text
        assert all(value in text for value in marked.values())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_renders_with_every_value_intact(name: str, locale: str) -> None:
    values = values_for(name)
    mail = render(name, values, locale, portal_name=PORTAL)
    assert (mail.template, mail.locale) == (name, locale)
    for value in values.values():
        assert value in mail.text
    assert PORTAL in mail.text
    for part in (mail.subject, mail.text, mail.html or ""):
        assert "${" not in part and "$" not in part.replace("$$", "")
    assert mail.subject and "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.text.endswith("\n") and not mail.text.endswith("\n\n")
    assert "\n\n\n" not in mail.text
    if "code" in values:
        assert values["code"] in mail.subject
    if mail.html is not None:
        unescaped = html.unescape(mail.html)
        for value in values.values():
            assert value in unescaped
    message = mail.to_message("nhung@example.vn")
    assert (message.to, message.subject, message.text) == (
        "nhung@example.vn",
        mail.subject,
        mail.text,
    )
    assert (message.template, message.locale) == (name, locale)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_vietnamese_is_the_default_and_stays_intact(name: str) -> None:
    default = render(name, values_for(name))
    assert default == render(name, values_for(name), "vi")
    assert "Kính gửi" in default.text and "Trân trọng" in default.text
    english = render(name, values_for(name), "en")
    assert "Dear" in english.text and default.subject != english.subject
    # Composed (NFC) text, as it was written, not decomposed or mangled.
    for part in (default.subject, default.text):
        assert unicodedata.normalize("NFC", part) == part
        assert "\ufffd" not in part and "Ã" not in part


def test_the_verification_mail_has_the_subject_of_the_guide_and_its_link_intact() -> None:
    mail = render("account_verification", values_for("account_verification"))
    assert mail.subject == "Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến"
    assert LINK in mail.text.splitlines()
    assert mail.html is not None
    hrefs = re.findall(r'href="([^"]*)"', mail.html)
    assert [html.unescape(h) for h in hrefs] == [LINK]
    english = render("account_verification", values_for("account_verification"), "en")
    assert LINK in english.text.splitlines()


def test_the_apology_names_both_dates_and_the_reason() -> None:
    for locale in LOCALES:
        mail = render("apology", values_for("apology"), locale)
        assert mail.text.index("25/06/2026") >= 0 and "30/06/2026" in mail.text
        assert SAMPLE["reason"] in mail.text


def test_values_are_escaped_in_html_and_kept_raw_in_text() -> None:
    values = {**values_for("submission_receipt"), "procedure_name": '<b>"A & B"</b>'}
    mail = render("submission_receipt", values)
    assert '<b>"A & B"</b>' in mail.text
    assert mail.html is not None
    assert "<b>" not in mail.html and "&lt;b&gt;" in mail.html


_one_line_breakers = st.text(
    alphabet=st.sampled_from(["a", "ờ", " ", "\n", "\r", "\t", "\u2028", "\x0b", "$", "{", "}"]),
    max_size=20,
)


@given(name=_one_line_breakers, code=_one_line_breakers)
def test_no_value_can_break_the_subject_line(name: str, code: str) -> None:
    values = {**values_for("received"), "full_name": name, "code": code}
    for locale in LOCALES:
        mail = render("received", values, locale)
        assert "\r" not in mail.subject and "\n" not in mail.subject
        mail.to_message("nhung@example.vn")  # a message refuses a multi-line subject
        assert " ".join(code.split()) in mail.subject


@given(
    values=st.fixed_dictionaries(
        {
            name: st.text(st.characters(exclude_characters="\r\n"), max_size=30)
            for name in placeholders("result_ready")
        }
    )
)
def test_any_text_values_render_and_appear_in_the_text(values: dict[str, str]) -> None:
    mail = render("result_ready", values)
    for value in values.values():
        assert value.strip() in mail.text or not value.strip()


def test_missing_unexpected_and_non_text_values_are_refused() -> None:
    values = values_for("received")
    with pytest.raises(TemplateError, match="due_date"):
        render("received", {k: v for k, v in values.items() if k != "due_date"})
    with pytest.raises(TemplateError, match="colour"):
        render("received", {**values, "colour": "đỏ"})
    with pytest.raises(TemplateError, match="due_date"):
        render("received", {**values, "due_date": dt.date(2026, 6, 25)})  # type: ignore[dict-item]


def test_unknown_templates_and_locales_are_refused() -> None:
    with pytest.raises(TemplateError, match="no_such_mail"):
        render("no_such_mail", {})
    with pytest.raises(TemplateError, match="fr"):
        render("received", values_for("received"), "fr")
    with pytest.raises(TemplateError):
        placeholders("no_such_mail")
    assert check_locale("en") == "en"
    with pytest.raises(InvalidInput) as caught:
        check_locale("fr", "preferred_locale")
    assert caught.value.field == "preferred_locale"


def test_dates_are_written_the_vietnamese_way_on_vietnam_time() -> None:
    assert format_date(dt.date(2022, 6, 2)) == "02/06/2022"
    instant = dt.datetime(2022, 6, 21, 17, 5, tzinfo=dt.UTC)  # 00:05 on the 22nd in Hà Nội
    assert format_datetime(instant) == "00:05 22/06/2022"
    assert format_date(instant) == "22/06/2022"


def test_the_old_home_of_the_date_helpers_still_works_with_a_warning() -> None:
    from onestop.application import mail

    with pytest.warns(DeprecationWarning, match=r"onestop\.formatting\.format_date"):
        old = mail.format_date
    assert old is format_date


# --- a host's own templates ----------------------------------------------------------------


def write(root: Path, path: str, text: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def test_a_hosts_file_wins_and_the_package_fills_in_the_rest(tmp_path: Path) -> None:
    subject = "[{{ portal_name }}] Đã nhận hồ sơ {{ code }}\n"
    write(tmp_path, "mail/vi/received.subject.txt", subject)
    html = "<p>{{ full_name }}: {{ code }} hẹn {{ due_date }}</p>"
    write(tmp_path, "mail/vi/received.html", html)
    templates = load_mail_templates(tmp_path)
    assert templates.overridden == ("mail/vi/received.html", "mail/vi/received.subject.txt")
    values = {**values_for("received"), "full_name": "<Nhung>"}
    mail = templates.render("received", values, "vi", portal_name="Cổng Kon Tum")
    assert mail.subject == f"[Cổng Kon Tum] Đã nhận hồ sơ {SAMPLE['code']}"
    assert mail.html == f"<p>&lt;Nhung&gt;: {SAMPLE['code']} hẹn 25/06/2026</p>"
    assert mail.text == render("received", values, "vi", portal_name="Cổng Kon Tum").text
    assert templates.render("received", values, "en") == render("received", values, "en")


def test_a_portal_renders_with_the_hosts_directory_and_link_urls(tmp_path: Path) -> None:
    write(tmp_path, "mail/vi/account_verification.txt", "Mở {{ link }} trước {{ expires_at }}.\n")
    portal = bootstrap(
        storage=InMemoryStorage(),
        clock=ManualClock(dt.datetime(2026, 6, 22, 1, 0, tzinfo=dt.UTC)),
        secret_key="test-secret-key-for-templates",
        calendar=WorkingCalendar(),
        settings=Settings(
            template_dir=tmp_path,
            portal_name=PORTAL,
            verification_url="https://dvc.example.vn/tai-khoan/xac-nhan?from=mail",
        ),
        environ={},
    )
    portal.accounts.register_citizen("nhung@example.vn", "a long passphrase", "Nguyễn Thị Nhung")
    with portal.storage.unit_of_work() as uow:
        (entry,) = uow.outbox.list()
    text = entry.message.text
    assert text.startswith("Mở https://dvc.example.vn/tai-khoan/xac-nhan?from=mail&token=")
    assert entry.message.subject == (
        "Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến"
    )


def test_links_default_to_pages_under_the_base_url() -> None:
    settings = Settings(base_url="https://dvc.example.vn/")
    assert settings.verification_url == "https://dvc.example.vn/verify"
    assert settings.password_reset_url == "https://dvc.example.vn/reset-password"
    assert settings.tracking_url == "https://dvc.example.vn/track"


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("Kính gửi {{ full_nam }}, {{ code }} {{ due_date }}", "full_nam"),
        ("{{ code }} {{ due_date }} {{ applicant.phone }}", "applicant"),
        ("{{ code }} {{ due_date }} {% if %}", "does not compile"),
        ("{{ code | no_such_filter }} {{ due_date }}", "no_such_filter"),
        ("Hồ sơ đã được tiếp nhận.", "never shows code, due_date"),
    ],
)
def test_a_template_that_cannot_work_fails_at_load_not_in_a_mailbox(
    tmp_path: Path, source: str, complaint: str
) -> None:
    write(tmp_path, "mail/en/received.txt", source)
    with pytest.raises(TemplateError, match=complaint) as caught:
        load_mail_templates(tmp_path)
    assert "received" in str(caught.value)
    with pytest.raises(TemplateError, match=complaint):
        bootstrap(settings=Settings(template_dir=tmp_path), environ={}, secret_key="k" * 32)


def test_every_global_and_placeholder_may_be_used(tmp_path: Path) -> None:
    names = sorted(placeholders("received") | GLOBALS)
    write(tmp_path, "mail/en/received.txt", " ".join(f"{{{{ {n} }}}}" for n in names))
    mail = load_mail_templates(tmp_path).render(
        "received", values_for("received"), "en", portal_url="https://dvc.example.vn"
    )
    assert "https://dvc.example.vn" in mail.text


def test_a_template_directory_that_is_not_there_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="mail template directory"):
        load_mail_templates(tmp_path / "missing")


@pytest.mark.parametrize("locale", [None, "en"])
def test_queued_mail_uses_the_portal_settings(locale: str | None) -> None:
    portal = bootstrap(
        storage=InMemoryStorage(),
        clock=ManualClock(dt.datetime(2026, 6, 22, 1, 0, tzinfo=dt.UTC)),
        secret_key="test-secret-key-for-templates",
        calendar=WorkingCalendar(),
        settings=Settings(locale="vi", portal_name=PORTAL),
        environ={},
    )
    with portal.storage.unit_of_work() as uow:
        entry = queue_mail(
            uow,
            portal.context,
            template="received",
            to="nhung@example.vn",
            values=values_for("received"),
            locale=locale,
        )
        uow.commit()
    assert entry.message.locale == (locale or "vi")
    assert PORTAL in entry.message.text
    assert entry.created_at == portal.context.clock.now()
    with portal.storage.unit_of_work() as uow:
        assert [e.id for e in uow.outbox.list()] == [entry.id]


def test_a_rolled_back_change_queues_no_mail() -> None:
    portal = bootstrap(
        storage=InMemoryStorage(),
        clock=ManualClock(dt.datetime(2026, 6, 22, 1, 0, tzinfo=dt.UTC)),
        secret_key="test-secret-key-for-templates",
        calendar=WorkingCalendar(),
        environ={},
    )
    with portal.storage.unit_of_work() as uow:
        queue_mail(
            uow,
            portal.context,
            template="received",
            to="nhung@example.vn",
            values=values_for("received"),
        )
        # no commit: leaving the block rolls back
    with portal.storage.unit_of_work() as uow:
        assert list(uow.outbox.list()) == []
