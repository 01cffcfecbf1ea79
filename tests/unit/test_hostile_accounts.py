"""Account use cases under hostile input: same answers for known and unknown accounts.

Every argument of every account method is drawn from what a stranger could send (wrong types,
lone surrogates, NUL, RTL marks, text far over MAX_PASSWORD_LENGTH); an account that exists
and one that does not must get the very same answer, in type, field and message, wherever the
answer could tell them apart.
"""

from __future__ import annotations

import datetime as dt
import inspect
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop import errors
from onestop.application.accounts import MAX_PASSWORD_LENGTH, AccountService
from onestop.bootstrap import Portal
from onestop.errors import (
    AccountNotFound,
    DuplicateError,
    InvalidCredentials,
    InvalidIdentity,
    InvalidInput,
    InvalidToken,
    OnestopError,
)
from tests.strategies.hostile import Unprintable
from tests.unit.test_accounts_service import (
    EMAIL,
    FULL_NAME,
    PASSWORD,
    make_portal,
    registered_and_verified,
)

UNKNOWN = "someone.else@example.vn"
HOSTILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


#: Values no ``str`` argument accepts: each is refused by the argument check, first.
WRONG_FOR_TEXT: tuple[Any, ...] = (
    None,
    0,
    987654321,
    10**5000,
    True,
    2.5,
    b"secret",
    [],
    ["x"],
    {},
    {"k": "v"},
    ("a", "b"),
    frozenset(),
    object(),
    Unprintable(),
    dt.date(2000, 1, 1),
    "\ud800" * 8,
    "nguyen.van.an@example.vn\ud800",
    "mật-khẩu\udfff",
)

#: Text that a ``str`` argument takes, but that breaks naive code further on.
TRICKY_TEXTS: tuple[str, ...] = (
    "",
    " ",
    "\x00" * 8,
    "a\x00b-password-long-enough",
    "\u202efdp.exe-password",
    "\u200b" * 10,
    "x" * (MAX_PASSWORD_LENGTH + 1),
    "x" * 100_000,
    "\r\n" * 6,
    "{{ 7*7 }}-password",
)


_TRAPS = ("\x00", "\ud800", "\udfff", "\u202e", "\u2066", "\u200b", "\ufeff", "\r\n", "\x1b[31m")
NASTY_TEXTS = (
    "\ud800" * 8,
    "\u202efdp.exe",
    "x" * 100_000,
    "9" * 5_000,
    "[" * 1_000,
    *TRICKY_TEXTS,
)


def _power_of_ten(digits: int) -> int:
    return -(10**digits) if digits % 2 else 10**digits


def hostile_texts() -> st.SearchStrategy[str]:
    """Text with surrogates, NUL and controls, bidi and zero-width marks, or a nasty whole."""
    anything = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
    mixed = st.lists(st.one_of(st.sampled_from(_TRAPS), anything), min_size=1, max_size=6)
    return st.one_of(st.sampled_from(NASTY_TEXTS), mixed.map("".join), anything)


def hostile_values() -> st.SearchStrategy[Any]:
    """Anything a JSON body or a confused caller could hand us, nested a little."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(4_400, 5_000).map(_power_of_ten),  # too long for repr()
        st.sampled_from([2**63, -(2**63) - 1, float("nan"), float("inf")]),
        st.floats(),
        hostile_texts(),
        st.binary(max_size=20),
        st.sampled_from([dt.datetime(2022, 6, 22, 9, 30), dt.datetime.max, dt.date.min]),
        st.dates(),
        st.datetimes(timezones=st.timezones()),
        st.builds(Unprintable),
        st.builds(object),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(hostile_texts(), inner, max_size=3)
        ),
        max_leaves=6,
    )


def outcome(call: Callable[[], object]) -> tuple[str, str | None, str]:
    """What a call answered: the error's type, field and message ("ok" if it returned)."""
    try:
        call()
    except OnestopError as e:
        return type(e).__name__, getattr(e, "field", None), str(e)
    return "ok", None, ""


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    """One portal for the module: a verified account at EMAIL, none at UNKNOWN."""
    with make_portal() as p:
        registered_and_verified(p)
        yield p


@pytest.fixture(scope="module")
def account_id(portal: Portal) -> str:
    return portal.accounts.log_in(EMAIL, PASSWORD).id


# --- the argument check comes first, for every method ---------------------------------------

_SUBJECTS = {
    # method: (the parameter that names the account, known value, unknown value)
    "register_citizen": ("email", EMAIL, UNKNOWN),
    "register_organisation": ("email", EMAIL, UNKNOWN),
    "resend_verification": ("email", EMAIL, UNKNOWN),
    "log_in": ("email", EMAIL, UNKNOWN),
    "request_password_reset": ("email", EMAIL, UNKNOWN),
    "change_password": ("account_id", "<known>", "no-such-account"),
    "get": ("account_id", "<known>", "no-such-account"),
    "update_profile": ("account_id", "<known>", "no-such-account"),
    # An administrator's: the answer to a wrong value is the same, found or not.
    "lock": ("email", EMAIL, UNKNOWN),
    "unlock": ("email", EMAIL, UNKNOWN),
}
_GOOD: dict[str, Any] = {
    "password": "a-long-enough-password",
    "old_password": "a-long-enough-password",
    "new_password": "another-long-password",
    "full_name": FULL_NAME,
    "organisation_name": "Công ty TNHH Ánh Dương",
    "tax_code": "0100109106",
    "representative_name": FULL_NAME,
    "token": "not-a-token",
}


def _text_parameters() -> list[tuple[str, str]]:
    """(method, parameter) for every text parameter of every account method."""
    found = []
    for name, method in inspect.getmembers(AccountService, inspect.isfunction):
        if name.startswith("_"):
            continue
        for parameter in inspect.signature(method).parameters.values():
            if parameter.name == "self" or parameter.kind is parameter.VAR_KEYWORD:
                continue
            found.append((name, parameter.name))
    return found


def test_every_public_method_is_covered_here() -> None:
    """A new method of AccountService must be added to the tables of this module."""
    public = {n for n, _ in inspect.getmembers(AccountService, inspect.isfunction)}
    public = {n for n in public if not n.startswith("_")}
    assert public == set(_SUBJECTS) | {"verify", "reset_password"}


def _call(
    portal: Portal, method: str, subject: tuple[str, Any] | None, bad: tuple[str, Any]
) -> Callable[[], object]:
    """A call of ``method`` with good arguments, ``subject`` and one ``bad`` argument."""
    signature = inspect.signature(getattr(AccountService, method))
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.name == "self" or parameter.kind is parameter.VAR_KEYWORD:
            continue
        if bad[0] == parameter.name:
            value = bad[1]
        elif subject is not None and subject[0] == parameter.name:
            value = subject[1]
        elif parameter.default is not parameter.empty:
            continue
        else:
            value = _GOOD.get(parameter.name, "x")
        if parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return lambda: getattr(portal.accounts, method)(*args, **kwargs)


@pytest.mark.parametrize(("method", "parameter"), _text_parameters())
@pytest.mark.parametrize("value", WRONG_FOR_TEXT, ids=lambda v: type(v).__name__)
def test_a_wrong_value_gets_one_answer_for_known_and_unknown_accounts(
    portal: Portal, account_id: str, method: str, parameter: str, value: Any
) -> None:
    """Any argument of the wrong kind: InvalidInput naming it, whoever the account is."""
    default = inspect.signature(getattr(AccountService, method)).parameters[parameter].default
    if (value is None and default is None) or (
        parameter == "date_of_birth" and isinstance(value, dt.date)
    ):
        return  # a right value for this parameter: nothing to refuse
    if method in _SUBJECTS and _SUBJECTS[method][0] != parameter:
        name, known, unknown = _SUBJECTS[method]
        known = account_id if known == "<known>" else known
        answers = {
            outcome(_call(portal, method, (name, subject), (parameter, value)))
            for subject in (known, unknown)
        }
        assert len(answers) == 1, answers
    else:
        answers = {outcome(_call(portal, method, None, (parameter, value)))}
    ((kind, field, _),) = answers
    assert issubclass(getattr(errors, kind), InvalidInput), answers
    assert field == parameter, answers


@given(password=st.one_of(hostile_values(), hostile_texts(), st.sampled_from(TRICKY_TEXTS)))
@HOSTILE
def test_log_in_answers_alike_for_known_and_unknown_emails(portal: Portal, password: Any) -> None:
    """Whatever the password, a known email and an unknown one get the same answer."""
    known = outcome(lambda: portal.accounts.log_in(EMAIL, password))
    unknown = outcome(lambda: portal.accounts.log_in(UNKNOWN, password))
    assert known == unknown
    assert known[0] in ("InvalidCredentials", "InvalidInput")


@pytest.mark.parametrize(
    "password", ["\ud800" * 8, "\ud800", "x\udfffy" * 4, None, 12345678, b"password"]
)
def test_a_password_that_is_not_valid_text_is_refused_alike(portal: Portal, password: Any) -> None:
    """The issue's case: a lone surrogate crashed the hash for a known account only."""
    known = outcome(lambda: portal.accounts.log_in(EMAIL, password))
    unknown = outcome(lambda: portal.accounts.log_in(UNKNOWN, password))
    assert known == unknown
    assert known[:2] == ("InvalidInput", "password")


@given(email=st.one_of(hostile_values(), hostile_texts()))
@HOSTILE
def test_log_in_answers_any_email_with_a_typed_error(portal: Portal, email: Any) -> None:
    """A malformed email is a wrong login (or InvalidInput for the wrong kind), never a crash."""
    kind, field, _ = outcome(lambda: portal.accounts.log_in(email, "a-wrong-password"))
    assert kind == "InvalidCredentials" or (kind == "InvalidInput" and field == "email")


def test_an_absurdly_long_password_is_refused_fast_and_alike(portal: Portal) -> None:
    """A megabyte of password is wrong without hashing it, for a known email or not."""
    password = "x" * 1_000_000
    started = time.perf_counter()
    known = outcome(lambda: portal.accounts.log_in(EMAIL, password))
    unknown = outcome(lambda: portal.accounts.log_in(UNKNOWN, password))
    assert time.perf_counter() - started < 1.0
    assert known == unknown == ("InvalidCredentials", None, str(InvalidCredentials()))


@given(
    locale=st.one_of(st.none(), st.sampled_from(["vi", "en"]), hostile_values()),
    method=st.sampled_from(["request_password_reset", "resend_verification"]),
)
@HOSTILE
def test_mailing_a_link_answers_alike_for_known_and_unknown_emails(
    portal: Portal, locale: Any, method: str
) -> None:
    """A reset or resend request says the same whether or not the email has an account."""
    call = getattr(portal.accounts, method)
    known = outcome(lambda: call(EMAIL, locale=locale))
    unknown = outcome(lambda: call(UNKNOWN, locale=locale))
    assert known == unknown


def _good_or_hostile(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(good, hostile_values(), st.sampled_from(NASTY_TEXTS))


_fresh = iter(range(10**9))


@given(
    password=_good_or_hostile(st.just("a-long-enough-password")),
    full_name=_good_or_hostile(st.just(FULL_NAME)),
    phone=_good_or_hostile(st.sampled_from([None, "0912345678", "+84 912.345-678"])),
    id_number=_good_or_hostile(st.sampled_from([None, "001200012345", "123456789"])),
    date_of_birth=_good_or_hostile(st.sampled_from([None, dt.date(2000, 1, 1)])),
    address=_good_or_hostile(st.sampled_from([None, "12 Tràng Tiền, Hoàn Kiếm"])),
)
@HOSTILE
def test_registering_answers_alike_for_taken_and_free_emails(
    portal: Portal, **details: Any
) -> None:
    """A bad detail is refused the same for a taken email and a free one; only a good
    registration learns that the email is taken, as it must."""
    password = details.pop("password")
    free = f"free.{next(_fresh)}@example.vn"
    taken = outcome(lambda: portal.accounts.register_citizen(EMAIL, password, **details))
    fresh = outcome(lambda: portal.accounts.register_citizen(free, password, **details))
    if fresh[0] == "ok":
        assert taken[0] == "DuplicateError"
    else:
        assert taken == fresh


# --- the named cases of the issue ------------------------------------------------------------


@pytest.mark.parametrize("account_id", [[], {}, None, 7, b"id", "\ud800"])
def test_get_refuses_an_id_that_is_not_text(portal: Portal, account_id: Any) -> None:
    """``accounts.get([])`` is InvalidInput naming account_id, not a TypeError from a dict."""
    with pytest.raises(InvalidInput) as caught:
        portal.accounts.get(account_id)
    assert caught.value.field == "account_id"


def test_register_refuses_a_phone_given_as_a_number(portal: Portal) -> None:
    """``register_citizen(phone=987654321)`` names the phone."""
    with pytest.raises(InvalidInput) as caught:
        portal.accounts.register_citizen(
            "new.person@example.vn", PASSWORD, FULL_NAME, phone=987654321
        )
    assert caught.value.field == "phone"


def test_update_profile_refuses_an_unknown_detail(portal: Portal, account_id: str) -> None:
    """A detail that is not in the profile is named, for any account."""
    for subject in (account_id, "no-such-account"):
        with pytest.raises(InvalidInput) as caught:
            portal.accounts.update_profile(subject, unknown="x")
        assert caught.value.field == "unknown"


_DETAILS = ["full_name", "phone", "address", "date_of_birth", "id_number", "id_issued_by"]


@given(detail=st.sampled_from(_DETAILS), value=hostile_values())
@HOSTILE
def test_update_profile_names_a_hostile_detail_before_looking_the_account_up(
    portal: Portal, account_id: str, detail: str, value: Any
) -> None:
    """A value of any kind inside the changes is refused naming its detail, or accepted."""
    known = outcome(lambda: portal.accounts.update_profile(account_id, **{detail: value}))
    if known[0] == "ok":
        return
    assert known[1] is not None and known[1].split(".")[0] == detail, known
    unknown = outcome(lambda: portal.accounts.update_profile("no-such-account", **{detail: value}))
    if not isinstance(value, str | dt.date) and value is not None:
        assert unknown == known  # the kind is checked before the lookup
    else:
        assert unknown[0] in (known[0], AccountNotFound.__name__)


def test_update_profile_refuses_a_number_as_a_phone(portal: Portal, account_id: str) -> None:
    """The issue's case: a number inside the changes reached ``.strip()``."""
    for value in (987654321, ["0912345678"], b"0912345678", "\ud800"):
        with pytest.raises(InvalidIdentity) as caught:
            portal.accounts.update_profile(account_id, phone=value)
        assert caught.value.field == "phone"


@given(token=st.one_of(hostile_values(), hostile_texts()), password=hostile_values())
@HOSTILE
def test_links_answer_any_token_with_a_typed_error(
    portal: Portal, token: Any, password: Any
) -> None:
    """A garbled, forged or wrongly typed token is InvalidToken or InvalidInput, never a crash."""
    for call in (
        lambda: portal.accounts.verify(token),
        lambda: portal.accounts.reset_password(token, password),
    ):
        with pytest.raises(OnestopError) as caught:
            call()
        assert isinstance(caught.value, InvalidToken | InvalidInput)


def test_registering_a_taken_email_with_a_bad_detail_names_the_detail(portal: Portal) -> None:
    """The details are checked before the email is looked up: no DuplicateError for them."""
    with pytest.raises(InvalidIdentity) as caught:
        portal.accounts.register_citizen(EMAIL, PASSWORD, "\u202eAn")
    assert caught.value.field == "full_name"
    with pytest.raises(DuplicateError):
        portal.accounts.register_citizen(EMAIL, PASSWORD, FULL_NAME)


@pytest.mark.parametrize("name", ["", "\ud800", "a b", "1x"])
def test_update_profile_names_an_odd_detail_name_by_its_container(
    portal: Portal, account_id: str, name: str
) -> None:
    """A key that is no identifier cannot be a field name: the error names ``changes``."""
    with pytest.raises(InvalidInput) as caught:
        portal.accounts.update_profile(account_id, **{name: "x"})
    assert caught.value.field == "changes"
