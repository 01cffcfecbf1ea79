"""Account links on SQL storage: one link used at once from many places works once, and a
password change makes earlier reset links stale, exactly as on the in-memory storage."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onestop.adapters import ManualClock
from onestop.adapters.security import ScryptPasswordHasher
from onestop.adapters.sql import SqlStorage
from onestop.bootstrap import Portal, bootstrap
from onestop.domain.calendar import WorkingCalendar
from onestop.errors import InvalidToken
from tests.unit.test_accounts_service import (
    EMAIL,
    PASSWORD,
    SETTINGS,
    START,
    _race,
    _request_reset,
    registered_and_verified,
)


@pytest.fixture
def portal(sql_url: str) -> Iterator[Portal]:
    storage = SqlStorage.from_url(sql_url, create=sql_url.startswith("sqlite"))
    with bootstrap(
        storage=storage,
        clock=ManualClock(START),
        secret_key="test-secret-key-for-accounts",
        calendar=WorkingCalendar(),
        password_hasher=ScryptPasswordHasher(n=2**10),
        settings=SETTINGS,
        environ={},
    ) as p:
        yield p


def test_a_reset_link_used_many_times_at_once_works_once(portal: Portal) -> None:
    """Five uses of one link at once: one resets the password, four are told it was used."""
    registered_and_verified(portal)
    token = _request_reset(portal)
    use = portal.accounts.reset_password
    results = _race([lambda p=f"new-password-number-{i}": use(token, p) for i in range(5)])
    assert results == {"ok": 1, "TokenAlreadyUsed": 4}


def test_a_password_change_makes_earlier_reset_links_stale(portal: Portal) -> None:
    registered_and_verified(portal)
    account_id = portal.accounts.log_in(EMAIL, PASSWORD).id
    token = _request_reset(portal)
    portal.accounts.change_password(account_id, PASSWORD, "a-brand-new-password")
    with pytest.raises(InvalidToken, match="password has changed"):
        portal.accounts.reset_password(token, "what-the-attacker-wants")
