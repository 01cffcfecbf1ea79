"""The fuzz suite reports how much it tried: entry points and calls, at the end of the run."""

from __future__ import annotations

import pytest

from tests.fuzz.harness import CALLS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CALLS:
        terminalreporter.write_line(
            f"fuzz: {len(CALLS)} entry points, {sum(CALLS.values())} calls with hostile input"
        )
