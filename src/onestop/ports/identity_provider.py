"""An identity provider the portal's users log in with (DOMAIN section 12), as a port.

The national portal's single sign-on (VNeID) is OpenID Connect with the authorization-code
flow; :class:`~onestop.adapters.oidc.OidcIdentityProvider` is the adapter. The use cases
(:mod:`onestop.application.national_login`) check what is the host's to keep (the ``state``
against the session, the session's age, a replayed callback); the adapter does what needs
the provider: the authorization URL (with PKCE), the code exchange, the ID token's checks
(signature against the provider's published keys, issuer, audience, expiry, iat/nbf with a
clock skew, nonce) and userinfo. It raises:

* a :class:`~onestop.errors.IdTokenInvalid` subclass naming the check that failed;
* :class:`~onestop.errors.NationalLoginRefused` when the provider answered with an OAuth
  error (a used or unknown code, ``access_denied``);
* :class:`~onestop.errors.IdentityProviderUnavailable` when it did not answer usefully.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

__all__ = ["AuthorizationRequest", "IdentityProvider", "ProvenIdentity"]


@attrs.frozen
class AuthorizationRequest:
    """Where to send the browser, and the secrets of this login the host keeps until the callback.

    ``state`` ties the callback to the session, ``nonce`` the ID token to this login, and
    ``code_verifier`` proves (PKCE, S256) that whoever redeems the code started the login.
    """

    url: str
    state: str = attrs.field(repr=False)
    nonce: str = attrs.field(repr=False)
    code_verifier: str = attrs.field(repr=False)


@attrs.frozen
class ProvenIdentity:
    """What the provider vouched for: the ID token's checked claims and userinfo's.

    ``claims`` are userinfo's claims over the ID token's (userinfo cannot change ``sub``:
    a userinfo answer for another subject is refused). ``acr`` is the level of assurance
    the provider says this login reached, as it spells it; ``id_number`` the personal id
    number (CMND/CCCD) it vouches for, read from the claim the adapter is configured with.
    """

    issuer: str
    subject: str
    acr: str | None
    claims: Mapping[str, Any]
    id_number: str | None = None


class IdentityProvider(Protocol):
    @property
    def issuer(self) -> str:
        """The provider's issuer identifier (the ID tokens' ``iss``)."""

    def authorization_request(
        self, redirect_uri: str, *, acr_values: Sequence[str] = ()
    ) -> AuthorizationRequest:
        """A new login: the authorization URL with fresh ``state``, ``nonce`` and PKCE."""

    def redeem(
        self, code: str, *, redirect_uri: str, code_verifier: str, nonce: str
    ) -> ProvenIdentity:
        """Exchange the callback's code, check the ID token and read userinfo."""
