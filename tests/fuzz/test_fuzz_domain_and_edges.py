"""Every public domain constructor and parser, serialization and the gateways' callback
verification answer any input normally or with an OnestopError.

The domain's entry points are found by introspection of ``onestop.domain.__all__``: every
class that is not an enum (its constructor and its named constructors such as ``parse``,
``create``, ``for_submission``), every function, and the public methods of the values a
host holds (the code schemes, a working calendar, an agency id, a dossier code, a dossier).
Enum classes are left out: ``DossierStatus("x")`` raising ``ValueError`` is Python's enum
contract, and hosts read statuses through our views.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import onestop.domain as domain
from onestop import serialization
from onestop.adapters.fake_payment import FakePaymentGateway
from onestop.adapters.vnpay import VnpayGateway, handle_ipn
from onestop.domain.accounts import Account, Applicant, Officer
from onestop.domain.catalog import Procedure
from onestop.domain.codes import VN_TZ
from onestop.domain.dossier import Dossier
from onestop.domain.payments import Payment
from onestop.testing import builders
from tests.fuzz.harness import Call, arguments_for, call_safely
from tests.strategies.hostile import hostile_texts, hostile_values
from tests.unit.conftest import make_kit

# Deprecated entry points are fuzzed too, on purpose: their warnings are expected here.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXAMPLES = int(os.environ.get("ONESTOP_FUZZ_EXAMPLES", "150"))

_AWARE = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(VN_TZ)
)
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "text": st.sampled_from(
        ["000.00.03.H34", "000.00.03.H34-220622-0001", "001099012345", "0912345678", "Hà Nội"]
    ),
    "field": st.just("field"),
    "level1": st.sampled_from(["H34", "G12"]),
    "level2": st.integers(0, 99),
    "level3": st.integers(0, 99),
    "level4": st.integers(0, 999),
    "agency": st.just(builders.AGENCY),
    "day": st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)),
    "start": st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)),
    "end": st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)),
    "due": st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)),
    "seq": st.integers(1, 9999),
    "n": st.integers(0, 400),
    "working_days": st.integers(0, 60),
    "now": _AWARE,
    "instant": _AWARE,
    "value": st.integers(0, 10**9),
    "amount": st.integers(0, 10**9),
    "unit_amount": st.integers(0, 10**9),
    "quantity": st.integers(1, 10),
    "description": st.just("Lệ phí"),
    "name": st.just("Nguyễn Văn An"),
    "full_name": st.just("Nguyễn Văn An"),
    "email": st.just("an@example.vn"),
    "id": st.just("id-1"),
}

#: Methods that are not entry points for a host (attrs internals, pickling, rich comparison).
_SKIP_METHODS = frozenset({"evolve", "pull_events"})


def _classes() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in domain.__all__:
        target = getattr(domain, name)
        if not isinstance(target, type) or issubclass(target, enum.Enum):
            continue
        yield f"domain.{name}", target
        for attribute, member in vars(target).items():
            if isinstance(member, classmethod) and not attribute.startswith("_"):
                yield f"domain.{name}.{attribute}", getattr(target, attribute)


def _functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in domain.__all__:
        target = getattr(domain, name)
        if inspect.isfunction(target):
            yield f"domain.{name}", target


def _value_methods() -> Iterator[tuple[str, Callable[[], Any]]]:
    """Methods of values a host holds; each call gets a fresh value (methods may mutate)."""
    makers: dict[str, Callable[[], Any]] = {
        "SCHEME_2018": lambda: domain.SCHEME_2018,
        "SCHEME_WIDE": lambda: domain.SCHEME_WIDE,
        "WorkingCalendar()": domain.WorkingCalendar,
        "AgencyCode": lambda: builders.AGENCY,
        "DossierCode": builders.dossier_code,
        "Dossier(draft)": builders.draft_dossier,
        "Dossier(submitted)": builders.submitted_dossier,
    }
    for label, make in makers.items():
        sample = make()
        for attribute, _member in inspect.getmembers(type(sample), inspect.isfunction):
            if attribute.startswith("_") or attribute in _SKIP_METHODS:
                continue
            yield f"{label}.{attribute}", _bound(make, attribute)


def _bound(make: Callable[[], Any], attribute: str) -> Callable[[], Any]:
    def get() -> Any:
        return getattr(make(), attribute)

    return get


DIRECT = dict([*_classes(), *_functions()])
ON_VALUES = dict(_value_methods())


def test_the_domain_surface_is_found() -> None:
    """Introspection finds the constructors, parsers and value methods a host calls."""
    for expected in ("domain.AgencyCode.parse", "domain.DossierCode.parse", "domain.format_vnd"):
        assert expected in DIRECT
    assert "WorkingCalendar().add_working_days" in ON_VALUES
    assert "Dossier(submitted).receive" in ON_VALUES
    assert len(DIRECT) + len(ON_VALUES) >= 80


def _fuzz(name: str, get: Callable[[], Callable[..., Any]]) -> None:
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        fn = get()
        args, kwargs = data.draw(arguments_for(fn, GOOD))
        call_safely(Call(name, args, kwargs), fn)

    run()


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_domain_constructors_and_functions_answer_any_input(name: str) -> None:
    target = DIRECT[name]
    _fuzz(name, lambda: target)


@pytest.mark.parametrize("name", sorted(ON_VALUES))
def test_methods_of_domain_values_answer_any_input(name: str) -> None:
    _fuzz(name, ON_VALUES[name])


SERIALIZED = [Procedure, Dossier, Account, Applicant, Officer, Payment]


@pytest.mark.parametrize("cls", SERIALIZED, ids=lambda c: c.__name__)
@settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(
    document=st.one_of(
        hostile_values(),
        st.sampled_from(
            ["[]", "{}", "[" * 100_000, "1" * 5000, '{"code": 1}', "null", "\ud800", "NaN"]
        ),
        st.binary(max_size=40),
        st.just(b"\xff"),
    )
)
def test_serialization_loads_answers_any_document(cls: type, document: Any) -> None:
    call_safely(
        Call(f"serialization.loads[{cls.__name__}]", (document, cls), {}), serialization.loads
    )


@settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(value=hostile_values())
def test_serialization_dumps_answers_any_value(value: Any) -> None:
    call_safely(Call("serialization.dumps", (value,), {}), serialization.dumps)


_VNPAY = VnpayGateway(
    tmn_code="DEMO0001",
    hash_secret="an-obviously-fake-secret-for-tests",
    payment_url="https://sandbox.example.invalid/paymentv2/vpcpay.html",
)
_callback_params = st.one_of(
    hostile_values(),
    st.dictionaries(
        st.one_of(
            st.sampled_from(
                [
                    "vnp_TxnRef",
                    "vnp_Amount",
                    "vnp_SecureHash",
                    "txn_ref",
                    "amount",
                    "signature",
                    "vnp_ResponseCode",
                ]
            ),
            # Keys a query string or JSON body can carry: text and numbers (hashable).
            hostile_texts(),
            st.integers(),
        ),
        hostile_values(),
        max_size=6,
    ),
)


@pytest.mark.parametrize("gateway", [FakePaymentGateway(), _VNPAY], ids=["fake", "vnpay"])
@settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(params=_callback_params)
def test_gateways_verify_any_callback_with_a_typed_answer(gateway: Any, params: Any) -> None:
    call_safely(Call(f"{gateway.name}.verify_callback", (params,), {}), gateway.verify_callback)


_ipn_kit = make_kit()


@settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(params=_callback_params)
def test_handle_ipn_answers_any_input_with_a_reply(params: Any) -> None:
    reply = call_safely(
        Call("vnpay.handle_ipn", (_ipn_kit.portal.payments, params), {}), handle_ipn
    )
    assert isinstance(reply, dict) and set(reply) == {"RspCode", "Message"}, reply


@settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(params=_callback_params)
def test_handle_callback_never_raises(params: Any) -> None:
    result = call_safely(
        Call("payments.handle_callback", (params,), {}), _ipn_kit.portal.payments.handle_callback
    )
    assert not isinstance(result, BaseException), result
