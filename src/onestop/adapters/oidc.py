"""OpenID Connect identity provider (the national single sign-on, VNeID), on Authlib and httpx.

:class:`OidcIdentityProvider` implements :class:`~onestop.ports.identity_provider.IdentityProvider`
for the authorization-code flow with PKCE (S256), ``state`` and ``nonce``. The endpoints come
from discovery (``<issuer>/.well-known/openid-configuration``, read on first use, never at
construction) or are configured. The ID token is checked against the provider's published
keys (JWKS): the algorithm (asymmetric only), the key (``kid``; an unknown one makes the
keys be read again once, so a rotated key is picked up, at most every
``jwks_refresh_interval`` seconds), the signature, then the claims (``iss``, ``aud``/``azp``,
``exp``, ``iat``/``nbf`` with ``clock_skew``, ``nonce``, ``at_hash``). Userinfo is read with
the access token; it may add claims, never change ``sub``.

Why Authlib: it is the maintained, spec-complete OAuth 2 / OpenID Connect library for
Python (RFC 6749, 7636, OIDC Core claims validation), and its author also maintains
joserfc, which Authlib itself uses for JOSE (JWS, JWK, JWT). Only Authlib's protocol pieces
are used (authorization URL, token request body, PKCE challenge, the ID token's claim
rules); HTTP goes through httpx with explicit timeouts, as for the national portal sync,
so that every transport failure becomes :class:`~onestop.errors.IdentityProviderUnavailable`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

import attrs
import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import Key, KeySet

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
)
from onestop.ports.identity_provider import AuthorizationRequest, ProvenIdentity

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_TIMEOUT",
    "ID_TOKEN_ALGORITHMS",
    "OidcIdentityProvider",
    "ProviderEndpoints",
]

#: Seconds a token's times may be off the portal's clock (exp, iat, nbf).
DEFAULT_CLOCK_SKEW: Final = 60
#: Connect quickly or give up; the provider answers a login in well under ten seconds.
DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)
#: Signature algorithms accepted for ID tokens: asymmetric only (never ``none`` or HMAC,
#: whose key would be the client secret).
ID_TOKEN_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
_TOKEN_AUTH: Final = frozenset({"client_secret_basic", "client_secret_post", "none"})
_LONGEST_ANSWER: Final = 1_000_000  # bytes of JSON read from the provider at most


@attrs.frozen
class ProviderEndpoints:
    """The provider's endpoints, from discovery or configured."""

    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None


class OidcIdentityProvider:
    """An OpenID Connect provider used with the authorization-code flow and PKCE.

    ``client_secret`` None makes a public client (PKCE alone); ``token_auth`` is how the
    client authenticates at the token endpoint. ``now`` gives the time in seconds (the
    system clock by default); ``id_number_claim`` names the claim holding the personal id
    number the provider vouches for.
    """

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        endpoints: ProviderEndpoints | None = None,
        scope: Sequence[str] = ("openid",),
        token_auth: str = "client_secret_basic",
        clock_skew: int = DEFAULT_CLOCK_SKEW,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        id_number_claim: str = "id_number",
        jwks_refresh_interval: float = 30.0,
        now: Callable[[], float] = time.time,
        http: httpx.Client | None = None,
    ) -> None:
        if not issuer or not client_id:
            raise ConfigurationError("an OpenID Connect provider needs an issuer and a client id")
        if token_auth not in _TOKEN_AUTH:
            raise ConfigurationError(
                f"token_auth must be one of {', '.join(sorted(_TOKEN_AUTH))}, not {token_auth!r}"
            )
        if token_auth != "none" and not client_secret:
            raise ConfigurationError(f"token_auth {token_auth!r} needs a client secret")
        if "openid" not in scope:
            raise ConfigurationError("the scope must include 'openid'")
        self._issuer = issuer
        self.client_id = client_id
        self._client_secret = client_secret
        self._configured = endpoints
        self.scope = tuple(scope)
        self.token_auth = token_auth
        self.clock_skew = clock_skew
        self.id_number_claim = id_number_claim
        self.jwks_refresh_interval = jwks_refresh_interval
        self._now = now
        self._own_http = http is None
        self._http = httpx.Client(timeout=timeout) if http is None else http
        self._lock = threading.Lock()
        self._endpoints = endpoints
        self._keys: KeySet | None = None
        self._keys_read_at: float | None = None

    def __repr__(self) -> str:
        return f"OidcIdentityProvider(issuer={self._issuer!r}, client_id={self.client_id!r})"

    @property
    def issuer(self) -> str:
        """The provider's issuer identifier (the ID tokens' ``iss``)."""
        return self._issuer

    def close(self) -> None:
        """Close the HTTP connections (only those this provider opened)."""
        if self._own_http:
            self._http.close()

    # --- the flow ------------------------------------------------------------------------

    def authorization_request(
        self, redirect_uri: str, *, acr_values: Sequence[str] = ()
    ) -> AuthorizationRequest:
        """A new login: the authorization URL with fresh ``state``, ``nonce`` and PKCE (S256)."""
        endpoints = self.endpoints()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        extra: dict[str, str] = {
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if acr_values:
            extra["acr_values"] = " ".join(acr_values)
        url = prepare_grant_uri(
            endpoints.authorization_endpoint,
            self.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=list(self.scope),
            state=state,
            **extra,
        )
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def redeem(
        self, code: str, *, redirect_uri: str, code_verifier: str, nonce: str
    ) -> ProvenIdentity:
        """Exchange the code, check the ID token, read userinfo."""
        endpoints = self.endpoints()
        token = self._exchange(endpoints.token_endpoint, code, redirect_uri, code_verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise IdTokenInvalid("the token endpoint gave no ID token")
        access_token = token.get("access_token")
        claims = self.check_id_token(
            id_token,
            nonce=nonce,
            access_token=access_token if isinstance(access_token, str) else None,
        )
        merged = dict(claims)
        if endpoints.userinfo_endpoint and isinstance(access_token, str) and access_token:
            userinfo = self._userinfo(endpoints.userinfo_endpoint, access_token)
            if userinfo.get("sub") != claims["sub"]:
                raise IdTokenInvalid("userinfo describes another subject than the ID token")
            merged.update({k: v for k, v in userinfo.items() if k not in _ID_TOKEN_ONLY})
        acr = claims.get("acr")
        id_number = merged.get(self.id_number_claim)
        return ProvenIdentity(
            issuer=self._issuer,
            subject=claims["sub"],
            acr=acr if isinstance(acr, str) else None,
            claims=merged,
            id_number=id_number if isinstance(id_number, str) and id_number else None,
        )

    # --- the ID token --------------------------------------------------------------------

    def check_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """The ID token's claims once every check passed; a typed error names the first failure."""
        try:
            compact = jws.extract_compact(id_token.encode("ascii"))
            header = compact.headers()
        except (JoseError, ValueError, UnicodeError) as e:
            raise IdTokenInvalid("the ID token cannot be read") from e
        alg = header.get("alg")
        if alg not in ID_TOKEN_ALGORITHMS:
            raise IdTokenInvalid(f"the ID token is signed with {str(alg)[:20]!r}, not accepted")
        kid = header.get("kid")
        key = self._key(kid if isinstance(kid, str) else None)
        try:
            token = jwt.decode(id_token, key, algorithms=[alg])
        except BadSignatureError as e:
            raise IdTokenBadSignature() from e
        except (JoseError, ValueError) as e:
            raise IdTokenInvalid("the ID token cannot be read") from e
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": self._issuer},
                "aud": {"essential": True, "value": self.client_id},
            },
            params={"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
        )
        try:
            claims.validate(now=int(self._now()), leeway=self.clock_skew)
        except ExpiredTokenError as e:
            raise IdTokenExpired() from e
        except ClaimError as e:
            raise _claim_error(e, token.claims) from e
        if not isinstance(token.claims.get("sub"), str) or not token.claims["sub"]:
            raise IdTokenInvalid("the ID token names no subject")
        return dict(token.claims)

    def _key(self, kid: str | None) -> Key:
        keys = self._keys_now(refresh=False)
        found = _pick(keys, kid)
        if found is None:
            keys = self._keys_now(refresh=True)
            found = _pick(keys, kid)
        if found is None:
            raise IdTokenUnknownKey()
        return found

    def _keys_now(self, *, refresh: bool) -> KeySet:
        with self._lock:
            keys, read_at = self._keys, self._keys_read_at
        now = self._now()
        if keys is not None and not refresh:
            return keys
        if keys is not None and read_at is not None and now - read_at < self.jwks_refresh_interval:
            return keys  # read moments ago: an unknown kid is not worth another request
        data = self._get_json(self.endpoints().jwks_uri)
        try:
            fresh = KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as e:
            raise IdentityProviderUnavailable("the provider's keys (JWKS) cannot be read") from e
        with self._lock:
            self._keys, self._keys_read_at = fresh, now
        return fresh

    # --- endpoints -----------------------------------------------------------------------

    def endpoints(self) -> ProviderEndpoints:
        """The configured endpoints, or those discovery gives (read once, then kept)."""
        with self._lock:
            known = self._endpoints
        if known is not None:
            return known
        url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
        data = self._get_json(url)
        if data.get("issuer") != self._issuer:
            raise ConfigurationError(
                f"discovery at {url} names the issuer {str(data.get('issuer'))[:200]!r}, "
                f"not {self._issuer!r}: check ONESTOP_OIDC_ISSUER"
            )
        try:
            found = ProviderEndpoints(
                authorization_endpoint=_url(data, "authorization_endpoint"),
                token_endpoint=_url(data, "token_endpoint"),
                jwks_uri=_url(data, "jwks_uri"),
                userinfo_endpoint=_url(data, "userinfo_endpoint")
                if "userinfo_endpoint" in data
                else None,
            )
        except (KeyError, TypeError) as e:
            raise IdentityProviderUnavailable(
                "the provider's discovery document is incomplete"
            ) from e
        methods = data.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise ConfigurationError(f"the provider at {self._issuer} does not support PKCE S256")
        with self._lock:
            self._endpoints = found
        return found

    # --- HTTP ----------------------------------------------------------------------------

    def _exchange(
        self, endpoint: str, code: str, redirect_uri: str, code_verifier: str
    ) -> Mapping[str, Any]:
        params: dict[str, str] = {
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        auth: httpx.Auth | httpx._client.UseClientDefault = httpx.USE_CLIENT_DEFAULT
        if self.token_auth == "client_secret_basic":
            # RFC 6749 section 2.3.1: both are form-encoded before the Basic scheme.
            auth = httpx.BasicAuth(
                quote(self.client_id, safe=""), quote(self._client_secret or "", safe="")
            )
        else:
            params["client_id"] = self.client_id
            if self.token_auth == "client_secret_post":
                params["client_secret"] = self._client_secret or ""
        body = prepare_token_request("authorization_code", **params)
        try:
            response = self._http.post(
                endpoint,
                content=body.encode("utf-8"),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
                auth=auth,
            )
        except httpx.HTTPError as e:
            raise IdentityProviderUnavailable(
                f"the token endpoint did not answer: {type(e).__name__}"
            ) from e
        data = _json_object(response)
        if response.status_code >= 500 or data is None:
            raise IdentityProviderUnavailable(f"the token endpoint answered {response.status_code}")
        error = data.get("error")
        if error is not None or response.status_code != 200:
            raise NationalLoginRefused(str(error or response.status_code))
        return data

    def _userinfo(self, endpoint: str, access_token: str) -> Mapping[str, Any]:
        try:
            response = self._http.get(
                endpoint,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as e:
            raise IdentityProviderUnavailable(f"userinfo did not answer: {type(e).__name__}") from e
        data = _json_object(response)
        if response.status_code in (400, 401, 403) and data is not None:
            raise NationalLoginRefused(str(data.get("error", response.status_code)))
        if response.status_code != 200 or data is None:
            raise IdentityProviderUnavailable(f"userinfo answered {response.status_code}")
        return data

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as e:
            raise IdentityProviderUnavailable(f"{url} did not answer: {type(e).__name__}") from e
        data = _json_object(response)
        if response.status_code != 200 or data is None:
            raise IdentityProviderUnavailable(f"{url} answered {response.status_code}")
        return data


# Claims only the ID token may carry: userinfo cannot overwrite them.
_ID_TOKEN_ONLY: Final = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "acr", "amr", "azp", "auth_time", "at_hash"}
)


def _pick(keys: KeySet, kid: str | None) -> Key | None:
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    for key in keys.keys:
        if key.kid == kid:
            return key
    return None


def _claim_error(error: ClaimError, claims: Mapping[str, Any]) -> IdTokenInvalid:
    """The typed error for a claim the ID token's rules refused."""
    claim = error.claim
    if claim == "nonce":
        return IdTokenNonceMismatch()
    if isinstance(error, MissingClaimError):
        return IdTokenInvalid(f"the ID token misses the claim {claim[:40]!r}")
    if claim == "iss":
        return IdTokenWrongIssuer()
    if claim in ("aud", "azp"):
        return IdTokenWrongAudience()
    if claim in ("iat", "nbf") and isinstance(claims.get(claim), int | float):
        return IdTokenNotYetValid()
    return IdTokenInvalid(f"the ID token's claim {claim[:40]!r} is not valid")


def _url(data: Mapping[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise TypeError(name)
    return value


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    if len(response.content) > _LONGEST_ANSWER:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
