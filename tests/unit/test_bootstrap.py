"""The bootstrap function: wiring, precedence of arguments over the environment, no I/O."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

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


# --- failing closed with a database --------------------------------------------------------

STRONG = "a-secret-key-of-more-than-32-characters"


def sqlite_env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", **more}


def test_a_database_without_mail_gateway_or_key_is_refused_naming_each(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        bootstrap(environ=sqlite_env(tmp_path))
    message = str(caught.value)
    for name in ("ONESTOP_SMTP_HOST", "ONESTOP_VNPAY_TMN_CODE", "ONESTOP_SECRET_KEY"):
        assert name in message
    assert not (tmp_path / "portal.db").exists()  # refused before anything was opened


def test_a_database_url_argument_fails_closed_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no mail transport"):
        bootstrap(database_url=f"sqlite:///{tmp_path / 'p.db'}", secret_key=STRONG, environ={})


@pytest.mark.parametrize("key", ["", "short", "x" * 31])
def test_a_missing_or_short_secret_key_is_refused_even_with_fakes_allowed(
    tmp_path: Path, key: str
) -> None:
    env = sqlite_env(tmp_path, ONESTOP_ALLOW_FAKES="1", ONESTOP_SECRET_KEY=key)
    with pytest.raises(ConfigurationError, match="secret key"):
        bootstrap(environ=env)


def test_a_short_explicit_secret_key_is_refused_with_a_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="9 characters long"):
        bootstrap(environ=sqlite_env(tmp_path, ONESTOP_ALLOW_FAKES="1"), secret_key="too-short")


def test_allow_fakes_accepts_the_fakes_on_purpose(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path, ONESTOP_ALLOW_FAKES="1", ONESTOP_SECRET_KEY=STRONG)
    with bootstrap(environ=env) as portal:
        assert isinstance(portal.context.mail_transport, InMemoryMailTransport)
        assert isinstance(portal.context.payment_gateway, FakePaymentGateway)


def test_explicit_adapters_are_accepted_with_a_database(tmp_path: Path) -> None:
    with bootstrap(
        environ=sqlite_env(tmp_path),
        mail_transport=InMemoryMailTransport(),
        payment_gateway=FakePaymentGateway(),
        secret_key=STRONG,
    ) as portal:
        assert portal.storage.__class__.__name__ == "SqlStorage"


def test_allow_fakes_must_say_yes_or_no(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="ONESTOP_ALLOW_FAKES must be 1 or 0"):
        bootstrap(environ=sqlite_env(tmp_path, ONESTOP_ALLOW_FAKES="maybe"))


def test_smtp_and_vnpay_come_from_the_environment(tmp_path: Path) -> None:
    from onestop.adapters.smtp import SmtpMailTransport
    from onestop.adapters.vnpay import VnpayGateway

    env = sqlite_env(
        tmp_path,
        ONESTOP_SECRET_KEY=STRONG,
        ONESTOP_SMTP_HOST="smtp.example.gov.vn",
        ONESTOP_SMTP_FROM="no-reply@example.gov.vn",
        ONESTOP_VNPAY_TMN_CODE="DEMO0001",
        ONESTOP_VNPAY_HASH_SECRET="S" * 32,
        ONESTOP_VNPAY_URL="https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        ONESTOP_PORTAL_NAME="Cổng dịch vụ công tỉnh Kon Tum",
        ONESTOP_BASE_URL="https://dichvucong.kontum.gov.vn",
    )
    with bootstrap(environ=env) as portal:
        ctx = portal.context
        assert isinstance(ctx.mail_transport, SmtpMailTransport)
        assert ctx.mail_transport.host == "smtp.example.gov.vn"
        assert isinstance(ctx.payment_gateway, VnpayGateway)
        assert ctx.settings.portal_name == "Cổng dịch vụ công tỉnh Kon Tum"
        assert ctx.settings.verification_url == "https://dichvucong.kontum.gov.vn/verify"


def test_half_an_smtp_setup_is_refused_not_replaced_by_a_fake(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path, ONESTOP_SECRET_KEY=STRONG, ONESTOP_ALLOW_FAKES="1")
    env["ONESTOP_SMTP_HOST"] = "smtp.example.gov.vn"
    with pytest.raises(ConfigurationError, match="ONESTOP_SMTP_FROM"):
        bootstrap(environ=env)


def test_explicit_arguments_beat_the_environment() -> None:
    mail = InMemoryMailTransport()
    settings = Settings(portal_name="Cổng thử nghiệm")
    env = {"ONESTOP_SMTP_HOST": "smtp.example.gov.vn", "ONESTOP_PORTAL_NAME": "Ignored"}
    portal = bootstrap(environ=env, mail_transport=mail, settings=settings)
    assert portal.context.mail_transport is mail
    assert portal.context.settings is settings


def test_a_files_directory_from_the_environment_stores_attachments_on_disk(
    tmp_path: Path,
) -> None:
    from onestop.adapters.disk import DiskFileStore

    portal = bootstrap(environ={"ONESTOP_FILES_DIR": str(tmp_path / "files")})
    assert isinstance(portal.context.file_store, DiskFileStore)
    assert portal.context.file_store.root == tmp_path / "files"
