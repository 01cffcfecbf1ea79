"""The national identity on an account (DOMAIN section 12): levels, the id number rule."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.accounts import Account, AccountKind
from onestop.domain.national_identity import LEVELS_OF_ASSURANCE, NationalIdentity, level_of_acr
from onestop.errors import (
    InvalidIdentity,
    InvalidInput,
    NationalIdentityNotLinked,
    NationalIdNumberConflict,
)
from onestop.testing import builders
from tests.strategies.people import citizen_accounts, national_identities

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def identity(
    subject: str = "vneid-1", id_number: str | None = None, level: int = 2
) -> NationalIdentity:
    return NationalIdentity.vouched(subject, "https://sso.example.vn", level, id_number, T0)


@given(
    prefix=st.sampled_from(["", "loa", "urn:vneid:loa:", "muc-", "level "]),
    level=st.integers(0, 9),
)
def test_the_level_is_the_acr_values_last_digit(prefix: str, level: int) -> None:
    """Every spelling ending in the level's digit names it; levels outside 1 and 2 name none."""
    expected = level if level in LEVELS_OF_ASSURANCE else None
    assert level_of_acr(f"{prefix}{level}") == expected


@given(acr=st.text(max_size=30))
def test_any_acr_gives_a_known_level_or_none(acr: str) -> None:
    """Whatever a provider sends, the answer is 1, 2 or None, never an error."""
    assert level_of_acr(acr) in (None, *LEVELS_OF_ASSURANCE)


def test_an_acr_ending_in_a_longer_number_names_no_level() -> None:
    """``loa12`` is not level 2: the digit must stand alone."""
    assert level_of_acr("loa12") is None
    assert level_of_acr(None) is None


def test_the_identity_checks_what_it_holds() -> None:
    """A level outside 1 and 2, an empty subject, a bad id number: InvalidInput."""
    with pytest.raises(InvalidInput):
        identity(level=3)
    with pytest.raises(InvalidInput):
        identity(subject=" ")
    with pytest.raises(InvalidInput):
        identity(id_number="12345")
    with pytest.raises(InvalidInput):
        NationalIdentity.vouched("s", "i", True, None, T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        NationalIdentity.vouched("s", "i", 1, None, dt.datetime(2026, 1, 1))  # naive


def test_linking_fills_a_missing_id_number_and_refuses_another() -> None:
    """A profile without an id number takes the vouched one; one with another is a conflict."""
    account = builders.account()
    held = account.profile.id_number
    assert held is not None
    with pytest.raises(NationalIdNumberConflict):
        account.link_national_identity(identity(id_number="001085001234"))
    assert account.national_identity is None
    account.link_national_identity(identity(id_number=held))
    assert account.vneid
    bare = builders.account()
    bare.profile = attrs.evolve(bare.profile, id_number=None)
    bare.link_national_identity(identity(id_number="001090001234"))
    assert bare.profile.id_number == "001090001234"


def test_a_vouched_number_the_profile_contradicts_is_refused_and_nothing_changes() -> None:
    """The vouched CCCD is checked against the profile as any id number is: one whose birth
    year is not the profile's is InvalidIdentity, and the account stays as it was."""
    bare = builders.account()
    bare.profile = attrs.evolve(bare.profile, id_number=None)
    assert bare.profile.date_of_birth is not None and bare.profile.date_of_birth.year != 1985
    before = (bare.profile, bare.national_identity)
    with pytest.raises(InvalidIdentity) as caught:
        bare.link_national_identity(identity(id_number="001085001234"))
    assert caught.value.field.startswith("id_number")
    assert (bare.profile, bare.national_identity) == before


def test_unlinking_returns_the_identity_and_refuses_twice() -> None:
    """Unlink gives back what was linked; a second unlink is NationalIdentityNotLinked."""
    account = builders.account()
    linked = identity()
    account.link_national_identity(linked)
    assert account.unlink_national_identity() == linked
    assert not account.vneid
    with pytest.raises(NationalIdentityNotLinked):
        account.unlink_national_identity()


@given(account=citizen_accounts(), linked=national_identities())
def test_linking_then_unlinking_changes_nothing_else(
    account: Account, linked: NationalIdentity
) -> None:
    """Apart from the id number it may fill in, linking touches only the identity."""
    before = attrs.evolve(account)
    try:
        account.link_national_identity(linked)
    except NationalIdNumberConflict:
        assert before.profile.id_number not in (None, linked.id_number)
        assert account.national_identity == before.national_identity
        return
    assert account.national_identity == linked
    assert account.kind is AccountKind.CITIZEN
    if before.profile.id_number is None:
        assert account.profile.id_number == linked.id_number
    else:
        assert account.profile.id_number == before.profile.id_number
    account.unlink_national_identity()
    assert account.email == before.email
    assert account.status is before.status
