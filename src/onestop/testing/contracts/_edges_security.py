"""The clock, password hasher and token signer contracts (re-exported by
:mod:`onestop.testing.contracts.edges`)."""

from __future__ import annotations

import datetime as dt
import string
import urllib.parse
from collections.abc import Mapping

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onestop.errors import (
    InvalidToken,
)
from onestop.ports.edges import (
    Clock,
    PasswordHasher,
    TokenSigner,
)
from onestop.testing.contracts._edges_base import _FEW, _PROPERTY
from onestop.testing.contracts._support import _NO_SURROGATES, free_text

__all__ = [
    "ClockContract",
    "PasswordHasherContract",
    "TokenSignerContract",
]


# --- clock ---------------------------------------------------------------------------------


class ClockContract:
    """What every :class:`~onestop.ports.edges.Clock` does."""

    def make_clock(self) -> Clock:
        raise NotImplementedError(f"{type(self).__name__} must implement make_clock()")

    def test_now_is_aware(self) -> None:
        now = self.make_clock().now()
        assert isinstance(now, dt.datetime)
        assert now.tzinfo is not None
        assert now.utcoffset() is not None

    def test_now_never_goes_back(self) -> None:
        clock = self.make_clock()
        readings = [clock.now() for _ in range(200)]
        assert readings == sorted(readings)


# --- security ------------------------------------------------------------------------------

_PASSWORDS = st.text(
    alphabet=st.characters(exclude_categories=_NO_SURROGATES), min_size=1, max_size=40
)


class PasswordHasherContract:
    """What every :class:`~onestop.ports.edges.PasswordHasher` does (make it fast for tests)."""

    def make_hasher(self) -> PasswordHasher:
        raise NotImplementedError(f"{type(self).__name__} must implement make_hasher()")

    @pytest.mark.parametrize(
        "password", ["correct horse battery staple", "Mật khẩu bí mật 2024!", "🔑" * 8, " "]
    )
    def test_right_and_wrong_password(self, password: str) -> None:
        hasher = self.make_hasher()
        hashed = hasher.hash(password)
        assert isinstance(hashed, str)
        assert password not in hashed
        assert hasher.verify(password, hashed)
        assert not hasher.verify(password + "x", hashed)
        assert not hasher.verify(password.upper() + "X", hashed)
        assert not hasher.verify("", hashed)

    def test_salted(self) -> None:
        hasher = self.make_hasher()
        first, second = hasher.hash("Mật khẩu"), hasher.hash("Mật khẩu")
        assert first != second
        assert hasher.verify("Mật khẩu", first)
        assert hasher.verify("Mật khẩu", second)

    @pytest.mark.parametrize("hashed", ["", "plain", "scrypt$", "$2b$12$abc", "x" * 500])
    def test_unreadable_hash_never_verifies(self, hashed: str) -> None:
        assert not self.make_hasher().verify("plain", hashed)

    @given(password=_PASSWORDS, other=_PASSWORDS)
    @_FEW
    def test_generated_passwords(self, password: str, other: str) -> None:
        hasher = self.make_hasher()
        hashed = hasher.hash(password)
        assert hasher.verify(password, hashed)
        assume(other != password)
        assert not hasher.verify(other, hashed)


_URL_SAFE = frozenset(string.ascii_letters + string.digits + "-._~")
_CLAIM_NAMES = st.text(
    alphabet=st.characters(exclude_categories=_NO_SURROGATES), min_size=1, max_size=12
)
_CLAIMS = st.dictionaries(
    _CLAIM_NAMES,
    st.integers(-(2**62), 2**62) | free_text(max_size=60),
    max_size=6,
)


class TokenSignerContract:
    """What every :class:`~onestop.ports.edges.TokenSigner` does."""

    def make_signer(self) -> TokenSigner:
        raise NotImplementedError(f"{type(self).__name__} must implement make_signer()")

    def make_other_signer(self) -> TokenSigner:
        """A signer of the same kind with another secret."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_other_signer()")

    def test_round_trip(self) -> None:
        signer = self.make_signer()
        claims: dict[str, str | int] = {
            "sub": "account-3f2a9c1b7d4e",
            "purpose": "xác-nhận",
            "exp": 1_655_865_000,
            "jti": "token-1",
        }
        token = signer.sign(claims)
        assert set(token) <= _URL_SAFE, token
        assert urllib.parse.quote(token, safe="") == token
        assert signer.unsign(token) == claims

    def test_another_key_refuses(self) -> None:
        token = self.make_signer().sign({"sub": "account-1"})
        with pytest.raises(InvalidToken):
            self.make_other_signer().unsign(token)

    @pytest.mark.parametrize("garbage", ["", ".", "abc", "abc.def", "a.b.c", "..", "é.é"])
    def test_garbage_is_refused(self, garbage: str) -> None:
        with pytest.raises(InvalidToken):
            self.make_signer().unsign(garbage)

    def test_truncated_or_extended_token_is_refused(self) -> None:
        signer = self.make_signer()
        token = signer.sign({"sub": "account-1", "exp": 99})
        for bad in (token[:-1], token[1:], token + "A", "A" + token, token[: len(token) // 2]):
            with pytest.raises(InvalidToken):
                signer.unsign(bad)

    def test_every_one_character_change_is_detected(self) -> None:
        signer = self.make_signer()
        claims: dict[str, str | int] = {"sub": "account-1", "purpose": "reset", "exp": 1234}
        token = signer.sign(claims)
        for position in range(len(token)):
            for replacement in "Aa0_-.":
                if replacement == token[position]:
                    continue
                tampered = token[:position] + replacement + token[position + 1 :]
                _refused_or_unchanged(signer, tampered, claims)

    @given(claims=_CLAIMS)
    @_PROPERTY
    def test_generated_claims_round_trip(self, claims: dict[str, str | int]) -> None:
        signer = self.make_signer()
        token = signer.sign(claims)
        assert set(token) <= _URL_SAFE
        assert signer.unsign(token) == claims

    @given(claims=_CLAIMS, data=st.data())
    @_PROPERTY
    def test_generated_tampering_is_detected(
        self, claims: dict[str, str | int], data: st.DataObject
    ) -> None:
        signer = self.make_signer()
        token = signer.sign(claims)
        position = data.draw(st.integers(0, len(token) - 1))
        replacement = data.draw(st.sampled_from(sorted(_URL_SAFE - {token[position]})))
        _refused_or_unchanged(
            signer, token[:position] + replacement + token[position + 1 :], claims
        )

    @given(garbage=st.text(max_size=200))
    @_PROPERTY
    def test_generated_garbage_is_refused(self, garbage: str) -> None:
        signer = self.make_signer()
        with pytest.raises(InvalidToken):
            signer.unsign(garbage)


def _refused_or_unchanged(
    signer: TokenSigner, tampered: str, claims: Mapping[str, str | int]
) -> None:
    """A changed token is refused, or (if the change is not one) reads as the same claims."""
    try:
        read = signer.unsign(tampered)
    except InvalidToken:
        return
    assert read == dict(claims), f"a tampered token was accepted with other claims: {tampered}"
