"""The storage contract's part for the service indicators (``uow.reports``).

Random dossier histories (received, supplemented, paused, rescheduled, decided, returned,
refused, withdrawn, stopped, components digitised at the desk or reused from an earlier
dossier, electronic results added, at random times), with payments, sync entries, VNeID links,
complaints and ratings around them, are stored; the storage's counts and listings must
equal :func:`onestop.domain.reports.count` and :func:`~onestop.domain.reports.members`
over the facts of the same records, for any period and scope. A SQL storage computes them
with aggregate queries, so this is the check that its SQL says what the domain says.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.accounts import Account
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import AgencyCode
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.national_identity import NationalIdentity
from onestop.domain.payments import PaymentOutcome
from onestop.domain.reports import (
    NOT_RECORDED,
    DossierFacts,
    IndicatorCounts,
    Measure,
    Part,
    ReportPeriod,
    ReportScope,
    count,
    members,
)
from onestop.domain.satisfaction import Complaint, Rating, SatisfactionLevel
from onestop.domain.statuses import DossierStatus as S
from onestop.domain.sync import SyncEntry
from onestop.errors import InvalidInput, OnestopError
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._storage_base import _PROPERTY, StorageContractBase, _in_unit

SUB_AGENCY = AgencyCode("H34", 3, 1)
_CALENDAR = WorkingCalendar(holidays=frozenset())
_CLERK = Actor.officer("officer-report", "Lê Văn Cường")
_START = builders.T0
_MEASURES = [m for m in Measure if m not in NOT_RECORDED]
_PARTS: tuple[Part, ...] = ("numerator", "denominator")

#: What may follow each status; the step drawn picks one (an action its rules refuse at
#: that moment, such as an apology after the due date, is skipped).
_NEXT: dict[S, tuple[str, ...]] = {
    S.AWAITING_RECEPTION: ("receive", "receive", "refuse", "supplement", "withdraw", "digitise"),
    S.RECEIVED: (
        "start",
        "start",
        "supplement",
        "stop",
        "withdraw",
        "reschedule",
        "bill",
        "digitise",
    ),
    S.PROCESSING: (
        "decide",
        "decide",
        "pause",
        "resume",
        "supplement",
        "stop",
        "reschedule",
        "bill",
        "result",
    ),
    S.SUPPLEMENT_REQUESTED: ("resubmit", "resubmit", "stop", "withdraw"),
    S.PAYMENT_REQUESTED: ("pay", "pay", "stop", "withdraw"),
    S.DECIDED: ("return", "result"),
}


def _act(dossier: Dossier, action: str, now: dt.datetime, flag: bool) -> None:
    owner = Actor.applicant(dossier.owner_id, "Nguyễn Văn An")
    steps: dict[str, Callable[[], object]] = {
        "receive": lambda: dossier.receive(officer=_CLERK, now=now, calendar=_CALENDAR),
        "refuse": lambda: dossier.refuse_reception(officer=_CLERK, now=now, reason="Sai"),
        "supplement": lambda: dossier.request_supplement(officer=_CLERK, now=now, note="Bổ sung"),
        "resubmit": lambda: dossier.resubmit(actor=owner, now=now, calendar=_CALENDAR),
        "withdraw": lambda: dossier.withdraw(actor=owner, now=now, reason="Rút"),
        "start": lambda: dossier.start_processing(officer=_CLERK, now=now),
        "pause": lambda: dossier.pause(officer=_CLERK, now=now, reason="Chờ ý kiến"),
        "resume": lambda: dossier.resume(officer=_CLERK, now=now, calendar=_CALENDAR),
        "stop": lambda: dossier.stop_processing(officer=_CLERK, now=now, reason="Dừng"),
        "decide": lambda: dossier.decide(
            officer=_CLERK, now=now, approved=flag, reasons="" if flag else "Không đủ"
        ),
        "return": lambda: dossier.return_result(officer=_CLERK, now=now),
        "bill": lambda: dossier.request_payment(officer=_CLERK, now=now),
        "pay": lambda: dossier.record_payment(
            payment_id=builders.new_id("paid"),
            amount=dossier.amount_due,
            now=now,
            calendar=_CALENDAR,
        ),
        "digitise": lambda: dossier.digitise(
            officer=_CLERK,
            now=now,
            component_id=dossier.procedure.mandatory_components()[0].id,
            file=builders.file_ref(f"%PDF-1.4 scan {now}".encode()),
        ),
        "result": lambda: dossier.add_result(
            officer=_CLERK, now=now, file=builders.file_ref(f"%PDF-1.4 kq {now}".encode())
        ),
        "reschedule": lambda: dossier.reschedule(
            officer=_CLERK,
            now=now,
            new_due_date=_CALENDAR.add_working_days(now.date(), 5),
            reason="Xin lỗi",
        ),
    }
    # An action not allowed at that moment is left out: the history goes on without it.
    with contextlib.suppress(OnestopError):
        steps[action]()


@attrs.frozen
class _Plan:
    """One dossier's life and the records around it, as drawn."""

    sub_agency: bool
    fees: bool
    pickup: bool
    reused: bool
    submit_hours: int
    steps: tuple[tuple[int, int, bool], ...]
    vneid: bool
    paid: bool
    synced: bool
    complaint_hours: int | None
    rating: tuple[SatisfactionLevel, int] | None


_PLANS = st.builds(
    _Plan,
    sub_agency=st.booleans(),
    fees=st.booleans(),
    pickup=st.booleans(),
    reused=st.booleans(),
    submit_hours=st.integers(0, 24 * 40),
    steps=st.lists(
        st.tuples(st.integers(0, 60), st.integers(1, 24 * 12), st.booleans()), max_size=8
    ).map(tuple),
    vneid=st.booleans(),
    paid=st.booleans(),
    synced=st.booleans(),
    complaint_hours=st.none() | st.integers(0, 24 * 60),
    rating=st.none() | st.tuples(st.sampled_from(SatisfactionLevel), st.integers(0, 24 * 60)),
)


def _link_vneid(account: Account) -> Account:
    """The account linked to a national identity."""
    identity = NationalIdentity.vouched(
        subject=f"vneid-{account.id}",
        issuer="https://sso.dichvucong.gov.vn",
        level_of_assurance=2,
        id_number=account.profile.id_number,
        now=_START,
    )
    account.link_national_identity(identity)
    return account


def _store(storage: Storage, plans: list[_Plan]) -> list[DossierFacts]:
    """Store the dossiers of ``plans`` and what surrounds them; return their facts."""
    facts: list[DossierFacts] = []
    with storage.unit_of_work() as uow:
        uow.catalog.put_field(builders.field())
        uow.catalog.put_agency(builders.agency())
        uow.catalog.put_agency(builders.agency(SUB_AGENCY, name="Phòng", parent=builders.AGENCY))
        procedures = {
            (sub, fees): builders.procedure(
                f"1.00{int(sub)}{int(fees)}00",
                agency=SUB_AGENCY if sub else builders.AGENCY,
                fees=None if fees else (),
            )
            for sub in (False, True)
            for fees in (False, True)
        }
        for procedure in procedures.values():
            uow.catalog.put_procedure(procedure)
        # A procedure that never receives a dossier: in the denominator only.
        uow.catalog.put_procedure(builders.procedure("1.009990", fees=()))
        for i, plan in enumerate(plans):
            account = builders.account(email=f"report-{i}-{builders.new_id('a')}@example.vn")
            if plan.vneid:
                account = _link_vneid(account)
            uow.accounts.add(account)
            facts.append(_store_dossier(uow, i, plan, account, procedures))
        uow.commit()
    return facts


def _store_dossier(
    uow: UnitOfWork, i: int, plan: _Plan, account: Account, procedures: dict[Any, Any]
) -> DossierFacts:
    now = _START + dt.timedelta(hours=plan.submit_hours)
    procedure = procedures[(plan.sub_agency, plan.fees)]
    dossier = builders.draft_dossier(owner_id=account.id, procedure=procedure, now=now)
    if plan.pickup:
        dossier.choose_home_pickup("45 Lê Hồng Phong, thành phố Kon Tum")
    if plan.reused:
        component = procedure.mandatory_components()[0].id
        dossier.attach(component, builders.file_ref(b"%PDF-1.4 earlier"), reused=True)
    dossier.submit(code=builders.dossier_code(i + 1, agency=procedure.agency, now=now), now=now)
    for draw, gap, flag in plan.steps:
        options = _NEXT.get(dossier.status)
        if options is None:
            break
        now += dt.timedelta(hours=gap)
        _act(dossier, options[draw % len(options)], now, flag)
    dossier.pull_events()
    uow.dossiers.add(dossier)
    if plan.paid:
        payment = builders.payment(dossier_id=dossier.id, created_at=now)
        payment.settle(PaymentOutcome.PAID, amount=payment.amount, now=now)
        uow.payments.add(payment)
    if plan.synced:
        entry = SyncEntry(
            id=builders.new_id("sync"),
            dossier_id=dossier.id,
            dossier_code=str(dossier.code),
            sequence=1,
            created_at=now,
            record={"MaHoSo": str(dossier.code)},
            progress=(),
            history_upto=len(dossier.history),
        )
        entry.claim("report-worker", now=now, lease=dt.timedelta(minutes=5))
        entry.mark_sent(now=now)
        uow.sync.add(entry)
    complaint_times = []
    if plan.complaint_hours is not None:
        at = _START + dt.timedelta(hours=plan.complaint_hours)
        uow.feedback.add_complaint(
            Complaint(builders.new_id("c"), dossier.id, account.id, dossier.agency, "Chậm", at)
        )
        complaint_times.append(at)
    poor_at = None
    if plan.rating is not None:
        level, hours = plan.rating
        at = _START + dt.timedelta(hours=hours)
        uow.feedback.add_rating(Rating(dossier.id, account.id, dossier.agency, level, "", at))
        poor_at = at if level.poor else None
    return DossierFacts.of(
        dossier,
        paid_online=plan.paid,
        synced=plan.synced,
        vneid=getattr(account, "national_identity", None) is not None,
        complaint_times=complaint_times,
        poor_rating_at=poor_at,
    )


_PROCEDURES_OF = {
    builders.AGENCY: ["1.000000", "1.000100", "1.009990"],
    SUB_AGENCY: ["1.001000", "1.001100"],
}


def _expected(
    facts: list[DossierFacts], scope: ReportScope
) -> tuple[IndicatorCounts, list[DossierFacts], list[str]]:
    agencies = {str(a) for a in scope.agencies}
    mine = [
        f
        for f in facts
        if (SUB_AGENCY_TEXT if f.procedure_code.startswith("1.001") else AGENCY_TEXT) in agencies
    ]
    procedures = [p for a in scope.agencies for p in _PROCEDURES_OF[a]]
    return count(mine, procedures, scope.period), mine, procedures


AGENCY_TEXT = str(builders.AGENCY)
SUB_AGENCY_TEXT = str(SUB_AGENCY)


class ReportStorageContract(StorageContractBase):
    """The indicator counts and listings of a storage equal the domain's over its records."""

    @_PROPERTY
    @given(
        plans=st.lists(_PLANS, max_size=7),
        first=st.integers(0, 50),
        days=st.integers(0, 60),
        both=st.booleans(),
        data=st.data(),
    )
    def test_counts_and_listings_equal_the_domain_rules(
        self, plans: list[_Plan], first: int, days: int, both: bool, data: st.DataObject
    ) -> None:
        start = _START.date() + dt.timedelta(days=first)
        period = ReportPeriod(start, start + dt.timedelta(days=days))
        agencies = {builders.AGENCY, SUB_AGENCY} if both else {builders.AGENCY}
        scope = ReportScope(frozenset(agencies), period)
        with self.example_storage() as storage:
            facts = _store(storage, plans)
            expected, mine, procedures = _expected(facts, scope)
            counts = _in_unit(storage, lambda uow: uow.reports.indicator_counts(scope))
            assert counts.received == expected.received
            assert dict(counts.pairs) == dict(expected.pairs)
            assert counts.handled == expected.handled
            assert counts.handling_days == pytest.approx(expected.handling_days, abs=1e-6)
            measure = data.draw(st.sampled_from(_MEASURES))
            part: Part = data.draw(st.sampled_from(_PARTS))
            listed = _in_unit(
                storage, lambda uow: list(uow.reports.indicator_members(scope, measure, part))
            )
            assert listed == members(mine, procedures, period, measure, part)
            if len(listed) > 1:
                page = _in_unit(
                    storage,
                    lambda uow: list(
                        uow.reports.indicator_members(scope, measure, part, offset=1, limit=1)
                    ),
                )
                assert page == listed[1:2]

    def test_a_returned_on_time_dossier_counts_everywhere_it_belongs(
        self, storage: Storage
    ) -> None:
        """One dossier received, decided on time with an electronic result, returned, paid,
        synced and complained about, one of its components reused."""
        result = _NEXT[S.PROCESSING].index("result")
        plan = _Plan(
            sub_agency=False,
            fees=True,
            pickup=False,
            reused=True,
            submit_hours=1,
            steps=((0, 2, True), (0, 2, True), (result, 2, True), (0, 2, True), (0, 2, True)),
            vneid=False,
            paid=True,
            synced=True,
            complaint_hours=30,
            rating=(SatisfactionLevel.DISSATISFIED, 40),
        )
        [facts] = _store(storage, [plan])
        period = ReportPeriod(_START.date(), _START.date() + dt.timedelta(days=9))
        scope = ReportScope(frozenset({builders.AGENCY}), period)
        counts = _in_unit(storage, lambda uow: uow.reports.indicator_counts(scope))
        assert facts.decided_at is not None
        assert counts.received == 1
        assert counts.pairs[Measure.ON_TIME] == (1, 1)
        assert counts.pairs[Measure.LATE] == (0, 1)
        assert counts.pairs[Measure.OPEN] == (0, 1)
        assert counts.pairs[Measure.ONLINE] == (1, 1)
        assert counts.pairs[Measure.ONLINE_PAYMENT] == (1, 1)
        assert counts.pairs[Measure.ELECTRONIC_RESULTS] == (1, 1)
        assert counts.pairs[Measure.ONLINE_END_TO_END] == (1, 1)
        assert counts.pairs[Measure.REUSED_COMPONENTS] == (1, 1)
        assert counts.pairs[Measure.DIGITISED_COMPONENTS] == (0, 1)
        assert counts.pairs[Measure.SYNCED] == (1, 1)
        assert counts.pairs[Measure.COMPLAINED_OR_POOR] == (1, 1)
        assert counts.pairs[Measure.PROCEDURES_WITH_ONLINE_DOSSIER] == (1, 3)
        assert counts.handled == 1
        ids = _in_unit(
            storage,
            lambda uow: list(uow.reports.indicator_members(scope, Measure.ON_TIME, "numerator")),
        )
        assert ids == [facts.dossier_id]

    def test_something_not_a_measure_cannot_be_listed(self, storage: Storage) -> None:
        scope = ReportScope(
            frozenset({builders.AGENCY}), ReportPeriod(_START.date(), _START.date())
        )
        with storage.unit_of_work() as uow, pytest.raises(InvalidInput) as caught:
            uow.reports.indicator_members(scope, "electronic_results", "numerator")  # type: ignore[arg-type]
        assert caught.value.field == "measure"
