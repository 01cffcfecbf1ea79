"""Hostile input on the domain, serialization and the catalog file loader (issue 8).

Every public constructor, named constructor and parser of the domain's codes, money,
calendar, catalog, payments, mail, events and statuses, plus ``serialization`` and
``CatalogService.load_json``, answers any input (any type, size or nesting) either normally
or with an :class:`~onestop.errors.OnestopError`; wrong input is an ``InvalidInput`` naming
the field. Named tests pin each finding of the issue; property tests throw
:func:`~tests.strategies.hostile_domain.anything` at every entry point.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop import serialization
from onestop.adapters import InMemoryStorage, ManualClock
from onestop.application.context import Settings
from onestop.bootstrap import Portal, bootstrap
from onestop.calendars import fixed_vietnam_holidays, vietnam_calendar
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.catalog import (
    Agency,
    Component,
    FeesDue,
    Field,
    Procedure,
    fold_diacritics,
)
from onestop.domain.codes import (
    SCHEME_2018,
    SCHEME_WIDE,
    AgencyCode,
    CodeScheme,
    DossierCode,
    local_day,
    local_time,
    require_aware,
)
from onestop.domain.events import DossierDecided, DossierRescheduled, PaymentRequested
from onestop.domain.mail import MailMessage, OutboxEntry
from onestop.domain.money import (
    MAX_VND,
    FeeItem,
    FeeKind,
    FeeLine,
    check_amount,
    check_quantity,
    format_vnd,
    total,
)
from onestop.domain.payments import Payment, PaymentOutcome, PaymentState
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    InvalidAgencyCode,
    InvalidCatalog,
    InvalidDocument,
    InvalidDossierCode,
    InvalidInput,
    InvalidMoney,
    NaiveDatetime,
    OnestopError,
)
from tests.strategies.hostile_domain import anything, calls_answer_or_refuse, hostile_json

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = dt.date(2026, 3, 2)
H34 = AgencyCode("H34")
WARD = AgencyCode("H34", 1, 2, 3)
CATALOG_FILE = Path(__file__).resolve().parent.parent / "data" / "catalog.json"

#: Generous for a loaded 2-core machine, still a fraction of a second per call.
hostile = settings(deadline=500, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def one_of_or_hostile(*valid: object) -> st.SearchStrategy[object]:
    """Mostly a valid value, so calls get past their first check; else anything at all."""
    return st.one_of(st.sampled_from(valid), anything())


def assert_safe(outcome: object) -> None:
    """An error the library raised on purpose must print, whatever value it holds."""
    if isinstance(outcome, OnestopError):
        assert str(outcome)
        if isinstance(outcome, InvalidInput):
            assert outcome.field and outcome.rule


# --- the findings, one by one -------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [-(10**5000), 10**5000, MAX_VND * 10**13],
    ids=["minus 10**5000", "10**5000", "past 30 digits"],
)
def test_format_vnd_of_an_absurd_amount_is_invalid_money(amount: int) -> None:
    """format_vnd(-10**5000) used to fail building its own error: now InvalidMoney."""
    with pytest.raises(InvalidMoney) as caught:
        format_vnd(amount)
    assert caught.value.field == "amount"
    assert "digits" in str(caught.value) or "at most" in str(caught.value)


def test_an_agency_code_with_an_absurd_level_is_invalid() -> None:
    """AgencyCode("H34", 10**5000) used to fail building its error: now InvalidAgencyCode."""
    with pytest.raises(InvalidAgencyCode) as caught:
        AgencyCode("H34", 10**5000)
    assert caught.value.field == "agency_code.level2"
    assert "integer of about 5001 digits" in str(caught.value)


def test_format_day_refuses_a_datetime() -> None:
    """A datetime where a date belongs used to raise TypeError: now InvalidDossierCode."""
    for day in (dt.datetime(2022, 6, 22, 9), NOW, "2022-06-22", None, 20220622):
        with pytest.raises(InvalidDossierCode) as caught:
            SCHEME_2018.format_day(day)  # type: ignore[arg-type]
        assert caught.value.field == "dossier_code.day"
        assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize("value", [None, 0, "2026-03-02T02:00:00+00:00", DAY, [NOW]])
def test_local_day_refuses_what_is_not_a_datetime(value: object) -> None:
    """local_day(None) used to raise AttributeError: now InvalidInput naming the instant."""
    for function in (local_day, local_time):
        with pytest.raises(InvalidInput) as caught:
            function(value)  # type: ignore[arg-type]
        assert caught.value.field == "instant"


def test_local_day_of_a_naive_datetime_is_naive_datetime() -> None:
    """A naive datetime stays a NaiveDatetime (an InvalidInput)."""
    with pytest.raises(NaiveDatetime):
        local_day(dt.datetime(2026, 3, 2, 9))
    with pytest.raises(NaiveDatetime):
        require_aware(dt.datetime(2026, 3, 2, 9), "submitted_at")


def test_local_time_at_the_edges_of_time_is_invalid_input() -> None:
    """The last instant in UTC has no local time in Vietnam: InvalidInput, not OverflowError."""
    with pytest.raises(InvalidInput) as caught:
        local_day(dt.datetime.max.replace(tzinfo=UTC))
    assert caught.value.field == "instant"


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("[]", "$: must be a JSON object"),
        (b"\xff", "UTF-8"),
        ("[" * 100_000, "more than 32 deep"),
        ("[" + "]" * 100_000, "brackets do not pair up"),
        ("[" * 100_000 + "]" * 100_000, "more than 32 deep"),
        ("1" * 5000, "more than 40 digits"),
        ('{"code": 1' + "0" * 5000 + "}", "more than 40 digits"),
        ("NaN", "NaN"),
        ("[1e999]", "range of a float"),
        ("{", "not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
    ],
)
def test_loads_refuses_bad_documents_with_invalid_document(
    document: str | bytes, says: str
) -> None:
    """The issue's four (AttributeError, UnicodeDecodeError, RecursionError, ValueError) and
    their cousins are one InvalidDocument each, in well under a second."""
    began = time.perf_counter()
    with pytest.raises(InvalidDocument) as caught:
        serialization.loads(document, Procedure)
    assert time.perf_counter() - began < 0.5
    assert caught.value.field == "document"
    assert says in caught.value.rule


def test_loads_names_where_in_the_document_each_problem_is() -> None:
    """Paths point into the document: $.components[0].copies, $.fees_due, unknown keys."""
    document = (
        '{"code": "1.000001", "name": "Cấp phép", "agency": "000.00.00.H34", "field": "xd",'
        ' "working_days": 3, "components": [{"id": "a", "name": "A", "copies": -1}, []],'
        ' "fees_due": "later", "extra": 1}'
    )
    with pytest.raises(InvalidDocument) as caught:
        serialization.loads(document, Procedure)
    rule = caught.value.rule
    assert "$.components[0].copies" in rule or "$.components[0]" in rule
    assert "$.components[1]: must be a JSON object" in rule
    assert "$.fees_due: must be one of 'at_submission'" in rule
    assert "'extra'" in rule


def test_loads_refuses_what_is_not_text_or_bytes() -> None:
    """A dict or None handed to loads is InvalidDocument, not TypeError."""
    for value in (None, {}, 12, ["[]"]):
        with pytest.raises(InvalidDocument):
            serialization.loads(value, Procedure)  # type: ignore[arg-type]


def test_a_document_over_the_size_limit_is_refused_before_parsing() -> None:
    """max_size counts characters of text, bytes of bytes."""
    with pytest.raises(InvalidDocument) as caught:
        serialization.loads("[" + "1," * 100 + "1]", list[int], max_size=50)
    assert "at most 50" in caught.value.rule
    assert serialization.loads("[1, 2]", list[int], max_size=50) == [1, 2]


def test_nesting_up_to_the_limit_is_read() -> None:
    """Exactly MAX_DOCUMENT_DEPTH levels parse; brackets inside strings do not count."""
    depth = serialization.MAX_DOCUMENT_DEPTH
    assert serialization.parse_json("[" * depth + "]" * depth) is not None
    assert serialization.parse_json('["' + "[" * 100 + '"]') == ["[" * 100]
    assert serialization.parse_json('["\\"' + "{" * 100 + '"]') == ['"' + "{" * 100]


def test_dumps_refuses_what_it_cannot_write() -> None:
    """An arbitrary object, NaN or deep nesting: InvalidInput, not TypeError or ValueError."""
    nested: list[Any] = []
    for _ in range(5000):
        nested = [nested]
    for value in (object(), float("nan"), 10**5000, nested):
        with pytest.raises(InvalidInput):
            serialization.dumps(value)


def test_an_unknown_national_status_code_is_invalid_input() -> None:
    """from_national_code used to raise a bare ValueError; a bool is not a code."""
    assert DossierStatus.from_national_code(2) is DossierStatus.RECEIVED
    for code in (0, 11, True, 2.0, "2", None, 10**5000):
        with pytest.raises(InvalidInput) as caught:
            DossierStatus.from_national_code(code)  # type: ignore[arg-type]
        assert caught.value.field == "national_code"


def test_a_payment_outcome_must_be_a_payment_outcome() -> None:
    """settle("paid") used to fall through to ABANDONED; now InvalidInput, nothing changes."""
    payment = Payment("p1", "d1", 100_000, "fake", "TXN1", NOW)
    for outcome in ("paid", None, 1):
        with pytest.raises(InvalidInput):
            payment.settle(outcome, amount=100_000, now=NOW)  # type: ignore[arg-type]
    assert payment.state is PaymentState.PENDING
    with pytest.raises(OnestopError) as caught:
        payment.settle(PaymentOutcome.PAID, amount=10**5000, now=NOW)
    assert "digits" in str(caught.value)
    assert payment.state is PaymentState.PENDING


def test_vietnam_calendar_refuses_absurd_years_at_once() -> None:
    """range(2000, 10**9) stops at the hundredth year instead of computing them all."""
    began = time.perf_counter()
    with pytest.raises(InvalidInput) as caught:
        vietnam_calendar(range(2000, 10**9))
    assert caught.value.field == "years"
    assert time.perf_counter() - began < 0.5


def test_a_procedure_cannot_take_longer_than_the_calendar_counts() -> None:
    """working_days above MAX_WORKING_DAYS is refused when the catalog is built."""
    with pytest.raises(InvalidCatalog) as caught:
        Procedure(
            code="1.000001",
            name="Cấp phép",
            agency=H34,
            field="xd",
            working_days=10**9,
            components=[Component("a", "A")],
        )
    assert caught.value.field == "procedure.working_days"


# --- load_json ------------------------------------------------------------------------------


def make_portal() -> Portal:
    return bootstrap(
        storage=InMemoryStorage(),
        clock=ManualClock(NOW),
        secret_key="test-secret-key-for-hostile-catalogs",
        calendar=WorkingCalendar(),
        settings=Settings(page_size=5, max_page_size=7),
        environ={},
    )


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    """An empty catalog; no hostile file ever loads, so it stays empty."""
    with make_portal() as p:
        yield p


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (b"[]", 'must be a JSON object like {"agencies"'),
        (b"\xff", "UTF-8"),
        (b"[" * 100_000, "more than 32 deep"),
        (b"[" + b"]" * 100_000, "brackets do not pair up"),
        (b"1" * 5000, "more than 40 digits"),
        (b'{"procedures": {}}', "procedures: must be a JSON list"),
        (b'{"agencies": [{"code": 1' + b"0" * 50 + b"}]}", "more than 40 digits"),
    ],
)
def test_load_json_refuses_bad_files_with_invalid_catalog(
    portal: Portal, document: bytes, says: str
) -> None:
    """The issue's findings for the catalog file are InvalidCatalog naming the problem."""
    with pytest.raises(InvalidCatalog) as caught:
        portal.catalog.load_json_text(document)
    assert caught.value.field == "catalog"
    assert says in caught.value.rule
    assert portal.catalog.list_agencies() == ()


def test_load_json_refuses_paths_that_cannot_be_read(portal: Portal, tmp_path: Path) -> None:
    """A NUL in the path, a directory, a missing file, a file used as a directory."""
    a_file = tmp_path / "catalog.json"
    a_file.write_bytes(CATALOG_FILE.read_bytes())
    # A lone surrogate never gets this far: the service's argument check refuses it.
    with pytest.raises(InvalidInput):
        portal.catalog.load_json(str(tmp_path / "\ud800.json"))
    for path in (
        "catalog\x00.json",
        tmp_path,
        tmp_path / "missing.json",
        a_file / "inside.json",
    ):
        with pytest.raises(InvalidCatalog) as caught:
            portal.catalog.load_json(path)
        assert caught.value.field == "catalog"
    if os.geteuid() != 0:  # root reads whatever the mode says
        a_file.chmod(0)
        with pytest.raises(InvalidCatalog) as caught:
            portal.catalog.load_json(a_file)
        assert "cannot be read" in caught.value.rule


def test_load_json_refuses_a_file_over_the_size_limit(
    portal: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files larger than MAX_CATALOG_FILE_SIZE are refused without reading them whole."""
    from onestop.application import catalog as catalog_module

    monkeypatch.setattr(catalog_module, "MAX_CATALOG_FILE_SIZE", 100)
    big = tmp_path / "big.json"
    big.write_bytes(b'{"agencies": [' + b" " * 1000 + b"]}")
    with pytest.raises(InvalidCatalog) as caught:
        portal.catalog.load_json(big)
    assert "at most 100" in caught.value.rule


@hostile
@given(document=hostile_json())
def test_load_json_answers_any_document(portal: Portal, document: str | bytes) -> None:
    """Any text or bytes at all: a report or InvalidCatalog."""
    outcome = calls_answer_or_refuse(portal.catalog.load_json_text, document)
    assert_safe(outcome)
    # The service's argument check refuses text with a lone surrogate (InvalidInput) first.
    assert isinstance(outcome, InvalidInput) or outcome.procedures == 0  # type: ignore[union-attr]


# --- any input to every constructor and parser ----------------------------------------------

COMPONENT = Component("giay-to", "Giấy tờ")
PROCEDURE_ARGUMENTS: dict[str, tuple[object, ...]] = {
    "code": ("1.000001",),
    "name": ("Cấp phép xây dựng",),
    "agency": (H34, WARD),
    "field": ("xay-dung",),
    "working_days": (0, 15),
    "components": ((COMPONENT,), [COMPONENT]),
    "fees": ((), [FeeItem(FeeKind.LE_PHI, 50_000, "Lệ phí")]),
    "fees_due": tuple(FeesDue),
    "home_pickup": (False, True),
    "home_delivery": (False, True),
    "cutoff": (None, dt.time(15)),
    "description": ("", "Mô tả"),
    "online": (True, False),
}
COMPONENT_ARGUMENTS: dict[str, tuple[object, ...]] = {
    "id": ("giay-to",),
    "name": ("Giấy tờ",),
    "originals": (0, 1),
    "copies": (0, 2),
    "mandatory": (True, False),
    "media_types": (frozenset({"application/pdf"}), ["Image/JPEG; q=1"]),
    "max_bytes": (1, 10**6),
}


def arguments(table: dict[str, tuple[object, ...]]) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({name: one_of_or_hostile(*valid) for name, valid in table.items()})


ONE_ARGUMENT_CALLS: dict[str, Callable[[Any], object]] = {
    # codes
    "AgencyCode.level1": lambda v: AgencyCode(v),
    "AgencyCode.level2": lambda v: AgencyCode("H34", v),
    "AgencyCode.level4": lambda v: AgencyCode("H34", 1, 1, v),
    "AgencyCode.parse": AgencyCode.parse,
    "AgencyCode.is_ancestor_of": H34.is_ancestor_of,
    "CodeScheme.name": lambda v: CodeScheme(v),
    "CodeScheme.date_pattern": lambda v: CodeScheme("x", v),
    "CodeScheme.seq_width": lambda v: CodeScheme("x", "YYMMDD", v),
    "CodeScheme.separator": lambda v: CodeScheme("x", "YYMMDD", 4, v),
    "format_day": SCHEME_2018.format_day,
    "parse_day": SCHEME_WIDE.parse_day,
    "format_seq": SCHEME_2018.format_seq,
    "parse_seq": SCHEME_2018.parse_seq,
    "DossierCode.agency": lambda v: DossierCode(v, DAY, 1),
    "DossierCode.day": lambda v: DossierCode(H34, v, 1),
    "DossierCode.seq": lambda v: DossierCode(H34, DAY, v),
    "DossierCode.scheme": lambda v: DossierCode(H34, DAY, 1, v),
    "DossierCode.parse": DossierCode.parse,
    "DossierCode.parse.scheme": lambda v: DossierCode.parse("000.00.03.H34-220622-0001", v),
    "DossierCode.for_submission": lambda v: DossierCode.for_submission(H34, v, 1),
    "local_day": local_day,
    "local_time": local_time,
    "require_aware": lambda v: require_aware(v, "field"),
    # money
    "check_amount": lambda v: check_amount(v, "amount"),
    "check_quantity": lambda v: check_quantity(v, "quantity"),
    "format_vnd": format_vnd,
    "total": total,
    "total.line": lambda v: total([FeeLine(FeeKind.PHI, 1, 1, "x"), v]),
    "FeeItem.kind": lambda v: FeeItem(v, 1, "x"),
    "FeeItem.unit_amount": lambda v: FeeItem(FeeKind.PHI, v, "x"),
    "FeeItem.description": lambda v: FeeItem(FeeKind.PHI, 1, v),
    "FeeItem.quantity": lambda v: FeeItem(FeeKind.PHI, 1, "x", v),
    "FeeLine.quantity": lambda v: FeeLine(FeeKind.PHI, v, 1, "x"),
    # calendar
    "WorkingCalendar.weekend": lambda v: WorkingCalendar(weekend=v),
    "WorkingCalendar.holidays": lambda v: WorkingCalendar(holidays=v),
    "WorkingCalendar.makeup_days": lambda v: WorkingCalendar(makeup_days=v),
    "with_holidays": lambda v: WorkingCalendar().with_holidays(v),
    "with_makeup_days": lambda v: WorkingCalendar().with_makeup_days(v),
    "is_working_day": WorkingCalendar().is_working_day,
    "next_working_day": WorkingCalendar().next_working_day,
    "add_working_days.start": lambda v: WorkingCalendar().add_working_days(v, 3),
    "add_working_days.n": lambda v: WorkingCalendar().add_working_days(DAY, v),
    "working_days_between.start": lambda v: WorkingCalendar().working_days_between(v, DAY),
    "working_days_between.end": lambda v: WorkingCalendar().working_days_between(DAY, v),
    "due_date.received_at": lambda v: WorkingCalendar().due_date(v, 3),
    "due_date.working_days": lambda v: WorkingCalendar().due_date(NOW, v),
    "due_date.cutoff": lambda v: WorkingCalendar().due_date(NOW, 3, v),
    "extend.due": lambda v: WorkingCalendar().extend(v, 3),
    "extend.working_days": lambda v: WorkingCalendar().extend(DAY, v),
    "fixed_vietnam_holidays": fixed_vietnam_holidays,
    "vietnam_calendar.years": vietnam_calendar,
    "vietnam_calendar.extra_holidays": lambda v: vietnam_calendar([2026], extra_holidays=v),
    "vietnam_calendar.makeup_days": lambda v: vietnam_calendar([2026], makeup_days=v),
    # catalog
    "Agency.code": lambda v: Agency(v, "UBND"),
    "Agency.name": lambda v: Agency(H34, v),
    "Agency.parent": lambda v: Agency(WARD, "UBND", v),
    "Field.id": lambda v: Field(v, "Xây dựng"),
    "Field.name": lambda v: Field("xay-dung", v),
    "Component.check_file.media_type": lambda v: COMPONENT.check_file(v, 10),
    "Component.check_file.size": lambda v: COMPONENT.check_file("application/pdf", v),
    "fold_diacritics": fold_diacritics,
    "Procedure.matches": lambda v: Procedure(
        **{k: valid[0] for k, valid in PROCEDURE_ARGUMENTS.items()}
    ).matches(v),
    "Procedure.component": lambda v: Procedure(
        **{k: valid[0] for k, valid in PROCEDURE_ARGUMENTS.items()}
    ).component(v),
    # statuses, events, payments, mail
    "DossierStatus.from_national_code": DossierStatus.from_national_code,
    "DossierDecided.approved": lambda v: DossierDecided(NOW, "d1", v, "ok"),
    "DossierRescheduled.new_due_date": lambda v: DossierRescheduled(NOW, "d1", None, v, "x"),
    "PaymentRequested.at": lambda v: PaymentRequested(v, "d1", 10),
    "Payment.amount": lambda v: Payment("p1", "d1", v, "fake", "T1", NOW),
    "Payment.created_at": lambda v: Payment("p1", "d1", 10, "fake", "T1", v),
    "Payment.id": lambda v: Payment(v, "d1", 10, "fake", "T1", NOW),
    "Payment.settle.outcome": lambda v: Payment("p1", "d1", 10, "f", "T1", NOW).settle(
        v, amount=10, now=NOW
    ),
    "Payment.settle.amount": lambda v: Payment("p1", "d1", 10, "f", "T1", NOW).settle(
        PaymentOutcome.PAID, amount=v, now=NOW
    ),
    "Payment.settle.now": lambda v: Payment("p1", "d1", 10, "f", "T1", NOW).settle(
        PaymentOutcome.FAILED, amount=10, now=v
    ),
    "Payment.abandon.reason": lambda v: Payment("p1", "d1", 10, "f", "T1", NOW).abandon(
        now=NOW, reason=v
    ),
    "MailMessage.to": lambda v: MailMessage(v, "Tiêu đề", "Nội dung"),
    "MailMessage.subject": lambda v: MailMessage("a@b.vn", v, "Nội dung"),
    "MailMessage.text": lambda v: MailMessage("a@b.vn", "Tiêu đề", v),
    "OutboxEntry.created_at": lambda v: OutboxEntry("o1", MailMessage("a@b.vn", "T", "N"), v),
    "OutboxEntry.is_due": lambda v: OutboxEntry("o1", MailMessage("a@b.vn", "T", "N"), NOW).is_due(
        v
    ),
    "OutboxEntry.claim.lease": lambda v: OutboxEntry(
        "o1", MailMessage("a@b.vn", "T", "N"), NOW
    ).claim("w1", now=NOW, lease=v),
    # serialization
    "serialization.dumps": serialization.dumps,
    "serialization.structure.Procedure": lambda v: serialization.structure(v, Procedure),
    "serialization.structure.DossierCode": lambda v: serialization.structure(v, DossierCode),
    "serialization.structure.datetime": lambda v: serialization.structure(v, dt.datetime),
    "serialization.structure.FeeLine": lambda v: serialization.structure(v, FeeLine),
}


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT_CALLS))
@hostile
@given(value=anything())
def test_any_single_argument_gets_an_answer_or_an_onestop_error(name: str, value: object) -> None:
    """Each call, with one argument replaced by anything at all, works or raises OnestopError."""
    assert_safe(calls_answer_or_refuse(ONE_ARGUMENT_CALLS[name], value))


@hostile
@given(arguments(PROCEDURE_ARGUMENTS))
def test_a_procedure_from_any_arguments_is_built_or_refused(kwargs: dict[str, object]) -> None:
    """Every argument valid or hostile at once: a Procedure or InvalidCatalog/InvalidInput."""
    outcome = calls_answer_or_refuse(Procedure, **kwargs)
    assert_safe(outcome)
    assert isinstance(outcome, Procedure | InvalidInput)


@hostile
@given(arguments(COMPONENT_ARGUMENTS))
def test_a_component_from_any_arguments_is_built_or_refused(kwargs: dict[str, object]) -> None:
    """Every argument valid or hostile at once: a Component or InvalidCatalog."""
    outcome = calls_answer_or_refuse(Component, **kwargs)
    assert_safe(outcome)
    assert isinstance(outcome, Component | InvalidCatalog)


LEVELS = st.one_of(st.integers(0, 99), anything())


@hostile
@given(st.one_of(st.sampled_from(["H34", "G12"]), anything()), LEVELS, LEVELS, LEVELS)
def test_an_agency_code_from_any_levels_is_built_or_refused(
    level1: object, level2: object, level3: object, level4: object
) -> None:
    """AgencyCode with any four levels: a code or InvalidAgencyCode."""
    outcome = calls_answer_or_refuse(AgencyCode, level1, level2, level3, level4)
    assert_safe(outcome)
    assert isinstance(outcome, AgencyCode | InvalidAgencyCode)


@hostile
@given(
    st.one_of(st.sampled_from([WorkingCalendar(), WorkingCalendar(weekend=range(7))]), anything()),
    one_of_or_hostile(NOW, dt.datetime.max.replace(tzinfo=UTC)),
    one_of_or_hostile(0, 1, 30, 3660, 3661, 10**9),
    one_of_or_hostile(None, dt.time(15), dt.time(0)),
)
def test_a_due_date_from_any_arguments_is_found_or_refused(
    calendar: object, received_at: object, working_days: object, cutoff: object
) -> None:
    """due_date with any arguments at once: a date, or an InvalidInput naming one of them."""
    if not isinstance(calendar, WorkingCalendar):
        return
    outcome = calls_answer_or_refuse(calendar.due_date, received_at, working_days, cutoff)
    assert_safe(outcome)
    assert isinstance(outcome, dt.date | InvalidInput)


@pytest.mark.parametrize(
    "cls", [Procedure, AgencyCode, DossierCode, Agency, FeeLine, dt.datetime, list[Component]]
)
@hostile
@given(document=hostile_json())
def test_loads_answers_any_document(cls: type[Any], document: str | bytes) -> None:
    """Any text or bytes, for any type: a value, or InvalidDocument naming the problem."""
    outcome = calls_answer_or_refuse(serialization.loads, document, cls)
    assert_safe(outcome)
    if isinstance(outcome, OnestopError):
        assert isinstance(outcome, InvalidDocument)
