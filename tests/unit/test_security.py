"""Scrypt password hashes and HMAC-signed tokens (the shared behaviour is in the contract)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.adapters.security import HmacTokenSigner, ScryptPasswordHasher
from onestop.errors import ConfigurationError, InvalidInput, InvalidToken
from onestop.testing import builders

SECRET = b"0123456789abcdef-test-secret"
FAST = {"n": 2**10}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _forge(payload: bytes, secret: bytes = SECRET) -> str:
    """A token with any payload, signed with the secret as the signer would."""
    body = _b64url(payload)
    mac = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64url(mac)}"


# --- passwords -------------------------------------------------------------------------------


def test_hash_is_self_describing() -> None:
    hashed = ScryptPasswordHasher(n=2**10, r=4, p=2).hash("Mật khẩu")
    algorithm, parameters, salt, digest = hashed.split("$")
    assert (algorithm, parameters) == ("scrypt", "n=1024,r=4,p=2")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32


def test_a_hash_verifies_with_its_own_parameters() -> None:
    old = ScryptPasswordHasher(n=2**10, r=4).hash("Mật khẩu")
    current = ScryptPasswordHasher(n=2**11, r=8, salt_bytes=32, dklen=64)
    assert current.verify("Mật khẩu", old)
    assert not current.verify("Mat khau", old)
    assert current.needs_rehash(old)
    assert not current.needs_rehash(current.hash("Mật khẩu"))
    assert current.needs_rehash("not a hash")


def test_precomposed_and_combining_marks_are_one_password() -> None:
    hasher = ScryptPasswordHasher(**FAST)
    composed = unicodedata.normalize("NFC", "Nguyễn Thị Ánh")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert hasher.verify(decomposed, hasher.hash(composed))
    assert hasher.verify(composed, hasher.hash(decomposed))


def test_default_parameters_hash_and_verify() -> None:
    hasher = ScryptPasswordHasher()
    assert repr(hasher) == "ScryptPasswordHasher(n=16384, r=8, p=1)"
    assert hasher.verify("bí mật", hasher.hash("bí mật"))


def test_large_n_within_bounds_works() -> None:
    # 2**15 with r=8 needs more than hashlib's default 32 MiB of memory.
    hasher = ScryptPasswordHasher(n=2**15, r=8)
    assert hasher.verify("x", hasher.hash("x"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 1000},
        {"n": 2**9},
        {"n": 2**21},
        {"n": True},
        {"r": 0},
        {"r": 33},
        {"p": 0},
        {"p": 17},
        {"salt_bytes": 8},
        {"salt_bytes": 65},
        {"dklen": 15},
        {"dklen": 65},
    ],
    ids=repr,
)
def test_bad_parameters(kwargs: dict[str, int]) -> None:
    with pytest.raises(ConfigurationError):
        ScryptPasswordHasher(**kwargs)


@pytest.mark.parametrize(
    "hashed",
    [
        # Parameters past the bounds: refused before any memory is spent.
        "scrypt$n=1073741824,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$" + "A" * 43 + "=",
        "scrypt$n=1000,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$" + "A" * 43 + "=",
        "scrypt$n=1024,r=99,p=1$c2FsdHNhbHRzYWx0c2FsdA==$" + "A" * 43 + "=",
        # A salt too short, a digest too short, broken base64.
        "scrypt$n=1024,r=8,p=1$c2FsdA==$" + "A" * 43 + "=",
        "scrypt$n=1024,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",
        "scrypt$n=1024,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA=$" + "A" * 43 + "=",
        "scrypt$n=1024,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$" + "A" * 43 + "=\n",
    ],
)
def test_unreadable_hashes_never_verify(hashed: str) -> None:
    hasher = ScryptPasswordHasher(**FAST)
    assert not hasher.verify("x", hashed)
    assert hasher.needs_rehash(hashed)


def test_builders_password_hash_is_readable() -> None:
    # Builders never run a slow hash, but their hash has the shape the hasher writes.
    hasher = ScryptPasswordHasher(**FAST)
    hashed = builders.account().password_hash
    assert not hasher.needs_rehash(hashed)
    assert not hasher.verify("password", hashed)


# --- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [b"", b"short", b"x" * 15, "a text secret" * 3, None])
def test_bad_secrets(secret: object) -> None:
    with pytest.raises(ConfigurationError):
        HmacTokenSigner(secret)  # type: ignore[arg-type]


def test_repr_hides_the_secret() -> None:
    assert "0123" not in repr(HmacTokenSigner(SECRET))


def test_bytearray_secret() -> None:
    signer = HmacTokenSigner(bytearray(SECRET))
    assert HmacTokenSigner(SECRET).unsign(signer.sign({"a": 1})) == {"a": 1}


@pytest.mark.parametrize(
    "claims",
    [{"ok": True}, {"ok": 1.5}, {"ok": None}, {"ok": ["a"]}, {1: "a"}, ["a"], "a"],
    ids=repr,
)
def test_sign_refuses_claims_it_cannot_carry(claims: object) -> None:
    with pytest.raises(InvalidInput):
        HmacTokenSigner(SECRET).sign(claims)  # type: ignore[arg-type]


def test_token_shape() -> None:
    token = HmacTokenSigner(SECRET).sign({"sub": "account-1", "exp": 1})
    payload, signature = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == {
        "exp": 1,
        "sub": "account-1",
    }
    assert len(signature) == 43
    assert "=" not in token


def test_claims_are_signed_in_one_order() -> None:
    signer = HmacTokenSigner(SECRET)
    assert signer.sign({"a": 1, "b": "x"}) == signer.sign({"b": "x", "a": 1})


@pytest.mark.parametrize(
    "payload",
    [b"[1, 2]", b'"text"', b"not json", b'{"ok": true}', b'{"ok": 1.5}', b'{"ok": null}', b"\xff"],
    ids=repr,
)
def test_a_signed_payload_that_is_not_claims_is_refused(payload: bytes) -> None:
    with pytest.raises(InvalidToken):
        HmacTokenSigner(SECRET).unsign(_forge(payload))


def test_a_forged_payload_with_the_right_secret_reads() -> None:
    # The check of _forge itself: with the secret, the format is what the signer reads.
    assert HmacTokenSigner(SECRET).unsign(_forge(b'{"a":"b"}')) == {"a": "b"}


def test_padding_and_non_canonical_base64_are_refused() -> None:
    signer = HmacTokenSigner(SECRET)
    token = signer.sign({"sub": "x"})
    payload, signature = token.split(".")
    for bad in (f"{payload}=.{signature}", f"{payload}.{signature}=", f"{payload}.{signature}=="):
        with pytest.raises(InvalidToken):
            signer.unsign(bad)


def test_overlong_and_non_text_tokens_are_refused() -> None:
    signer = HmacTokenSigner(SECRET)
    with pytest.raises(InvalidToken):
        signer.unsign(_forge(json.dumps({"x": "a" * 9000}).encode()))
    with pytest.raises(InvalidToken):
        signer.unsign(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidToken):
        signer.unsign(b"abc.def")  # type: ignore[arg-type]


@given(
    claims=st.dictionaries(
        st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=20), max_size=5
    )
)
@settings(max_examples=50)
def test_unicode_claims_round_trip(claims: dict[str, str | int]) -> None:
    signer = HmacTokenSigner(SECRET)
    token = signer.sign(claims)
    assert token.isascii()
    assert signer.unsign(token) == claims
