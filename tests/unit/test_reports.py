"""portal.reports: the indicators of section 11 per agency and period (issue 12)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.codes import AgencyCode
from onestop.domain.reports import (
    NOT_RECORDED,
    Figure,
    IndicatorCounts,
    Measure,
    Report,
    ReportPeriod,
    ReportScope,
)
from onestop.errors import AgencyNotFound, InvalidInput
from tests.unit.conftest import BUDGET, FINANCE, HKD, WARD, PortalKit, vn

DAY = dt.date(2022, 6, 22)

# --- the domain -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (DAY, DAY - dt.timedelta(days=1)),
        (dt.datetime(2022, 6, 22, 9), DAY),
        (DAY, DAY + dt.timedelta(days=4000)),
        (dt.date(9999, 12, 1), dt.date(9999, 12, 31)),  # its instants would overflow
        (dt.date(1, 1, 1), dt.date(1, 1, 2)),
    ],
)
def test_a_period_must_run_forward_over_days(start: dt.date, end: dt.date) -> None:
    with pytest.raises(InvalidInput):
        ReportPeriod(start, end)


def test_a_period_runs_from_midnight_to_midnight_in_vietnam() -> None:
    period = ReportPeriod(DAY, DAY)
    assert period.starts_at == vn(2022, 6, 22, 0)
    assert period.ends_at == vn(2022, 6, 23, 0)


@given(start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)), days=st.integers(0, 800))
def test_months_cover_the_period_without_gaps(start: dt.date, days: int) -> None:
    period = ReportPeriod(start, start + dt.timedelta(days=days))
    assert period.starts_at < period.ends_at
    months = period.months()
    assert months[0].start == period.start
    assert months[-1].end == period.end
    for before, after in itertools.pairwise(months):
        assert after.start == before.end + dt.timedelta(days=1)
        assert after.start.day == 1
    assert all(m.start.month == m.end.month and m.start.year == m.end.year for m in months)


@given(
    overdue=st.tuples(st.integers(0, 50), st.integers(0, 50)),
    poor=st.tuples(st.integers(0, 50), st.integers(0, 50)),
)
def test_satisfaction_is_100_minus_overdue_and_complaints(
    overdue: tuple[int, int], poor: tuple[int, int]
) -> None:
    def figure(measure: Measure, pair: tuple[int, int]) -> tuple[int, int]:
        numerator, denominator = pair
        return (min(numerator, denominator), denominator)

    pairs = {m: (0, 0) for m in Measure if m not in NOT_RECORDED}
    pairs[Measure.OVERDUE] = figure(Measure.OVERDUE, overdue)
    pairs[Measure.COMPLAINED_OR_POOR] = figure(Measure.COMPLAINED_OR_POOR, poor)
    scope = ReportScope(frozenset({AgencyCode.parse(FINANCE)}), ReportPeriod(DAY, DAY))
    report = Report.of(AgencyCode.parse(FINANCE), False, scope, IndicatorCounts(0, pairs, 0.0, 0))
    late, bad = report.figure(Measure.OVERDUE), report.figure(Measure.COMPLAINED_OR_POOR)
    assert late is not None
    assert bad is not None
    if late.percent is None or bad.percent is None:
        assert report.satisfaction is None
    else:
        assert report.satisfaction == max(0.0, round(100 - late.percent - bad.percent, 2))
    assert all(report.figure(m) is not None for m in Measure)  # every measure is recorded


def test_a_figure_without_a_denominator_is_no_figure_not_zero() -> None:
    assert Figure(Measure.ONLINE, 0, 0).value is None
    assert str(Figure(Measure.ONLINE, 0, 0)) == "0/0 (n/a)"
    assert str(Figure(Measure.ONLINE, 1, 3)) == "1/3 (33.33%)"


# --- the service ----------------------------------------------------------------------------


def _decided_on_time(kit: PortalKit) -> str:
    dossier = kit.submitted(BUDGET)
    officer = kit.officer(FINANCE)
    kit.clock.advance(dt.timedelta(hours=1))
    kit.portal.desk.receive(officer.id, dossier.id)
    kit.portal.desk.start_processing(officer.id, dossier.id)
    kit.clock.advance(dt.timedelta(hours=3))
    kit.portal.desk.decide(officer.id, dossier.id, approved=True)
    return dossier.id


def test_a_report_counts_a_dossier_decided_on_time(kit: PortalKit) -> None:
    decided = _decided_on_time(kit)
    waiting = kit.submitted(BUDGET).id
    kit.portal.dossiers.complain(kit.citizen.id, waiting, "Chưa được tiếp nhận")
    report = kit.portal.reports.indicators(FINANCE, DAY, DAY + dt.timedelta(days=6))
    assert report.received == 1
    assert report.figure(Measure.ON_TIME) == Figure(Measure.ON_TIME, 1, 1)
    assert report.figure(Measure.ONLINE) == Figure(Measure.ONLINE, 1, 1)
    assert report.handled == 1
    assert report.average_handling_days == pytest.approx(3 / 24)
    # The complaint is about a dossier not received yet: not among the received.
    assert report.figure(Measure.COMPLAINED_OR_POOR) == Figure(Measure.COMPLAINED_OR_POOR, 0, 1)
    page = kit.portal.reports.dossiers_behind(
        FINANCE, DAY, DAY + dt.timedelta(days=6), "on_time", "numerator"
    )
    assert page.items == (decided,)
    assert page.total == 1


def test_sub_agencies_are_counted_only_when_asked(kit: PortalKit) -> None:
    kit.submitted(HKD)  # at the ward's office, below the city's people's committee
    officer = kit.officer(WARD)
    [dossier] = kit.portal.desk.queue(officer.id, page=1).items
    kit.portal.desk.receive(officer.id, dossier.id)
    city = "000.00.20.H34"
    alone = kit.portal.reports.indicators(city, DAY, DAY)
    both = kit.portal.reports.indicators(city, DAY, DAY, with_sub_agencies=True)
    assert alone.received == 0
    assert both.received == 1
    assert both.with_sub_agencies


def test_dossiers_behind_a_figure_come_a_page_at_a_time(kit: PortalKit) -> None:
    officer = kit.officer(FINANCE)
    ids = []
    for _ in range(3):
        dossier = kit.submitted(BUDGET)
        kit.portal.desk.receive(officer.id, dossier.id)
        ids.append(dossier.id)
    reports = kit.portal.reports
    first = reports.dossiers_behind(FINANCE, DAY, DAY, Measure.OPEN, page=1, page_size=2)
    second = reports.dossiers_behind(FINANCE, DAY, DAY, Measure.OPEN, page=2, page_size=2)
    assert first.total == 3
    assert first.items + second.items == tuple(sorted(ids))


@pytest.mark.parametrize("measure", ["", "on time", "electronic results", 3])
def test_an_unknown_measure_is_refused(kit: PortalKit, measure: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        kit.portal.reports.dossiers_behind(FINANCE, DAY, DAY, measure)  # type: ignore[arg-type]
    assert caught.value.field == "measure"


def test_an_agency_outside_the_catalog_is_not_found(kit: PortalKit) -> None:
    with pytest.raises(AgencyNotFound):
        kit.portal.reports.indicators("000.00.99.H34", DAY, DAY)


def test_monthly_reports_cut_the_period_by_month(kit: PortalKit) -> None:
    _decided_on_time(kit)
    months = kit.portal.reports.monthly(FINANCE, dt.date(2022, 5, 15), dt.date(2022, 7, 3))
    assert [(m.period.start, m.period.end) for m in months] == [
        (dt.date(2022, 5, 15), dt.date(2022, 5, 31)),
        (dt.date(2022, 6, 1), dt.date(2022, 6, 30)),
        (dt.date(2022, 7, 1), dt.date(2022, 7, 3)),
    ]
    assert [m.received for m in months] == [0, 1, 0]


def test_the_old_indicators_service_still_works_with_a_warning(kit: PortalKit) -> None:
    with pytest.warns(DeprecationWarning, match=r"portal\.reports"):
        service = kit.portal.indicators
    assert service.compute(FINANCE, DAY, DAY).received == ()
