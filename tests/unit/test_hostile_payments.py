"""Gateway callbacks as an attacker sends them: any input answered, forgeries logged (issue 8)."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings

from onestop.adapters.fake_payment import FakePaymentGateway
from onestop.application.payments import CallbackResult, CallbackStatus
from onestop.application.security_log import SECURITY_LOGGER
from onestop.domain.dossier import Dossier
from onestop.domain.payments import PaymentState
from onestop.ports.edges import PaymentRedirect
from onestop.testing import builders
from onestop.testing.contracts.edges import hostile_callbacks
from tests.unit.conftest import HKD, PortalKit, make_kit

IP = "203.113.1.10"
#: Made once: building a portal per generated example would be slow, and bad input changes
#: nothing (which is what the property checks).
_KIT = make_kit()


def _started(kit: PortalKit) -> tuple[Dossier, PaymentRedirect]:
    dossier = kit.submitted(HKD)
    return dossier, kit.portal.payments.start(kit.citizen.id, dossier.id, client_ip=IP)


def _events(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "onestop_event", None) == event]


@pytest.mark.parametrize(
    "params",
    [
        None,
        [],
        [("txn_ref", "x")],
        "txn_ref=x&amount=1",
        b"txn_ref=x",
        42,
        {1: "x"},
        {"txn_ref": 1},
        {"txn_ref": None, "signature": "ab"},
        {"txn_ref": ["x"]},
        {"txn_ref": "\ud800", "signature": "00"},
        {"\udfff": "x", "signature": "00"},
        {"signature": "\ud800"},
        {f"k{i}": "v" for i in range(500)},
    ],
    ids=repr,
)
def test_handle_callback_answers_hostile_input_with_invalid_signature(params: object) -> None:
    """None, lists, non-text keys or values, lone surrogates: INVALID_SIGNATURE, no error."""
    kit = make_kit()
    before = kit.snapshot()
    result = kit.portal.payments.handle_callback(params)  # type: ignore[arg-type]
    assert result == CallbackResult(CallbackStatus.INVALID_SIGNATURE)
    assert kit.snapshot() == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=hostile_callbacks())
def test_handle_callback_answers_any_input(params: object) -> None:
    """Whatever the callback is, handle_callback returns a result and changes nothing."""
    before = _KIT.snapshot()
    result = _KIT.portal.payments.handle_callback(params)  # type: ignore[arg-type]
    assert isinstance(result, CallbackResult)
    assert result.status in {CallbackStatus.INVALID_SIGNATURE, CallbackStatus.UNREADABLE}
    assert _KIT.snapshot() == before


def test_a_genuine_callback_still_confirms_after_hostile_ones(kit: PortalKit) -> None:
    dossier, redirect = _started(kit)
    genuine = kit.gateway.complete(redirect.txn_ref)
    for hostile in (None, {**genuine, "amount": "\ud800"}, {**genuine, "amount": 1}):
        result = kit.portal.payments.handle_callback(hostile)  # type: ignore[arg-type]
        assert result.status is CallbackStatus.INVALID_SIGNATURE
    assert kit.portal.payments.handle_callback(genuine).status is CallbackStatus.CONFIRMED
    view = kit.portal.payments.status(kit.citizen.id, dossier.id)
    assert [p.state for p in view.payments] == [PaymentState.CONFIRMED]


# --- security events ------------------------------------------------------------------------


def test_a_forged_callback_is_logged_without_its_signature(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    _, redirect = _started(kit)
    genuine = kit.gateway.complete(redirect.txn_ref)
    forged = {**genuine, "amount": "1"}
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name):
        result = kit.portal.payments.handle_callback(forged)
    assert result.status is CallbackStatus.INVALID_SIGNATURE
    [record] = _events(caplog, "payment.callback_forged")
    assert record.name == "onestop.security"
    assert record.levelno == logging.WARNING
    fields = record.onestop_fields  # type: ignore[attr-defined]
    assert fields["gateway"] == "fake"
    shown = record.getMessage() + repr(fields)
    assert genuine["signature"] not in shown
    assert redirect.txn_ref not in shown


def test_a_callback_that_is_not_a_mapping_is_logged_as_forged(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name):
        kit.portal.payments.handle_callback(None)  # type: ignore[arg-type]
    [record] = _events(caplog, "payment.callback_forged")
    assert "NoneType" in record.onestop_fields["reason"]  # type: ignore[attr-defined]


def test_an_amount_mismatch_is_logged_with_both_amounts_and_a_masked_reference(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    dossier, redirect = _started(kit)
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name):
        result = kit.portal.payments.handle_callback(
            kit.gateway.complete(redirect.txn_ref, amount=1_000)
        )
    assert result.status is CallbackStatus.AMOUNT_MISMATCH
    [record] = _events(caplog, "payment.amount_mismatch")
    fields = record.onestop_fields  # type: ignore[attr-defined]
    assert (fields["expected"], fields["got"]) == (dossier.amount_due, 1_000)
    assert fields["dossier_id"] == dossier.id
    assert fields["txn_ref"] != redirect.txn_ref
    assert fields["txn_ref"].endswith(redirect.txn_ref[-3:])
    assert redirect.txn_ref not in record.getMessage() + repr(fields)


def test_a_signed_callback_for_an_unknown_order_is_logged(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    # Signed with the portal's own key (the fake gateway's default), for a payment it never made.
    other = FakePaymentGateway()
    unknown = builders.payment(gateway="fake", txn_ref="NOSUCHORDER0001")
    other.start(
        unknown,
        order_info="x",
        return_url="https://example.vn/back",
        client_ip=IP,
        now=builders.T0,
    )
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name):
        result = kit.portal.payments.handle_callback(other.complete(unknown.txn_ref))
    assert result.status is CallbackStatus.NOT_FOUND
    [record] = _events(caplog, "payment.unknown_order")
    fields = record.onestop_fields  # type: ignore[attr-defined]
    assert fields["txn_ref"] == "*" * 12 + "001"
    assert "NOSUCHORDER0001" not in record.getMessage() + repr(fields)


def test_a_genuine_callback_logs_no_security_event(
    kit: PortalKit, caplog: pytest.LogCaptureFixture
) -> None:
    _, redirect = _started(kit)
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER.name):
        kit.portal.payments.handle_callback(kit.gateway.complete(redirect.txn_ref))
    assert not [r for r in caplog.records if hasattr(r, "onestop_event")]
