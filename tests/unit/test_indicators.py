"""Service indicators: the arithmetic (property tests) and the figures of a real history."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.application.sync import SyncDispatcher
from onestop.domain.indicators import DossierFacts, Indicators, Ratio, compute
from onestop.errors import InvalidInput
from tests.sync_support import local, make_world, submit, whole_life

START = dt.date(2022, 6, 1)
END = dt.date(2022, 6, 30)
DAYS = st.dates(min_value=dt.date(2022, 5, 20), max_value=dt.date(2022, 7, 10))


@st.composite
def facts(draw: st.DrawFn, index: int = 0) -> DossierFacts:
    received_on = draw(st.none() | DAYS)
    received_at = (
        None if received_on is None else dt.datetime.combine(received_on, dt.time(9), tzinfo=dt.UTC)
    )
    decided_on = None
    decided_at = None
    if received_on is not None and draw(st.booleans()):
        decided_at = received_at + dt.timedelta(hours=draw(st.integers(0, 24 * 40)))  # type: ignore[operator]
        decided_on = decided_at.date()
    closed_on = None
    if decided_on is None and received_on is not None and draw(st.booleans()):
        closed_on = received_on + dt.timedelta(days=draw(st.integers(0, 20)))
    return DossierFacts(
        dossier_id=f"d-{index}-{draw(st.integers(0, 10**9))}",
        procedure_code=draw(st.sampled_from(["1.001", "1.002", "1.003"])),
        received_on=received_on,
        due_date=draw(st.none() | DAYS),
        decided_at=decided_at,
        decided_on=decided_on,
        received_at=received_at,
        closed_on=closed_on,
        supplement_requests=draw(st.integers(0, 3)),
        rescheduled=draw(st.booleans()),
        paused_at_end=draw(st.booleans()),
        online=draw(st.booleans()),
        has_fees=draw(st.booleans()),
        paid_online=draw(st.booleans()),
        vneid=draw(st.none() | st.booleans()),
        synced=draw(st.booleans()),
    )


HISTORIES = st.lists(facts(), max_size=40, unique_by=lambda f: f.dossier_id)


def ratios(indicators: Indicators) -> list[Ratio]:
    values = (getattr(indicators, a.name) for a in attrs.fields(type(indicators)))
    return [v for v in values if isinstance(v, Ratio)]


@given(HISTORIES)
def test_every_ratio_counts_a_part_of_its_whole(history: list[DossierFacts]) -> None:
    figures = compute(history, start=START, end=END, procedures=["1.001", "1.002", "1.009"])
    for ratio in ratios(figures):
        assert set(ratio.numerator) <= set(ratio.denominator)
        value = ratio.value
        assert value is None if not ratio.denominator else 0.0 <= value <= 1.0  # type: ignore[operator]


@given(HISTORIES)
def test_on_time_and_late_split_the_results_due(history: list[DossierFacts]) -> None:
    figures = compute(history, start=START, end=END)
    assert figures.on_time.denominator == figures.late.denominator
    assert set(figures.on_time.numerator).isdisjoint(figures.late.numerator)
    assert len(figures.on_time.numerator) + len(figures.late.numerator) == len(
        figures.on_time.denominator
    )
    decided = {f.dossier_id for f in history if f.decided_on and START <= f.decided_on <= END}
    assert set(figures.on_time.denominator) == decided
    for f in history:
        if f.dossier_id in figures.on_time.numerator:
            assert f.supplement_requests <= 1 and not f.rescheduled
            assert f.due_date is None or f.decided_on <= f.due_date  # type: ignore[operator]


@given(HISTORIES)
def test_overdue_is_open_and_every_share_is_of_the_received(history: list[DossierFacts]) -> None:
    figures = compute(history, start=START, end=END)
    assert set(figures.overdue.numerator) <= set(figures.open.numerator)
    for ratio in (figures.open, figures.overdue, figures.online, figures.synced):
        assert ratio.denominator == figures.received
    assert set(figures.online_payment.denominator) <= set(figures.received)
    if figures.vneid is not None:
        assert set(figures.vneid.denominator) <= set(figures.received)
    else:
        assert all(f.vneid is None for f in history if f.dossier_id in figures.received)


@given(HISTORIES)
def test_the_average_lies_between_the_shortest_and_the_longest(
    history: list[DossierFacts],
) -> None:
    average = compute(history, start=START, end=END).average_handling_days
    if average.value is None:
        assert average.values == ()
        return
    days = [v for _, v in average.values]
    assert min(days) - 1e-9 <= average.value <= max(days) + 1e-9


def test_an_empty_period_has_no_figures_not_zero_percent() -> None:
    figures = compute([], start=START, end=END)
    assert figures.on_time.value is None
    assert str(figures.on_time) == "0/0 (n/a)"
    with pytest.raises(InvalidInput):
        compute([], start=END, end=START)


def test_a_real_history_on_time_then_synced() -> None:
    """One supplement, waited for and made up: on time; synced once dispatched."""
    world = make_world()
    dossier = whole_life(world, submit(world))
    late = submit(world)
    world.portal.desk.receive(world.officer.id, late.id)
    world.clock.set(local(29, 10))
    for _ in range(2):
        world.portal.desk.request_supplement(world.officer.id, late.id, "Thiếu giấy tờ")
        world.portal.dossiers.resubmit(world.citizen.id, late.id, "Đã bổ sung")
    world.portal.desk.start_processing(world.officer.id, late.id)
    world.portal.desk.decide(world.officer.id, late.id, approved=True)
    figures = world.portal.indicators.compute("000.00.03.H34", START, END)
    assert figures.on_time.numerator == (dossier.id,)
    assert figures.late.numerator == (late.id,)  # two supplements: late
    assert figures.online.value == 1.0
    assert figures.vneid is not None
    assert figures.vneid.value == 0.0  # the citizen's account has no national identity
    assert figures.synced.value == 0.0
    assert figures.average_handling_days.value is not None
    SyncDispatcher(world.portal.context, _Accepting()).dispatch_until_idle()
    after = world.portal.indicators.compute("000.00.03.H34", START, END)
    assert after.synced.value == 1.0


class _Accepting:
    def insert_dossier(self, record: object) -> None:
        pass

    def update_dossier(self, record: object) -> None:
        pass

    def update_progress(self, rows: object) -> None:
        pass
