"""Mail templates in Vietnamese (the default) and English, with checked placeholders.

Each template names the placeholders it needs; :func:`render` refuses a missing, unexpected
or non-text value with :class:`~onestop.errors.TemplateError` instead of leaving a blank in a
letter to a citizen. Values are text already formatted by the caller (dates as dd/mm/yyyy,
money with :func:`~onestop.domain.money.format_vnd`). Every message has a plain-text body;
the ones with a link or a table also have an HTML alternative, where values are escaped.

The portal's name (``Settings.portal_name``) signs every message; it is given to
:func:`render` separately so that templates never hard-code a second copy of it.
"""

from __future__ import annotations

import functools
import html
import re
import string
from collections.abc import Mapping

import attrs

from onestop.application.context import Settings
from onestop.domain.mail import MailMessage
from onestop.errors import InvalidInput, TemplateError

__all__ = [
    "LOCALES",
    "TEMPLATES",
    "MailTemplate",
    "RenderedMail",
    "check_locale",
    "placeholders",
    "render",
]

#: The languages every template is written in; the first is the default.
LOCALES: tuple[str, ...] = ("vi", "en")

_SIGNATURE = "portal_name"
_DEFAULT_PORTAL_NAME = Settings().portal_name
_BLANK_LINES = re.compile(r"\n{3,}")


@attrs.frozen
class LocalizedTemplate:
    """One language's version of a template: subject line, text body, optional HTML body."""

    subject: str
    text: str
    html: str | None = None


@attrs.frozen
class MailTemplate:
    """A named message with the placeholders it needs and its version in each locale."""

    name: str
    placeholders: frozenset[str]
    versions: Mapping[str, LocalizedTemplate]

    def __attrs_post_init__(self) -> None:
        # Checked once at import: a template that uses a placeholder it does not declare
        # (or declares one no version shows) is a bug in this module, not in the caller.
        allowed = self.placeholders | {_SIGNATURE}
        if set(self.versions) != set(LOCALES):
            raise TemplateError(f"template {self.name!r} must have the locales {LOCALES}")
        for locale, version in self.versions.items():
            parts = [version.subject, version.text]
            if version.html is not None:
                parts.append(version.html)
            used: set[str] = set()
            for part in parts:
                compiled = string.Template(part)
                if not compiled.is_valid():
                    raise TemplateError(f"template {self.name!r} ({locale}) has a bad placeholder")
                used.update(compiled.get_identifiers())
            if not used <= allowed:
                raise TemplateError(
                    f"template {self.name!r} ({locale}) uses undeclared "
                    f"{', '.join(sorted(used - allowed))}"
                )
            text_uses = set(string.Template(version.text).get_identifiers())
            if not self.placeholders <= text_uses:
                raise TemplateError(
                    f"template {self.name!r} ({locale}) never shows "
                    f"{', '.join(sorted(self.placeholders - text_uses))} in its text"
                )


@attrs.frozen
class RenderedMail:
    """A template filled in: subject, plain text, and HTML when the template has one."""

    template: str
    locale: str
    subject: str
    text: str
    html: str | None = None

    def to_message(self, to: str) -> MailMessage:
        """The message to ``to`` (one email address)."""
        return MailMessage(
            to=to,
            subject=self.subject,
            text=self.text,
            html=self.html,
            template=self.template,
            locale=self.locale,
        )


def check_locale(locale: str, field: str = "locale") -> str:
    """Return ``locale`` if mail can be written in it; InvalidInput naming ``field`` if not."""
    if locale not in LOCALES:
        raise InvalidInput(field, f"must be one of {', '.join(LOCALES)}", locale)
    return locale


def placeholders(template: str) -> frozenset[str]:
    """The placeholders ``template`` needs; TemplateError for an unknown template."""
    return _template(template).placeholders


def render(
    template: str,
    values: Mapping[str, str],
    locale: str = "vi",
    *,
    portal_name: str = _DEFAULT_PORTAL_NAME,
) -> RenderedMail:
    """Fill ``template`` in ``locale`` with ``values``, which must be exactly its placeholders.

    A missing, unexpected or non-text value, an unknown template or locale raises
    TemplateError naming it. Values go into the subject on one line, and are HTML-escaped in
    the HTML body.
    """
    chosen = _template(template)
    version = chosen.versions.get(locale)
    if version is None:
        raise TemplateError(
            f"template {template!r} has no {locale!r} version; use one of {', '.join(LOCALES)}"
        )
    given = set(values)
    missing = sorted(chosen.placeholders - given)
    if missing:
        raise TemplateError(f"template {template!r} is missing placeholder(s) {', '.join(missing)}")
    unexpected = sorted(given - chosen.placeholders)
    if unexpected:
        raise TemplateError(
            f"template {template!r} has no placeholder(s) {', '.join(unexpected)}; "
            f"it takes {', '.join(sorted(chosen.placeholders))}"
        )
    for name, value in values.items():
        if not isinstance(value, str):
            raise TemplateError(
                f"placeholder {name!r} of template {template!r} must be text (format dates and "
                f"money first), not {type(value).__name__}"
            )
    plain = {**values, _SIGNATURE: portal_name}
    one_line = {name: " ".join(value.split()) for name, value in plain.items()}
    text = _substitute(version.text, plain)
    markup = None
    if version.html is not None:
        escaped = {name: html.escape(v).replace("\n", "<br>\n") for name, v in plain.items()}
        markup = _substitute(version.html, escaped)
    return RenderedMail(
        template=template,
        locale=locale,
        subject=_substitute(version.subject, one_line),
        text=_BLANK_LINES.sub("\n\n", text).strip() + "\n",
        html=markup,
    )


def _substitute(template: str, values: Mapping[str, str]) -> str:
    """``string.Template(template).substitute(values)``, the template split up only once."""
    return "".join(
        [part if name is None else part + values[name] for part, name in _split(template)]
    )


@functools.lru_cache(maxsize=256)
def _split(template: str) -> tuple[tuple[str, str | None], ...]:
    """The template as (text, placeholder) pairs, read as string.Template reads it.

    ``$$`` becomes ``$``; the last pair's placeholder is None. A bad placeholder raises
    ValueError, as ``substitute`` does (every template here is checked at import).
    """
    parts: list[tuple[str, str | None]] = []
    start = 0
    for match in string.Template.pattern.finditer(template):
        before = template[start : match.start()]
        name = match.group("named") or match.group("braced")
        if name is not None:
            parts.append((before, name))
        elif match.group("escaped") is not None:
            parts.append((before + string.Template.delimiter, None))
        else:
            raise ValueError(f"invalid placeholder in template at {match.start()}")
        start = match.end()
    parts.append((template[start:], None))
    return tuple(parts)


def _template(name: str) -> MailTemplate:
    found = TEMPLATES.get(name)
    if found is None:
        raise TemplateError(
            f"unknown mail template {name!r}; known: {', '.join(sorted(TEMPLATES))}"
        )
    return found


# --- the templates -------------------------------------------------------------------------

_HTML_LINK = """\
<p>${greeting}</p>
<p>${intro}</p>
<p><a href="$${link}">${action}</a></p>
<p>${after}</p>
<p>${closing}<br>
$${portal_name}</p>
"""


def _link_html(*, greeting: str, intro: str, action: str, after: str, closing: str) -> str:
    return string.Template(_HTML_LINK).substitute(
        greeting=greeting, intro=intro, action=action, after=after, closing=closing
    )


_ACCOUNT_VERIFICATION = MailTemplate(
    name="account_verification",
    placeholders=frozenset({"full_name", "link", "expires_at"}),
    versions={
        "vi": LocalizedTemplate(
            subject="Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến",
            text="""\
Kính gửi Ông/Bà ${full_name},

Cảm ơn Ông/Bà đã đăng ký tài khoản trên ${portal_name}.
Để hoàn tất việc đăng ký, vui lòng mở đường liên kết sau:

${link}

Đường liên kết có hiệu lực đến ${expires_at} và chỉ dùng được một lần.
Nếu Ông/Bà không đăng ký tài khoản, vui lòng bỏ qua thư này.

Trân trọng,
${portal_name}
""",
            html=_link_html(
                greeting="Kính gửi Ông/Bà ${full_name},",
                intro="Cảm ơn Ông/Bà đã đăng ký tài khoản trên ${portal_name}. "
                "Để hoàn tất việc đăng ký, vui lòng bấm vào đường liên kết sau:",
                action="Xác nhận đăng ký tài khoản",
                after="Đường liên kết có hiệu lực đến ${expires_at} và chỉ dùng được một lần. "
                "Nếu Ông/Bà không đăng ký tài khoản, vui lòng bỏ qua thư này.",
                closing="Trân trọng,",
            ),
        ),
        "en": LocalizedTemplate(
            subject="Confirm your registration on the online public service portal",
            text="""\
Dear ${full_name},

Thank you for registering on ${portal_name}.
To complete your registration, please open this link:

${link}

The link works until ${expires_at}, and only once.
If you did not register, please ignore this message.

Kind regards,
${portal_name}
""",
            html=_link_html(
                greeting="Dear ${full_name},",
                intro="Thank you for registering on ${portal_name}. "
                "To complete your registration, please follow this link:",
                action="Confirm my registration",
                after="The link works until ${expires_at}, and only once. "
                "If you did not register, please ignore this message.",
                closing="Kind regards,",
            ),
        ),
    },
)

_PASSWORD_RESET = MailTemplate(
    name="password_reset",
    placeholders=frozenset({"full_name", "link", "expires_at"}),
    versions={
        "vi": LocalizedTemplate(
            subject="Đặt lại mật khẩu tài khoản cổng dịch vụ công trực tuyến",
            text="""\
Kính gửi Ông/Bà ${full_name},

Chúng tôi nhận được yêu cầu đặt lại mật khẩu tài khoản của Ông/Bà trên ${portal_name}.
Để đặt mật khẩu mới, vui lòng mở đường liên kết sau:

${link}

Đường liên kết có hiệu lực đến ${expires_at} và chỉ dùng được một lần.
Nếu Ông/Bà không yêu cầu đặt lại mật khẩu, vui lòng bỏ qua thư này; mật khẩu hiện tại
vẫn giữ nguyên.

Trân trọng,
${portal_name}
""",
            html=_link_html(
                greeting="Kính gửi Ông/Bà ${full_name},",
                intro="Chúng tôi nhận được yêu cầu đặt lại mật khẩu tài khoản của Ông/Bà "
                "trên ${portal_name}. Để đặt mật khẩu mới, vui lòng bấm vào đường liên kết sau:",
                action="Đặt lại mật khẩu",
                after="Đường liên kết có hiệu lực đến ${expires_at} và chỉ dùng được một lần. "
                "Nếu Ông/Bà không yêu cầu đặt lại mật khẩu, vui lòng bỏ qua thư này.",
                closing="Trân trọng,",
            ),
        ),
        "en": LocalizedTemplate(
            subject="Reset your password on the online public service portal",
            text="""\
Dear ${full_name},

We received a request to reset the password of your account on ${portal_name}.
To choose a new password, please open this link:

${link}

The link works until ${expires_at}, and only once.
If you did not ask for this, please ignore this message; your password stays as it is.

Kind regards,
${portal_name}
""",
            html=_link_html(
                greeting="Dear ${full_name},",
                intro="We received a request to reset the password of your account on "
                "${portal_name}. To choose a new password, please follow this link:",
                action="Reset my password",
                after="The link works until ${expires_at}, and only once. "
                "If you did not ask for this, please ignore this message.",
                closing="Kind regards,",
            ),
        ),
    },
)

_RECEIPT_HTML = """\
<p>${greeting}</p>
<p>${intro}</p>
<table>
<tr><th align="left">${code_label}</th><td>$${code}</td></tr>
<tr><th align="left">${procedure_label}</th><td>$${procedure_name}</td></tr>
<tr><th align="left">${submitted_label}</th><td>$${submitted_at}</td></tr>
<tr><th align="left">${status_heading}</th><td>$${status_label}</td></tr>
<tr><th align="left">${fees_label}</th><td>$${total_fees}</td></tr>
</table>
<p>${after}</p>
<p>${closing}<br>
$${portal_name}</p>
"""


def _receipt_html(**labels: str) -> str:
    return string.Template(_RECEIPT_HTML).substitute(labels)


_SUBMISSION_RECEIPT = MailTemplate(
    name="submission_receipt",
    placeholders=frozenset(
        {"full_name", "code", "procedure_name", "submitted_at", "status_label", "total_fees"}
    ),
    versions={
        "vi": LocalizedTemplate(
            subject="Biên nhận nộp hồ sơ ${code}",
            text="""\
Kính gửi Ông/Bà ${full_name},

Hồ sơ của Ông/Bà đã được nộp thành công trên ${portal_name}.

Mã số hồ sơ: ${code}
Thủ tục: ${procedure_name}
Thời gian nộp: ${submitted_at}
Trạng thái: ${status_label}
Tổng phí, lệ phí: ${total_fees}

Ông/Bà có thể tra cứu tiến độ xử lý hồ sơ bằng mã số hồ sơ trên.

Trân trọng,
${portal_name}
""",
            html=_receipt_html(
                greeting="Kính gửi Ông/Bà ${full_name},",
                intro="Hồ sơ của Ông/Bà đã được nộp thành công trên ${portal_name}.",
                code_label="Mã số hồ sơ",
                procedure_label="Thủ tục",
                submitted_label="Thời gian nộp",
                status_heading="Trạng thái",
                fees_label="Tổng phí, lệ phí",
                after="Ông/Bà có thể tra cứu tiến độ xử lý hồ sơ bằng mã số hồ sơ trên.",
                closing="Trân trọng,",
            ),
        ),
        "en": LocalizedTemplate(
            subject="Receipt for dossier ${code}",
            text="""\
Dear ${full_name},

Your dossier has been submitted on ${portal_name}.

Dossier code: ${code}
Procedure: ${procedure_name}
Submitted at: ${submitted_at}
Status: ${status_label}
Total fees: ${total_fees}

You can follow the processing of your dossier with the code above.

Kind regards,
${portal_name}
""",
            html=_receipt_html(
                greeting="Dear ${full_name},",
                intro="Your dossier has been submitted on ${portal_name}.",
                code_label="Dossier code",
                procedure_label="Procedure",
                submitted_label="Submitted at",
                status_heading="Status",
                fees_label="Total fees",
                after="You can follow the processing of your dossier with the code above.",
                closing="Kind regards,",
            ),
        ),
    },
)

_SUPPLEMENT_REQUESTED = MailTemplate(
    name="supplement_requested",
    placeholders=frozenset({"full_name", "code", "note"}),
    versions={
        "vi": LocalizedTemplate(
            subject="Yêu cầu bổ sung giấy tờ cho hồ sơ ${code}",
            text="""\
Kính gửi Ông/Bà ${full_name},

Cơ quan giải quyết yêu cầu Ông/Bà bổ sung giấy tờ cho hồ sơ ${code}:

${note}

Vui lòng đăng nhập ${portal_name} để bổ sung hồ sơ. Thời gian chờ bổ sung không tính vào
thời hạn giải quyết.

Trân trọng,
${portal_name}
""",
        ),
        "en": LocalizedTemplate(
            subject="Dossier ${code}: more documents needed",
            text="""\
Dear ${full_name},

The agency processing dossier ${code} asks you for more documents:

${note}

Please log in to ${portal_name} to add them. The time spent waiting for them does not
count towards the processing time.

Kind regards,
${portal_name}
""",
        ),
    },
)

_RECEPTION_REFUSED = MailTemplate(
    name="reception_refused",
    placeholders=frozenset({"full_name", "code", "reason"}),
    versions={
        "vi": LocalizedTemplate(
            subject="Hồ sơ ${code} không được tiếp nhận",
            text="""\
Kính gửi Ông/Bà ${full_name},

Hồ sơ ${code} của Ông/Bà không được tiếp nhận.

Lý do: ${reason}

Trân trọng,
${portal_name}
""",
        ),
        "en": LocalizedTemplate(
            subject="Dossier ${code} was not accepted",
            text="""\
Dear ${full_name},

Your dossier ${code} was not accepted.

Reason: ${reason}

Kind regards,
${portal_name}
""",
        ),
    },
)

_RECEIVED = MailTemplate(
    name="received",
    placeholders=frozenset({"full_name", "code", "received_at", "due_date"}),
    versions={
        "vi": LocalizedTemplate(
            subject="Hồ sơ ${code} đã được tiếp nhận",
            text="""\
Kính gửi Ông/Bà ${full_name},

Hồ sơ ${code} của Ông/Bà đã được tiếp nhận.

Thời gian tiếp nhận: ${received_at}
Ngày hẹn trả kết quả: ${due_date}

Trân trọng,
${portal_name}
""",
        ),
        "en": LocalizedTemplate(
            subject="Dossier ${code} has been received",
            text="""\
Dear ${full_name},

Your dossier ${code} has been received.

Received at: ${received_at}
Result expected on: ${due_date}

Kind regards,
${portal_name}
""",
        ),
    },
)

_RESULT_READY = MailTemplate(
    name="result_ready",
    placeholders=frozenset({"full_name", "code", "outcome", "reasons"}),
    versions={
        "vi": LocalizedTemplate(
            subject="Hồ sơ ${code} đã có kết quả giải quyết",
            text="""\
Kính gửi Ông/Bà ${full_name},

Hồ sơ ${code} của Ông/Bà đã được xử lý xong.

Kết quả giải quyết: ${outcome}

${reasons}

Trân trọng,
${portal_name}
""",
        ),
        "en": LocalizedTemplate(
            subject="Dossier ${code}: the result is ready",
            text="""\
Dear ${full_name},

Your dossier ${code} has been decided.

Outcome: ${outcome}

${reasons}

Kind regards,
${portal_name}
""",
        ),
    },
)

_APOLOGY = MailTemplate(
    name="apology",
    placeholders=frozenset({"full_name", "code", "old_due_date", "new_due_date", "reason"}),
    versions={
        "vi": LocalizedTemplate(
            subject="Phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ ${code}",
            text="""\
Kính gửi Ông/Bà ${full_name},

Cơ quan giải quyết thành thật xin lỗi Ông/Bà vì hồ sơ ${code} chưa được giải quyết đúng
ngày hẹn ${old_due_date}.

Lý do: ${reason}

Ngày hẹn trả kết quả mới: ${new_due_date}

Mong Ông/Bà thông cảm.

Trân trọng,
${portal_name}
""",
        ),
        "en": LocalizedTemplate(
            subject="Apology and new date for dossier ${code}",
            text="""\
Dear ${full_name},

We sincerely apologise: your dossier ${code} was not decided by the promised date,
${old_due_date}.

Reason: ${reason}

New date for the result: ${new_due_date}

Thank you for your understanding.

Kind regards,
${portal_name}
""",
        ),
    },
)

_PAYMENT_CONFIRMED = MailTemplate(
    name="payment_confirmed",
    placeholders=frozenset({"full_name", "code", "amount"}),
    versions={
        "vi": LocalizedTemplate(
            subject="Xác nhận thanh toán phí, lệ phí hồ sơ ${code}",
            text="""\
Kính gửi Ông/Bà ${full_name},

${portal_name} đã nhận khoản thanh toán ${amount} cho hồ sơ ${code}.

Trân trọng,
${portal_name}
""",
        ),
        "en": LocalizedTemplate(
            subject="Payment received for dossier ${code}",
            text="""\
Dear ${full_name},

${portal_name} has received your payment of ${amount} for dossier ${code}.

Kind regards,
${portal_name}
""",
        ),
    },
)

#: Every template by name.
TEMPLATES: Mapping[str, MailTemplate] = {
    t.name: t
    for t in (
        _ACCOUNT_VERIFICATION,
        _PASSWORD_RESET,
        _SUBMISSION_RECEIPT,
        _SUPPLEMENT_REQUESTED,
        _RECEPTION_REFUSED,
        _RECEIVED,
        _RESULT_READY,
        _APOLOGY,
        _PAYMENT_CONFIRMED,
    )
}
