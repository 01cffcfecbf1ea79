"""The error catalog: every error has a code, an HTTP status and a sentence in vi and en."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop import errors
from onestop._messages import LOCALES, catalog, field_label
from onestop.domain.codes import AgencyCode
from onestop.domain.statuses import DossierStatus
from onestop.errors import OnestopError
from onestop.problems import (
    INTERNAL_CODE,
    PROBLEM_MEDIA_TYPE,
    http_status,
    problem_details,
    problem_type,
)
from tests.unit.test_dossier import T0, code_at, draft, pdf

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
STATUSES = {400, 401, 403, 404, 409, 410, 413, 415, 422, 423, 429, 500, 502, 503}
CODE_SHAPE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)*$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: Params a citizen's sentence must not show: raw names, developer text, refused values.
NOT_FOR_PEOPLE = {"field", "rule", "rule_code", "value", "kind", "what", "action"}

ERROR_CLASSES: list[type[OnestopError]] = [
    cls
    for name in errors.__all__
    if inspect.isclass(cls := getattr(errors, name)) and issubclass(cls, OnestopError)
]

#: Errors whose constructor is not one of the usual shapes, or whose params are worth showing.
SAMPLES: dict[type[OnestopError], OnestopError] = {
    errors.InvalidInput: errors.InvalidInput("applicant.phone", "must be 10 digits", "09"),
    errors.AttachmentContentMismatch: errors.AttachmentContentMismatch(
        "file.content", "must be a PDF", declared="application/pdf", looks_like="a program"
    ),
    errors.AttachmentTooLarge: errors.AttachmentTooLarge(
        "file.size", "must be at most 2097152 bytes", 3_000_000, limits={"max_bytes": 2_097_152}
    ),
    errors.MissingComponents: errors.MissingComponents(
        ("don", "cccd"), ("Tờ khai đăng ký", "Bản sao căn cước công dân")
    ),
    errors.WeakPassword: errors.WeakPassword(
        "password",
        "must be at least 8 characters long",
        rule_code="too_short",
        limits={"min_length": 8},
    ),
    errors.HomeServiceNotOffered: errors.HomeServiceNotOffered(
        "home_delivery", "this procedure does not offer delivery", "1.001"
    ),
    errors.TransitionNotAllowed: errors.TransitionNotAllowed(
        "withdraw", "decided", ("awaiting_reception", "received")
    ),
    errors.CodeSequenceExhausted: errors.CodeSequenceExhausted(
        "000.00.03.H34", dt.date(2026, 3, 2), 9999
    ),
    errors.ApologyTooLate: errors.ApologyTooLate(dt.date(2026, 3, 6), dt.date(2026, 3, 5)),
    errors.AlreadyRescheduled: errors.AlreadyRescheduled("d-1", dt.date(2026, 3, 13)),
    errors.AgencyNotFound: errors.AgencyNotFound(AgencyCode.parse("000.00.03.H34")),
    errors.InsufficientAssurance: errors.InsufficientAssurance(1, 2),
    errors.NationalLoginRefused: errors.NationalLoginRefused("access_denied"),
    errors.AccountLocked: errors.AccountLocked(dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)),
    errors.DuplicateError: errors.DuplicateError("account.email", "a@example.vn"),
    errors.ConcurrentUpdate: errors.ConcurrentUpdate("dossier", "d-1"),
    errors.PaymentAmountMismatch: errors.PaymentAmountMismatch(150_000, 15_000),
    errors.RefundRefused: errors.RefundRefused("91", "Transaction not found"),
    errors.NationalPortalRejected: errors.NationalPortalRejected(
        "-1", "Hồ sơ 000.00.03.H34-260302-0001 đã tồn tại", "DongBoHoSoMC"
    ),
}


def sample(cls: type[OnestopError]) -> OnestopError:
    """An instance of ``cls``: from SAMPLES, or by the constructor shapes the module uses."""
    if cls in SAMPLES:
        return SAMPLES[cls]
    attempts: list[tuple[object, ...]] = [("page_size", "must be a whole number"), ("k-1",), ()]
    for args in attempts:
        try:
            return cls(*args)
        except TypeError:
            continue
    raise AssertionError(f"add a sample of {cls.__name__} to SAMPLES")


def all_samples() -> list[OnestopError]:
    return [sample(cls) for cls in ERROR_CLASSES]


def ids(error: OnestopError) -> str:
    return type(error).__name__


# --- every class ------------------------------------------------------------------------


def test_every_error_class_has_its_own_well_formed_unique_code() -> None:
    """Each class in errors.__all__ declares a dotted lower-case code no other class uses."""
    codes: dict[str, str] = {}
    for cls in ERROR_CLASSES:
        assert "code" in cls.__dict__, f"{cls.__name__} needs its own code"
        assert CODE_SHAPE.match(cls.code), cls.code
        assert cls.code not in codes, f"{cls.__name__} reuses {codes.get(cls.code)}'s code"
        codes[cls.code] = cls.__name__
    assert INTERNAL_CODE not in codes


def test_every_error_class_has_a_fitting_http_status() -> None:
    """Each class declares an HTTP status from the agreed list."""
    for cls in ERROR_CLASSES:
        assert "http_status" in cls.__dict__, f"{cls.__name__} needs its own http_status"
        assert cls.http_status in STATUSES, cls.__name__


def test_statuses_fit_the_kind_of_error() -> None:
    """Bad input is 4xx, lookups 404, the library's own failures 5xx."""
    for cls in ERROR_CLASSES:
        if issubclass(cls, errors.InvalidInput | errors.AuthenticationError):
            assert 400 <= cls.http_status < 500, cls.__name__
        if issubclass(cls, errors.NotFound):
            assert cls.http_status == 404, cls.__name__
        if issubclass(cls, errors.StorageError | errors.MailError | errors.FileStoreError):
            assert cls.http_status >= 500, cls.__name__


@pytest.mark.parametrize("locale", LOCALES)
def test_every_code_has_a_title_and_a_message_in_each_locale(locale: str) -> None:
    """vi.toml and en.toml each hold every code (and only those): title and message."""
    entries = catalog(locale)["errors"]
    wanted = {cls.code for cls in ERROR_CLASSES} | {INTERNAL_CODE, "error"}
    assert set(entries) == wanted
    for code, entry in entries.items():
        assert isinstance(entry.get("title"), str) and entry["title"].strip(), code
        assert isinstance(entry.get("message"), str) and entry["message"].strip(), code


def test_both_catalogs_have_the_same_keys_in_every_table() -> None:
    """A translator who adds a field label, a status or a rule adds it in both files."""
    vi, en = catalog("vi"), catalog("en")
    assert set(vi) == set(en)
    for table in vi:
        assert set(vi[table]) == set(en[table]), table
        for key, entry in vi[table].items():
            if isinstance(entry, Mapping):
                assert set(entry) == set(en[table][key]), f"{table}.{key}"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_sentences_use_only_placeholders_and_have_fallbacks(locale: str) -> None:
    """A message with params has a fallback without any; no message shows a raw name."""
    loaded = catalog(locale)
    for table in ("errors", "rules"):
        for key, entry in loaded[table].items():
            names = set(PLACEHOLDER.findall(entry["message"]))
            assert names.isdisjoint(NOT_FOR_PEOPLE), f"{table}.{key}"
            assert all(re.fullmatch(r"[a-z_]+", n) for n in names), f"{table}.{key}"
            if names and table == "errors":
                assert "fallback" in entry, f"{table}.{key} needs a fallback"
            if "fallback" in entry:
                assert not PLACEHOLDER.search(entry["fallback"]), f"{table}.{key}"
            assert set(entry) <= {"title", "message", "fallback"}, f"{table}.{key}"


def test_catalog_status_labels_are_the_domains() -> None:
    """The statuses table says what DossierStatus says, in both languages."""
    for status in DossierStatus:
        assert catalog("vi")["statuses"][status.value] == status.label_vi
        assert catalog("en")["statuses"][status.value] == status.label_en


def test_catalog_files_are_valid_toml_packaged_with_the_library() -> None:
    """The catalogs are package data, read with importlib.resources (so they ship in a wheel)."""
    for locale in LOCALES:
        text = resources.files("onestop").joinpath("messages", f"{locale}.toml").read_text()
        assert tomllib.loads(text)["errors"]


# --- messages for people ----------------------------------------------------------------


def assert_for_people(text: str, error: OnestopError) -> None:
    assert text and text == text.strip()
    assert text[-1] in ".!?", text
    assert text[0].isupper() or text[0] in "«“", text
    for forbidden in ("<", ">", "Error(", "{", "}", "\\", "None", "object at 0x"):
        assert forbidden not in text, (forbidden, text)
    assert not re.search(r"'[^']*'", text), text  # a repr of a string
    for cls in type(error).__mro__:
        assert cls.__name__ not in text, text
    if isinstance(error, errors.InvalidInput) and not error.field.isalpha():
        assert error.field not in text, text  # a name from the code, like applicant.phone


@pytest.mark.parametrize("error", all_samples(), ids=ids)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_error_has_a_sentence_for_citizens(error: OnestopError, locale: str) -> None:
    """message() is a complete sentence without reprs, class names or raw field names."""
    assert_for_people(error.message(locale), error)
    assert error.title(locale)


@pytest.mark.parametrize("error", all_samples(), ids=ids)
def test_vietnamese_is_the_default_and_differs_from_english(error: OnestopError) -> None:
    """message() without a locale is Vietnamese; the English text is another text."""
    assert error.message() == error.message("vi")
    assert error.message("vi") != error.message("en")


def test_messages_say_the_params() -> None:
    """Limits, names, codes and times come from params, formatted for people."""
    assert SAMPLES[errors.WeakPassword].message() == "«Mật khẩu» phải có ít nhất 8 ký tự."
    assert "at least 8 characters" in SAMPLES[errors.WeakPassword].message("en")
    missing = SAMPLES[errors.MissingComponents].message()
    assert "Tờ khai đăng ký; Bản sao căn cước công dân" in missing
    assert "000.00.03.H34" in SAMPLES[errors.AgencyNotFound].message("en")
    # 02:30 UTC is 09:30 in Vietnam.
    assert "09:30 02/03/2026" in SAMPLES[errors.AccountLocked].message()
    assert "«Được tiếp nhận»" not in SAMPLES[errors.TransitionNotAllowed].message()
    assert "«Đã xử lý xong»" in SAMPLES[errors.TransitionNotAllowed].message()
    assert "150.000 đồng" in SAMPLES[errors.PaymentAmountMismatch].message()
    assert "150,000 VND" in SAMPLES[errors.PaymentAmountMismatch].message("en")
    assert "(2 MB)" in SAMPLES[errors.AttachmentTooLarge].message()
    assert "«Số điện thoại»" in SAMPLES[errors.InvalidInput].message()
    assert "“Phone number”" in SAMPLES[errors.InvalidInput].message("en")


def test_an_unknown_field_gets_a_sentence_without_its_name() -> None:
    """A field without a label is not shown raw: the sentence falls back to a general one."""
    error = errors.InvalidMoney("fee_lines[2].unit_price_x", "must be 0 or more", -1)
    assert error.message() == "Số tiền hoặc khoản phí không hợp lệ."
    assert "unit_price_x" not in error.message("en")


def test_field_labels_are_found_through_paths_and_indices() -> None:
    """applicant.phone, components[x].size and fee_lines[2].quantity find their labels."""
    assert field_label("applicant.phone") == "Số điện thoại"
    assert field_label("components[don].size", "en") == "File size"
    assert field_label("fee_lines[2].quantity") == "Số lượng"
    assert field_label("no_such_thing") is None
    assert field_label(None) is None


@pytest.mark.parametrize(
    ("given_locale", "language"),
    [("en-US", "en"), ("EN_gb", "en"), ("vi-VN", "vi"), ("fr", "vi"), ("", "vi"), (None, "vi")],
)
def test_locales_are_normalised_and_unknown_ones_give_vietnamese(
    given_locale: Any, language: str
) -> None:
    """A region tag is ignored; an unknown locale falls back to Vietnamese, not an error."""
    error = errors.TokenExpired()
    assert error.message(given_locale) == error.message(language)


def test_str_stays_the_english_developer_text() -> None:
    """str(error) is unchanged for logs and existing callers."""
    assert str(SAMPLES[errors.WeakPassword]) == "password: must be at least 8 characters long"
    assert str(errors.InvalidCredentials()) == "the email or the password is wrong"


# --- what the issue asked of single classes ----------------------------------------------


def test_agency_not_found_shows_the_code_as_text() -> None:
    """AgencyNotFound names the agency by its code, not by the attrs repr."""
    error = SAMPLES[errors.AgencyNotFound]
    assert str(error) == "no agency '000.00.03.H34'"
    assert "AgencyCode(" not in str(error)
    assert error.params == {"kind": "agency", "key": "000.00.03.H34"}
    assert isinstance(error.key, AgencyCode)


def test_duplicate_error_has_field_and_what_is_a_deprecated_alias() -> None:
    """DuplicateError.field names the rule; .what still works with a DeprecationWarning."""
    error = errors.DuplicateError("account.email", "a@example.vn")
    assert error.field == "account.email"
    with pytest.warns(DeprecationWarning, match="field"):
        assert error.what == "account.email"


def test_missing_components_from_a_dossier_carry_ids_and_names() -> None:
    """Submitting a draft without a mandatory file names the component as the guide does."""
    d = draft()
    d.attach("don", pdf(1))
    with pytest.raises(errors.MissingComponents) as caught:
        d.submit(code=code_at(T0), now=T0)
    names = {c.id: c.name for c in d.procedure.components}
    assert caught.value.components == ("cccd",)
    assert caught.value.names == (names["cccd"],)
    assert caught.value.params["component_names"] == (names["cccd"],)
    assert names["cccd"] in caught.value.message()


def test_missing_components_without_names_falls_back_to_ids() -> None:
    """The old one-argument constructor still works; the ids stand in for the names."""
    error = errors.MissingComponents(("cccd",))
    assert error.names == ("cccd",)


# --- message() never raises ---------------------------------------------------------------

PARAM_NAMES = st.sampled_from(
    [
        "field",
        "rule",
        "rule_code",
        "min_length",
        "max_length",
        "minimum",
        "maximum",
        "allowed",
        "component_names",
        "key",
        "until",
        "status",
        "day",
        "expected",
        "got",
        "max_bytes",
        "declared",
        "agency",
    ]
) | st.text(max_size=12)


class _Opaque:
    pass


class _BadStr:
    def __str__(self) -> str:
        raise RuntimeError("boom")


PARAM_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**40)
    | st.floats()
    | st.text()
    | st.binary(max_size=8)
    | st.dates()
    | st.datetimes()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.just(_Opaque())
    | st.just(_BadStr())
    | st.sampled_from(list(DossierStatus)),
    lambda inner: st.lists(inner, max_size=3).map(tuple) | st.frozensets(st.text(), max_size=3),
    max_leaves=6,
)


@given(
    cls=st.sampled_from(ERROR_CLASSES),
    params=st.dictionaries(PARAM_NAMES, PARAM_VALUES, max_size=6),
    rule_code=st.none()
    | st.sampled_from(["too_short", "too_long", "out_of_range", "one_of"])
    | st.text(max_size=8),
    locale=st.sampled_from(["vi", "en", "xx"]),
)
def test_message_never_raises_whatever_the_params(
    cls: type[OnestopError], params: dict[str, object], rule_code: object, locale: str
) -> None:
    """Any params, any rule code: message() and problem_details() return text, no braces."""
    probe_cls = type("Probe", (cls,), {"params": property(lambda self: params)})
    probe = probe_cls.__new__(probe_cls)
    probe.rule_code = rule_code  # type: ignore[attr-defined]
    text = probe.message(locale)
    assert isinstance(text, str) and text
    assert "{" not in text and "}" not in text
    json.dumps(problem_details(probe, locale))


@given(field=st.text(), rule=st.text(), value=PARAM_VALUES)
def test_any_invalid_input_renders_a_sentence(field: str, rule: str, value: object) -> None:
    """Whatever field name and rule text a raise site passes, the message is a clean sentence."""
    error = errors.InvalidInput(field, rule, value)
    for locale in LOCALES:
        text = error.message(locale)
        assert text.endswith(".") and "{" not in text


# --- problem details ----------------------------------------------------------------------


@pytest.mark.parametrize("error", all_samples(), ids=ids)
def test_problem_details_have_the_rfc_9457_shape(error: OnestopError) -> None:
    """type, title, status, detail, code and params; JSON-ready; status as http_status()."""
    body = problem_details(error, locale="en")
    assert set(body) == {"type", "title", "status", "detail", "code", "params"}
    assert body["type"] == problem_type(type(error).code) == f"urn:onestop:problem:{error.code}"
    assert body["status"] == http_status(error) == type(error).http_status
    assert body["detail"] == error.message("en")
    assert body["title"] == error.title("en")
    assert json.loads(json.dumps(body)) == body


def test_problem_details_of_missing_components() -> None:
    """The exact body a host sends for a submission without a mandatory file."""
    body = problem_details(SAMPLES[errors.MissingComponents])
    assert body == {
        "type": "urn:onestop:problem:dossier.missing_components",
        "title": "Thiếu thành phần hồ sơ",
        "status": 422,
        "detail": "Hồ sơ còn thiếu tệp cho thành phần bắt buộc: "
        "Tờ khai đăng ký; Bản sao căn cước công dân.",
        "code": "dossier.missing_components",
        "params": {
            "field": "components",
            "component_ids": ["don", "cccd"],
            "component_names": ["Tờ khai đăng ký", "Bản sao căn cước công dân"],
            "count": 2,
        },
    }
    assert PROBLEM_MEDIA_TYPE == "application/problem+json"


def test_problem_details_keep_secrets_and_values_out() -> None:
    """A password, a taken email, a refused value and a driver's text never reach the body."""
    leaks = {
        "hunter2-secret": errors.WeakPassword("password", "must not be hunter", "hunter2-secret"),
        "a@example.vn": errors.DuplicateError("account.email", "a@example.vn"),
        "079123456789": errors.InvalidIdentity("cccd", "must be 12 digits", "079123456789"),
        "postgresql://u:pw@db": errors.StorageError("postgresql://u:pw@db refused"),
    }
    for secret, error in leaks.items():
        for locale in LOCALES:
            assert secret not in json.dumps(problem_details(error, locale), ensure_ascii=False)


@pytest.mark.parametrize(
    "error", [KeyError("token=abc"), RuntimeError("db at 10.0.0.1"), SystemError()]
)
def test_unexpected_exceptions_are_a_generic_500(error: BaseException) -> None:
    """Anything that is not an OnestopError is a 500 that says nothing of the exception."""
    assert http_status(error) == 500
    body = problem_details(error, locale="vi")
    assert body["status"] == 500
    assert body["code"] == INTERNAL_CODE
    assert body["params"] == {}
    assert str(error) not in json.dumps(body) or not str(error)
    assert body["detail"] == catalog("vi")["errors"][INTERNAL_CODE]["message"]
    assert problem_details(error, "en")["detail"].startswith("The system has a problem")


# --- the documented table -----------------------------------------------------------------


def error_table() -> str:
    """docs/errors.md as the classes and catalogs say it should be."""
    vi, en = catalog("vi"), catalog("en")
    lines = [
        "# Error codes",
        "",
        "<!-- Generated from onestop.errors and src/onestop/messages/*.toml by",
        "     tests/unit/test_error_catalog.py; run it with ONESTOP_WRITE_DOCS=1 to rewrite. -->",
        "",
        "Every error onestop raises on purpose is an `OnestopError` with a stable `code` (the",
        "contract: branch on it), an `http_status`, `params` (what the message is made of; never a",
        "password or the refused value) and `message(locale)`, a sentence for citizens in",
        'Vietnamese (`"vi"`, the default) or English (`"en"`). `str(error)` stays English text',
        "for developers and logs. `onestop.problems.problem_details(error, locale)` gives an",
        "RFC 9457 body whose `type` is `urn:onestop:problem:<code>`.",
        "",
        "The sentences live in `src/onestop/messages/vi.toml` and `en.toml`: edit them there.",
        "",
        "| Code | HTTP | Class | Params | Title (vi) | Title (en) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for cls in sorted(ERROR_CLASSES, key=lambda c: c.code):
        params = ", ".join(f"`{p}`" for p in sample(cls).params) or "none"
        lines.append(
            f"| `{cls.code}` | {cls.http_status} | `{cls.__name__}` | {params} "
            f"| {vi['errors'][cls.code]['title']} | {en['errors'][cls.code]['title']} |"
        )
    lines.append(
        f"| `{INTERNAL_CODE}` | 500 | any other exception | none "
        f"| {vi['errors'][INTERNAL_CODE]['title']} | {en['errors'][INTERNAL_CODE]['title']} |"
    )
    lines += [
        "",
        "## Rules of bad input",
        "",
        "An `InvalidInput` (and its subclasses) may carry a `rule_code` and its limits in",
        "`params`; the message then says the rule in the citizen's language. Without one, the",
        "message names the field by its label (table `[fields]` of the catalogs) and the English",
        "`rule` stays in `params` for developers.",
        "",
        "| rule_code | Limits | Message (en) |",
        "| --- | --- | --- |",
    ]
    for rule, entry in sorted(en["rules"].items()):
        limits = sorted(set(PLACEHOLDER.findall(entry["message"])) - {"field_label"})
        shown = ", ".join(f"`{n}`" for n in limits) or "none"
        lines.append(f"| `{rule}` | {shown} | {entry['message']} |")
    return "\n".join(lines) + "\n"


def test_the_documented_table_is_current() -> None:
    """docs/errors.md lists every code with its status, params and titles."""
    expected = error_table()
    if os.environ.get("ONESTOP_WRITE_DOCS"):
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(expected, encoding="utf-8")
    assert DOCS.read_text(encoding="utf-8") == expected, (
        "docs/errors.md is out of date: run this test with ONESTOP_WRITE_DOCS=1"
    )
