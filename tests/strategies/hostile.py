"""Hostile values for the use-case fuzz suite (tests/fuzz).

Stand-in: the first version of this module was overwritten by mistake by the domain fuzz work
(tests/strategies/hostile_domain.py); ``hostile_values`` now draws from that module's
:func:`~tests.strategies.hostile_domain.anything`.
"""

from __future__ import annotations

from hypothesis import strategies as st

from tests.strategies.hostile_domain import anything

__all__ = ["hostile_values"]


def hostile_values() -> st.SearchStrategy[object]:
    """Any value at all: wrong types, surrogates, RTL and zero-width marks, NUL, huge numbers."""
    return anything()
