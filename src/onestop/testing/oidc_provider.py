"""A small OpenID Connect provider on loopback, for tests and examples (VNeID's stand-in).

:class:`LocalOidcProvider` serves discovery, its keys (JWKS), ``/oauth2/authorize`` (which
approves at once and redirects back with a code: no browser, no login page),
``/oauth2/token`` and ``/oauth2/userinfo`` over real HTTP (``http.server`` in a thread). It
signs ID tokens with its own RSA keys through joserfc (the JOSE library Authlib uses) and
checks PKCE with Authlib's S256 rule::

    with LocalOidcProvider() as provider:
        provider.person = {"sub": "vneid-1", "name": "Nguyễn Văn An", ...}
        ...  # point OidcIdentityProvider at provider.issuer

Like a real provider it gives a code once, for the redirect URI and PKCE challenge it was
issued for, and within ``code_lifetime`` seconds; a client that authenticates wrongly is
refused (``invalid_client``). :meth:`rotate_keys` starts signing with a new key (the old
one stays published, or not). :meth:`inject` makes the next token answer break one rule,
for the tests of each failure:

``"wrong_nonce"``, ``"expired"``, ``"not_yet_valid"`` (``iat`` and ``nbf`` in the future),
``"wrong_audience"``, ``"wrong_issuer"``, ``"unknown_key"`` (signed with a key it does not
publish), ``"bad_signature"`` (the signature of another token), ``"down"`` (the token
endpoint answers 503), ``"drop"`` (it closes the connection without an answer),
``"access_denied"`` (the authorization endpoint redirects back with that error),
``"userinfo_other_subject"`` (userinfo describes someone else).
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import attrs
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from onestop.testing._loopback import LoopbackHttpServer

__all__ = ["FAULTS", "LocalOidcProvider"]

FAULTS = frozenset(
    {
        "wrong_nonce",
        "expired",
        "not_yet_valid",
        "wrong_audience",
        "wrong_issuer",
        "unknown_key",
        "bad_signature",
        "down",
        "drop",
        "access_denied",
        "userinfo_other_subject",
    }
)
_AUTHORIZE = "/oauth2/authorize"
_TOKEN = "/oauth2/token"
_USERINFO = "/oauth2/userinfo"
_JWKS = "/oauth2/jwks"
_DISCOVERY = "/.well-known/openid-configuration"

#: Who logs in when nobody was chosen: a citizen with a level-2 VNeID account.
DEFAULT_PERSON: Mapping[str, Any] = {
    "sub": "vneid-0001",
    "name": "Nguyễn Văn An",
    "email": "an.nguyen@example.vn",
    "phone_number": "0912345678",
    "id_number": "001085001234",
    "birthdate": "1985-03-02",
    "acr": "2",
}


@attrs.define
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None
    nonce: str | None
    person: dict[str, Any]
    issued: float


class LocalOidcProvider(LoopbackHttpServer):
    """An OpenID Connect provider on ``127.0.0.1``, started by ``start()`` or ``with``."""

    def __init__(
        self,
        *,
        client_id: str = "onestop-portal",
        client_secret: str = "local-secret",
        code_lifetime: float = 60.0,
        token_lifetime: int = 300,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.code_lifetime = code_lifetime
        self.token_lifetime = token_lifetime
        #: The claims of whoever approves the next login (``sub`` and ``acr`` included).
        self.person: dict[str, Any] = dict(DEFAULT_PERSON)
        self._keys: list[RSAKey] = [self._new_key()]
        self._published: list[RSAKey] = list(self._keys)
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, dict[str, Any]] = {}
        self._faults: deque[str] = deque()
        self.token_requests = 0
        self._lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    @property
    def issuer(self) -> str:
        """``http://127.0.0.1:<port>``: the issuer, and the base of every endpoint."""
        return self.origin

    @property
    def running(self) -> bool:
        """Whether it listens (between :meth:`start` and :meth:`stop`)."""
        return self._server is not None

    # --- keys and faults -------------------------------------------------------------------

    @staticmethod
    def _new_key() -> RSAKey:
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
        key.ensure_kid()
        return key

    @property
    def signing_kid(self) -> str:
        """The ``kid`` of the key new ID tokens are signed with."""
        kid = self._keys[-1].kid
        assert kid is not None
        return kid

    def rotate_keys(self, *, keep_old: bool = True) -> str:
        """Sign with a new key from now on; the old one stays published if ``keep_old``."""
        key = self._new_key()
        with self._lock:
            self._keys.append(key)
            self._published = [*self._published, key] if keep_old else [key]
        return self.signing_kid

    def inject(self, *faults: str) -> None:
        """Break one rule in each of the next logins, in order (see the module's list)."""
        for fault in faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}; one of {sorted(FAULTS)}")
        with self._lock:
            self._faults.extend(faults)

    @property
    def faults_left(self) -> int:
        with self._lock:
            return len(self._faults)

    def _fault(self, *names: str) -> str | None:
        """Take the next fault if it is one of ``names`` (a fault waits for its endpoint)."""
        with self._lock:
            if self._faults and self._faults[0] in names:
                return self._faults.popleft()
        return None

    # --- endpoints -----------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": base + _AUTHORIZE,
            "token_endpoint": base + _TOKEN,
            "userinfo_endpoint": base + _USERINFO,
            "jwks_uri": base + _JWKS,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "acr_values_supported": ["1", "2"],
        }

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            published = list(self._published)
        return dict(KeySet(list(published)).as_dict(private=False))

    def authorize(self, query: Mapping[str, str]) -> tuple[int, dict[str, str]]:
        """Approve at once: (302, Location header) back to the client with a code."""
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 400, {}
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return 302, {
                "Location": _back(redirect_uri, error="invalid_request", state=query.get("state"))
            }
        if self._fault("access_denied"):
            return 302, {
                "Location": _back(redirect_uri, error="access_denied", state=query.get("state"))
            }
        code = secrets.token_urlsafe(24)
        person = dict(self.person)
        if query.get("acr_values") and "acr" not in person:
            person["acr"] = query["acr_values"].split()[0]
        with self._lock:
            self._grants[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                challenge=query.get("code_challenge"),
                method=query.get("code_challenge_method"),
                nonce=query.get("nonce"),
                person=person,
                issued=time.time(),
            )
        return 302, {"Location": _back(redirect_uri, code=code, state=query.get("state"))}

    def token(
        self, form: Mapping[str, str], authorization: str | None
    ) -> tuple[int, dict[str, Any]]:
        """The token endpoint: a code once, for its client, redirect URI and PKCE verifier."""
        with self._lock:
            self.token_requests += 1
        client_id, secret = _client_credentials(form, authorization)
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code works once
        if grant is None or time.time() - grant.issued > self.code_lifetime:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier")
        if grant.challenge is not None:
            if grant.method != "S256" or not verifier:
                return 400, {"error": "invalid_grant"}
            if create_s256_code_challenge(verifier) != grant.challenge:
                return 400, {"error": "invalid_grant"}
        fault = self._fault(
            "wrong_nonce",
            "expired",
            "not_yet_valid",
            "wrong_audience",
            "wrong_issuer",
            "unknown_key",
            "bad_signature",
        )
        access_token = secrets.token_urlsafe(24)
        userinfo = {k: v for k, v in grant.person.items() if k != "acr"}
        if self._fault("userinfo_other_subject"):
            userinfo["sub"] = "someone-else"
        with self._lock:
            self._access[access_token] = userinfo
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "id_token": self._id_token(grant, fault),
        }

    def _id_token(self, grant: _Grant, fault: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.person["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + self.token_lifetime,
            "auth_time": now,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if "acr" in grant.person:
            claims["acr"] = grant.person["acr"]
        if fault == "wrong_nonce":
            claims["nonce"] = "not-" + str(grant.nonce)
        elif fault == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        elif fault == "not_yet_valid":
            claims["iat"] = claims["nbf"] = now + 3600
            claims["exp"] = now + 7200
        elif fault == "wrong_audience":
            claims["aud"] = "another-portal"
        elif fault == "wrong_issuer":
            claims["iss"] = "https://impostor.example"
        key = self._keys[-1]
        if fault == "unknown_key":
            key = self._new_key()
        token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        if fault == "bad_signature":
            other = jwt.encode({"alg": "RS256", "kid": key.kid}, {**claims, "sub": "x"}, key)
            token = token.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]
        return token

    def userinfo(self, authorization: str | None) -> tuple[int, dict[str, Any]]:
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self._lock:
            found = self._access.get(token)
        if found is None:
            return 401, {"error": "invalid_token"}
        return 200, dict(found)


def _back(redirect_uri: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"


def _client_credentials(
    form: Mapping[str, str], authorization: str | None
) -> tuple[str | None, str | None]:
    if authorization and authorization.startswith("Basic "):
        try:
            raw = base64.b64decode(authorization[6:]).decode("utf-8")
        except ValueError:
            return None, None
        client_id, _, secret = raw.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id"), form.get("client_secret")


def _handler_for(provider: LocalOidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet tests

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK hold every answer back some 40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == _DISCOVERY:
                self._reply(200, provider.discovery())
            elif url.path == _JWKS:
                self._reply(200, provider.jwks())
            elif url.path == _AUTHORIZE:
                status, headers = provider.authorize(dict(parse_qsl(url.query)))
                self._reply(status, {} if status == 302 else {"error": "invalid_request"}, headers)
            elif url.path == _USERINFO:
                self._reply(*provider.userinfo(self.headers.get("Authorization")))
            else:
                self._reply(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))
            if urlsplit(self.path).path != _TOKEN:
                self._reply(404, {"error": "not_found"})
                return
            fault = provider._fault("down", "drop")
            if fault == "down":
                self._reply(503, {"error": "temporarily_unavailable"})
                return
            if fault == "drop":
                self.close_connection = True
                return
            self._reply(*provider.token(form, self.headers.get("Authorization")))

        def _reply(self, status: int, reply: Any, headers: Mapping[str, str] | None = None) -> None:
            data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

    return Handler
