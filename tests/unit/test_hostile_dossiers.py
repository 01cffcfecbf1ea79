"""Hostile input on the dossier use cases, the officer's desk, the catalog and the dispatcher.

Issue 8: every public method answers any input normally or with an ``OnestopError`` naming the
field; public tracking answers identically whether or not a code exists; permission refusals
and failed lookups are logged on ``onestop.security`` without personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import onestop.domain
from onestop.application.dispatcher import MailDispatcher
from onestop.application.pagination import MAX_PAGE, Page
from onestop.application.security_log import SECURITY_LOGGER
from onestop.application.views import ProgressEntry, TrackingView, progress_of, status_label
from onestop.domain.accounts import Officer, OfficerRole
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import AgencyCode, DossierCode
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.files import FileRef
from onestop.domain.identity import normalize_phone
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    DossierNotFound,
    InvalidDossierCode,
    InvalidInput,
    OnestopError,
    PermissionDenied,
    show_value,
)
from onestop.testing import builders
from tests.strategies.hostile import Unprintable, hostile_values
from tests.unit.conftest import BUILD, HKD, PDF, WARD, PortalKit, make_kit, vn

# The applicant block of builders.account(): what proves the applicant in public tracking.
ID_NUMBER = "062090001234"
PHONE = "0912345678"
#: The first code the ward gives on the kit's first day.
FIRST_CODE = f"{WARD}-220622-0001"


def hostile_texts() -> st.SearchStrategy[str]:
    """Text mixing lone surrogates, NUL and controls, bidi and zero-width marks, digits."""
    traps = st.sampled_from(["\x00", "\ud800", "\u202e", "\u2066", "\u200b", "\ufeff", "\r\n"])
    anything = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
    return st.lists(st.one_of(traps, anything), max_size=5).map("".join)


#: One value of each kind that breaks naive code; each argument is tried with every one.
HOSTILE: tuple[Any, ...] = (
    None,
    0,
    -1,
    10**5000,
    -(10**5000),
    True,
    1.5,
    float("nan"),
    b"abc",
    b"\xff",
    [],
    ["x"],
    {},
    {"a": []},
    frozenset(),
    "",
    " ",
    "\ud800",
    "\x00",
    "a\x00b",
    "\u202efdp.exe",
    "x" * 100_000,
    "\x1b[31m",
    dt.datetime(2022, 6, 22, 9),  # naive
    dt.datetime(2030, 1, 1, tzinfo=dt.UTC),  # a datetime where a date belongs
    dt.date(2030, 1, 1),
    dt.date.max,
    dt.datetime.max.replace(tzinfo=dt.UTC),
    Unprintable(),
    object(),
    io.BytesIO(b"x"),
    DossierStatus.DRAFT,
    [DossierStatus.RECEIVED],
    AgencyCode.parse(WARD),
    FIRST_CODE,
)


def _events(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "onestop_event", None) == event]


# --- finding 1: public tracking -------------------------------------------------------------


def _outcome(call: Callable[[], object]) -> tuple[object, ...]:
    """Everything a caller can see of a call's answer: the value, or the error in full."""
    try:
        value = call()
    except OnestopError as e:
        return (
            "error",
            type(e),
            str(e),
            tuple(show_value(a) for a in e.args),
            tuple(sorted((k, show_value(v)) for k, v in vars(e).items())),
            e.__cause__ is None,
            e.__suppress_context__,
            type(e.__context__),
        )
    return ("answer", value)


_KITS: dict[str, PortalKit] = {}


def _tracking_kits() -> tuple[PortalKit, PortalKit]:
    """A portal where FIRST_CODE is the citizen's dossier, and one where no code exists."""
    if not _KITS:
        _KITS["exists"] = make_kit()
        dossier = _KITS["exists"].submitted(HKD)
        assert str(dossier.code) == FIRST_CODE
        _KITS["absent"] = make_kit()
    return _KITS["exists"], _KITS["absent"]


def _proves_the_citizen(factor: object) -> bool:
    """The documented rule: the id number (spaces around ignored) or the phone in any form."""
    if not isinstance(factor, str):
        return False
    given = factor.strip()
    try:
        phone = normalize_phone(given)
    except Exception:
        phone = None
    return given == ID_NUMBER or phone == PHONE


#: Second factors close to the right ones: each must be refused like an unknown code.
NEAR_MISSES = (
    "062 090 001 234",  # the id number with spaces inside
    "062-090-001-234",
    "062090001234\x00",  # NUL
    "\x00062090001234",
    "\u202e062090001234",  # RTL override
    "062090001234\u200b",  # zero-width space
    "０６２０９０００１２３４",  # full-width digits
    "06209000123",  # one digit short
    "0620900012345",  # one digit more
    "062090001235",
    "62090001234",
    "0912345679",
    "(+84) 912 345 678",
    "0912345678\x00",
    "062090001234" * 3,
    "x" * 100_000,
    "",
    "   ",
)

CODES = (
    FIRST_CODE,
    f"  {FIRST_CODE}\n",
    f"{WARD}-220622-0002",  # well-formed, not given yet
    "000.00.01.H99-220622-0001",  # an agency the catalog does not know
    f"{WARD}-220622-00001",
    f"{WARD}-220622-0001\x00",
    FIRST_CODE.lower(),
    f"\u202e{FIRST_CODE}",
    f"{FIRST_CODE}\u200b",
    FIRST_CODE + " " * 100_000,
    "9" * 100_000,
    "",
)


@pytest.mark.parametrize("code", CODES, ids=show_value)
@pytest.mark.parametrize("factor", NEAR_MISSES, ids=show_value)
def test_tracking_answers_a_near_miss_exactly_like_an_unknown_code(code: str, factor: str) -> None:
    """A wrong, or wrongly written, second factor looks like a code that does not exist."""
    exists, absent = _tracking_kits()
    seen = _outcome(lambda: exists.portal.dossiers.track(code, factor))
    assert seen == _outcome(lambda: absent.portal.dossiers.track(code, factor))
    assert seen[0] == "error"


def test_the_two_not_found_errors_carry_no_different_cause_or_context() -> None:
    """Before: the unknown code's error carried the storage's error as hidden context."""
    exists, absent = _tracking_kits()
    with pytest.raises(DossierNotFound) as wrong:
        exists.portal.dossiers.track(FIRST_CODE, "062090009999")
    with pytest.raises(DossierNotFound) as unknown:
        absent.portal.dossiers.track(FIRST_CODE, "062090009999")
    for caught in (wrong.value, unknown.value):
        assert caught.__cause__ is None
        assert caught.__context__ is None
        assert caught.key == FIRST_CODE
    assert str(wrong.value) == str(unknown.value)


@pytest.mark.parametrize(
    "factor", [ID_NUMBER, f"  {ID_NUMBER} ", PHONE, "0912 345 678", "+84912345678"]
)
def test_the_right_factor_in_an_accepted_form_still_tracks(factor: str) -> None:
    exists, absent = _tracking_kits()
    assert exists.portal.dossiers.track(FIRST_CODE, factor).code == FIRST_CODE
    with pytest.raises(DossierNotFound):
        absent.portal.dossiers.track(FIRST_CODE, factor)


@pytest.mark.parametrize("code", [FIRST_CODE, f"{WARD}-220622-0002"])
@pytest.mark.parametrize(
    "factor", ["\ud800", None, 62090001234, b"062090001234", [ID_NUMBER]], ids=show_value
)
def test_a_second_factor_of_the_wrong_kind_is_refused_the_same_for_every_code(
    code: str, factor: Any
) -> None:
    """Before the argument checks: UnicodeEncodeError or AttributeError for an existing code."""
    exists, absent = _tracking_kits()
    seen = _outcome(lambda: exists.portal.dossiers.track(code, factor))
    assert seen == _outcome(lambda: absent.portal.dossiers.track(code, factor))
    assert seen[1] is InvalidInput


_factors = st.one_of(
    st.sampled_from(NEAR_MISSES),
    hostile_texts(),
    st.text(st.sampled_from("0123456789 +-."), max_size=16),
    hostile_values(),
)
_codes = st.one_of(
    st.sampled_from(CODES),
    hostile_texts(),
    st.builds(
        lambda day, seq: f"{WARD}-2206{day:02d}-{seq:04d}",
        st.integers(1, 40),
        st.integers(0, 10_000),
    ),
    hostile_values(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=_codes, factor=_factors)
def test_tracking_never_tells_whether_a_code_exists(code: Any, factor: Any) -> None:
    """For any code and second factor, the answer where the code exists (for someone whom the
    factor does not prove) equals the answer where it does not exist: value, type, message,
    attributes, cause and context."""
    exists, absent = _tracking_kits()
    seen = _outcome(lambda: exists.portal.dossiers.track(code, factor))
    if seen[0] == "answer":
        assert _proves_the_citizen(factor)
        return
    assert seen == _outcome(lambda: absent.portal.dossiers.track(code, factor))


def test_a_failed_track_is_a_debug_event_without_the_second_factor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exists, _ = _tracking_kits()
    with caplog.at_level(logging.DEBUG, logger=SECURITY_LOGGER.name):
        with pytest.raises(DossierNotFound):
            exists.portal.dossiers.track(FIRST_CODE, "062090009999")
        with pytest.raises(InvalidDossierCode):
            exists.portal.dossiers.track("not a code", "062090009999")
        exists.portal.dossiers.track(FIRST_CODE, ID_NUMBER)  # a success is not logged
    records = _events(caplog, "dossier.track_failed")
    assert len(records) == 2
    for record in records:
        assert record.levelno == logging.DEBUG
        assert "062090009999" not in record.getMessage()
        assert "062090009999" not in repr(record.onestop_fields)  # type: ignore[attr-defined]
        assert ID_NUMBER not in repr(record.__dict__)


# --- finding 2: update_applicant ------------------------------------------------------------


def test_an_unknown_applicant_detail_is_invalid_input_naming_it(kit: PortalKit) -> None:
    """Before: TypeError."""
    draft = kit.draft(HKD)
    before = kit.snapshot()
    with pytest.raises(InvalidInput) as caught:
        kit.portal.dossiers.update_applicant(kit.citizen.id, draft.id, nickname="x")
    assert caught.value.field == "nickname"
    assert "full_name" in caught.value.rule  # it says which details exist
    assert kit.snapshot() == before


APPLICANT_DETAILS = (
    "full_name",
    "email",
    "phone",
    "address",
    "date_of_birth",
    "id_number",
    "id_issued_by",
    "organisation_name",
    "tax_code",
)


@pytest.mark.parametrize("detail", APPLICANT_DETAILS)
def test_a_hostile_applicant_detail_is_invalid_input_naming_it(kit: PortalKit, detail: str) -> None:
    """Before: AttributeError ('int' object has no attribute 'strip') and TypeError."""
    draft = kit.draft(HKD)
    for value in HOSTILE:
        try:
            kit.portal.dossiers.update_applicant(kit.citizen.id, draft.id, **{detail: value})
        except InvalidInput as e:
            # This detail, or one whose rule it takes part in (a tax code needs a name).
            assert e.field.split(".")[0] in APPLICANT_DETAILS
            str(e)


def test_a_detail_name_that_is_not_text_shown_safely(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    with pytest.raises(InvalidInput) as caught:
        kit.portal.dossiers.update_applicant(kit.citizen.id, draft.id, **{"\ud800x" * 30: "x"})
    assert caught.value.field.startswith("'")  # its repr, cut short
    str(caught.value).encode("utf-8")


# --- findings 3 and 4: decide and send_apology ----------------------------------------------


def _processing(kit: PortalKit) -> tuple[Dossier, str]:
    officer = kit.officer(WARD)
    dossier = kit.submitted(HKD)
    kit.portal.desk.receive(officer.id, dossier.id)
    kit.portal.desk.start_processing(officer.id, dossier.id)
    return dossier, officer.id


@pytest.mark.parametrize("approved", ["no", "yes", "false", 1, 0, None, [], "True"])
def test_a_decision_that_is_not_a_bool_is_refused(kit: PortalKit, approved: object) -> None:
    """Before: a truthy string was about to be recorded as an approval."""
    dossier, officer_id = _processing(kit)
    before = kit.snapshot()
    with pytest.raises(InvalidInput) as caught:
        kit.portal.desk.decide(officer_id, dossier.id, approved=approved)  # type: ignore[arg-type]
    assert caught.value.field == "approved"
    assert kit.snapshot() == before
    assert kit.portal.desk.get(officer_id, dossier.id).decision is None


@pytest.mark.parametrize("approved", ["no", 1, None])
def test_the_aggregate_refuses_a_decision_that_is_not_a_bool(
    kit: PortalKit, approved: object
) -> None:
    """Defence in depth: a host calling Dossier.decide directly gets the same refusal."""
    dossier, officer_id = _processing(kit)
    with kit.storage.unit_of_work() as uow:
        loaded = uow.dossiers.get(dossier.id)
    with pytest.raises(InvalidInput) as caught:
        loaded.decide(
            officer=Actor.officer(officer_id),
            now=vn(2022, 6, 23, 10),
            approved=approved,  # type: ignore[arg-type]
            reasons="Thiếu giấy tờ",
        )
    assert caught.value.field == "approved"
    assert loaded.status is DossierStatus.PROCESSING
    assert loaded.decision is None


def test_an_apology_date_that_is_a_datetime_is_invalid_input(kit: PortalKit) -> None:
    """Before: TypeError comparing a datetime with a date."""
    officer = kit.officer(WARD)
    dossier = kit.submitted(HKD)
    kit.portal.desk.receive(officer.id, dossier.id)
    for when in (dt.datetime(2022, 12, 1, tzinfo=dt.UTC), dt.datetime(2022, 12, 1), "2022-12-01"):
        with pytest.raises(InvalidInput) as caught:
            kit.portal.desk.send_apology(
                officer.id,
                dossier.id,
                reason="Quá tải",
                new_due_date=when,  # type: ignore[arg-type]
            )
        assert caught.value.field == "new_due_date"


def test_the_aggregate_refuses_an_apology_datetime() -> None:
    kit = make_kit()
    officer = kit.officer(WARD)
    dossier = kit.submitted(HKD)
    kit.portal.desk.receive(officer.id, dossier.id)
    with kit.storage.unit_of_work() as uow:
        loaded = uow.dossiers.get(dossier.id)
    with pytest.raises(InvalidInput) as caught:
        loaded.reschedule(
            officer=Actor.officer(officer.id),
            now=vn(2022, 6, 23, 10),
            new_due_date=dt.datetime(2022, 12, 1, tzinfo=dt.UTC),
            reason="Quá tải",
        )
    assert caught.value.field == "new_due_date"


# --- finding 5: every public method, every argument, every hostile value --------------------

Build = Callable[[PortalKit], tuple[Callable[..., object], dict[str, Any]]]


def _in_status(kit: PortalKit, status: str) -> tuple[Dossier, str]:
    """A dossier of the citizen in ``status``, and the id of an officer of its agency."""
    desk = kit.portal.desk
    dossier = kit.submitted(HKD)
    officer = kit.officer(WARD).id
    steps: dict[str, list[Callable[[], object]]] = {
        "awaiting": [],
        "received": [lambda: desk.receive(officer, dossier.id)],
        "supplement": [
            lambda: desk.receive(officer, dossier.id),
            lambda: desk.request_supplement(officer, dossier.id, "Bổ sung"),
        ],
        "processing": [
            lambda: desk.receive(officer, dossier.id),
            lambda: desk.start_processing(officer, dossier.id),
        ],
        "paused": [
            lambda: desk.receive(officer, dossier.id),
            lambda: desk.start_processing(officer, dossier.id),
            lambda: desk.pause(officer, dossier.id, "Chờ"),
        ],
        "decided": [
            lambda: desk.receive(officer, dossier.id),
            lambda: desk.start_processing(officer, dossier.id),
            lambda: desk.decide(officer, dossier.id, approved=False, reasons="Thiếu"),
        ],
        "returned": [
            lambda: desk.receive(officer, dossier.id),
            lambda: desk.start_processing(officer, dossier.id),
            lambda: desk.decide(officer, dossier.id, approved=False, reasons="Thiếu"),
            lambda: desk.return_result(officer, dossier.id),
        ],
    }
    for step in steps[status]:
        step()
    return dossier, officer


def _draft_with_file(kit: PortalKit) -> tuple[Dossier, str, str]:
    draft = kit.draft(HKD)
    component = draft.procedure.mandatory_components()[0].id
    ref = kit.portal.dossiers.attach(
        kit.citizen.id, draft.id, component, PDF, filename="a.pdf", media_type="application/pdf"
    )
    return draft, component, ref.key


OFFICER_PASSWORD = "mật khẩu cán bộ 2022"


def _administer(method: str, **extra: Any) -> Build:
    def build(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
        return getattr(kit.portal.desk, method), {"officer_id": kit.officer().id, **extra}

    return build


def _officer_with_login(kit: PortalKit) -> Officer:
    return kit.portal.desk.register_officer(
        WARD,
        "Lê Văn Cường",
        "cuong@kontum.gov.vn",
        password=OFFICER_PASSWORD,
        external_subject="sso|cuong",
    )


def _desk(status: str, method: str, **extra: Any) -> Build:
    def build(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
        dossier, officer = _in_status(kit, status)
        return getattr(kit.portal.desk, method), {
            "officer_id": officer,
            "dossier_id": dossier.id,
            **extra,
        }

    return build


def _applicant(status: str, method: str, **extra: Any) -> Build:
    def build(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
        dossier, _ = _in_status(kit, status)
        return getattr(kit.portal.dossiers, method), {
            "account_id": kit.citizen.id,
            "dossier_id": dossier.id,
            **extra,
        }

    return build


def _on_draft(method: str, **extra: Any) -> Build:
    def build(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
        draft = kit.draft(HKD)
        kit.fill(draft)
        return getattr(kit.portal.dossiers, method), {
            "account_id": kit.citizen.id,
            "dossier_id": draft.id,
            **extra,
        }

    return build


def _attach(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    draft = kit.draft(HKD)
    component = draft.procedure.mandatory_components()[0].id
    return kit.portal.dossiers.attach, {
        "account_id": kit.citizen.id,
        "dossier_id": draft.id,
        "component_id": component,
        "data": PDF,
        "filename": "don.pdf",
        "media_type": "application/pdf",
    }


def _detach(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    draft, component, key = _draft_with_file(kit)
    return kit.portal.dossiers.detach, {
        "account_id": kit.citizen.id,
        "dossier_id": draft.id,
        "component_id": component,
        "file_key": key,
    }


def _reuse_file(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    earlier, _ = _in_status(kit, "awaiting")
    source = earlier.attachments[0]
    draft = kit.draft(HKD)
    return kit.portal.dossiers.reuse_file, {
        "account_id": kit.citizen.id,
        "draft_id": draft.id,
        "component_id": source.component_id,
        "source_dossier_id": earlier.id,
        "file_key": source.file.key,
    }


def _reusable_files(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    kit.submitted()
    return kit.portal.dossiers.reusable_files, {
        "account_id": kit.citizen.id,
        "dossier_id": kit.draft(HKD).id,
    }


def _digitise(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    dossier, officer = _in_status(kit, "awaiting")
    return kit.portal.desk.digitise, {
        "officer_id": officer,
        "dossier_id": dossier.id,
        "component_id": dossier.procedure.mandatory_components()[0].id,
        "data": PDF,
        "filename": "ban-quet.pdf",
        "media_type": "application/pdf",
    }


def _open_file(side: str) -> Build:
    def build(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
        dossier, officer = _in_status(kit, "awaiting")
        key = dossier.attachments[0].file.key
        if side == "desk":
            call, who = kit.portal.desk.open_file, {"officer_id": officer}
        else:
            call, who = kit.portal.dossiers.open_file, {"account_id": kit.citizen.id}
        return call, {**who, "dossier_id": dossier.id, "file_key": key, "disposition": "inline"}

    return build


def _catalog_entry(kit: PortalKit, kind: str) -> object:
    with kit.storage.unit_of_work() as uow:
        if kind == "agency":
            return uow.catalog.get_agency(AgencyCode.parse(WARD))
        if kind == "field":
            return next(iter(uow.catalog.list_fields()))
        return uow.catalog.get_procedure(HKD)


def _dispatcher_settings(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    ctx = kit.portal.dispatcher._ctx

    def construct(**settings: Any) -> MailDispatcher:
        return MailDispatcher(ctx, **settings)

    return construct, {
        "worker_id": "worker-1",
        "max_attempts": 5,
        "backoff": dt.timedelta(minutes=1),
        "backoff_factor": 2.0,
        "max_backoff": dt.timedelta(hours=1),
        "lease": dt.timedelta(minutes=5),
        "batch_size": 50,
    }


def _dispatcher_run(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    stop = threading.Event()
    stop.set()
    return kit.portal.dispatcher.run, {"stop": stop, "interval": 1.0}


def _message_id(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    kit.submitted(HKD)  # queues the receipt
    with kit.storage.unit_of_work() as uow:
        [entry] = uow.outbox.list()
    return kit.portal.dispatcher.message_id, {"entry": entry}


SERVICE_CALLS: dict[str, Build] = {
    "dossiers.start_draft": lambda k: (
        k.portal.dossiers.start_draft,
        {"account_id": k.citizen.id, "procedure_code": HKD},
    ),
    "dossiers.update_applicant": _on_draft("update_applicant", full_name="Nguyễn Văn Bình"),
    "dossiers.attach": _attach,
    "dossiers.detach": _detach,
    "dossiers.reuse_file": _reuse_file,
    "dossiers.reusable_files": _reusable_files,
    "dossiers.choose_home_services": _on_draft(
        "choose_home_services", pickup_address="1 Lê Lợi", delivery_address="2 Lê Lợi"
    ),
    "dossiers.discard_draft": _on_draft("discard_draft"),
    "dossiers.submit": _on_draft("submit", idempotency_key="k-1"),
    "dossiers.resubmit": _applicant("supplement", "resubmit", note="Đã bổ sung"),
    "dossiers.withdraw": _applicant("awaiting", "withdraw", reason="Nộp nhầm"),
    "dossiers.get": _applicant("awaiting", "get"),
    "dossiers.list_mine": lambda k: (
        k.portal.dossiers.list_mine,
        {"account_id": k.citizen.id, "page": 1, "page_size": 5},
    ),
    "dossiers.open_file": _open_file("applicant"),
    "dossiers.view": _applicant("awaiting", "view", locale="en"),
    "dossiers.submission_view": _applicant("awaiting", "submission_view", locale="vi"),
    "desk.view": _desk("awaiting", "view", locale="en"),
    "desk.open_file": _open_file("desk"),
    "dossiers.progress": _applicant("awaiting", "progress"),
    "dossiers.rate": _applicant("returned", "rate", level="satisfied", comment="Nhanh"),
    "dossiers.rating": _applicant("returned", "rating"),
    "dossiers.complain": _applicant("awaiting", "complain", text="Chưa được tiếp nhận"),
    "dossiers.complaints": _applicant("awaiting", "complaints"),
    "dossiers.track": lambda k: (
        k.portal.dossiers.track,
        {"code": str(_in_status(k, "awaiting")[0].code), "id_number_or_phone": ID_NUMBER},
    ),
    "desk.register_officer": lambda k: (
        k.portal.desk.register_officer,
        {"agency": WARD, "full_name": "Lê Văn Cường", "email": "cuong@kontum.gov.vn"},
    ),
    "desk.get": _desk("awaiting", "get"),
    "desk.officer": _administer("officer"),
    "desk.find_officer": lambda k: (k.portal.desk.find_officer, {"email": k.officer().email}),
    "desk.list_officers": lambda k: (k.portal.desk.list_officers, {"agency": WARD}),
    "desk.deactivate": _administer("deactivate", by="admin@kontum"),
    "desk.reactivate": _administer("reactivate", by="admin@kontum"),
    "desk.change_roles": _administer(
        "change_roles", roles=frozenset({OfficerRole.RECEPTION}), by="admin@kontum"
    ),
    "desk.set_password": _administer("set_password", password=OFFICER_PASSWORD, by="admin"),
    "desk.link_external_subject": _administer(
        "link_external_subject", subject="sso|1", by="admin@kontum"
    ),
    "desk.log_in": lambda k: (
        k.portal.desk.log_in,
        {"email": _officer_with_login(k).email, "password": OFFICER_PASSWORD},
    ),
    "desk.log_in_external": lambda k: (
        k.portal.desk.log_in_external,
        {"subject": _officer_with_login(k).external_subject},
    ),
    "desk.queue": lambda k: (
        k.portal.desk.queue,
        {
            "officer_id": _in_status(k, "awaiting")[1],
            "statuses": [DossierStatus.AWAITING_RECEPTION],
            "page": 1,
            "page_size": 5,
        },
    ),
    "desk.overdue": lambda k: (
        k.portal.desk.overdue,
        {"officer_id": _in_status(k, "received")[1], "page": 1},
    ),
    "desk.due_soon": lambda k: (
        k.portal.desk.due_soon,
        {
            "officer_id": _in_status(k, "received")[1],
            "within": dt.timedelta(days=7),
            "page": 1,
            "page_size": 5,
        },
    ),
    "desk.receive": _desk("awaiting", "receive", note="Đủ"),
    "desk.refuse_reception": _desk("awaiting", "refuse_reception", reason="Sai thủ tục"),
    "desk.request_supplement": _desk("received", "request_supplement", note="Bổ sung"),
    "desk.start_processing": _desk("received", "start_processing", note=""),
    "desk.pause": _desk("processing", "pause", reason="Chờ ý kiến"),
    "desk.resume": _desk("paused", "resume"),
    "desk.request_payment": _desk("received", "request_payment", note=""),
    "desk.decide": _desk("processing", "decide", approved=False, reasons="Thiếu"),
    "desk.return_result": _desk("decided", "return_result", note=""),
    "desk.digitise": _digitise,
    "desk.attach_result": _desk(
        "processing", "attach_result", data=PDF, filename="kq.pdf", media_type="application/pdf"
    ),
    "desk.stop_processing": _desk("received", "stop_processing", reason="Dừng"),
    "desk.send_apology": _desk(
        "received", "send_apology", reason="Quá tải", new_due_date=dt.date(2022, 12, 1)
    ),
    "catalog.list_fields": lambda k: (k.portal.catalog.list_fields, {"agency": WARD}),
    "catalog.get_procedure": lambda k: (k.portal.catalog.get_procedure, {"code": HKD}),
    "catalog.load_json_text": lambda k: (
        k.portal.catalog.load_json_text,
        {"document": k.portal.catalog.dump_json().decode()},
    ),
    "catalog.extend_synonyms": lambda k: (
        k.portal.catalog.extend_synonyms,
        {"path": Path(onestop.domain.__file__).parent / "synonyms-vi.txt"},
    ),
    "catalog.search": lambda k: (
        k.portal.catalog.search,
        {"query": "dang ky", "agency": WARD, "field": None, "page": 1, "page_size": 10},
    ),
    "catalog.put_agency": lambda k: (
        k.portal.catalog.put_agency,
        {"agency": _catalog_entry(k, "agency")},
    ),
    "catalog.put_field": lambda k: (
        k.portal.catalog.put_field,
        {"field": _catalog_entry(k, "field")},
    ),
    "catalog.put_procedure": lambda k: (
        k.portal.catalog.put_procedure,
        {"procedure": _catalog_entry(k, "procedure")},
    ),
    "dispatcher.__init__": _dispatcher_settings,
    "dispatcher.run": _dispatcher_run,
    "dispatcher.message_id": _message_id,
}


def _sweep(build: Build) -> list[str]:
    """Call with each argument replaced by each hostile value; the untyped errors, described.

    A refused call changes nothing; after any other the portal is built afresh, so each call
    meets the state the valid call expects.
    """
    _, valid = build(make_kit())
    escaped = []
    call, arguments = build(make_kit())
    for name in valid:
        for value in HOSTILE:
            try:
                call(**{**arguments, name: value})
            except OnestopError as e:
                str(e)  # the message renders
                if isinstance(e, InvalidInput):
                    assert e.field
                    assert e.rule
                continue  # refused: nothing changed
            except Exception as e:
                escaped.append(f"{name}={show_value(value)}: {type(e).__name__}: {e}")
            call, arguments = build(make_kit())
    return escaped


def test_the_sweep_covers_every_public_method() -> None:
    from onestop.application.catalog import CatalogService
    from onestop.application.desk import OfficerDesk
    from onestop.application.dossiers import DossierService

    swept = {name.partition(".")[2] for name in SERVICE_CALLS}
    for service in (DossierService, OfficerDesk, CatalogService, MailDispatcher):
        # dir, not vars: methods a service inherits from its parts count too.
        public = {
            n for n in dir(service) if not n.startswith("_") and callable(getattr(service, n))
        }
        left = public - swept - {"load_json", "dump_json", "list_agencies", "dispatch_once"}
        assert not left, f"{service.__name__}: {sorted(left)} not swept"


@pytest.mark.parametrize("name", sorted(SERVICE_CALLS))
def test_every_argument_answers_any_value_with_a_typed_error(name: str) -> None:
    """Before: AttributeError/TypeError from update_applicant's details, the dispatcher's
    settings and an interval that overflows Event.wait."""
    build = SERVICE_CALLS[name]
    kit = make_kit()
    call, arguments = build(kit)
    call(**arguments)  # the valid call works: the sweep starts from a good one
    assert _sweep(build) == []


def test_a_page_far_out_of_range_is_refused_by_name(kit: PortalKit) -> None:
    """Before: 10**5000 was answered with a Page whose number no template can print."""
    for page in (-(10**5000), 10**5000, MAX_PAGE + 1, 0):
        with pytest.raises(InvalidInput) as caught:
            kit.portal.catalog.search("x", page=page)
        assert caught.value.field == "page"
        str(caught.value)
    assert kit.portal.catalog.search("", page=MAX_PAGE).items == ()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"results": None, "page": 1, "page_size": 1}, "results"),
        ({"results": "abc", "page": 1, "page_size": 1}, "results"),
        ({"results": [1], "page": None, "page_size": 1}, "page"),
        ({"results": [1], "page": 10**5000, "page_size": 1}, "page"),
        ({"results": [1], "page": 1, "page_size": 0}, "page_size"),
        ({"results": [1], "page": 1, "page_size": "10"}, "page_size"),
    ],
)
def test_a_page_is_built_from_whole_numbers_only(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Page.of(**arguments)
    assert caught.value.field == field


def test_the_read_models_refuse_what_is_not_a_dossier(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    with pytest.raises(InvalidInput, match="dossier"):
        TrackingView.of(None, now=_NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="now"):
        TrackingView.of(dossier, now=dt.datetime(2022, 6, 22, 9))
    with pytest.raises(InvalidInput, match="dossier"):
        progress_of("dossier-1")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="status"):
        status_label("received")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="entry"):
        ProgressEntry.of({"action": "submitted"})  # type: ignore[arg-type]


def test_a_search_query_longer_than_any_name_is_refused(kit: PortalKit) -> None:
    with pytest.raises(InvalidInput) as caught:
        kit.portal.catalog.search("dang ky " * 10_000)
    assert caught.value.field == "query"


@pytest.mark.parametrize(
    "statuses", [[], (), [DossierStatus.RECEIVED], frozenset(), {"x"}, [["x"]], "received", 1]
)
def test_the_queue_answers_odd_status_filters(kit: PortalKit, statuses: object) -> None:
    officer = kit.officer(WARD)
    kit.submitted(HKD)
    try:
        queued = kit.portal.desk.queue(officer.id, statuses=statuses)  # type: ignore[arg-type]
    except InvalidInput as e:
        assert e.field.startswith("statuses")
    else:
        assert all(d.status in statuses for d in queued)  # type: ignore[operator]


@pytest.mark.parametrize(
    "interval", [0, -1, float("nan"), float("inf"), 1e300, 10**5000, True], ids=show_value
)
def test_the_dispatch_loop_refuses_an_interval_it_cannot_wait(
    kit: PortalKit, interval: object
) -> None:
    """Before: OverflowError from Event.wait, or a loop that never pauses."""
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)  # ends a loop that would otherwise spin forever
    timer.start()
    try:
        with pytest.raises(InvalidInput) as caught:
            kit.portal.dispatcher.run(stop, interval)  # type: ignore[arg-type]
    finally:
        timer.cancel()
    assert caught.value.field == "interval"


def test_the_dispatcher_settings_are_checked_by_name(kit: PortalKit) -> None:
    """Before: TypeError comparing None with a timedelta."""
    ctx = kit.portal.dispatcher._ctx
    for setting in ("backoff", "max_backoff", "lease", "backoff_factor"):
        with pytest.raises(InvalidInput) as caught:
            MailDispatcher(ctx, **{setting: None})  # type: ignore[arg-type]
        assert caught.value.field == setting


# --- the aggregate, called directly by a host -----------------------------------------------


_NOW = vn(2022, 6, 23, 10)
_OFFICER = Actor.officer("officer-1", "Lê Văn Cường")
_FILE = FileRef(
    key="key-1",
    name="don.pdf",
    media_type="application/pdf",
    size=len(PDF),
    sha256=hashlib.sha256(PDF).hexdigest(),
)

AggregateBuild = Callable[[PortalKit], tuple[Callable[..., object], dict[str, Any]]]


def _loaded(kit: PortalKit, status: str) -> Dossier:
    if status == "draft":
        dossier = kit.draft(HKD)
    else:
        dossier, _ = _in_status(kit, status)
    with kit.storage.unit_of_work() as uow:
        return uow.dossiers.get(dossier.id)


def _method(status: str, method: str, **arguments: Any) -> AggregateBuild:
    def build(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
        return getattr(_loaded(kit, status), method), dict(arguments)

    return build


def _start(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    draft = _loaded(kit, "draft")
    return Dossier.start, {
        "id": "d-1",
        "owner_id": kit.citizen.id,
        "procedure": draft.procedure,
        "applicant": draft.applicant,
        "now": _NOW,
    }


def _submit(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    draft = kit.draft(HKD)
    kit.fill(draft)
    with kit.storage.unit_of_work() as uow:
        loaded = uow.dossiers.get(draft.id)
    code = DossierCode.for_submission(loaded.procedure.agency, _NOW, 7)
    return loaded.submit, {"code": code, "now": _NOW, "idempotency_key": None}


def _resubmit(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    loaded = _loaded(kit, "supplement")
    return loaded.resubmit, {
        "actor": Actor.applicant(kit.citizen.id),
        "now": _NOW,
        "calendar": WorkingCalendar(),
        "note": "",
    }


def _withdraw(kit: PortalKit) -> tuple[Callable[..., object], dict[str, Any]]:
    loaded = _loaded(kit, "awaiting")
    return loaded.withdraw, {"actor": Actor.applicant(kit.citizen.id), "now": _NOW, "reason": "r"}


AGGREGATE_CALLS: dict[str, AggregateBuild] = {
    "start": _start,
    "update_applicant": lambda k: (
        _loaded(k, "draft").update_applicant,
        {"applicant": k.citizen.profile},
    ),
    "attach": _method("draft", "attach", component_id="don_de_nghi", file=_FILE),
    "detach": _method("draft", "detach", component_id="don_de_nghi", file_key="key-1"),
    "files_for": _method("draft", "files_for", component_id="don_de_nghi"),
    "is_overdue": _method("received", "is_overdue", now=_NOW),
    "choose_home_pickup": _method("draft", "choose_home_pickup", address="1 Lê Lợi"),
    "choose_home_delivery": _method("draft", "choose_home_delivery", address="1 Lê Lợi"),
    "submit": _submit,
    "receive": _method(
        "awaiting", "receive", officer=_OFFICER, now=_NOW, calendar=WorkingCalendar(), note=""
    ),
    "refuse_reception": _method(
        "awaiting", "refuse_reception", officer=_OFFICER, now=_NOW, reason="r"
    ),
    "request_supplement": _method(
        "received", "request_supplement", officer=_OFFICER, now=_NOW, note="n"
    ),
    "resubmit": _resubmit,
    "start_processing": _method(
        "received", "start_processing", officer=_OFFICER, now=_NOW, note=""
    ),
    "pause": _method("processing", "pause", officer=_OFFICER, now=_NOW, reason="r"),
    "resume": _method("paused", "resume", officer=_OFFICER, now=_NOW, calendar=WorkingCalendar()),
    "request_payment": _method("received", "request_payment", officer=_OFFICER, now=_NOW, note=""),
    "record_payment": _method(
        "received",
        "record_payment",
        payment_id="p-1",
        amount=1000,
        now=_NOW,
        calendar=WorkingCalendar(),
    ),
    "decide": _method(
        "processing", "decide", officer=_OFFICER, now=_NOW, approved=False, reasons="r"
    ),
    "return_result": _method("decided", "return_result", officer=_OFFICER, now=_NOW, note=""),
    "withdraw": _withdraw,
    "stop_processing": _method(
        "received", "stop_processing", officer=_OFFICER, now=_NOW, reason="r"
    ),
    "reschedule": _method(
        "received",
        "reschedule",
        officer=_OFFICER,
        now=_NOW,
        new_due_date=dt.date(2022, 12, 1),
        reason="r",
    ),
}


@pytest.mark.parametrize("name", sorted(AGGREGATE_CALLS))
def test_the_aggregate_answers_any_value_with_a_typed_error(name: str) -> None:
    """Before: AttributeError ('NoneType' object has no attribute 'tzinfo' / 'strip' / 'kind')
    and TypeError from the dossier's own methods."""
    assert _sweep(AGGREGATE_CALLS[name]) == []


@pytest.mark.parametrize(
    "note", ["a\x00b", "\x1b[31mđỏ", "\u202eesrever", "x\u2066y", "\x7f"], ids=repr
)
def test_a_note_with_hidden_controls_is_refused(kit: PortalKit, note: str) -> None:
    officer = kit.officer(WARD)
    dossier = kit.submitted(HKD)
    with pytest.raises(InvalidInput) as caught:
        kit.portal.desk.request_supplement(officer.id, dossier.id, note)
    assert caught.value.field == "note"


def test_a_note_may_span_lines(kit: PortalKit) -> None:
    officer = kit.officer(WARD)
    dossier = kit.submitted(HKD)
    changed = kit.portal.desk.request_supplement(
        officer.id, dossier.id, "Bổ sung:\n\t1. Bản sao CCCD\r\n\t2. Ảnh"
    )
    assert changed.history[-1].note.startswith("Bổ sung:\n")


@pytest.mark.parametrize(
    "address", ["1 Lê Lợi\x00", "\u202e1 Lê Lợi", "1 Lê Lợi\n2 Lê Lợi", "x" * 600]
)
def test_a_home_address_is_checked_like_the_applicants_address(
    kit: PortalKit, address: str
) -> None:
    draft = kit.draft(HKD)
    with pytest.raises(InvalidInput) as caught:
        kit.portal.dossiers.choose_home_services(kit.citizen.id, draft.id, delivery_address=address)
    assert caught.value.field == "home_delivery.address"


# --- finding 6: permission refusals are security events --------------------------------------


def test_an_officer_acting_for_another_agency_is_logged(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    other = kit.officer(BUILD)
    dossier = kit.submitted(HKD)
    with (
        caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name),
        pytest.raises(PermissionDenied),
    ):
        kit.portal.desk.receive(other.id, dossier.id)
    [record] = _events(caplog, "permission.denied")
    assert record.levelno == logging.WARNING
    fields = record.onestop_fields  # type: ignore[attr-defined]
    assert fields["actor_id"] == other.id
    assert fields["dossier_id"] == dossier.id
    _assert_nothing_personal(record)


def test_an_inactive_officer_is_logged(kit: PortalKit, caplog: pytest.LogCaptureFixture) -> None:
    officer = builders.officer(agency=AgencyCode.parse(WARD), active=False)
    with kit.storage.unit_of_work() as uow:
        uow.officers.add(officer)
        uow.commit()
    with (
        caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name),
        pytest.raises(PermissionDenied),
    ):
        kit.portal.desk.queue(officer.id)
    [record] = _events(caplog, "permission.denied")
    assert record.onestop_fields["actor_id"] == officer.id  # type: ignore[attr-defined]


def test_a_citizen_reading_someone_elses_dossier_is_logged(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    dossier = kit.submitted(HKD)
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name):
        with pytest.raises(DossierNotFound):  # still told nothing more than "not found"
            kit.portal.dossiers.get(kit.stranger.id, dossier.id)
        with pytest.raises(DossierNotFound):
            kit.portal.dossiers.progress(kit.stranger.id, dossier.id)
    records = _events(caplog, "permission.denied")
    assert len(records) == 2
    for record in records:
        fields = record.onestop_fields  # type: ignore[attr-defined]
        assert fields == {"actor_id": kit.stranger.id, "dossier_id": dossier.id}
        _assert_nothing_personal(record)


def test_an_unknown_dossier_is_not_a_permission_event(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.DEBUG, logger=SECURITY_LOGGER.name),
        pytest.raises(DossierNotFound),
    ):
        kit.portal.dossiers.get(kit.stranger.id, "no-such-dossier")
    assert _events(caplog, "permission.denied") == []


def test_a_hostile_actor_id_is_logged_safely(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    dossier = kit.submitted(HKD)
    forged = "x\r\nFAKE LOG LINE " + "y" * 500
    with (
        caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name),
        pytest.raises(DossierNotFound),
    ):
        kit.portal.dossiers.get(forged, dossier.id)
    [record] = _events(caplog, "permission.denied")
    shown = record.onestop_fields["actor_id"]  # type: ignore[attr-defined]
    assert "\n" not in shown
    assert len(shown) <= 100


def _assert_nothing_personal(record: logging.LogRecord) -> None:
    text = record.getMessage() + repr(record.onestop_fields)  # type: ignore[attr-defined]
    for private in (ID_NUMBER, PHONE, "Nguyễn", "an.nguyen@example.vn", "Trần Hưng Đạo"):
        assert private not in text


@pytest.mark.parametrize("value", [None, 1, b"id", "\ud800", ["officer-1"]], ids=show_value)
def test_an_actor_refuses_an_id_or_name_that_is_not_text(value: object) -> None:
    """Before: any value was kept, and reached the history and the decision."""
    with pytest.raises(InvalidInput) as caught:
        Actor.officer(value)  # type: ignore[arg-type]
    assert caught.value.field == "actor.id"
    with pytest.raises(InvalidInput) as caught:
        Actor.applicant("account-1", value)  # type: ignore[arg-type]
    assert caught.value.field == "actor.name"
    with pytest.raises(InvalidInput) as caught:
        Actor("officer", "officer-1")  # type: ignore[arg-type]
    assert caught.value.field == "actor.kind"
