"""National logins (OpenID Connect) per second against the loopback provider.

    .venv/bin/python benchmarks/bench_national_login.py [-n 200] [--rounds 3]

Rows, each the best of ``--rounds`` runs of ``-n`` operations:

* ``check ID token``: :meth:`OidcIdentityProvider.check_id_token` alone on a token already
  fetched (RS256 signature against the cached JWKS, then the claim rules); no HTTP.
* ``login, account known``: ``begin``, the browser's GET of the authorization URL (302),
  ``complete`` (the state recorded, the code redeemed with PKCE, the ID token checked,
  userinfo read, the account found by its subject and stored): three HTTP requests to the
  provider plus the authorization GET, on the in-memory storage.
* ``login, key rotated``: the same, with the provider signing with a new key each time, so
  every login reads the JWKS again (one more request).

The provider runs in the same process (a thread), so the figures include its work: RSA
signing at the provider, verification at the portal. They say how much a login costs the
portal's process, not the national provider's latency.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx

from onestop import bootstrap
from onestop.adapters.memory import InMemoryStorage
from onestop.testing.oidc_provider import LocalOidcProvider

REDIRECT_URI = "http://127.0.0.1:8000/login/national/callback"


def best_rate(n: int, rounds: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            run()
        best = min(best, time.perf_counter() - started)
    return n / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with LocalOidcProvider() as provider:
        environ = {
            "ONESTOP_OIDC_ISSUER": provider.issuer,
            "ONESTOP_OIDC_CLIENT_ID": provider.client_id,
            "ONESTOP_OIDC_CLIENT_SECRET": provider.client_secret,
            "ONESTOP_OIDC_REDIRECT_URI": REDIRECT_URI,
        }
        with bootstrap(storage=InMemoryStorage(), environ=environ) as portal:
            browser = httpx.Client()
            adapter = portal.identity_provider
            assert adapter is not None
            adapter.jwks_refresh_interval = 0.0  # type: ignore[attr-defined]

            def login() -> None:
                start = portal.national_login.begin()
                location = browser.get(start.url).headers["location"]
                params = dict(parse_qsl(urlsplit(location).query))
                portal.national_login.complete(params, start.session)

            login()  # discovery, keys, the account created
            request = adapter.authorization_request(REDIRECT_URI)
            location = browser.get(request.url).headers["location"]
            code = dict(parse_qsl(urlsplit(location).query))["code"]
            answer = httpx.post(
                f"{provider.issuer}/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": request.code_verifier,
                },
                auth=(provider.client_id, provider.client_secret),
            )
            id_token = answer.json()["id_token"]

            def check() -> None:
                adapter.check_id_token(id_token, nonce=request.nonce)  # type: ignore[attr-defined]

            def rotated_login() -> None:
                provider.rotate_keys(keep_old=False)
                login()

            rows = [
                ("check ID token", best_rate(options.n * 5, options.rounds, check)),
                ("login, account known", best_rate(options.n, options.rounds, login)),
                (
                    "login, key rotated",
                    best_rate(options.n // 4 or 1, options.rounds, rotated_login),
                ),
            ]
            browser.close()
    print(f"{'operation':<24}{'per second':>12}{'ms each':>10}")
    for name, rate in rows:
        print(f"{name:<24}{rate:>12.0f}{1000 / rate:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
