"""Log in with the national identity (VNeID through the national portal's single sign-on).

OpenID Connect, authorization-code flow with PKCE, walked without a browser: the script
begins the login, follows the provider's authorization redirect itself (a provider that
approves at once allows it), hands the callback to the portal and prints the account and
its level of assurance. It exits non-zero with the typed error's Vietnamese message when
the login is refused.

Without an argument it starts a local provider on loopback
(:class:`onestop.testing.oidc_provider.LocalOidcProvider`) and shows the whole story: a
citizen who registered with a password links her VNeID identity (her password proved
again), logs in with it, and a replayed callback is refused. With an argument it uses the
provider at ``ISSUER_URL`` (discovery at ``ISSUER_URL/.well-known/openid-configuration``,
client id and secret from ``ONESTOP_OIDC_CLIENT_ID`` and ``ONESTOP_OIDC_CLIENT_SECRET``)
and completes one login.

    python examples/national_login.py [ISSUER_URL]
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from urllib.parse import parse_qsl, urlsplit

import httpx
from _demo import verified_citizen

from onestop import bootstrap
from onestop.adapters import InMemoryMailTransport
from onestop.application.national_login import NationalLoginStart
from onestop.bootstrap import Portal
from onestop.errors import OnestopError
from onestop.testing.oidc_provider import LocalOidcProvider

REDIRECT_URI = "http://127.0.0.1:8000/login/national/callback"
EMAIL = "lan.pham@example.vn"
PASSWORD = "Mật khẩu của Lan 2025"


def follow(start: NationalLoginStart) -> dict[str, str]:
    """What a browser does: open the provider's URL, come back with the callback's query."""
    answer = httpx.get(start.url, follow_redirects=False, timeout=30)
    location = answer.headers.get("location", "")
    if answer.status_code not in (302, 303) or not location.startswith(REDIRECT_URI):
        raise SystemExit(f"the provider did not redirect back (HTTP {answer.status_code})")
    return dict(parse_qsl(urlsplit(location).query))


def show(portal: Portal, account_id: str) -> None:
    account = portal.accounts.get(account_id)
    identity = account.national_identity
    assert identity is not None
    print(f"Linked account: {account.email} ({account.kind.value}, {account.status.value})")
    print(f"  national subject {identity.subject}, id number {identity.id_number or '-'}")
    print(f"  level of assurance: {identity.level_of_assurance}")


def local_story(portal: Portal, mail: InMemoryMailTransport, provider: LocalOidcProvider) -> None:
    """A password account links its VNeID identity, logs in with it; a replay is refused."""
    lan = verified_citizen(portal, mail, EMAIL, PASSWORD, "Phạm Thị Lan")
    provider.person.update(
        sub="vneid-lan-0042",
        name="Phạm Thị Lan",
        email=EMAIL,
        id_number="001190012345",
        birthdate="1990-01-15",
        acr="2",
    )
    print(f"Registered with a password: {lan.email}")
    start = portal.national_login.begin()
    print(f"Authorization URL: {start.url.split('?')[0]} (PKCE S256, state, nonce)")
    portal.national_login.link(lan.id, PASSWORD, follow(start), start.session)
    print("VNeID identity linked (password proved again)")
    start = portal.national_login.begin()
    params = follow(start)
    login = portal.national_login.complete(params, start.session)
    print(f"Logged in with VNeID: {login.account.email} (created: {login.created})")
    show(portal, login.account.id)
    try:
        portal.national_login.complete(params, start.session)
    except OnestopError as e:
        print(f"Replayed callback refused: {e.code} ({e.http_status}): {e.message('vi')}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    with ExitStack() as stack:
        environ = {"ONESTOP_OIDC_REDIRECT_URI": REDIRECT_URI}
        provider: LocalOidcProvider | None = None
        if args:
            environ["ONESTOP_OIDC_ISSUER"] = args[0].rstrip("/")
            for name in ("ONESTOP_OIDC_CLIENT_ID", "ONESTOP_OIDC_CLIENT_SECRET"):
                if os.environ.get(name):
                    environ[name] = os.environ[name]
        else:
            provider = stack.enter_context(LocalOidcProvider())
            print(f"Local OpenID Connect provider at {provider.issuer}")
            environ.update(
                ONESTOP_OIDC_ISSUER=provider.issuer,
                ONESTOP_OIDC_CLIENT_ID=provider.client_id,
                ONESTOP_OIDC_CLIENT_SECRET=provider.client_secret,
            )
        mail = InMemoryMailTransport()
        try:
            portal = stack.enter_context(bootstrap(mail_transport=mail, environ=environ))
            if provider is not None:
                local_story(portal, mail, provider)
            else:
                start = portal.national_login.begin()
                login = portal.national_login.complete(follow(start), start.session)
                print(f"Logged in with the national identity (created: {login.created})")
                show(portal, login.account.id)
        except OnestopError as e:
            print(f"Đăng nhập bị từ chối: {e.message('vi')} [{e.code}]", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
