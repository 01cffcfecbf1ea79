"""Deadline policies end to end: each rule by name, and property tests of the fast index and
of both supplement rules against slow references that walk day by day or minute by minute
(holidays, make-up days, Saturday mornings, cutoffs, a year boundary)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from onestop import errors
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.catalog import Procedure
from onestop.domain.codes import VN_TZ
from onestop.domain.deadlines import DeadlinePolicy, Deadlines, OfficeHours, TimeLimit
from onestop.domain.dossier import Actor, Dossier, DueDateReason
from onestop.domain.statuses import DossierStatus
from onestop.testing import builders
from tests.unit.test_deadlines import _reference_due, _reference_waited, _reference_walk

CLERK = Actor.officer("officer-1", "Trần Thị Bình")
#: Around New Year 2026: 1 January off, Tết from 16 to 20 February, a make-up Saturday on
#: 3 January, and a day off swapped onto Friday 2 January.
HOLIDAYS = frozenset(
    {dt.date(2026, 1, 1), dt.date(2026, 1, 2)}
    | {dt.date(2026, 2, 16) + dt.timedelta(days=i) for i in range(5)}
)
MAKEUP = frozenset({dt.date(2026, 1, 3)})
WEEKDAYS = Deadlines(WorkingCalendar(holidays=HOLIDAYS, makeup_days=MAKEUP))
SATURDAY_MORNINGS = Deadlines(
    WorkingCalendar(weekend={6}, holidays=HOLIDAYS, makeup_days=MAKEUP),
    OfficeHours(by_weekday={5: ((dt.time(7, 30), dt.time(11, 30)),)}),
)
OFFICES = (WEEKDAYS, SATURDAY_MORNINGS)


def vn(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN_TZ)


def _reference_due_date(
    calendar: WorkingCalendar, received: dt.datetime, days: int, cutoff: dt.time | None
) -> dt.date:
    """The day rule read literally, one day at a time: counting starts on the day of
    receipt, or on the next working day when it is not one or the cutoff has passed."""
    local = received.astimezone(VN_TZ)
    day = local.date()
    if not calendar.is_working_day(day) or (cutoff is not None and local.time() >= cutoff):
        days += 1
    while days:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            days -= 1
    return day


instants = st.datetimes(
    min_value=dt.datetime(2025, 12, 20), max_value=dt.datetime(2026, 2, 20)
).map(lambda t: t.replace(tzinfo=VN_TZ))
cutoffs = st.none() | st.sampled_from([dt.time(15, 0), dt.time(16, 30), dt.time(7, 0)])


# --- the index against the references --------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(OFFICES), instants, st.integers(0, 60), cutoffs)
def test_day_limits_match_the_day_walk(
    office: Deadlines, received: dt.datetime, days: int, cutoff: dt.time | None
) -> None:
    """A limit in working days ends on the day that walking day by day gives, at the end of
    that day's last session."""
    due = office.due(received, DeadlinePolicy(TimeLimit(days), cutoff))
    day = _reference_due_date(office.calendar, received, days, cutoff)
    assert due == office.due_on(day)
    assert due.date() == day


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(OFFICES), instants, st.integers(1, 40), cutoffs)
def test_hour_limits_across_the_new_year_match_the_minute_walk(
    office: Deadlines, received: dt.datetime, hours: int, cutoff: dt.time | None
) -> None:
    """Up to 40 working hours across New Year, Tết, a make-up Saturday and Saturday
    mornings: the per-year index lands where the minute walk does."""
    policy = DeadlinePolicy(TimeLimit(hours, "hours"), cutoff)
    assert office.due(received, policy) == _reference_due(office, received, policy)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(OFFICES), instants, st.integers(0, 30 * 24 * 60))
def test_working_minutes_between_match_the_minute_walk(
    office: Deadlines, start: dt.datetime, length: int
) -> None:
    """Counting working minutes between two instants, even across a year, is exact."""
    end = start + dt.timedelta(minutes=length)
    assert office.working_minutes_between(start, end) == _reference_waited(office, start, end)


def test_a_long_limit_far_in_the_future_is_computed_without_walking() -> None:
    """2,000 working hours from December 9998 reach into the last year there is."""
    office = Deadlines()
    due = office.add_working_minutes(vn(12, 1, year=9998), 2000 * 60)
    assert due.year == 9999
    assert office.working_minutes_between(vn(12, 1, year=9998), due) == 2000 * 60


# --- the dossier: receipt and both supplement rules -----------------------------------------


def _procedure(
    *,
    days: int | None = None,
    hours: int | None = None,
    rule: str | None = None,
    cutoff: dt.time | None = None,
) -> Procedure:
    return builders.procedure(
        working_days=days,
        working_hours=hours,
        supplement_rule=rule,  # type: ignore[arg-type]
        cutoff=cutoff,
    )


def _received(procedure: Procedure, office: Deadlines, at: dt.datetime) -> Dossier:
    dossier = builders.submitted_dossier(procedure=procedure, now=at - dt.timedelta(minutes=5))
    dossier.receive(officer=CLERK, now=at, calendar=office)
    return dossier


def test_a_procedure_in_working_hours_gets_a_due_time() -> None:
    """8 working hours from Wednesday 14:00: 3h that afternoon, 4h30 on Thursday morning,
    and the last 30 minutes after lunch: due Thursday 14:00."""
    dossier = _received(_procedure(hours=8), WEEKDAYS, vn(1, 7, 14))
    assert dossier.due_at == vn(1, 8, 14, 0)
    assert dossier.due_date == dt.date(2026, 1, 8)
    assert dossier.history[-1].note == "Hẹn trả kết quả lúc 14:00 ngày 08/01/2026"


def test_a_procedure_without_a_cutoff_counts_from_a_late_receipt() -> None:
    """No cutoff: received 16:45 on a working day, 1 working day is the next day."""
    dossier = _received(_procedure(days=1, cutoff=None), WEEKDAYS, vn(1, 7, 16, 45))
    assert dossier.due_date == dt.date(2026, 1, 8)
    with_cutoff = _received(_procedure(days=1, cutoff=dt.time(15)), WEEKDAYS, vn(1, 7, 16, 45))
    assert with_cutoff.due_date == dt.date(2026, 1, 9)


def test_restart_gives_the_whole_limit_from_the_complete_dossier() -> None:
    """restart: received Monday 5/1, 3 days (due Thursday 8/1); complete again on Thursday
    8/1 at 10:00: 3 working days from then, Tuesday 13/1."""
    dossier = _received(_procedure(days=3, rule="restart"), WEEKDAYS, vn(1, 5))
    assert dossier.due_date == dt.date(2026, 1, 8)
    dossier.request_supplement(officer=CLERK, now=vn(1, 6), note="Thiếu bản sao")
    owner = Actor.applicant(dossier.owner_id)
    dossier.resubmit(actor=owner, now=vn(1, 8, 10), calendar=WEEKDAYS)
    assert dossier.due_date == dt.date(2026, 1, 13)
    assert [(c.due_date, c.reason) for c in dossier.due_dates] == [
        (dt.date(2026, 1, 8), DueDateReason.RECEIPT),
        (dt.date(2026, 1, 13), DueDateReason.SUPPLEMENT),
    ]
    assert dossier.due_dates[-1].by == owner


def test_exclude_wait_moves_the_due_date_by_the_working_days_waited() -> None:
    """exclude_wait: asked Tuesday 6/1, complete Thursday 8/1: two working days later."""
    dossier = _received(_procedure(days=3, rule="exclude_wait"), WEEKDAYS, vn(1, 5))
    dossier.request_supplement(officer=CLERK, now=vn(1, 6), note="Thiếu bản sao")
    dossier.resubmit(actor=Actor.applicant(dossier.owner_id), now=vn(1, 8, 10), calendar=WEEKDAYS)
    assert dossier.due_date == dt.date(2026, 1, 12)


def test_the_portal_rule_applies_when_the_procedure_has_none() -> None:
    """supplement_rule None: Deadlines.supplement (Settings.supplement_rule) decides."""
    restarting = Deadlines(WEEKDAYS.calendar, supplement="restart")
    dossier = _received(_procedure(days=3), restarting, vn(1, 5))
    dossier.request_supplement(officer=CLERK, now=vn(1, 6), note="Thiếu bản sao")
    dossier.resubmit(actor=Actor.applicant(dossier.owner_id), now=vn(1, 8, 10), calendar=restarting)
    assert dossier.due_date == dt.date(2026, 1, 13)


def test_a_pause_and_a_payment_always_exclude_the_wait() -> None:
    """Only a supplement restarts the limit: a pause and a wait for payment move it by the
    time waited, and each move is kept with its reason."""
    procedure = builders.procedure(working_days=3, supplement_rule="restart")
    dossier = _received(procedure, WEEKDAYS, vn(1, 5))  # due Thursday 8/1
    dossier.start_processing(officer=CLERK, now=vn(1, 5, 10))
    dossier.pause(officer=CLERK, now=vn(1, 5, 11), reason="Chờ")
    dossier.resume(officer=CLERK, now=vn(1, 6, 11), calendar=WEEKDAYS)  # one working day
    assert dossier.due_date == dt.date(2026, 1, 9)
    dossier.request_payment(officer=CLERK, now=vn(1, 6, 12))
    dossier.record_payment(
        payment_id="p-1", amount=dossier.amount_due, now=vn(1, 7, 12), calendar=WEEKDAYS
    )
    assert dossier.due_date == dt.date(2026, 1, 12)
    assert [c.reason for c in dossier.due_dates] == [
        DueDateReason.RECEIPT,
        DueDateReason.PAUSE,
        DueDateReason.PAYMENT,
    ]


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from(OFFICES),
    instants,
    st.integers(1, 40),
    st.sampled_from(["restart", "exclude_wait"]),
    st.integers(0, 3 * 24 * 60),
    st.integers(0, 10 * 24 * 60),
)
def test_both_supplement_rules_on_a_dossier_in_hours_match_the_minute_walk(
    office: Deadlines, received: dt.datetime, hours: int, rule: str, ask_after: int, wait: int
) -> None:
    """A dossier with a limit in working hours, asked for a supplement and completed later:
    restart counts the whole limit from the complete dossier, exclude_wait moves the due
    instant by exactly the working minutes waited."""
    dossier = _received(_procedure(hours=hours, rule=rule), office, received)
    policy = dossier.procedure.deadline
    first = dossier.due_at
    assert first == _reference_due(office, received, policy)
    asked = received + dt.timedelta(minutes=ask_after)
    complete = asked + dt.timedelta(minutes=wait)
    dossier.request_supplement(officer=CLERK, now=asked, note="Bổ sung")
    dossier.resubmit(actor=Actor.applicant(dossier.owner_id), now=complete, calendar=office)
    if rule == "restart":
        expected = _reference_due(office, complete, policy)
    else:
        waited = _reference_waited(office, asked, complete)
        expected = first if waited == 0 else _reference_walk(office, first, waited)
    assert dossier.due_at == expected
    assert dossier.due_date == expected.date()


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from(OFFICES),
    instants,
    st.integers(0, 30),
    st.sampled_from(["restart", "exclude_wait"]),
    st.integers(0, 5 * 24 * 60),
    st.integers(0, 20 * 24 * 60),
    cutoffs,
)
def test_both_supplement_rules_on_a_dossier_in_days_match_the_day_walk(
    office: Deadlines,
    received: dt.datetime,
    days: int,
    rule: str,
    ask_after: int,
    wait: int,
    cutoff: dt.time | None,
) -> None:
    """A limit in working days: restart is the day rule from the complete dossier;
    exclude_wait adds the working days d with asked < d <= complete, counted one by one."""
    dossier = _received(_procedure(days=days, rule=rule, cutoff=cutoff), office, received)
    first = dossier.due_date
    assert first == _reference_due_date(office.calendar, received, days, cutoff)
    asked = received + dt.timedelta(minutes=ask_after)
    complete = asked + dt.timedelta(minutes=wait)
    dossier.request_supplement(officer=CLERK, now=asked, note="Bổ sung")
    dossier.resubmit(actor=Actor.applicant(dossier.owner_id), now=complete, calendar=office)
    if rule == "restart":
        expected = _reference_due_date(office.calendar, complete, days, cutoff)
    else:
        day, waited = asked.astimezone(VN_TZ).date(), 0
        while day < complete.astimezone(VN_TZ).date():
            day += dt.timedelta(days=1)
            waited += office.calendar.is_working_day(day)
        expected, left = first, waited
        while left:
            expected += dt.timedelta(days=1)
            left -= office.calendar.is_working_day(expected)
    assert dossier.due_date == expected
    assert dossier.due_at is None


# --- the apology and new date ----------------------------------------------------------------


def _due_monday() -> Dossier:
    """Received Tuesday 6/1/2026 at 09:00 with 4 working days: due Monday 12/1."""
    dossier = _received(_procedure(days=4), WEEKDAYS, vn(1, 6))
    assert dossier.due_date == dt.date(2026, 1, 12)
    return dossier


def test_an_apology_on_the_working_day_before_the_due_date_is_in_time() -> None:
    """Due Monday: Friday is the working day before, the last day allowed by default."""
    dossier = _due_monday()
    dossier.reschedule(
        officer=CLERK,
        now=vn(1, 9, 16),
        new_due_date=dt.date(2026, 1, 15),
        reason="Cần xác minh",
        calendar=WEEKDAYS,
    )
    assert dossier.due_date == dt.date(2026, 1, 15)
    assert [c.reason for c in dossier.due_dates] == [DueDateReason.RECEIPT, DueDateReason.APOLOGY]
    assert dossier.due_dates[0].due_date == dt.date(2026, 1, 12)  # the old date is kept


@pytest.mark.parametrize("when", [vn(1, 10, 9), vn(1, 12, 8), vn(1, 13, 9)])
def test_an_apology_after_the_working_day_before_is_too_late(when: dt.datetime) -> None:
    """Saturday (not a working day), the due date itself and after it: too late."""
    dossier = _due_monday()
    with pytest.raises(errors.ApologyTooLate) as caught:
        dossier.reschedule(
            officer=CLERK,
            now=when,
            new_due_date=dt.date(2026, 1, 20),
            reason="Chậm",
            calendar=WEEKDAYS,
        )
    assert caught.value.latest == dt.date(2026, 1, 9)
    assert dossier.due_date == dt.date(2026, 1, 12) and len(dossier.due_dates) == 1


def test_the_portal_may_require_the_apology_earlier_or_allow_the_due_date() -> None:
    """days_before=2: Thursday at the latest; days_before=0: the due date, before it ends."""
    early = _due_monday()
    with pytest.raises(errors.ApologyTooLate):
        early.reschedule(
            officer=CLERK,
            now=vn(1, 9, 9),
            new_due_date=dt.date(2026, 1, 20),
            reason="Chậm",
            calendar=WEEKDAYS,
            days_before=2,
        )
    same_day = _due_monday()
    same_day.reschedule(
        officer=CLERK,
        now=vn(1, 12, 16),
        new_due_date=dt.date(2026, 1, 20),
        reason="Chậm",
        calendar=WEEKDAYS,
        days_before=0,
    )
    assert same_day.due_date == dt.date(2026, 1, 20)


def test_a_due_time_passed_on_the_due_date_is_too_late_even_with_zero_days_before() -> None:
    """A limit in hours due at 14:00: at 14:30 that day no apology can be sent any more."""
    dossier = _received(_procedure(hours=8), WEEKDAYS, vn(1, 7, 14))  # due 8/1 14:00
    with pytest.raises(errors.ApologyTooLate):
        dossier.reschedule(
            officer=CLERK,
            now=vn(1, 8, 14, 30),
            new_due_date=dt.date(2026, 1, 12),
            reason="Chậm",
            calendar=WEEKDAYS,
            days_before=0,
        )


def test_the_new_date_is_set_only_once() -> None:
    """A second apology is AlreadyRescheduled, even long before the new date."""
    dossier = _due_monday()
    dossier.reschedule(
        officer=CLERK,
        now=vn(1, 7),
        new_due_date=dt.date(2026, 1, 15),
        reason="Chậm",
        calendar=WEEKDAYS,
    )
    with pytest.raises(errors.AlreadyRescheduled):
        dossier.reschedule(
            officer=CLERK,
            now=vn(1, 8),
            new_due_date=dt.date(2026, 1, 30),
            reason="Chậm nữa",
            calendar=WEEKDAYS,
        )
    assert dossier.due_date == dt.date(2026, 1, 15)


@pytest.mark.parametrize("days_before", [-1, 31, True, "1", None])
def test_days_before_must_be_a_small_whole_number(days_before: object) -> None:
    dossier = _due_monday()
    with pytest.raises(errors.InvalidInput) as caught:
        dossier.reschedule(
            officer=CLERK,
            now=vn(1, 7),
            new_due_date=dt.date(2026, 1, 15),
            reason="Chậm",
            days_before=days_before,  # type: ignore[arg-type]
        )
    assert caught.value.field == "days_before"


# --- the procedure's policy -----------------------------------------------------------------


def test_a_procedure_states_its_limit_once() -> None:
    """working_days or working_hours (with working_days None), never both nor neither."""
    assert builders.procedure(working_days=5).deadline == DeadlinePolicy(TimeLimit(5), dt.time(15))
    assert builders.procedure(working_hours=8, cutoff=None).time_limit == TimeLimit(8, "hours")
    for days, hours in ((5, 8), (None, None)):
        with pytest.raises(errors.InvalidCatalog) as caught:
            Procedure(
                code="1.000001",
                name="Chứng thực bản sao",
                agency=builders.AGENCY,
                field="chung-thuc",
                working_days=days,
                working_hours=hours,
                components=(),
            )
        assert caught.value.field == "procedure.working_days"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("working_hours", 0),
        ("working_hours", 2001),
        ("working_hours", True),
        ("supplement_rule", "pause"),
        ("supplement_rule", 1),
    ],
)
def test_bad_hours_and_rules_are_refused_by_name(field: str, value: object) -> None:
    arguments: dict[str, object] = {"working_days": None, "working_hours": 8, field: value}
    with pytest.raises(errors.InvalidCatalog) as caught:
        Procedure(
            code="1.000001",
            name="Chứng thực bản sao",
            agency=builders.AGENCY,
            field="chung-thuc",
            components=(),
            **arguments,  # type: ignore[arg-type]
        )
    assert caught.value.field == f"procedure.{field}"


def test_the_receipt_form_states_a_limit_in_hours() -> None:
    """The receipt's "thời hạn giải quyết" reads 8 giờ làm việc for a limit in hours."""
    from onestop.forms import AgencyLines, form_values

    dossier = _received(_procedure(hours=8), WEEKDAYS, vn(1, 7, 14))
    values = form_values(
        "receipt",
        dossier,
        agency=AgencyLines("Phòng Tư pháp"),
        officer_name="Trần Thị Bình",
        now=vn(1, 7, 14, 5),
        portal_name="Cổng dịch vụ công",
        qr_kind="none",
    )
    assert values["dossier"].time_limit == "8 giờ làm việc"  # type: ignore[attr-defined]
    assert values["dossier"].due_date.startswith("14 giờ 00 phút")  # type: ignore[attr-defined]


# --- any order of steps ----------------------------------------------------------------------


class DueDateMachine(RuleBasedStateMachine):
    """Supplements, pauses, payments and apologies in any order: the due-date history only
    grows, ends with the current due date, moves it earlier only by a restart, and holds one
    apology at most."""

    @initialize(
        hours=st.none() | st.integers(1, 40),
        days=st.integers(0, 20),
        rule=st.sampled_from(["restart", "exclude_wait"]),
        office=st.sampled_from(OFFICES),
    )
    def receive(self, hours: int | None, days: int, rule: str, office: Deadlines) -> None:
        procedure = builders.procedure(
            working_days=None if hours else days,
            working_hours=hours,
            supplement_rule=rule,  # type: ignore[arg-type]
        )
        self.office = office
        self.restarts = rule == "restart"
        self.now = vn(1, 5, 9)
        self.dossier = _received(procedure, office, self.now)
        self.seen = list(self.dossier.due_dates)

    def _try(self, step: Callable[[], object]) -> None:
        with contextlib.suppress(
            errors.TransitionNotAllowed, errors.RescheduleRefused, errors.PaymentNotRequired
        ):
            step()

    @rule(minutes=st.integers(1, 4 * 24 * 60))
    def wait(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)

    @rule()
    def supplement(self) -> None:
        d = self.dossier
        self._try(lambda: d.request_supplement(officer=CLERK, now=self.now, note="Bổ sung"))

    @rule()
    def resubmit(self) -> None:
        d = self.dossier
        owner = Actor.applicant(d.owner_id)
        self._try(lambda: d.resubmit(actor=owner, now=self.now, calendar=self.office))

    @rule()
    def process(self) -> None:
        self._try(lambda: self.dossier.start_processing(officer=CLERK, now=self.now))

    @rule()
    def pause(self) -> None:
        self._try(lambda: self.dossier.pause(officer=CLERK, now=self.now, reason="Chờ"))

    @rule()
    def resume(self) -> None:
        d = self.dossier
        self._try(lambda: d.resume(officer=CLERK, now=self.now, calendar=self.office))

    @rule()
    def payment(self) -> None:
        d = self.dossier
        self._try(lambda: d.request_payment(officer=CLERK, now=self.now))
        if d.status is DossierStatus.PAYMENT_REQUESTED:
            d.record_payment(
                payment_id=f"p-{len(d.payment_ids)}",
                amount=d.amount_due,
                now=self.now,
                calendar=self.office,
            )

    @rule(later=st.integers(1, 30))
    def apologise(self, later: int) -> None:
        d = self.dossier
        today = self.now.astimezone(VN_TZ).date()
        new = max(d.due_date or today, today) + dt.timedelta(days=later)
        self._try(
            lambda: d.reschedule(
                officer=CLERK, now=self.now, new_due_date=new, reason="Chậm", calendar=self.office
            )
        )

    @invariant()
    def history_is_kept_and_current(self) -> None:
        d = self.dossier
        changes = d.due_dates
        assert list(changes[: len(self.seen)]) == self.seen
        self.seen = list(changes)
        assert (changes[-1].due_date, changes[-1].due_at) == (d.due_date, d.due_at)
        for before, after in itertools.pairwise(changes):
            # Only a restart may land earlier (than a date a pause or an apology set).
            if not (after.reason is DueDateReason.SUPPLEMENT and self.restarts):
                assert after.due_date >= before.due_date, (before, after)
        assert sum(c.reason is DueDateReason.APOLOGY for c in changes) <= 1
        assert sum(h.action == "rescheduled" for h in d.history) <= 1


TestDueDateMachine = DueDateMachine.TestCase
TestDueDateMachine.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
