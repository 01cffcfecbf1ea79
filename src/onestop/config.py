"""The one place that reads the environment: :class:`Config` and the ``ONESTOP_*`` variables.

:func:`onestop.bootstrap` and the ``onestop`` command read their settings through
:meth:`Config.from_env`; explicit arguments to :func:`~onestop.bootstrap` beat these, and
these beat the defaults. Nothing here connects to anything or imports a driver.

It fails closed: with a persistent database (any database URL), :meth:`Config.problems`
lists the settings without which the portal would lose mail, fake its payments or forget
its links (no SMTP server, no payment gateway, a missing or short secret key), and
:func:`~onestop.bootstrap` refuses to start. ``ONESTOP_ALLOW_FAKES=1`` accepts the
in-memory mail transport and the fake gateway on purpose (a demonstration, a staging
copy); it never accepts a weak secret key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from onestop.errors import ConfigurationError

if TYPE_CHECKING:
    from onestop.application.context import Settings
    from onestop.application.national_login import NationalLoginSettings
    from onestop.ports.edges import FileStore, MailTransport, PaymentGateway
    from onestop.ports.identity_provider import IdentityProvider
    from onestop.ports.national import NationalPortal

__all__ = [
    "ALLOW_FAKES_ENV",
    "DATABASE_URL_ENV",
    "FILES_DIR_ENV",
    "MIN_SECRET_KEY_LENGTH",
    "SECRET_KEY_ENV",
    "SETTINGS_ENV",
    "Config",
    "mask_url",
]

#: The database (``sqlite:///portal.db``, ``postgresql+psycopg://…``); unset: in memory.
DATABASE_URL_ENV: Final = "ONESTOP_DATABASE_URL"
#: The secret that signs verification and reset links (32 characters or more).
SECRET_KEY_ENV: Final = "ONESTOP_SECRET_KEY"
#: A directory for attachments (a :class:`~onestop.adapters.disk.DiskFileStore`).
FILES_DIR_ENV: Final = "ONESTOP_FILES_DIR"
#: ``1`` accepts the in-memory mail transport and the fake gateway with a database.
ALLOW_FAKES_ENV: Final = "ONESTOP_ALLOW_FAKES"
#: Shortest secret key accepted with a persistent database.
MIN_SECRET_KEY_LENGTH: Final = 32

#: The :class:`~onestop.application.Settings` each variable sets, when it is set.
SETTINGS_ENV: Final = {
    "portal_name": "ONESTOP_PORTAL_NAME",
    "base_url": "ONESTOP_BASE_URL",
    "verification_url": "ONESTOP_VERIFICATION_URL",
    "password_reset_url": "ONESTOP_PASSWORD_RESET_URL",
    "tracking_url": "ONESTOP_TRACKING_URL",
    "payment_return_url": "ONESTOP_PAYMENT_RETURN_URL",
    "locale": "ONESTOP_LOCALE",
    "template_dir": "ONESTOP_TEMPLATE_DIR",
}

# Kept here (not imported) so that reading the configuration imports neither smtplib nor
# the VNPay adapter; a test checks they match the adapters' own tables.
_SMTP_VARIABLES: Final = (
    "ONESTOP_SMTP_HOST",
    "ONESTOP_SMTP_PORT",
    "ONESTOP_SMTP_SECURITY",
    "ONESTOP_SMTP_USERNAME",
    "ONESTOP_SMTP_PASSWORD",
    "ONESTOP_SMTP_FROM",
    "ONESTOP_SMTP_FROM_NAME",
)
_VNPAY_VARIABLES: Final = (
    "ONESTOP_VNPAY_TMN_CODE",
    "ONESTOP_VNPAY_HASH_SECRET",
    "ONESTOP_VNPAY_URL",
    # Optional: VNPay's merchant API (querydr, refund); without it nothing is reconciled.
    "ONESTOP_VNPAY_API_URL",
)
_NATIONAL_VARIABLES: Final = (
    "ONESTOP_NATIONAL_URL",
    "ONESTOP_NATIONAL_USERNAME",
    "ONESTOP_NATIONAL_PASSWORD",
    "ONESTOP_NATIONAL_DOSSIER_PATH",
    "ONESTOP_NATIONAL_PROGRESS_PATH",
    "ONESTOP_NATIONAL_LOGIN_PATH",
    "ONESTOP_NATIONAL_TIMEOUT",
)
_OIDC_VARIABLES: Final = (
    "ONESTOP_OIDC_ISSUER",
    "ONESTOP_OIDC_CLIENT_ID",
    "ONESTOP_OIDC_CLIENT_SECRET",
    "ONESTOP_OIDC_REDIRECT_URI",
    # Without these three, the endpoints come from discovery at the issuer.
    "ONESTOP_OIDC_AUTHORIZATION_ENDPOINT",
    "ONESTOP_OIDC_TOKEN_ENDPOINT",
    "ONESTOP_OIDC_JWKS_URI",
    "ONESTOP_OIDC_USERINFO_ENDPOINT",
    "ONESTOP_OIDC_SCOPE",
    "ONESTOP_OIDC_TOKEN_AUTH",
    "ONESTOP_OIDC_ACR_VALUES",
    "ONESTOP_OIDC_MIN_LEVEL",
    "ONESTOP_OIDC_CLOCK_SKEW",
    "ONESTOP_OIDC_TIMEOUT",
    "ONESTOP_OIDC_SESSION_MINUTES",
    "ONESTOP_OIDC_ID_NUMBER_CLAIM",
)
_OIDC_ENDPOINTS: Final = (
    "ONESTOP_OIDC_AUTHORIZATION_ENDPOINT",
    "ONESTOP_OIDC_TOKEN_ENDPOINT",
    "ONESTOP_OIDC_JWKS_URI",
)
_SECRET_VARIABLES: Final = frozenset(
    {
        SECRET_KEY_ENV,
        "ONESTOP_SMTP_PASSWORD",
        "ONESTOP_VNPAY_HASH_SECRET",
        "ONESTOP_NATIONAL_PASSWORD",
        "ONESTOP_OIDC_CLIENT_SECRET",
    }
)
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"", "0", "false", "no", "off"})
_URL_PASSWORD: Final = re.compile(r"^(?P<head>[^:/?#]+://[^:/@]*:)(?P<password>[^@]*)(?P<at>@)")


def mask_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\g<head>***\g<at>", url)


def _mask(value: str) -> str:
    return f"*** ({len(value)} characters)" if value else "(empty)"


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be 1 or 0, not {raw!r}")


def _check_oidc_url(name: str, url: str) -> None:
    """An https URL, or http on loopback (a local provider in tests and examples)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks the port (ValueError when out of range)
    except ValueError:  # "https://[bad", "https://host:99999"
        raise ConfigurationError(f"{name} must be a well-formed URL, not {url!r}") from None
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ConfigurationError(
            f"{name} must be an https URL (http only on loopback), not {url!r}"
        )


def _number(name: str, raw: str, above: float, at_most: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not above < value <= at_most:
        raise ConfigurationError(
            f"{name} must be a number above {above:g} and at most {at_most:g}, not {raw!r}"
        )
    return value


@attrs.frozen
class Config:
    """What the ``ONESTOP_*`` environment asks for; secrets are never in the ``repr``."""

    database_url: str | None = attrs.field(default=None, repr=lambda u: repr(u and mask_url(u)))
    secret_key: str | None = attrs.field(default=None, repr=False)
    #: The ``ONESTOP_SMTP_*`` variables that are set (empty: no SMTP server configured).
    smtp: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    #: The ``ONESTOP_VNPAY_*`` variables that are set (empty: no gateway configured).
    vnpay: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    #: The ``ONESTOP_NATIONAL_*`` variables that are set (empty: no national portal sync).
    national: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    #: The ``ONESTOP_OIDC_*`` variables that are set (empty: no national identity login).
    oidc: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    files_dir: str | None = None
    #: The :class:`~onestop.application.Settings` fields the environment sets.
    settings: Mapping[str, str] = attrs.field(factory=dict)
    allow_fakes: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read the ``ONESTOP_*`` variables of ``environ`` (``os.environ`` by default).

        A variable set to an empty string counts as unset.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            database_url=get(DATABASE_URL_ENV),
            secret_key=get(SECRET_KEY_ENV),
            smtp={name: env[name] for name in _SMTP_VARIABLES if get(name)},
            vnpay={name: env[name] for name in _VNPAY_VARIABLES if get(name)},
            national={name: env[name].strip() for name in _NATIONAL_VARIABLES if get(name)},
            oidc={name: env[name].strip() for name in _OIDC_VARIABLES if get(name)},
            files_dir=get(FILES_DIR_ENV),
            settings={field: env[var].strip() for field, var in SETTINGS_ENV.items() if get(var)},
            allow_fakes=_flag(ALLOW_FAKES_ENV, env.get(ALLOW_FAKES_ENV, "")),
        )

    @property
    def persistent(self) -> bool:
        """Whether records outlive the process (a database URL is set)."""
        return self.database_url is not None

    # --- building the adapters the environment asks for ----------------------------------

    def mail_transport(self) -> MailTransport | None:
        """The SMTP transport ``ONESTOP_SMTP_*`` describes, or None when none is set."""
        if not self.smtp:
            return None
        from onestop.adapters.smtp import SmtpMailTransport

        return SmtpMailTransport.from_env(self.smtp)

    def payment_gateway(self) -> PaymentGateway | None:
        """The VNPay gateway ``ONESTOP_VNPAY_*`` describes, or None when none is set."""
        if not self.vnpay:
            return None
        from onestop.adapters.vnpay import VnpayGateway

        return VnpayGateway.from_env(self.vnpay)

    def national_portal(self) -> NationalPortal | None:
        """The national portal ``ONESTOP_NATIONAL_*`` describes, or None when none is set.

        ``ONESTOP_NATIONAL_URL`` is the base URL; ``..._USERNAME`` and ``..._PASSWORD`` a
        session login (leave both unset when a gateway in front authenticates);
        ``..._DOSSIER_PATH``, ``..._PROGRESS_PATH``, ``..._LOGIN_PATH`` the service paths
        under it; ``..._TIMEOUT`` the read timeout in seconds (30 by default).
        """
        if not self.national:
            return None
        url = self.national.get("ONESTOP_NATIONAL_URL")
        if url is None:
            raise ConfigurationError(
                "ONESTOP_NATIONAL_* variables are set but ONESTOP_NATIONAL_URL is not: "
                "set the national portal's base URL"
            )
        try:
            from onestop.adapters.national_portal import DEFAULT_TIMEOUT, HttpNationalPortal
        except ImportError as e:  # pragma: no cover - the national extra installs httpx
            raise ConfigurationError(
                "syncing with the national portal needs httpx: pip install 'onestop[national]'"
            ) from e
        import httpx

        timeout: httpx.Timeout = DEFAULT_TIMEOUT
        raw_timeout = self.national.get("ONESTOP_NATIONAL_TIMEOUT")
        if raw_timeout is not None:
            try:
                seconds = float(raw_timeout)
            except ValueError:
                seconds = -1.0
            if not 0 < seconds <= 600:
                raise ConfigurationError(
                    f"ONESTOP_NATIONAL_TIMEOUT must be seconds above 0 and at most 600, "
                    f"not {raw_timeout!r}"
                )
            timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))
        get = self.national.get
        return HttpNationalPortal(
            url,
            dossier_path=get("ONESTOP_NATIONAL_DOSSIER_PATH", "/DongBoHoSoMC"),
            progress_path=get("ONESTOP_NATIONAL_PROGRESS_PATH", "/CapNhatTienDoHoSoMC"),
            login_path=get("ONESTOP_NATIONAL_LOGIN_PATH", "/login"),
            username=get("ONESTOP_NATIONAL_USERNAME"),
            password=get("ONESTOP_NATIONAL_PASSWORD"),
            timeout=timeout,
        )

    def identity_provider(self) -> IdentityProvider | None:
        """The OpenID Connect provider ``ONESTOP_OIDC_*`` describes, or None when none is set.

        ``..._ISSUER`` (https, or http on loopback only) and ``..._CLIENT_ID`` are needed,
        and ``..._CLIENT_SECRET`` unless ``..._TOKEN_AUTH`` is ``none``; the endpoints come
        from discovery unless ``..._AUTHORIZATION_ENDPOINT``, ``..._TOKEN_ENDPOINT`` and
        ``..._JWKS_URI`` are all set (``..._USERINFO_ENDPOINT`` optional). ``..._SCOPE``
        (``openid`` by default), ``..._CLOCK_SKEW`` (seconds, 60), ``..._TIMEOUT`` (seconds,
        10) and ``..._ID_NUMBER_CLAIM`` (``id_number``) tune it. Nothing is fetched here.
        """
        if not self.oidc:
            return None
        get = self.oidc.get
        issuer, client_id = get("ONESTOP_OIDC_ISSUER"), get("ONESTOP_OIDC_CLIENT_ID")
        if issuer is None or client_id is None:
            raise ConfigurationError(
                "ONESTOP_OIDC_* variables are set but not ONESTOP_OIDC_ISSUER and "
                "ONESTOP_OIDC_CLIENT_ID: set the provider's issuer URL and this portal's client id"
            )
        _check_oidc_url("ONESTOP_OIDC_ISSUER", issuer)
        set_endpoints = [name for name in _OIDC_ENDPOINTS if get(name)]
        if set_endpoints and len(set_endpoints) != len(_OIDC_ENDPOINTS):
            raise ConfigurationError(
                "set all of " + ", ".join(_OIDC_ENDPOINTS) + " or none of them (discovery)"
            )
        try:
            from onestop.adapters.oidc import OidcIdentityProvider, ProviderEndpoints
        except ImportError as e:  # pragma: no cover - the oidc extra installs Authlib
            raise ConfigurationError(
                "logging in with the national identity needs Authlib: pip install 'onestop[oidc]'"
            ) from e
        import httpx

        endpoints = None
        if set_endpoints:
            for name in (*_OIDC_ENDPOINTS, "ONESTOP_OIDC_USERINFO_ENDPOINT"):
                if get(name):
                    _check_oidc_url(name, self.oidc[name])
            endpoints = ProviderEndpoints(
                authorization_endpoint=self.oidc["ONESTOP_OIDC_AUTHORIZATION_ENDPOINT"],
                token_endpoint=self.oidc["ONESTOP_OIDC_TOKEN_ENDPOINT"],
                jwks_uri=self.oidc["ONESTOP_OIDC_JWKS_URI"],
                userinfo_endpoint=get("ONESTOP_OIDC_USERINFO_ENDPOINT"),
            )
        secret = get("ONESTOP_OIDC_CLIENT_SECRET")
        token_auth = get("ONESTOP_OIDC_TOKEN_AUTH", "client_secret_basic")
        timeout = _number("ONESTOP_OIDC_TIMEOUT", get("ONESTOP_OIDC_TIMEOUT", "10"), 0, 120)
        return OidcIdentityProvider(
            issuer,
            client_id,
            secret,
            endpoints=endpoints,
            scope=tuple(get("ONESTOP_OIDC_SCOPE", "openid").split()),
            token_auth=token_auth,
            clock_skew=int(
                _number("ONESTOP_OIDC_CLOCK_SKEW", get("ONESTOP_OIDC_CLOCK_SKEW", "60"), -1, 600)
            ),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            id_number_claim=get("ONESTOP_OIDC_ID_NUMBER_CLAIM", "id_number"),
        )

    def national_login_settings(self) -> NationalLoginSettings:
        """How the national login is used: ``ONESTOP_OIDC_REDIRECT_URI``, ``..._ACR_VALUES``
        (space-separated), ``..._MIN_LEVEL`` (1 or 2) and ``..._SESSION_MINUTES`` (10)."""
        import datetime as dt

        from onestop.application.national_login import NationalLoginSettings

        get = self.oidc.get
        options: dict[str, Any] = {
            "acr_values": tuple(get("ONESTOP_OIDC_ACR_VALUES", "").split()),
            "session_ttl": dt.timedelta(
                minutes=_number(
                    "ONESTOP_OIDC_SESSION_MINUTES", get("ONESTOP_OIDC_SESSION_MINUTES", "10"), 0, 60
                )
            ),
        }
        if get("ONESTOP_OIDC_REDIRECT_URI"):
            options["redirect_uri"] = self.oidc["ONESTOP_OIDC_REDIRECT_URI"]
        level = get("ONESTOP_OIDC_MIN_LEVEL", "1")
        if level not in ("1", "2"):
            raise ConfigurationError(f"ONESTOP_OIDC_MIN_LEVEL must be 1 or 2, not {level!r}")
        options["min_level"] = int(level)
        return NationalLoginSettings(**options)

    def file_store(self, **options: Any) -> FileStore | None:
        """The disk store ``ONESTOP_FILES_DIR`` names, or None when it is not set."""
        if self.files_dir is None:
            return None
        from onestop.adapters.disk import DiskFileStore

        return DiskFileStore(self.files_dir, **options)

    def make_settings(self) -> Settings:
        """:class:`~onestop.application.Settings` with the fields the environment sets."""
        from onestop.application.context import Settings

        return Settings(**self.settings)  # type: ignore[arg-type]

    # --- failing closed ------------------------------------------------------------------

    def problems(
        self,
        *,
        database_url: str | None = None,
        mail_transport: bool = False,
        payment_gateway: bool = False,
        secret_key: str | bytes | None = None,
        token_signer: bool = False,
    ) -> list[str]:
        """What makes this setup dangerous, one sentence each; empty when it is safe.

        The keyword arguments say what the host passes explicitly (an explicit adapter is
        always accepted); only a persistent database makes a missing setting dangerous.
        """
        if not (database_url or self.persistent):
            return []
        found = []
        fakes = "or set ONESTOP_ALLOW_FAKES=1 to accept the fake on purpose"
        if not (mail_transport or self.smtp or self.allow_fakes):
            found.append(
                "no mail transport: set ONESTOP_SMTP_HOST and ONESTOP_SMTP_FROM (mail would "
                f"be marked sent while nothing leaves the process), pass mail_transport=, {fakes}"
            )
        if not (payment_gateway or self.vnpay or self.allow_fakes):
            found.append(
                "no payment gateway: set ONESTOP_VNPAY_TMN_CODE, ONESTOP_VNPAY_HASH_SECRET and "
                f"ONESTOP_VNPAY_URL (payments would be faked), pass payment_gateway=, {fakes}"
            )
        if not token_signer:
            key = secret_key or self.secret_key
            if not key:
                found.append(
                    f"no secret key: set {SECRET_KEY_ENV} to {MIN_SECRET_KEY_LENGTH} random "
                    "characters or more (python3 -c 'import secrets; print(secrets."
                    "token_urlsafe(32))'), or mailed links stop working when the process ends"
                )
            elif len(key) < MIN_SECRET_KEY_LENGTH:
                found.append(
                    f"the secret key is {len(key)} characters long: give "
                    f"{MIN_SECRET_KEY_LENGTH} random characters or more ({SECRET_KEY_ENV})"
                )
        return found

    def describe(self) -> list[tuple[str, str]]:
        """What would be wired, as (setting, value) lines, with every secret masked."""
        lines = [
            ("database", mask_url(self.database_url) if self.database_url else "in memory"),
            ("secret key", _mask(self.secret_key) if self.secret_key else "not set"),
        ]
        if self.smtp:
            lines.append(("mail", "SMTP"))
            lines.extend(
                (f"  {name}", _mask(value) if name in _SECRET_VARIABLES else value)
                for name, value in self.smtp.items()
            )
        else:
            lines.append(("mail", "in memory (nothing is sent)"))
        if self.vnpay:
            lines.append(("payments", "VNPay"))
            lines.extend(
                (f"  {name}", _mask(value) if name in _SECRET_VARIABLES else value)
                for name, value in self.vnpay.items()
            )
        else:
            lines.append(("payments", "fake gateway (nothing is charged)"))
        if self.national:
            lines.append(("national", "sync over HTTP"))
            lines.extend(
                (f"  {name}", _mask(value) if name in _SECRET_VARIABLES else value)
                for name, value in self.national.items()
            )
        else:
            lines.append(("national", "not configured (changes wait in the sync outbox)"))
        if self.oidc:
            lines.append(("VNeID login", "OpenID Connect"))
            lines.extend(
                (f"  {name}", _mask(value) if name in _SECRET_VARIABLES else value)
                for name, value in self.oidc.items()
            )
        else:
            lines.append(("VNeID login", "not configured"))
        if self.files_dir:
            lines.append(("files", f"on disk under {self.files_dir}"))
        else:
            lines.append(("files", "in the database" if self.persistent else "in memory"))
        lines.extend((field, value) for field, value in self.settings.items())
        lines.append(("allow fakes", "yes" if self.allow_fakes else "no"))
        return lines
