"""The configuration read from ONESTOP_* variables: parsing, masking, what fails closed."""

from __future__ import annotations

import pytest

from onestop.adapters.smtp import SMTP_ENV
from onestop.adapters.vnpay import VNPAY_ENV
from onestop.config import Config, mask_url
from onestop.errors import ConfigurationError

SECRETS = {
    "ONESTOP_DATABASE_URL": "postgresql+psycopg://portal:db-password-123@db.internal/portal",
    "ONESTOP_SECRET_KEY": "the-secret-key-of-the-portal-0123456789",
    "ONESTOP_SMTP_HOST": "smtp.example.gov.vn",
    "ONESTOP_SMTP_FROM": "no-reply@example.gov.vn",
    "ONESTOP_SMTP_USERNAME": "portal",
    "ONESTOP_SMTP_PASSWORD": "smtp-password-456",
    "ONESTOP_VNPAY_TMN_CODE": "DEMO0001",
    "ONESTOP_VNPAY_HASH_SECRET": "vnpay-hash-secret-789",
    "ONESTOP_VNPAY_URL": "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
}
PLAINTEXT = ("db-password-123", "the-secret-key", "smtp-password-456", "vnpay-hash-secret-789")


def test_the_variables_match_the_adapters_own() -> None:
    config = Config.from_env({var: "x" for var in [*SMTP_ENV.values(), *VNPAY_ENV.values()]})
    assert set(config.smtp) == set(SMTP_ENV.values())
    assert set(config.vnpay) == set(VNPAY_ENV.values())


def test_an_empty_environment_is_in_memory_and_safe() -> None:
    config = Config.from_env({})
    assert not config.persistent
    assert config.problems() == []
    assert dict(config.describe())["database"] == "in memory"


def test_blank_variables_count_as_unset() -> None:
    config = Config.from_env({"ONESTOP_DATABASE_URL": "  ", "ONESTOP_SECRET_KEY": ""})
    assert config.database_url is None
    assert config.secret_key is None


def test_describe_and_repr_never_show_a_secret() -> None:
    config = Config.from_env(SECRETS)
    shown = "\n".join(f"{k} {v}" for k, v in config.describe()) + repr(config)
    for secret in PLAINTEXT:
        assert secret not in shown
    assert "postgresql+psycopg://portal:***@db.internal/portal" in shown
    assert "smtp.example.gov.vn" in shown


def test_a_complete_setup_has_no_problems() -> None:
    assert Config.from_env(SECRETS).problems() == []


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://u:p%40ss@h:5432/d", "postgresql://u:***@h:5432/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///portal.db", "sqlite:///portal.db"),
    ],
)
def test_mask_url_hides_only_the_password(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_allow_fakes_accepts_the_usual_yes(value: str) -> None:
    assert Config.from_env({"ONESTOP_ALLOW_FAKES": value}).allow_fakes


@pytest.mark.parametrize("value", ["", "0", "false", "No", "off"])
def test_allow_fakes_accepts_the_usual_no(value: str) -> None:
    assert not Config.from_env({"ONESTOP_ALLOW_FAKES": value}).allow_fakes


def test_allow_fakes_refuses_anything_else() -> None:
    with pytest.raises(ConfigurationError, match="ONESTOP_ALLOW_FAKES"):
        Config.from_env({"ONESTOP_ALLOW_FAKES": "si"})


def test_reading_the_configuration_imports_no_adapter() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from onestop.config import Config; Config.from_env({}).describe();"
        "print(','.join(m for m in ('smtplib','onestop.adapters.vnpay','sqlalchemy')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
