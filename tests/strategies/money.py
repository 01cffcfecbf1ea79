"""Hypothesis strategies for fees and amounts."""

from __future__ import annotations

from hypothesis import strategies as st

from onestop.domain.money import FeeItem, FeeKind, FeeLine

__all__ = ["amounts", "descriptions", "fee_items", "fee_kinds", "fee_lines", "quantities"]

# Far beyond any real fee, and past 2**53, so a float slipping in would lose đồng.
MAX_AMOUNT = 10**18


def fee_kinds() -> st.SearchStrategy[FeeKind]:
    """Either kind of fee."""
    return st.sampled_from(FeeKind)


def amounts(max_value: int = MAX_AMOUNT) -> st.SearchStrategy[int]:
    """Whole VND amounts, 0 included."""
    return st.integers(min_value=0, max_value=max_value)


def quantities(max_value: int = 1000) -> st.SearchStrategy[int]:
    """Valid fee line quantities (1 or more)."""
    return st.integers(min_value=1, max_value=max_value)


def descriptions() -> st.SearchStrategy[str]:
    """Free-text fee descriptions, Vietnamese letters included (no NUL: it is refused)."""
    return st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40
    )


def fee_items() -> st.SearchStrategy[FeeItem]:
    """Valid fee items of a procedure."""
    return st.builds(
        FeeItem,
        kind=fee_kinds(),
        unit_amount=amounts(),
        description=descriptions(),
        quantity=quantities(),
    )


def fee_lines() -> st.SearchStrategy[FeeLine]:
    """Valid fee lines of a dossier."""
    return st.builds(
        FeeLine,
        kind=fee_kinds(),
        quantity=quantities(),
        unit_amount=amounts(),
        description=descriptions(),
    )
