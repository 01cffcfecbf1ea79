"""``ONESTOP_OIDC_*``: the national identity provider from the environment, failing closed."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import require_module

require_module("authlib")

from onestop import bootstrap  # noqa: E402
from onestop.adapters.memory import InMemoryStorage  # noqa: E402
from onestop.adapters.oidc import OidcIdentityProvider  # noqa: E402
from onestop.config import Config  # noqa: E402
from onestop.errors import ConfigurationError  # noqa: E402

BASE = {
    "ONESTOP_OIDC_ISSUER": "https://sso.dichvucong.gov.vn",
    "ONESTOP_OIDC_CLIENT_ID": "kontum-portal",
    "ONESTOP_OIDC_CLIENT_SECRET": "s3cret-value",
}


def test_no_variable_means_no_provider() -> None:
    """Without ONESTOP_OIDC_* the portal has no national login (and says so when asked)."""
    config = Config.from_env({})
    assert config.identity_provider() is None
    assert ("VNeID login", "not configured") in config.describe()


def test_the_variables_make_a_provider_and_settings() -> None:
    """Issuer, client, secret, redirect URI, acr values, level, skew and session minutes."""
    config = Config.from_env(
        {
            **BASE,
            "ONESTOP_OIDC_REDIRECT_URI": "https://dichvucong.kontum.gov.vn/login/vneid",
            "ONESTOP_OIDC_ACR_VALUES": "2",
            "ONESTOP_OIDC_MIN_LEVEL": "2",
            "ONESTOP_OIDC_CLOCK_SKEW": "30",
            "ONESTOP_OIDC_SESSION_MINUTES": "5",
        }
    )
    provider = config.identity_provider()
    assert isinstance(provider, OidcIdentityProvider)
    assert provider.issuer == "https://sso.dichvucong.gov.vn"
    assert provider.clock_skew == 30
    settings = config.national_login_settings()
    assert settings.redirect_uri == "https://dichvucong.kontum.gov.vn/login/vneid"
    assert settings.acr_values == ("2",)
    assert settings.min_level == 2
    assert settings.session_ttl == dt.timedelta(minutes=5)
    shown = dict(config.describe())
    assert "s3cret" not in repr(config.describe())
    assert shown["  ONESTOP_OIDC_CLIENT_SECRET"].startswith("***")


@pytest.mark.parametrize(
    "changes",
    [
        {"ONESTOP_OIDC_ISSUER": ""},  # no issuer
        {"ONESTOP_OIDC_CLIENT_ID": ""},
        {"ONESTOP_OIDC_ISSUER": "http://sso.dichvucong.gov.vn"},  # plain http off loopback
        {"ONESTOP_OIDC_ISSUER": "sso.dichvucong.gov.vn"},
        {"ONESTOP_OIDC_ISSUER": "https://[sso"},  # not a URL at all
        {"ONESTOP_OIDC_ISSUER": "https://sso.dichvucong.gov.vn:99999"},  # no such port
        {"ONESTOP_OIDC_CLIENT_SECRET": ""},  # a confidential client without its secret
        {"ONESTOP_OIDC_TOKEN_AUTH": "private_key_jwt"},
        {"ONESTOP_OIDC_TOKEN_ENDPOINT": "https://sso.dichvucong.gov.vn/oauth2/token"},  # 1 of 3
        {"ONESTOP_OIDC_CLOCK_SKEW": "a minute"},
        {"ONESTOP_OIDC_CLOCK_SKEW": "6000"},
        {"ONESTOP_OIDC_TIMEOUT": "0"},
        {"ONESTOP_OIDC_SCOPE": "profile email"},
    ],
)
def test_bad_settings_refuse_to_start(changes: dict[str, str]) -> None:
    """Each bad setting is a ConfigurationError at bootstrap, before anything is opened."""
    environ = {**BASE, **changes}
    with pytest.raises(ConfigurationError):
        bootstrap(storage=InMemoryStorage(), environ=environ)


@pytest.mark.parametrize(
    "changes",
    [
        {"ONESTOP_OIDC_MIN_LEVEL": "3"},
        {"ONESTOP_OIDC_SESSION_MINUTES": "600"},
        {"ONESTOP_OIDC_REDIRECT_URI": "javascript:alert(1)"},
    ],
)
def test_bad_login_settings_refuse_to_start(changes: dict[str, str]) -> None:
    """The use cases' settings fail closed too."""
    with pytest.raises(ConfigurationError):
        bootstrap(storage=InMemoryStorage(), environ={**BASE, **changes})


def test_configured_endpoints_and_loopback_http_are_accepted() -> None:
    """All three endpoints set: no discovery; http is fine on 127.0.0.1 (a local provider)."""
    base = "http://127.0.0.1:8765"
    portal = bootstrap(
        storage=InMemoryStorage(),
        environ={
            **BASE,
            "ONESTOP_OIDC_ISSUER": base,
            "ONESTOP_OIDC_AUTHORIZATION_ENDPOINT": base + "/oauth2/authorize",
            "ONESTOP_OIDC_TOKEN_ENDPOINT": base + "/oauth2/token",
            "ONESTOP_OIDC_JWKS_URI": base + "/oauth2/jwks",
        },
    )
    with portal:
        provider = portal.identity_provider
        assert isinstance(provider, OidcIdentityProvider)
        assert provider.endpoints().token_endpoint == base + "/oauth2/token"  # no request made
        start = portal.national_login.begin()
        assert start.url.startswith(base + "/oauth2/authorize?")


def test_closing_the_portal_closes_the_providers_connections() -> None:
    """Portal.close releases the identity provider's HTTP client with the storage."""
    portal = bootstrap(storage=InMemoryStorage(), environ=BASE)
    provider = portal.identity_provider
    assert isinstance(provider, OidcIdentityProvider)
    assert not provider._http.is_closed
    portal.close()
    assert provider._http.is_closed
