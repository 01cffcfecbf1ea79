"""The OpenID Connect adapter against a real provider on loopback (DOMAIN section 12).

Each rule the ID token must pass is broken once by the provider (fault injection), and the
adapter answers with the typed error of that rule; keys rotate; a code works once and only
with its PKCE verifier.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from onestop.adapters.oidc import OidcIdentityProvider, ProviderEndpoints
from onestop.errors import (
    ConfigurationError,
    IdentityProviderUnavailable,
    IdTokenBadSignature,
    IdTokenExpired,
    IdTokenInvalid,
    IdTokenNonceMismatch,
    IdTokenNotYetValid,
    IdTokenUnknownKey,
    IdTokenWrongAudience,
    IdTokenWrongIssuer,
    NationalLoginRefused,
    OnestopError,
)
from onestop.ports.identity_provider import ProvenIdentity
from onestop.testing.oidc_provider import LocalOidcProvider
from tests.adapters.oidc_support import (
    REDIRECT_URI,
    callback_params,
    client,
    local_provider,
    provider,
)

__all__ = ["client", "local_provider", "provider"]  # fixtures, used by name


def login(adapter: OidcIdentityProvider, *, acr_values: tuple[str, ...] = ()) -> ProvenIdentity:
    request = adapter.authorization_request(REDIRECT_URI, acr_values=acr_values)
    params = callback_params(request.url)
    assert params["state"] == request.state
    return adapter.redeem(
        params["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=request.code_verifier,
        nonce=request.nonce,
    )


def test_a_login_gives_the_vouched_identity_with_its_level(
    client: OidcIdentityProvider, provider: LocalOidcProvider
) -> None:
    """Discovery, the authorization URL, the code exchange, the ID token and userinfo."""
    proven = login(client)
    assert proven.subject == "vneid-0001"
    assert proven.issuer == provider.issuer
    assert proven.acr == "2"
    assert proven.id_number == "001085001234"
    assert proven.claims["name"] == "Nguyễn Văn An"
    assert proven.claims["email"] == "an.nguyen@example.vn"  # from userinfo


def test_the_authorization_url_carries_pkce_state_nonce_and_acr_values(
    client: OidcIdentityProvider,
) -> None:
    """S256 challenge (never the verifier), fresh state and nonce each time, acr_values."""
    first = client.authorization_request(REDIRECT_URI, acr_values=("2",))
    second = client.authorization_request(REDIRECT_URI)
    query = dict(parse_qsl(urlsplit(first.url).query))
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] != first.code_verifier
    assert first.code_verifier not in first.url
    assert query["state"] == first.state
    assert query["nonce"] == first.nonce
    assert query["acr_values"] == "2"
    assert "openid" in query["scope"].split()
    assert {first.state, first.nonce, first.code_verifier}.isdisjoint(
        {second.state, second.nonce, second.code_verifier}
    )
    assert "acr_values" not in dict(parse_qsl(urlsplit(second.url).query))


FAULTS = [
    ("wrong_nonce", IdTokenNonceMismatch),
    ("expired", IdTokenExpired),
    ("not_yet_valid", IdTokenNotYetValid),
    ("wrong_audience", IdTokenWrongAudience),
    ("wrong_issuer", IdTokenWrongIssuer),
    ("unknown_key", IdTokenUnknownKey),
    ("bad_signature", IdTokenBadSignature),
    ("down", IdentityProviderUnavailable),
    ("drop", IdentityProviderUnavailable),
    ("userinfo_other_subject", IdTokenInvalid),
]


@pytest.mark.parametrize(("fault", "error"), FAULTS, ids=[f for f, _ in FAULTS])
def test_each_broken_rule_is_its_typed_error(
    client: OidcIdentityProvider,
    provider: LocalOidcProvider,
    fault: str,
    error: type[OnestopError],
) -> None:
    """The provider breaks one rule; the adapter refuses with exactly that rule's error."""
    login(client)  # keys and endpoints known: the fault is the only difference
    provider.inject(fault)
    with pytest.raises(error) as caught:
        login(client)
    assert type(caught.value) is error
    assert login(client).subject == "vneid-0001"  # the next login is fine again


def test_a_token_within_the_clock_skew_is_accepted(provider: LocalOidcProvider) -> None:
    """A portal clock 30 s behind the provider accepts the token (iat ahead by 30 s)."""
    behind = OidcIdentityProvider(
        provider.issuer, provider.client_id, provider.client_secret, now=lambda: time.time() - 30
    )
    assert login(behind).subject == "vneid-0001"
    strict = OidcIdentityProvider(
        provider.issuer,
        provider.client_id,
        provider.client_secret,
        clock_skew=0,
        now=lambda: time.time() - 30,
    )
    with pytest.raises(IdTokenNotYetValid):
        login(strict)
    far_ahead = OidcIdentityProvider(
        provider.issuer, provider.client_id, provider.client_secret, now=lambda: time.time() + 3600
    )
    with pytest.raises(IdTokenExpired):
        login(far_ahead)


def test_rotated_keys_are_read_again(
    client: OidcIdentityProvider, provider: LocalOidcProvider
) -> None:
    """A token signed with a new key makes the adapter read the keys again, once."""
    login(client)
    provider.rotate_keys(keep_old=False)
    assert login(client).subject == "vneid-0001"
    provider.rotate_keys(keep_old=True)
    assert login(client).subject == "vneid-0001"


def test_an_unknown_key_is_not_fetched_again_within_the_refresh_interval(
    provider: LocalOidcProvider,
) -> None:
    """Within ``jwks_refresh_interval`` an unknown kid costs no request: it is refused."""
    adapter = OidcIdentityProvider(
        provider.issuer, provider.client_id, provider.client_secret, jwks_refresh_interval=3600
    )
    login(adapter)
    provider.rotate_keys(keep_old=False)
    with pytest.raises(IdTokenUnknownKey):
        login(adapter)


def test_a_code_works_once(client: OidcIdentityProvider) -> None:
    """A replayed code is refused by the provider: NationalLoginRefused (invalid_grant)."""
    request = client.authorization_request(REDIRECT_URI)
    params = callback_params(request.url)
    client.redeem(
        params["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=request.code_verifier,
        nonce=request.nonce,
    )
    with pytest.raises(NationalLoginRefused) as caught:
        client.redeem(
            params["code"],
            redirect_uri=REDIRECT_URI,
            code_verifier=request.code_verifier,
            nonce=request.nonce,
        )
    assert caught.value.provider_error == "invalid_grant"


def test_a_code_needs_its_own_pkce_verifier(client: OidcIdentityProvider) -> None:
    """Someone who stole the code but not the verifier gets nothing (PKCE, S256)."""
    request = client.authorization_request(REDIRECT_URI)
    other = client.authorization_request(REDIRECT_URI)
    params = callback_params(request.url)
    with pytest.raises(NationalLoginRefused):
        client.redeem(
            params["code"],
            redirect_uri=REDIRECT_URI,
            code_verifier=other.code_verifier,
            nonce=request.nonce,
        )


def test_a_wrong_client_secret_is_refused(provider: LocalOidcProvider) -> None:
    """The provider refuses the client (invalid_client), in the Basic and the POST forms."""
    for token_auth in ("client_secret_basic", "client_secret_post"):
        adapter = OidcIdentityProvider(
            provider.issuer, provider.client_id, "wrong", token_auth=token_auth
        )
        with pytest.raises(NationalLoginRefused) as caught:
            login(adapter)
        assert caught.value.provider_error == "invalid_client"
    post = OidcIdentityProvider(
        provider.issuer, provider.client_id, provider.client_secret, token_auth="client_secret_post"
    )
    assert login(post).subject == "vneid-0001"


def test_configured_endpoints_need_no_discovery(provider: LocalOidcProvider) -> None:
    """With the endpoints given, discovery is never read (a wrong issuer URL base proves it)."""
    base = provider.issuer
    adapter = OidcIdentityProvider(
        base,
        provider.client_id,
        provider.client_secret,
        endpoints=ProviderEndpoints(
            authorization_endpoint=base + "/oauth2/authorize",
            token_endpoint=base + "/oauth2/token",
            jwks_uri=base + "/oauth2/jwks",
        ),
    )
    proven = login(adapter)
    assert proven.subject == "vneid-0001"
    assert "email" not in proven.claims  # no userinfo endpoint configured: the ID token only


def test_a_provider_that_does_not_answer_is_unavailable() -> None:
    """Nothing listens: discovery fails with IdentityProviderUnavailable, not a crash."""
    with LocalOidcProvider() as gone:
        issuer = gone.issuer
    adapter = OidcIdentityProvider(issuer, "c", "s")
    with pytest.raises(IdentityProviderUnavailable):
        adapter.authorization_request(REDIRECT_URI)


def test_discovery_naming_another_issuer_is_a_configuration_error(
    provider: LocalOidcProvider,
) -> None:
    """The issuer configured must be the one discovery names (no look-alike host)."""
    adapter = OidcIdentityProvider(
        provider.issuer.replace("127.0.0.1", "localhost"), provider.client_id, "s"
    )
    with pytest.raises(ConfigurationError):
        adapter.authorization_request(REDIRECT_URI)


def test_unsafe_settings_are_refused() -> None:
    """No client secret for a confidential client, no openid scope, an unknown auth method."""
    with pytest.raises(ConfigurationError):
        OidcIdentityProvider("https://sso.example.vn", "c", None)
    with pytest.raises(ConfigurationError):
        OidcIdentityProvider("https://sso.example.vn", "c", "s", scope=("profile",))
    with pytest.raises(ConfigurationError):
        OidcIdentityProvider("https://sso.example.vn", "c", "s", token_auth="private_key_jwt")
    public = OidcIdentityProvider("https://sso.example.vn", "c", None, token_auth="none")
    assert public.issuer == "https://sso.example.vn"
