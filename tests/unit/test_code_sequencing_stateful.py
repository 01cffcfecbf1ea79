"""The stateful code-sequencing machine (onestop.testing.sequencing) on the in-memory portal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from onestop import bootstrap
from onestop.adapters.clocks import ManualClock
from onestop.adapters.memory import OPERATIONS, InMemoryStorage
from onestop.bootstrap import Portal
from onestop.domain.calendar import WorkingCalendar
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
