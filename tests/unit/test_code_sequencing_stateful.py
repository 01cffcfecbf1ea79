"""The stateful code-sequencing machine (onestop.testing.sequencing) on the in-memory portal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from onestop import bootstrap
from onestop.adapters.clocks import ManualClock
from onestop.adapters.memory import OPERATIONS, InMemoryStorage
from onestop.bootstrap import Portal
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import SCHEME_2018, SCHEME_2025_CENTRAL
from onestop.testing.sequencing import (
    DRAFT_FAILURES,
    SUBMIT_FAILURES,
    code_sequencing_machine,
    fail_on_setter,
)


def in_memory_portal(clock: ManualClock) -> tuple[Portal, Callable[[set[str]], None]]:
    storage = InMemoryStorage()
    portal = bootstrap(
        storage=storage,
        clock=clock,
        secret_key="sequencing-test-key",
        calendar=WorkingCalendar(),
        environ={},
    )
    return portal, fail_on_setter(storage)


CodeSequencing = code_sequencing_machine(in_memory_portal)
CodeSequencing.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCodeSequencingInMemory = CodeSequencing.TestCase


def test_injected_operations_exist_in_the_storage() -> None:
    assert set(SUBMIT_FAILURES) | set(DRAFT_FAILURES) <= OPERATIONS


class _Broken(InMemoryStorage):
    """A storage whose code sequence skips a number: the machine must notice."""

    def unit_of_work(self):  # type: ignore[no-untyped-def]
        uow = super().unit_of_work()
        real_next = uow.codes.next

        def next_twice(agency, day, *, maximum):  # type: ignore[no-untyped-def]
            real_next(agency, day, maximum=maximum)
            return real_next(agency, day, maximum=maximum)

        uow.codes.next = next_twice  # type: ignore[method-assign]
        return uow


def test_the_machine_catches_a_sequence_with_gaps() -> None:
    def broken_portal(clock: ManualClock) -> tuple[Portal, Callable[[set[str]], None]]:
        storage = _Broken()
        portal = bootstrap(
            storage=storage, clock=clock, secret_key="sequencing-test-key", environ={}
        )
        return portal, fail_on_setter(storage)

    with pytest.raises(AssertionError):
        run_state_machine_as_test(
            code_sequencing_machine(broken_portal),
            settings=settings(
                max_examples=50,
                stateful_step_count=20,
                deadline=None,
                database=None,
                phases=[Phase.generate],  # finding it is enough; no shrinking
            ),
        )


def test_the_machine_switches_schemes_and_numbers_past_9999() -> None:
    """Driven by hand: a switch to the growing scheme, 9999 numbers taken, the next code has
    five digits, old codes still read back, and a switch back to 2018 refuses that day."""
    machine: Any = CodeSequencing()  # the rules are defined inside the factory
    try:
        machine.load_catalog_and_accounts()
        first = machine.submit_new(0, 0)
        assert first.code == "000.00.03.H34-220622-0001"
        machine.switch_scheme(SCHEME_2025_CENTRAL.issued_by("07"))
        machine.take_more_than_9999_today(0)
        busy = machine.submit_new(0, 1)
        assert busy.code == "H34.03-220622-0710001"
        machine.codes_are_gap_free_in_submission_order()
        machine.switch_scheme(SCHEME_2018)
        refused = machine.submit_new(0, 0)
        assert refused.code == ""  # the 2018 scheme has no number 10002
        assert machine.submit_new(1, 0).code == "000.00.04.H34-220622-0001"
        machine.codes_are_gap_free_in_submission_order()
        machine.drafts_have_no_code()
        machine.one_mail_per_submission()
    finally:
        machine.teardown()
