"""The bootstrap function: wiring, precedence of arguments over the environment, no I/O."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import pytest

from onestop import Portal, bootstrap
from onestop.adapters import (
    FakePaymentGateway,
    FixedClock,
    InMemoryFileStore,
    InMemoryMailTransport,
    InMemoryStorage,
)
from onestop.application import Settings
from onestop.bootstrap import default_calendar
from onestop.domain import VN_TZ, WorkingCalendar
from onestop.errors import ConfigurationError, InvalidToken

NOON = dt.datetime(2022, 6, 22, 12, tzinfo=VN_TZ)


def test_defaults_are_in_memory_and_need_nothing() -> None:
    with bootstrap(environ={}, secret_key="k" * 32) as portal:
        assert isinstance(portal, Portal)
        ctx = portal.context
        assert isinstance(ctx.storage, InMemoryStorage)
        assert isinstance(ctx.mail_transport, InMemoryMailTransport)
        assert isinstance(ctx.payment_gateway, FakePaymentGateway)
        assert isinstance(ctx.file_store, InMemoryFileStore)
        assert ctx.clock.now().tzinfo is not None
        assert ctx.settings == Settings()


def test_every_adapter_is_replaceable_by_argument() -> None:
    storage = InMemoryStorage()
    mail = InMemoryMailTransport()
    gateway = FakePaymentGateway("other")
    files = InMemoryFileStore()
    clock = FixedClock(NOON)
    calendar = WorkingCalendar()
    settings = Settings(portal_name="Cổng thử nghiệm")
    ids = iter(f"id{n}" for n in range(100))
    portal = bootstrap(
        storage=storage,
        mail_transport=mail,
        payment_gateway=gateway,
        file_store=files,
        clock=clock,
        calendar=calendar,
        settings=settings,
        secret_key="s" * 32,
        id_factory=lambda: next(ids),
        environ={},
    )
    ctx = portal.context
    assert ctx.storage is storage
    assert ctx.mail_transport is mail
    assert ctx.payment_gateway is gateway
    assert ctx.file_store is files
    assert ctx.clock is clock
    assert ctx.calendar is calendar
    assert ctx.settings is settings
    assert ctx.new_id().startswith("id")  # ids come from the factory


def test_storage_and_database_url_together_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        bootstrap(storage=InMemoryStorage(), database_url="sqlite:///x.db", environ={})


def test_an_explicit_storage_beats_the_environment() -> None:
    storage = InMemoryStorage()
    portal = bootstrap(
        storage=storage,
        environ={"ONESTOP_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
        secret_key="k" * 32,
    )
    assert portal.storage is storage


def test_the_secret_key_from_the_environment_signs_links() -> None:
    a = bootstrap(environ={"ONESTOP_SECRET_KEY": "one-secret-key-for-both-portals"})
    b = bootstrap(environ={"ONESTOP_SECRET_KEY": "one-secret-key-for-both-portals"})
    token = a.context.token_signer.sign({"sub": "x", "exp": 2_000_000_000})
    assert b.context.token_signer.unsign(token)["sub"] == "x"


def test_without_a_secret_each_portal_has_its_own_key() -> None:
    a = bootstrap(environ={})
    b = bootstrap(environ={})
    token = a.context.token_signer.sign({"sub": "x", "exp": 2_000_000_000})
    with pytest.raises(InvalidToken):
        b.context.token_signer.unsign(token)


def test_default_calendar_covers_the_year_around() -> None:
    calendar = default_calendar(2022)
    assert not calendar.is_working_day(dt.date(2022, 9, 2))  # Quốc khánh
    assert not calendar.is_working_day(dt.date(2022, 6, 25))  # a Saturday
    assert calendar.is_working_day(dt.date(2022, 6, 22))


def test_importing_onestop_connects_nothing_and_imports_no_driver() -> None:
    code = textwrap.dedent(
        """
        import sys
        import onestop, onestop.adapters, onestop.application, onestop.bootstrap
        from onestop import bootstrap
        bootstrap(environ={}, secret_key="k" * 32)
        loaded = [m for m in ("sqlalchemy", "psycopg", "smtplib", "aiosmtpd") if m in sys.modules]
        print(",".join(loaded))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
