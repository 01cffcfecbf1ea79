"""Walking the OpenID Connect flow without a browser, against the loopback provider."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.support import require_module

require_module("authlib")
require_module("httpx")

import httpx  # noqa: E402

from onestop.adapters.oidc import OidcIdentityProvider  # noqa: E402
from onestop.testing.oidc_provider import DEFAULT_PERSON, LocalOidcProvider  # noqa: E402

REDIRECT_URI = "http://127.0.0.1:8000/login/national/callback"


def callback_params(authorization_url: str) -> dict[str, str]:
    """Follow the authorization URL as a browser would, to the callback's query parameters."""
    response = httpx.get(authorization_url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return dict(parse_qsl(urlsplit(location).query))


@pytest.fixture(scope="module")
def local_provider() -> Iterator[LocalOidcProvider]:
    with LocalOidcProvider() as provider:
        yield provider


@pytest.fixture
def provider(local_provider: LocalOidcProvider) -> Iterator[LocalOidcProvider]:
    """The module's provider, reset: the default person, no fault left over."""
    local_provider.person = dict(DEFAULT_PERSON)
    yield local_provider
    assert local_provider.faults_left == 0, "a test left a fault unused"


@pytest.fixture
def client(provider: LocalOidcProvider) -> Iterator[OidcIdentityProvider]:
    """The adapter, through discovery, as the portal would configure it."""
    adapter = OidcIdentityProvider(
        provider.issuer, provider.client_id, provider.client_secret, jwks_refresh_interval=0
    )
    yield adapter
    adapter.close()
