"""The payment gateway contract and :func:`hostile_callbacks` (re-exported by
:mod:`onestop.testing.contracts.edges`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.payments import Payment, PaymentOutcome
from onestop.errors import (
    PaymentGatewayError,
    PaymentSignatureInvalid,
    RefundRefused,
)
from onestop.ports.edges import (
    PaymentGateway,
    PaymentRedirect,
)
from onestop.testing import builders
from onestop.testing.contracts._edges_base import _PROPERTY

__all__ = [
    "PaymentGatewayContract",
    "hostile_callbacks",
]

_G = TypeVar("_G", bound=PaymentGateway)


# --- payment -------------------------------------------------------------------------------


_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
#: Values no callback parameter can hold: wrong types, lone surrogates, absurd sizes.
_HOSTILE_VALUES: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.binary(max_size=16),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    st.builds(object),
    st.text(alphabet=_SURROGATES, min_size=1, max_size=4),
    st.tuples(st.text(max_size=8), _SURROGATES, st.text(max_size=8)).map("".join),
    st.integers(5_000, 100_000).map(lambda n: "x" * n),
)


def hostile_callbacks() -> st.SearchStrategy[object]:
    """What a broken client or an attacker may pass for a callback's parameters.

    Anything but a mapping, and mappings with wrong-typed keys or values, lone surrogates,
    huge values or too many parameters; none of them can be a correctly signed callback.
    """
    keys = st.one_of(st.text(max_size=12), _HOSTILE_VALUES.filter(_hashable))
    return st.one_of(
        _HOSTILE_VALUES,
        st.text(max_size=20),
        st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=4),
        st.dictionaries(keys, st.one_of(st.text(max_size=12), _HOSTILE_VALUES), max_size=6),
        st.dictionaries(st.text(max_size=12), _HOSTILE_VALUES, min_size=1, max_size=6),
        st.integers(101, 300).map(lambda n: {f"vnp_{i}": "1" for i in range(n)}),
    )


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class PaymentGatewayContract(Generic[_G]):
    """What every :class:`~onestop.ports.edges.PaymentGateway` does.

    :meth:`make_callback` stands in for the gateway's server: the parameters it would call
    back with after the payer paid (or failed, or cancelled), signed as it signs them.
    """

    def make_gateway(self) -> _G:
        """A gateway ready to start payments."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_gateway()")

    def make_callback(
        self,
        gateway: _G,
        payment: Payment,
        redirect: PaymentRedirect,
        outcome: PaymentOutcome,
        amount: int,
    ) -> dict[str, str]:
        """The signed callback parameters for ``payment`` (started as ``redirect``).

        ``amount`` is what the gateway reports in VND (only meaningful for PAID).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement make_callback()")

    def signed_keys(self, params: Mapping[str, str]) -> Sequence[str]:
        """The callback parameters the signature covers (changing one must be detected)."""
        return sorted(params)

    def pay_at_gateway(self, gateway: _G, payment: Payment, redirect: PaymentRedirect) -> bool:
        """Make the gateway hold ``payment`` as paid, its callback lost; False: cannot (the
        query and refund tests are then skipped)."""
        return False

    def _paid_at_gateway(self) -> tuple[_G, Payment]:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        if not callable(getattr(type(gateway), "query", None)) or not self.pay_at_gateway(
            gateway, payment, redirect
        ):
            pytest.skip("this gateway cannot be queried here")
        return gateway, payment

    def test_query_reports_a_payment_whose_callback_was_lost(self) -> None:
        gateway, payment = self._paid_at_gateway()
        answer = gateway.query(payment, now=builders.T0)
        assert answer is not None
        assert (answer.txn_ref, answer.outcome, answer.amount) == (
            payment.txn_ref,
            PaymentOutcome.PAID,
            payment.amount,
        )

    def test_query_of_a_payment_never_paid_is_none(self) -> None:
        gateway, _ = self._paid_at_gateway()
        other, _ = self._start(gateway)
        assert gateway.query(other, now=builders.T0) is None

    def test_refund_with_the_same_request_id_refunds_once(self) -> None:
        gateway, payment = self._paid_at_gateway()
        answer = gateway.query(payment, now=builders.T0)
        assert answer is not None
        paid = attrs.evolve(payment, gateway_transaction_id=answer.gateway_transaction_id)
        refund = gateway.refund
        first = refund(paid, request_id="R1", amount=paid.amount, requested_by="o", now=builders.T0)
        again = refund(paid, request_id="R1", amount=paid.amount, requested_by="o", now=builders.T0)
        assert first == again
        assert first.amount == paid.amount
        assert first.transaction_no
        with pytest.raises(RefundRefused):
            refund(paid, request_id="R2", amount=paid.amount, requested_by="o", now=builders.T0)

    def test_refund_of_a_payment_never_paid_is_refused_for_good(self) -> None:
        gateway, _ = self._paid_at_gateway()
        other, _ = self._start(gateway)
        with pytest.raises(RefundRefused) as refused:
            gateway.refund(
                other, request_id="R9", amount=other.amount, requested_by="o", now=builders.T0
            )
        assert refused.value.code == "payment.refund_refused"
        assert refused.value.gateway_code

    def _start(self, gateway: _G, amount: int = 50_000) -> tuple[Payment, PaymentRedirect]:
        payment = builders.payment(
            amount=amount, gateway=gateway.name, txn_ref=builders.new_id("T").replace("-", "")
        )
        redirect = gateway.start(
            payment,
            order_info="Thanh toán lệ phí hồ sơ 000.00.03.H34-220622-0001",
            return_url="https://dichvucong.example.vn/thanh-toan/ket-qua",
            client_ip="203.0.113.7",
            now=builders.T0,
        )
        return payment, redirect

    def test_start_gives_a_redirect(self) -> None:
        gateway = self.make_gateway()
        assert isinstance(gateway.name, str)
        assert gateway.name
        payment, redirect = self._start(gateway)
        assert redirect.txn_ref == payment.txn_ref
        assert isinstance(redirect.url, str)
        assert redirect.url

    @pytest.mark.parametrize("outcome", list(PaymentOutcome), ids=lambda o: o.value)
    def test_callback_verifies(self, outcome: PaymentOutcome) -> None:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        params = self.make_callback(gateway, payment, redirect, outcome, payment.amount)
        callback = gateway.verify_callback(params)
        assert callback.txn_ref == payment.txn_ref
        assert callback.outcome is outcome
        if outcome is PaymentOutcome.PAID:
            assert callback.amount == payment.amount

    def test_callback_reports_the_amount_paid(self) -> None:
        # verify_callback reads the amount; comparing it with the payment is the caller's job.
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway, amount=150_000)
        params = self.make_callback(gateway, payment, redirect, PaymentOutcome.PAID, 149_000)
        assert gateway.verify_callback(params).amount == 149_000

    def test_tampered_callback_is_refused(self) -> None:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        params = self.make_callback(gateway, payment, redirect, PaymentOutcome.PAID, payment.amount)
        keys = self.signed_keys(params)
        assert keys, "a callback must be signed"
        for key in keys:
            changed = dict(params)
            changed[key] = _changed(params[key])
            with pytest.raises(PaymentSignatureInvalid):
                gateway.verify_callback(changed)

    def test_callback_missing_a_parameter_is_refused(self) -> None:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        params = self.make_callback(gateway, payment, redirect, PaymentOutcome.PAID, payment.amount)
        for key in self.signed_keys(params):
            missing = {k: v for k, v in params.items() if k != key}
            with pytest.raises((PaymentSignatureInvalid, PaymentGatewayError)):
                gateway.verify_callback(missing)
        with pytest.raises((PaymentSignatureInvalid, PaymentGatewayError)):
            gateway.verify_callback({})

    @given(amount=st.integers(1, 10**10), outcome=st.sampled_from(PaymentOutcome))
    @_PROPERTY
    def test_callback_generated(self, amount: int, outcome: PaymentOutcome) -> None:
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway, amount=amount)
        params = self.make_callback(gateway, payment, redirect, outcome, amount)
        callback = gateway.verify_callback(params)
        assert (callback.txn_ref, callback.outcome) == (payment.txn_ref, outcome)
        if outcome is PaymentOutcome.PAID:
            assert callback.amount == amount

    @given(params=hostile_callbacks())
    @_PROPERTY
    def test_any_input_is_refused_with_a_payment_error(self, params: object) -> None:
        """None, lists, numbers, non-text keys or values, lone surrogates: two errors only."""
        gateway = self.make_gateway()
        with pytest.raises((PaymentSignatureInvalid, PaymentGatewayError)):
            gateway.verify_callback(params)  # type: ignore[arg-type]

    @given(data=st.data())
    @_PROPERTY
    def test_a_signed_callback_with_a_hostile_value_is_refused(self, data: st.DataObject) -> None:
        """A genuine callback with one value (or one extra key) made hostile is refused."""
        gateway = self.make_gateway()
        payment, redirect = self._start(gateway)
        genuine = self.make_callback(
            gateway, payment, redirect, PaymentOutcome.PAID, payment.amount
        )
        params: dict[object, object] = {k: v for k, v in genuine.items()}
        key: object
        if data.draw(st.booleans(), label="replace a value"):
            key = data.draw(st.sampled_from(sorted(self.signed_keys(genuine))), label="key")
        else:
            extra = _HOSTILE_VALUES.filter(lambda k: _hashable(k) and k not in params)
            key = data.draw(extra, label="extra key")
        params[key] = data.draw(_HOSTILE_VALUES, label="value")
        with pytest.raises((PaymentSignatureInvalid, PaymentGatewayError)):
            gateway.verify_callback(params)  # type: ignore[arg-type]


def _changed(value: str) -> str:
    """Another value of the same shape: the last character replaced, or one added.

    A letter is replaced by another letter of the same case, never by its other case: a
    hex signature may be compared without regard to case, so ``a`` and ``A`` are one value.
    """
    if not value:
        return "0"
    last = value[-1]
    for candidate in "01ab" if not last.isupper() else "01AB":
        if candidate != last and (candidate.isdigit() == last.isdigit() or not last.isalnum()):
            return value[:-1] + candidate
    return value + "0"
