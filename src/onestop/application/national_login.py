"""``portal.national_login``: logging in with the national identity (VNeID; DOMAIN section 12).

The national portal's single sign-on is OpenID Connect, authorization-code flow. A host
calls :meth:`NationalLoginService.begin`, keeps the returned
:class:`NationalLoginSession` in its server-side session and redirects the browser to
``start.url``; on the callback it passes the query parameters and the kept session to
:meth:`~NationalLoginService.complete` (a citizen or an organisation's representative:
the account, created or found), :meth:`~NationalLoginService.link` (an existing account,
its password proved again) or :meth:`~NationalLoginService.complete_officer` (an officer
mapped by the national subject, :meth:`onestop.application.desk.OfficerDesk.link_external_subject`).

What is checked here, before the provider is asked anything: the session's age
(:class:`~onestop.errors.NationalLoginSessionExpired`), the callback's ``state`` against
the kept one and its single use (:class:`~onestop.errors.NationalLoginStateMismatch`: a
state is recorded in the token ledger, so a replayed callback is refused even if the host
kept the session), an error the provider sent back (:class:`~onestop.errors.NationalLoginRefused`).
The adapter (:class:`~onestop.adapters.oidc.OidcIdentityProvider`) redeems the code with
the PKCE verifier and checks the ID token; then the level of assurance is held to
:attr:`NationalLoginSettings.min_level` (:class:`~onestop.errors.InsufficientAssurance`).

An account created through the national identity is active at once (the identity is
proved; its email comes from the provider) and has no usable password: its holder may set
one through the password-reset mail. The subject, the id number vouched for and the level
of assurance are stored on the account
(:class:`~onestop.domain.national_identity.NationalIdentity`); the national sync's
``TaiKhoanDuocXacThucVoiVNeID`` and the VNeID indicator read them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from onestop.application.accounts import AccountService
from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.desk import OfficerDesk
from onestop.application.security_log import log_security_event, mask
from onestop.domain.accounts import Account, Officer
from onestop.domain.identity import check_citizen_id, normalize_email, normalize_phone
from onestop.domain.national_identity import LEVELS_OF_ASSURANCE, NationalIdentity, level_of_acr
from onestop.errors import (
    ConfigurationError,
    DuplicateError,
    InsufficientAssurance,
    InvalidIdentity,
    InvalidInput,
    NationalIdentityAlreadyLinked,
    NationalLinkRequired,
    NationalLoginRefused,
    NationalLoginSessionExpired,
    NationalLoginStateMismatch,
    OnestopError,
)
from onestop.ports.identity_provider import IdentityProvider, ProvenIdentity
from onestop.ports.storage import UnitOfWork

__all__ = [
    "NATIONAL_LOGIN_ONLY",
    "NationalLogin",
    "NationalLoginService",
    "NationalLoginSession",
    "NationalLoginSettings",
    "NationalLoginStart",
]

#: The password hash of an account made through the national identity: no password matches
#: it (it is no hash at all), so only the national login or a password reset opens it.
NATIONAL_LOGIN_ONLY: Final = "!national-login-only"
#: Claims read for a new account, besides the standard ``name``, ``email``,
#: ``phone_number`` and ``birthdate``: an organisation's tax code and name (a representative
#: logging in for an organisation).
TAX_CODE_CLAIM: Final = "tax_code"
ORGANISATION_NAME_CLAIM: Final = "organization_name"
# The token ledger's entry of a used state: a digest, never the state itself.
_STATE_PREFIX: Final = "oidc-state:"
_LONGEST_PARAM: Final = 2048


def _redirect_uri(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ConfigurationError(f"{attribute.name} must be an http(s) URL, not {value!r}")


def _acr_values(_: object, attribute: attrs.Attribute[tuple[str, ...]], value: object) -> None:
    if not isinstance(value, tuple) or not all(
        isinstance(v, str) and v and " " not in v for v in value
    ):
        raise ConfigurationError("acr_values must be a tuple of words")


def _min_level(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value not in LEVELS_OF_ASSURANCE:
        raise ConfigurationError(f"min_level must be 1 or 2, not {value!r}")


def _session_ttl(_: object, attribute: attrs.Attribute[dt.timedelta], value: object) -> None:
    if not isinstance(value, dt.timedelta) or not (
        dt.timedelta(0) < value <= dt.timedelta(hours=1)
    ):
        raise ConfigurationError("session_ttl must be a duration above 0 and at most one hour")


@attrs.frozen
class NationalLoginSettings:
    """How the portal uses the national single sign-on (``ONESTOP_OIDC_*``)."""

    #: Where the provider sends the browser back (registered with the provider).
    redirect_uri: str = attrs.field(
        default="http://localhost:8000/login/national/callback", validator=_redirect_uri
    )
    #: The levels of assurance asked for (``acr_values``); empty: the provider's default.
    acr_values: tuple[str, ...] = attrs.field(default=(), validator=_acr_values)
    #: The lowest level of assurance accepted (Decree 69/2024: 1 or 2).
    min_level: int = attrs.field(default=1, validator=_min_level)
    #: How long a begun login may wait for its callback.
    session_ttl: dt.timedelta = attrs.field(
        default=dt.timedelta(minutes=10), validator=_session_ttl
    )


@attrs.frozen
class NationalLoginSession:
    """What the host keeps in its session between :meth:`~NationalLoginService.begin` and
    the callback: secret (keep it server-side), and useless after ``expires_at``."""

    state: str = attrs.field(repr=False)
    nonce: str = attrs.field(repr=False)
    code_verifier: str = attrs.field(repr=False)
    redirect_uri: str
    expires_at: dt.datetime

    def to_mapping(self) -> dict[str, str]:
        """Plain text values, for a session store that holds JSON."""
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
            "expires_at": self.expires_at.isoformat(),
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> NationalLoginSession:
        """Read back :meth:`to_mapping`'s values; anything else is NationalLoginStateMismatch."""
        try:
            fields = {
                name: data[name]
                for name in ("state", "nonce", "code_verifier", "redirect_uri", "expires_at")
            }
            if not all(
                isinstance(v, str) and 0 < len(v) <= _LONGEST_PARAM for v in fields.values()
            ):
                raise ValueError("not text")
            expires_at = dt.datetime.fromisoformat(fields.pop("expires_at"))
            if expires_at.tzinfo is None:
                raise ValueError("naive")
        except (KeyError, TypeError, ValueError) as e:
            raise NationalLoginStateMismatch("the kept login session cannot be read") from e
        return cls(expires_at=expires_at, **fields)


@attrs.frozen
class NationalLoginStart:
    """Where to send the browser, and what to keep until the callback."""

    url: str
    session: NationalLoginSession


@attrs.frozen
class NationalLogin:
    """The outcome of a national login: the account, and whether it was created just now."""

    account: Account
    identity: NationalIdentity
    created: bool


@checked_methods
class NationalLoginService:
    """Begin and complete logins through the national identity; link and unlink it."""

    def __init__(
        self,
        ctx: AppContext,
        provider: IdentityProvider | None,
        *,
        accounts: AccountService | None = None,
        desk: OfficerDesk | None = None,
        settings: NationalLoginSettings | None = None,
    ) -> None:
        self._ctx = ctx
        self._provider = provider
        self._accounts = AccountService(ctx) if accounts is None else accounts
        self._desk = OfficerDesk(ctx) if desk is None else desk
        self._settings = NationalLoginSettings() if settings is None else settings

    @property
    def settings(self) -> NationalLoginSettings:
        return self._settings

    # --- the flow ------------------------------------------------------------------------

    def begin(
        self, *, redirect_uri: str | None = None, acr_values: Sequence[str] | None = None
    ) -> NationalLoginStart:
        """A new login: the provider's URL to redirect to, and the session to keep.

        ``redirect_uri`` and ``acr_values`` default to the settings'.
        """
        provider = self._require_provider()
        uri = self._settings.redirect_uri if redirect_uri is None else redirect_uri
        _redirect_uri(None, attrs.fields(NationalLoginSettings).redirect_uri, uri)
        wanted = self._settings.acr_values if acr_values is None else tuple(acr_values)
        _acr_values(None, attrs.fields(NationalLoginSettings).acr_values, wanted)
        request = provider.authorization_request(uri, acr_values=wanted)
        session = NationalLoginSession(
            state=request.state,
            nonce=request.nonce,
            code_verifier=request.code_verifier,
            redirect_uri=uri,
            expires_at=self._ctx.clock.now() + self._settings.session_ttl,
        )
        return NationalLoginStart(url=request.url, session=session)

    def complete(self, params: Mapping[str, str], session: NationalLoginSession) -> NationalLogin:
        """The callback of a citizen's or representative's login: their account.

        An account linked to the subject logs in (AccountLocked if it is locked); otherwise
        a new one is made from the provider's claims, active at once (an organisation's
        when the claims carry a tax code). NationalLinkRequired when the email already has
        an account: log in to it with its password and :meth:`link`.
        """
        proven, identity = self._prove(params, session)
        now = self._ctx.clock.now()
        with self._ctx.storage.unit_of_work() as uow:
            account = uow.accounts.find_by_national_subject(identity.subject)
            if account is not None:
                account.record_successful_login(now)
                account.link_national_identity(identity)  # the level of this login
                uow.accounts.update(account)
                uow.commit()
                log_security_event("national_login.succeeded", "logged in", account_id=account.id)
                return NationalLogin(account=account, identity=identity, created=False)
        account = self._new_account(proven, identity, now)
        try:
            with self._ctx.storage.unit_of_work() as uow:
                uow.accounts.add(account)
                uow.commit()
        except DuplicateError as e:
            if e.field == "account.email":
                raise NationalLinkRequired() from e
            raise NationalIdentityAlreadyLinked() from e
        log_security_event(
            "national_login.account_created", "an account was made", account_id=account.id
        )
        return NationalLogin(account=account, identity=identity, created=True)

    def link(
        self,
        account_id: str,
        password: str,
        params: Mapping[str, str],
        session: NationalLoginSession,
    ) -> Account:
        """Link the national identity of this callback to an account, its password proved.

        The password is checked first, as a login (InvalidCredentials, AccountLocked,
        AccountNotVerified); then NationalIdentityAlreadyLinked if the subject belongs to
        another account, NationalIdNumberConflict if the account holds another id number.
        """
        self._prove_password(account_id, password)
        _, identity = self._prove(params, session)
        with self._ctx.storage.unit_of_work() as uow:
            holder = uow.accounts.find_by_national_subject(identity.subject)
            if holder is not None and holder.id != account_id:
                raise NationalIdentityAlreadyLinked()
            account = uow.accounts.get(account_id)
            account.link_national_identity(identity)
            self._update(uow, account)
        log_security_event(
            "national_identity.linked",
            "a national identity was linked",
            account_id=account.id,
            subject=mask(identity.subject),
        )
        return account

    def unlink(self, account_id: str, password: str) -> Account:
        """Forget the account's national identity, its password proved; NationalIdentityNotLinked
        when it has none. An account made through the national identity first needs a password
        (the reset mail), or it could not log in at all."""
        self._prove_password(account_id, password)
        with self._ctx.storage.unit_of_work() as uow:
            account = uow.accounts.get(account_id)
            identity = account.unlink_national_identity()
            self._update(uow, account)
        log_security_event(
            "national_identity.unlinked",
            "a national identity was unlinked",
            account_id=account.id,
            subject=mask(identity.subject),
        )
        return account

    def complete_officer(self, params: Mapping[str, str], session: NationalLoginSession) -> Officer:
        """The callback of an officer's login: the active officer mapped to the subject.

        OfficerNotFound when no officer is mapped to it, PermissionDenied for a deactivated one.
        """
        _, identity = self._prove(params, session)
        return self._desk.log_in_external(identity.subject)

    # --- steps ---------------------------------------------------------------------------

    def _require_provider(self) -> IdentityProvider:
        if self._provider is None:
            raise ConfigurationError(
                "no national identity provider is configured: set ONESTOP_OIDC_ISSUER, "
                "ONESTOP_OIDC_CLIENT_ID and ONESTOP_OIDC_CLIENT_SECRET, or pass "
                "identity_provider= to bootstrap"
            )
        return self._provider

    def _prove_password(self, account_id: str, password: str) -> None:
        with self._ctx.storage.unit_of_work() as uow:
            email = uow.accounts.get(account_id).email
        self._accounts.log_in(email, password)

    def _prove(
        self, params: Mapping[str, str], session: NationalLoginSession
    ) -> tuple[ProvenIdentity, NationalIdentity]:
        """Check the callback against the session, redeem its code, hold the level."""
        provider = self._require_provider()
        now = self._ctx.clock.now()
        try:
            self._check_callback(params, session, now)
            proven = provider.redeem(
                params["code"],
                redirect_uri=session.redirect_uri,
                code_verifier=session.code_verifier,
                nonce=session.nonce,
            )
            level = 1 if proven.acr is None else level_of_acr(proven.acr)
            if level is None or level < self._settings.min_level:
                raise InsufficientAssurance(level, self._settings.min_level)
        except OnestopError as e:
            log_security_event("national_login.failed", str(e), code=e.code)
            raise
        identity = NationalIdentity.vouched(
            proven.subject, proven.issuer, level, proven.id_number, now
        )
        return proven, identity

    def _check_callback(
        self, params: Mapping[str, str], session: NationalLoginSession, now: dt.datetime
    ) -> None:
        if now >= session.expires_at:
            raise NationalLoginSessionExpired()
        state = params.get("state")
        if not isinstance(state, str) or not hmac.compare_digest(
            state.encode("utf-8", "surrogatepass"), session.state.encode("utf-8", "surrogatepass")
        ):
            raise NationalLoginStateMismatch()
        with self._ctx.storage.unit_of_work() as uow:
            digest = hashlib.sha256(state.encode("utf-8")).hexdigest()
            try:
                uow.tokens.consume(_STATE_PREFIX + digest, now=now)
                uow.commit()
            except DuplicateError as e:
                raise NationalLoginStateMismatch("this callback was used already") from e
        error = params.get("error")
        if error is not None:
            raise NationalLoginRefused(str(error))
        code = params.get("code")
        if not isinstance(code, str) or not code or len(code) > _LONGEST_PARAM:
            raise NationalLoginRefused("invalid_request")

    def _new_account(
        self, proven: ProvenIdentity, identity: NationalIdentity, now: dt.datetime
    ) -> Account:
        claims = proven.claims
        email = claims.get("email")
        if not isinstance(email, str) or not email:
            raise InvalidIdentity(
                "email",
                "the national identity gives no email address: register with a password, "
                "then link the national identity",
            )
        login = normalize_email(email, "email")
        name = claims.get("name")
        if not isinstance(name, str):
            raise InvalidIdentity("full_name", "the national identity gives no name")
        phone = _optional(normalize_phone, claims.get("phone_number"))
        tax_code = claims.get(TAX_CODE_CLAIM)
        if isinstance(tax_code, str) and tax_code:
            organisation = claims.get(ORGANISATION_NAME_CLAIM)
            account = Account.register_organisation(
                self._ctx.new_id(),
                login,
                NATIONAL_LOGIN_ONLY,
                organisation if isinstance(organisation, str) else "",
                tax_code,
                name,
                now,
                phone=phone,
            )
        else:
            account = Account.register_citizen(
                self._ctx.new_id(),
                login,
                NATIONAL_LOGIN_ONLY,
                name,
                now,
                phone=phone,
                id_number=identity.id_number,
                date_of_birth=_birthdate(claims.get("birthdate"), identity.id_number),
            )
        account.verify(now)
        account.link_national_identity(identity)
        account.record_successful_login(now)
        account.pull_events()
        return account

    @staticmethod
    def _update(uow: UnitOfWork, account: Account) -> None:
        try:
            uow.accounts.update(account)
            uow.commit()
        except DuplicateError as e:
            raise NationalIdentityAlreadyLinked() from e


def _optional(check: Any, value: object) -> Any:
    """``check(value)``, or None when the provider's value is missing or does not pass."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return check(value)
    except InvalidInput:
        return None


def _birthdate(value: object, id_number: str | None) -> dt.date | None:
    """The ``birthdate`` claim (``YYYY-MM-DD``), if it reads as a date the id number fits."""
    if not isinstance(value, str):
        return None
    try:
        born = dt.date.fromisoformat(value)
        if id_number is not None:
            check_citizen_id(id_number, date_of_birth=born)
    except (ValueError, InvalidInput):
        return None
    return born
