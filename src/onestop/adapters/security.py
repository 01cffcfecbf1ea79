"""Password hashing with scrypt and signed tokens with HMAC-SHA256, from the standard library.

:class:`ScryptPasswordHasher` writes self-describing hashes,
``scrypt$n=16384,r=8,p=1$<salt>$<hash>`` (base64), so changing the parameters later does not
break the hashes already stored: each is verified with its own.

:class:`HmacTokenSigner` makes URL-safe tokens ``base64url(JSON claims).base64url(HMAC)``.
It only proves that a token was signed with the secret and has not been changed: it knows
nothing of expiry or single use. The application puts ``exp`` (expiry) and ``jti`` (a token
id for the :class:`~onestop.ports.storage.TokenLedger`) in the claims and checks them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Final

from onestop.errors import ConfigurationError, InvalidInput, InvalidToken

__all__ = ["HmacTokenSigner", "ScryptPasswordHasher"]

#: Bounds on the scrypt parameters, for the constructor and for hashes read back: a stored
#: hash cannot make a login spend gigabytes of memory.
_MIN_N: Final = 2**10
_MAX_N: Final = 2**20
_MAX_R: Final = 32
_MAX_P: Final = 16
_HASH_FORMAT = re.compile(
    r"scrypt\$n=([0-9]{1,8}),r=([0-9]{1,2}),p=([0-9]{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})"
)


def _power_of_two(n: int) -> bool:
    return n > 1 and n & (n - 1) == 0


def _password_bytes(password: str) -> bytes:
    # The same Vietnamese password typed with precomposed or combining marks is one password.
    return unicodedata.normalize("NFC", password).encode("utf-8")


class ScryptPasswordHasher:
    """Slow salted password hashes with scrypt (RFC 7914).

    The default ``n=2**14, r=8, p=1`` costs about 16 MiB and tens of milliseconds per hash;
    tests may pass ``n=2**10`` to go fast. Each hash gets a random 16-byte salt.
    """

    DEFAULT_N: Final = 2**14

    def __init__(
        self, *, n: int = DEFAULT_N, r: int = 8, p: int = 1, salt_bytes: int = 16, dklen: int = 32
    ) -> None:
        _check_parameters(n, r, p)
        if not 16 <= salt_bytes <= 64:
            raise ConfigurationError(f"salt_bytes must be from 16 to 64, not {salt_bytes!r}")
        if not 16 <= dklen <= 64:
            raise ConfigurationError(f"dklen must be from 16 to 64, not {dklen!r}")
        self.n, self.r, self.p = n, r, p
        self.salt_bytes = salt_bytes
        self.dklen = dklen

    def __repr__(self) -> str:
        return f"ScryptPasswordHasher(n={self.n}, r={self.r}, p={self.p})"

    def hash(self, password: str) -> str:
        """A slow salted hash of ``password``: ``scrypt$n=..,r=..,p=..$<salt>$<hash>``."""
        salt = secrets.token_bytes(self.salt_bytes)
        digest = _scrypt(_password_bytes(password), salt, self.n, self.r, self.p, self.dklen)
        return (
            f"scrypt$n={self.n},r={self.r},p={self.p}$"
            f"{base64.b64encode(salt).decode('ascii')}${base64.b64encode(digest).decode('ascii')}"
        )

    def verify(self, password: str, hashed: str) -> bool:
        """True when ``password`` matches ``hashed``; False for a wrong or unreadable hash."""
        parsed = _parse_hash(hashed)
        if parsed is None:
            return False
        n, r, p, salt, expected = parsed
        actual = _scrypt(_password_bytes(password), salt, n, r, p, len(expected))
        return hmac.compare_digest(actual, expected)

    def needs_rehash(self, hashed: str) -> bool:
        """True when ``hashed`` was made with other parameters (rehash it at the next login)."""
        parsed = _parse_hash(hashed)
        if parsed is None:
            return True
        n, r, p, salt, digest = parsed
        return (n, r, p, len(salt), len(digest)) != (
            self.n,
            self.r,
            self.p,
            self.salt_bytes,
            self.dklen,
        )


def _check_parameters(n: int, r: int, p: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not _power_of_two(n):
        raise ConfigurationError(f"scrypt n must be a power of two, not {n!r}")
    if not _MIN_N <= n <= _MAX_N:
        raise ConfigurationError(f"scrypt n must be from 2**10 to 2**20, not {n!r}")
    if isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= _MAX_R:
        raise ConfigurationError(f"scrypt r must be from 1 to {_MAX_R}, not {r!r}")
    if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= _MAX_P:
        raise ConfigurationError(f"scrypt p must be from 1 to {_MAX_P}, not {p!r}")


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # hashlib's default maxmem (32 MiB) refuses n=2**15, r=8; allow what the parameters need.
    maxmem = 128 * r * (n + p + 2) + 2**20
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def _parse_hash(hashed: str) -> tuple[int, int, int, bytes, bytes] | None:
    if not isinstance(hashed, str):
        return None
    found = _HASH_FORMAT.fullmatch(hashed)
    if found is None:
        return None
    n, r, p = (int(found.group(i)) for i in (1, 2, 3))
    try:
        _check_parameters(n, r, p)
        salt = base64.b64decode(found.group(4), validate=True)
        digest = base64.b64decode(found.group(5), validate=True)
    except (ConfigurationError, binascii.Error):
        return None
    if len(salt) < 8 or not 16 <= len(digest) <= 64:
        return None
    return n, r, p, salt, digest


# --- tokens --------------------------------------------------------------------------------

_MIN_SECRET_BYTES: Final = 16
_MAX_TOKEN_CHARS: Final = 8192
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _from_b64url(text: str) -> bytes:
    """Decode unpadded base64url, refusing any text that is not the canonical encoding."""
    if not _B64URL.fullmatch(text):
        raise InvalidToken()
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken() from None
    # Unused trailing bits give several texts for one value; only one is the token.
    if _b64url(data) != text:
        raise InvalidToken()
    return data


def _check_claims(claims: object, *, from_token: bool) -> dict[str, str | int]:
    def refuse(rule: str) -> Exception:
        return InvalidToken() if from_token else InvalidInput("claims", rule, None)

    if not isinstance(claims, Mapping):
        raise refuse("must be a mapping of names to text or whole numbers")
    checked: dict[str, str | int] = {}
    for name, value in claims.items():
        if not isinstance(name, str):
            raise refuse("every claim name must be text")
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise refuse(f"claim {name!r} must be text or a whole number")
        checked[name] = value
    return checked


class HmacTokenSigner:
    """URL-safe signed tokens: ``base64url(JSON claims).base64url(HMAC-SHA256)``.

    The claims are readable by anyone holding the token (they are not encrypted); only the
    secret's holder can make or change one. Expiry and single use are the application's
    job (``exp`` and ``jti`` claims); this signer checks the signature only.
    """

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray):
            raise ConfigurationError("the token secret must be bytes, e.g. secrets.token_bytes(32)")
        if len(secret) < _MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"the token secret must be at least {_MIN_SECRET_BYTES} random bytes "
                f"(got {len(secret)}); generate one with secrets.token_bytes(32)"
            )
        self._secret = bytes(secret)

    def __repr__(self) -> str:
        return "HmacTokenSigner(secret=<hidden>)"

    def _mac(self, payload: str) -> bytes:
        return hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()

    def sign(self, claims: Mapping[str, str | int]) -> str:
        """A URL-safe token carrying ``claims`` (text or whole-number values)."""
        checked = _check_claims(claims, from_token=False)
        body = json.dumps(checked, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        payload = _b64url(body.encode("ascii"))
        return f"{payload}.{_b64url(self._mac(payload))}"

    def unsign(self, token: str) -> dict[str, str | int]:
        """The claims of a token this signer made, or InvalidToken (forged, changed, garbled)."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
            raise InvalidToken()
        payload, dot, signature = token.partition(".")
        if not dot or "." in signature:
            raise InvalidToken()
        given = _from_b64url(signature)
        _from_b64url(payload)  # refuses a non-canonical payload before anything is trusted
        if not hmac.compare_digest(given, self._mac(payload)):
            raise InvalidToken()
        try:
            claims = json.loads(_from_b64url(payload))
        except ValueError:
            raise InvalidToken() from None
        return _check_claims(claims, from_token=True)
