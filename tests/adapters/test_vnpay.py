"""VnpayGateway (VNPay 2.1.0): the signed URL, callback verification, outcomes and IPN replies.

The signature is checked against a computation written here straight from DOMAIN section 6
(sorted keys, form-urlencoding with '+' for spaces, HMAC-SHA512 in hex), with its own
percent-encoder and its own HMAC built on hashlib, so a mistake in the adapter's use of the
standard library cannot hide behind the same mistake here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.adapters import InMemoryMailTransport
from onestop.adapters.vnpay import (
    SANDBOX_URL,
    VnpayGateway,
    handle_ipn,
    ipn_reply,
    signing_data,
)
from onestop.application.payments import CallbackResult, CallbackStatus
from onestop.bootstrap import Portal
from onestop.domain.payments import Payment, PaymentOutcome, PaymentState
from onestop.errors import (
    ConfigurationError,
    InvalidInput,
    PaymentGatewayError,
    PaymentSignatureInvalid,
)
from onestop.ports.edges import PaymentRedirect
from onestop.testing import builders
from onestop.testing.contracts.edges import PaymentGatewayContract, hostile_callbacks
from onestop.testing.vnpay_server import VnpayMerchantServer
from tests.adapters.vnpay_support import SECRET, TMN, dossier_due

NOW = dt.datetime(2022, 6, 22, 2, 5, 9, tzinfo=dt.UTC)  # 09:05:09 in Vietnam


# --- the algorithm, written independently --------------------------------------------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def form_encode(value: str) -> str:
    """application/x-www-form-urlencoded, UTF-8, space as '+', hex in capitals."""
    out = []
    for byte in value.encode("utf-8"):
        if byte == 0x20:
            out.append("+")
        elif byte in _UNRESERVED:
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def hmac_sha512(key: bytes, message: bytes) -> str:
    """RFC 2104 HMAC over SHA-512 (block size 128), built from hashlib.sha512 alone."""
    if len(key) > 128:
        key = hashlib.sha512(key).digest()
    key = key.ljust(128, b"\x00")
    inner = hashlib.sha512(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha512(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


def expected_hash(params: Mapping[str, str], secret: str = SECRET) -> str:
    signed = sorted(
        (k, v)
        for k, v in params.items()
        if k.startswith("vnp_") and k not in {"vnp_SecureHash", "vnp_SecureHashType"} and v
    )
    text = "&".join(f"{k}={form_encode(v)}" for k, v in signed)
    return hmac_sha512(secret.encode("utf-8"), text.encode("utf-8"))


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def gateway() -> VnpayGateway:
    return VnpayGateway(tmn_code=TMN, hash_secret=SECRET, payment_url=SANDBOX_URL)


def test_hmac_helper_matches_a_published_vector() -> None:
    """RFC 4231 test case 2, so the independent HMAC above is itself right."""
    assert hmac_sha512(b"Jefe", b"what do ya want for nothing?").startswith(
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
    )


# --- the payment URL ------------------------------------------------------------------------


def test_start_builds_the_signed_url_of_protocol_2_1_0(gateway: VnpayGateway) -> None:
    payment = builders.payment(amount=150_000, gateway="vnpay", txn_ref="TXN20220622A")
    redirect = gateway.start(
        payment,
        order_info="Thanh toán lệ phí hồ sơ 000.00.03.H34-220622-0001 (Đắk Hà)",
        return_url="https://dichvucong.kontum.gov.vn/thanh-toan/ket-qua?lang=vi&x=a b",
        client_ip="203.113.131.7",
        now=NOW,
    )
    assert redirect.txn_ref == "TXN20220622A"
    assert redirect.url.startswith(SANDBOX_URL + "?")
    params = query_of(redirect.url)
    assert params == {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": TMN,
        "vnp_Amount": "15000000",
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": "TXN20220622A",
        "vnp_OrderInfo": "Thanh toan le phi ho so 000.00.03.H34-220622-0001 Dak Ha",
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": "https://dichvucong.kontum.gov.vn/thanh-toan/ket-qua?lang=vi&x=a b",
        "vnp_IpAddr": "203.113.131.7",
        "vnp_CreateDate": "20220622090509",
        "vnp_ExpireDate": "20220622092009",
        "vnp_SecureHash": expected_hash(params),
    }
    # The query is the signed text itself: sorted keys, '+' for spaces, the hash last.
    query = urllib.parse.urlsplit(redirect.url).query
    keys = [pair.split("=", 1)[0] for pair in query.split("&")]
    assert keys[:-1] == sorted(keys[:-1])
    assert keys[-1] == "vnp_SecureHash"
    assert "x%3Da+b" in query


def test_dates_are_in_vietnam_time_whatever_the_zone_of_now(gateway: VnpayGateway) -> None:
    """11 pm in New York on 21 June is 10 am on 22 June in Vietnam (UTC+7)."""
    new_york = dt.timezone(dt.timedelta(hours=-4))
    now = dt.datetime(2022, 6, 21, 23, 0, tzinfo=new_york)
    redirect = gateway.start(
        builders.payment(gateway="vnpay"),
        order_info="x",
        return_url="http://localhost/return",
        client_ip="::1",
        now=now,
        locale="en",
    )
    params = query_of(redirect.url)
    assert params["vnp_CreateDate"] == "20220622100000"
    assert params["vnp_Locale"] == "en"
    assert params["vnp_IpAddr"] == "::1"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"locale": "fr"}, InvalidInput),
        ({"client_ip": "not-an-ip"}, InvalidInput),
        ({"return_url": "javascript:alert(1)"}, ConfigurationError),
        ({"now": dt.datetime(2022, 6, 22, 9)}, InvalidInput),
    ],
)
def test_start_refuses_bad_arguments(
    gateway: VnpayGateway, change: dict[str, object], error: type[Exception]
) -> None:
    arguments: dict[str, object] = {
        "order_info": "x",
        "return_url": "http://localhost/return",
        "client_ip": "127.0.0.1",
        "now": NOW,
    }
    arguments.update(change)
    with pytest.raises(error):
        gateway.start(builders.payment(gateway="vnpay"), **arguments)  # type: ignore[arg-type]


def test_start_refuses_a_payment_of_another_gateway(gateway: VnpayGateway) -> None:
    with pytest.raises(PaymentGatewayError):
        gateway.start(
            builders.payment(gateway="fake"),
            order_info="x",
            return_url="http://localhost/return",
            client_ip="127.0.0.1",
            now=NOW,
        )


# --- the signature --------------------------------------------------------------------------


def test_signature_of_vietnamese_text_and_reserved_characters(gateway: VnpayGateway) -> None:
    """A callback carrying diacritics, spaces and &=+/?% verifies, and its hash is ours."""
    params = {
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": "ABC123",
        "vnp_Amount": "15000000",
        "vnp_OrderInfo": "Thanh toán lệ phí & phí=100% + a/b?c đồng",
        "vnp_BankCode": "NCB",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "14000001",
        "vnp_Empty": "",
        "other": "not signed",
    }
    want = expected_hash(params)
    assert gateway.sign(params) == want
    assert (
        "vnp_OrderInfo=Thanh+to%C3%A1n+l%E1%BB%87+ph%C3%AD+%26+ph%C3%AD%3D100%25+%2B+a%2Fb%3Fc"
        in (signing_data(params))
    )
    callback = gateway.verify_callback({**params, "vnp_SecureHash": want})
    assert (callback.txn_ref, callback.amount, callback.outcome) == (
        "ABC123",
        150_000,
        PaymentOutcome.PAID,
    )
    assert callback.gateway_transaction_id == "14000001"
    # VNPay may send the hex in capitals, and a vnp_SecureHashType that is not signed.
    assert gateway.verify_callback(
        {**params, "vnp_SecureHash": want.upper(), "vnp_SecureHashType": "HmacSHA512"}
    )


vnp_keys = st.from_regex(r"vnp_[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True)
values = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=100, deadline=None)
@given(params=st.dictionaries(vnp_keys, values, max_size=8))
def test_sign_matches_the_independent_computation(params: dict[str, str]) -> None:
    gateway = VnpayGateway(tmn_code=TMN, hash_secret=SECRET, payment_url=SANDBOX_URL)
    assert gateway.sign(params) == expected_hash(params)


def started(gateway: VnpayGateway, amount: int = 150_000) -> str:
    payment = builders.payment(amount=amount, gateway="vnpay")
    return gateway.start(
        payment,
        order_info="Thanh toan le phi",
        return_url="http://localhost:8000/payments/return",
        client_ip="127.0.0.1",
        now=NOW,
    ).url


@st.composite
def tampered(draw: st.DrawFn, callback: dict[str, str]) -> dict[str, str]:
    """``callback`` with one signed parameter changed, removed or added, or the hash changed."""
    forged = dict(callback)
    signed = sorted(k for k in callback if k != "vnp_SecureHash")
    how = draw(st.sampled_from(["change", "remove", "add", "hash"]))
    if how == "change":
        key = draw(st.sampled_from(signed))
        forged[key] = draw(values.filter(lambda v: v not in {"", callback[key]}))
    elif how == "remove":
        del forged[draw(st.sampled_from(signed))]
    elif how == "add":
        key = draw(vnp_keys.filter(lambda k: k not in callback))
        forged[key] = draw(values.filter(bool))
    else:
        forged["vnp_SecureHash"] = draw(
            st.text("0123456789abcdef", min_size=128, max_size=128).filter(
                lambda h: h != callback["vnp_SecureHash"]
            )
        )
    return forged


@settings(max_examples=150, deadline=None)
@given(data=st.data(), code=st.sampled_from(["00", "24", "51"]))
def test_any_tampering_with_a_signed_parameter_is_detected(data: st.DataObject, code: str) -> None:
    """Changing, removing or adding any vnp_ parameter, or the hash, fails verification."""
    gateway = VnpayGateway(tmn_code=TMN, hash_secret=SECRET, payment_url=SANDBOX_URL)
    callback = gateway.callback_for(started(gateway), response_code=code)
    gateway.verify_callback(callback)  # the genuine one passes
    forged = data.draw(tampered(callback))
    with pytest.raises(PaymentSignatureInvalid):
        gateway.verify_callback(forged)


def test_a_callback_signed_with_another_secret_is_refused(gateway: VnpayGateway) -> None:
    other = VnpayGateway(tmn_code=TMN, hash_secret="another-secret", payment_url=SANDBOX_URL)
    callback = other.callback_for(started(other))
    with pytest.raises(PaymentSignatureInvalid):
        gateway.verify_callback(callback)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"vnp_TxnRef": "A", "vnp_SecureHash": ""},
        {"vnp_TxnRef": "A"},
        {"vnp_TxnRef": 5, "vnp_SecureHash": "00"},
    ],
)
def test_a_callback_without_a_signature_is_refused(
    gateway: VnpayGateway, params: dict[str, object]
) -> None:
    with pytest.raises(PaymentSignatureInvalid):
        gateway.verify_callback(params)  # type: ignore[arg-type]


def test_parameter_names_that_could_pass_for_two_are_refused(gateway: VnpayGateway) -> None:
    """'vnp_A=1&vnp_B' = '2' signs as the same text as vnp_A=1 and vnp_B=2; it is refused."""
    genuine = {"vnp_A": "1", "vnp_B": "2"}
    forged = {"vnp_A=1&vnp_B": "2", "vnp_SecureHash": gateway.sign(genuine)}
    assert signing_data({"vnp_A=1&vnp_B": "2"}) == signing_data(genuine)
    with pytest.raises(PaymentSignatureInvalid):
        gateway.verify_callback(forged)


# --- outcomes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response_code", "status", "outcome"),
    [
        ("00", "00", PaymentOutcome.PAID),
        ("24", "02", PaymentOutcome.CANCELLED),
        ("11", "02", PaymentOutcome.CANCELLED),
        ("51", "02", PaymentOutcome.FAILED),
        ("07", "07", PaymentOutcome.REVIEW),
        ("00", "04", PaymentOutcome.REVIEW),
        ("00", "01", PaymentOutcome.FAILED),
        ("99", "02", PaymentOutcome.FAILED),
    ],
)
def test_response_codes_map_to_outcomes(
    gateway: VnpayGateway, response_code: str, status: str, outcome: PaymentOutcome
) -> None:
    """Paid only when both vnp_ResponseCode and vnp_TransactionStatus are 00."""
    callback = gateway.verify_callback(
        gateway.callback_for(
            started(gateway), response_code=response_code, transaction_status=status
        )
    )
    assert callback.outcome is outcome
    assert callback.amount == 150_000
    if outcome is PaymentOutcome.PAID:
        assert callback.reason is None
    else:
        assert callback.reason is not None
        assert callback.reason.startswith(f"VNPay {response_code}:")


def test_a_signed_callback_for_another_terminal_is_a_gateway_error(gateway: VnpayGateway) -> None:
    callback = gateway.callback_for(started(gateway))
    callback["vnp_TmnCode"] = "OTHER001"
    callback["vnp_SecureHash"] = gateway.sign(callback)
    with pytest.raises(PaymentGatewayError, match="terminal"):
        gateway.verify_callback(callback)


@pytest.mark.parametrize("amount", ["150", "abc", "", "-100"])
def test_a_signed_callback_with_an_unreadable_amount_is_a_gateway_error(
    gateway: VnpayGateway, amount: str
) -> None:
    callback = gateway.callback_for(started(gateway))
    callback["vnp_Amount"] = amount
    callback["vnp_SecureHash"] = gateway.sign(callback)
    with pytest.raises(PaymentGatewayError):
        gateway.verify_callback(callback)


# --- configuration --------------------------------------------------------------------------


def test_from_env_reads_the_three_settings_and_never_shows_the_secret() -> None:
    gateway = VnpayGateway.from_env(
        {
            "ONESTOP_VNPAY_TMN_CODE": TMN,
            "ONESTOP_VNPAY_HASH_SECRET": SECRET,
            "ONESTOP_VNPAY_URL": SANDBOX_URL,
        }
    )
    assert gateway.tmn_code == TMN
    assert gateway.sign({"vnp_A": "1"}) == expected_hash({"vnp_A": "1"})
    assert SECRET not in repr(gateway)


def test_from_env_names_what_is_missing() -> None:
    with pytest.raises(ConfigurationError, match="ONESTOP_VNPAY_HASH_SECRET"):
        VnpayGateway.from_env({"ONESTOP_VNPAY_TMN_CODE": TMN, "ONESTOP_VNPAY_URL": SANDBOX_URL})


@pytest.mark.parametrize(
    "change",
    [{"tmn_code": ""}, {"hash_secret": ""}, {"payment_url": "sandbox"}, {"tmn_code": "A&B"}],
)
def test_bad_settings_are_refused(change: dict[str, str]) -> None:
    arguments = {"tmn_code": TMN, "hash_secret": SECRET, "payment_url": SANDBOX_URL, **change}
    with pytest.raises(ConfigurationError):
        VnpayGateway(**arguments)  # type: ignore[arg-type]


# --- IPN replies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (CallbackStatus.CONFIRMED, "00"),
        (CallbackStatus.FAILED_RECORDED, "00"),
        (CallbackStatus.NOT_FOUND, "01"),
        (CallbackStatus.ALREADY_CONFIRMED, "02"),
        (CallbackStatus.AMOUNT_MISMATCH, "04"),
        (CallbackStatus.INVALID_SIGNATURE, "97"),
    ],
)
def test_ipn_reply_codes(status: CallbackStatus, code: str) -> None:
    reply = ipn_reply(CallbackResult(status))
    assert reply["RspCode"] == code
    assert reply["Message"]


@attrs.define
class Shop:
    """A portal taking payments through VNPay, and one submitted dossier with 100 000 VND due."""

    portal: Portal
    gateway: VnpayGateway
    mail: InMemoryMailTransport
    account_id: str
    dossier_id: str

    def pay_url(self) -> str:
        return self.portal.payments.start(
            self.account_id, self.dossier_id, client_ip="127.0.0.1"
        ).url

    def state(self) -> tuple[object, ...]:
        """Everything a callback could change: payments, the dossier's money, the outbox."""
        with self.portal.storage.unit_of_work() as uow:
            payments = tuple(
                (p.state, p.gateway_transaction_id)
                for p in uow.payments.list_by_dossier(self.dossier_id)
            )
            dossier = uow.dossiers.get(self.dossier_id)
            outbox = len(uow.outbox.list())
        return payments, dossier.paid_amount, dossier.payment_status, outbox


@pytest.fixture
def shop() -> Iterator[Shop]:
    gateway = VnpayGateway(tmn_code=TMN, hash_secret=SECRET, payment_url=SANDBOX_URL)
    with dossier_due(gateway) as due:
        yield Shop(due.portal, gateway, due.mail, due.account_id, due.dossier_id)


def test_ipn_then_return_then_repeated_ipn_confirm_exactly_once(shop: Shop) -> None:
    """00 for the first IPN, the return redirect finds it done, a repeated IPN gets 02."""
    callback = shop.gateway.callback_for(shop.pay_url())
    assert handle_ipn(shop.portal.payments, callback) == {
        "RspCode": "00",
        "Message": "Confirm Success",
    }
    after_first = shop.state()
    returned = shop.portal.payments.handle_callback(callback)
    assert returned.status is CallbackStatus.ALREADY_CONFIRMED
    assert handle_ipn(shop.portal.payments, callback)["RspCode"] == "02"
    assert shop.state() == after_first
    payments, paid, _, _ = after_first
    assert paid == 100_000
    assert payments == ((PaymentState.CONFIRMED, "14000001"),)


def test_ipn_and_returns_arriving_at_once_confirm_exactly_once(shop: Shop) -> None:
    """Eight copies of the callback at the same moment: one 00, seven 02, paid once."""
    callback = shop.gateway.callback_for(shop.pay_url())
    start = threading.Barrier(8)

    def deliver() -> str:
        start.wait()
        return handle_ipn(shop.portal.payments, callback)["RspCode"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(lambda _: deliver(), range(8)))
    assert codes == ["00"] + ["02"] * 7
    payments, paid, _, _ = shop.state()
    assert paid == 100_000
    assert payments == ((PaymentState.CONFIRMED, "14000001"),)


def test_return_redirect_first_then_ipn_gets_02(shop: Shop) -> None:
    callback = shop.gateway.callback_for(shop.pay_url())
    assert shop.portal.payments.handle_callback(callback).status is CallbackStatus.CONFIRMED
    assert handle_ipn(shop.portal.payments, callback)["RspCode"] == "02"
    assert shop.state()[1] == 100_000


def test_a_forged_ipn_gets_97_and_changes_nothing(shop: Shop) -> None:
    callback = shop.gateway.callback_for(shop.pay_url(), response_code="24")
    forged = {**callback, "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"}
    before = shop.state()
    assert handle_ipn(shop.portal.payments, forged) == {
        "RspCode": "97",
        "Message": "Invalid signature",
    }
    assert shop.state() == before


def test_an_unknown_order_gets_01(shop: Shop) -> None:
    url = shop.pay_url()
    unknown = dict(query_of(url), vnp_TxnRef="NOSUCHORDER")
    unknown["vnp_SecureHash"] = shop.gateway.sign(unknown)
    callback = shop.gateway.callback_for(f"{SANDBOX_URL}?{urllib.parse.urlencode(unknown)}")
    before = shop.state()
    assert handle_ipn(shop.portal.payments, callback)["RspCode"] == "01"
    assert shop.state() == before


def test_an_amount_mismatch_gets_04_and_changes_nothing(shop: Shop) -> None:
    url = shop.pay_url()
    before = shop.state()
    assert handle_ipn(shop.portal.payments, shop.gateway.callback_for(url, amount=1_000)) == {
        "RspCode": "04",
        "Message": "Invalid amount",
    }
    assert shop.state() == before
    # The genuine callback still confirms the payment afterwards.
    assert handle_ipn(shop.portal.payments, shop.gateway.callback_for(url))["RspCode"] == "00"
    assert shop.state()[1] == 100_000


def test_a_failed_payment_is_recorded_with_00_and_can_be_paid_again(shop: Shop) -> None:
    failed = shop.gateway.callback_for(shop.pay_url(), response_code="51")
    assert handle_ipn(shop.portal.payments, failed)["RspCode"] == "00"
    payments, paid, _, _ = shop.state()
    assert payments == ((PaymentState.FAILED, None),)
    assert paid == 0
    second = shop.gateway.callback_for(shop.pay_url())
    assert handle_ipn(shop.portal.payments, second)["RspCode"] == "00"
    assert shop.state()[1] == 100_000


def test_an_unreadable_signed_ipn_gets_99(shop: Shop) -> None:
    callback = shop.gateway.callback_for(shop.pay_url())
    callback["vnp_TmnCode"] = "OTHER001"
    callback["vnp_SecureHash"] = shop.gateway.sign(callback)
    before = shop.state()
    assert handle_ipn(shop.portal.payments, callback) == {
        "RspCode": "99",
        "Message": "Unknown error",
    }
    assert shop.state() == before


def test_an_ipn_that_is_not_text_gets_97_never_an_error(shop: Shop) -> None:
    """None, a list, numbers or lone surrogates: the JSON reply 97, the portal unchanged."""
    genuine = shop.gateway.callback_for(shop.pay_url())
    before = shop.state()
    hostile: object
    for hostile in (
        None,
        [],
        "vnp_TxnRef=1",
        {1: "x"},
        {**genuine, "vnp_Amount": 10_000_000},
        {**genuine, "vnp_OrderInfo": "Thanh toan \ud800"},
        {**genuine, "vnp_SecureHash": "\udfff"},
        {**genuine, "\ud800": "x"},
    ):
        assert handle_ipn(shop.portal.payments, hostile) == {  # type: ignore[arg-type]
            "RspCode": "97",
            "Message": "Invalid signature",
        }
    assert shop.state() == before
    assert handle_ipn(shop.portal.payments, genuine)["RspCode"] == "00"


def test_handle_ipn_answers_any_input_with_its_json_reply(shop: Shop) -> None:
    """Generated hostile callbacks all get a JSON reply (97 or 99) and change nothing."""
    before = shop.state()

    @settings(max_examples=150, deadline=None)
    @given(params=hostile_callbacks())
    def check(params: object) -> None:
        reply = handle_ipn(shop.portal.payments, params)  # type: ignore[arg-type]
        assert set(reply) == {"RspCode", "Message"}
        assert reply["RspCode"] in {"97", "99"}

    check()
    assert shop.state() == before


def test_handle_ipn_answers_99_when_handling_fails_without_logging_the_reference(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    callback = shop.gateway.callback_for(shop.pay_url())

    class BrokenPayments:
        def handle_callback(self, params: object) -> CallbackResult:
            raise RuntimeError("the database is down")

    with caplog.at_level(logging.ERROR, logger="onestop.adapters.vnpay"):
        reply = handle_ipn(BrokenPayments(), callback)  # type: ignore[arg-type]
    assert reply == {"RspCode": "99", "Message": "Unknown error"}
    [record] = caplog.records
    assert callback["vnp_TxnRef"] not in record.getMessage()
    assert callback["vnp_TxnRef"][-3:] in record.getMessage()
    assert handle_ipn(BrokenPayments(), None) == reply  # type: ignore[arg-type]


def test_a_forged_ipn_is_logged_as_a_security_event(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    callback = shop.gateway.callback_for(shop.pay_url(), response_code="24")
    forged = {**callback, "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"}
    with caplog.at_level(logging.WARNING, logger="onestop.security"):
        assert handle_ipn(shop.portal.payments, forged)["RspCode"] == "97"
    [record] = [r for r in caplog.records if hasattr(r, "onestop_event")]
    assert record.onestop_event == "payment.callback_forged"
    shown = record.getMessage() + repr(record.onestop_fields)  # type: ignore[attr-defined]
    assert callback["vnp_SecureHash"] not in shown
    assert SECRET not in shown


def test_an_ipn_with_the_wrong_amount_is_logged_as_a_security_event(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="onestop.security"):
        reply = handle_ipn(
            shop.portal.payments, shop.gateway.callback_for(shop.pay_url(), amount=1)
        )
    assert reply["RspCode"] == "04"
    [record] = [r for r in caplog.records if hasattr(r, "onestop_event")]
    assert record.onestop_event == "payment.amount_mismatch"
    fields = record.onestop_fields  # type: ignore[attr-defined]
    assert (fields["expected"], fields["got"], fields["gateway"]) == (100_000, 1, "vnpay")


# --- the port's contract ----------------------------------------------------------------------

_RESPONSE_CODES = {
    PaymentOutcome.PAID: "00",
    PaymentOutcome.FAILED: "51",
    PaymentOutcome.CANCELLED: "24",
    PaymentOutcome.REVIEW: "07",
}


class TestVnpayGatewayContract(PaymentGatewayContract[VnpayGateway]):
    """The PaymentGateway contract suite; callbacks made as VNPay's sandbox would send them,
    queries and refunds answered by a VNPay-like merchant API on loopback."""

    @pytest.fixture(autouse=True)
    def _merchant_api(self) -> Iterator[None]:
        with VnpayMerchantServer(tmn_code=TMN, hash_secret=SECRET) as server:
            self.merchant = server
            yield

    def make_gateway(self) -> VnpayGateway:
        return VnpayGateway(
            tmn_code=TMN,
            hash_secret=SECRET,
            payment_url=SANDBOX_URL,
            api_url=self.merchant.api_url,
        )

    def pay_at_gateway(
        self, gateway: VnpayGateway, payment: Payment, redirect: PaymentRedirect
    ) -> bool:
        self.merchant.checkout(redirect.url)  # paid; its IPN is never delivered
        return True

    def make_callback(
        self,
        gateway: VnpayGateway,
        payment: Payment,
        redirect: PaymentRedirect,
        outcome: PaymentOutcome,
        amount: int,
    ) -> dict[str, str]:
        return gateway.callback_for(
            redirect.url, response_code=_RESPONSE_CODES[outcome], amount=amount
        )


def test_both_callbacks_are_methods_of_the_payments_service(shop: Shop) -> None:
    """handle_ipn answers in VNPay's terms, handle_return shows the stored outcome."""
    callback = shop.gateway.callback_for(shop.pay_url())
    payments = shop.portal.payments
    assert payments.handle_return(callback).status is CallbackStatus.PENDING  # read-only
    assert payments.handle_ipn(callback) == {"RspCode": "00", "Message": "Confirm Success"}
    assert payments.handle_return(callback).status is CallbackStatus.CONFIRMED
    assert payments.handle_ipn(callback)["RspCode"] == "02"
    assert payments.handle_ipn({**callback, "vnp_Amount": "1"})["RspCode"] == "97"
    assert payments.handle_ipn(None)["RspCode"] == "97"  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match=r"payments\.handle_ipn"):
        assert handle_ipn(payments, callback)["RspCode"] == "02"


def test_the_library_locale_is_mapped_to_vnpays_at_the_edge(shop: Shop) -> None:
    """'vi' is sent as vn; VNPay's own 'vn' still works for one release, with a warning."""
    payments = shop.portal.payments

    def sent_locale(**locale: str) -> str:
        url = payments.start(shop.account_id, shop.dossier_id, client_ip="127.0.0.1", **locale)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url.url).query))
        return query["vnp_Locale"]

    assert sent_locale() == "vn"  # Settings.locale, "vi"
    assert sent_locale(locale="vi") == "vn"
    assert sent_locale(locale="en") == "en"
    with pytest.warns(DeprecationWarning, match="locale='vn'"):
        assert sent_locale(locale="vn") == "vn"
    with pytest.raises(InvalidInput) as caught:
        sent_locale(locale="fr")
    assert caught.value.field == "locale"
