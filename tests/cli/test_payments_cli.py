"""``onestop payments reconcile`` and ``onestop payments review`` on a SQLite file."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path

import pytest

from tests.support import require_module

require_module("click")

from onestop import bootstrap  # noqa: E402
from onestop.adapters import InMemoryMailTransport, ManualClock, ScryptPasswordHasher  # noqa: E402
from onestop.adapters.vnpay import SANDBOX_URL, VnpayGateway  # noqa: E402
from onestop.cli.operations import payments  # noqa: E402
from onestop.domain.payments import PaymentState  # noqa: E402
from onestop.testing.vnpay_server import VnpayMerchantServer  # noqa: E402
from tests.cli.test_commands import run  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))
from _demo import CATALOG, submit_with_files, verified_citizen  # noqa: E402

SECRET = "SANDBOXTESTSECRETNOTREAL0123456789"


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file of this test's own; no ONESTOP_* variable of the shell gets through."""
    for name in [n for n in os.environ if n.startswith("ONESTOP_")]:
        monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    monkeypatch.setenv("ONESTOP_DATABASE_URL", url)
    return url


TMN = "DEMO0001"


def test_reconcile_needs_vnpay_settings(sqlite_url: str) -> None:
    result = run(payments, "reconcile")
    assert result.exit_code == 1
    assert "ONESTOP_VNPAY_" in result.output


def test_reconcile_recovers_a_lost_ipn_and_review_lists_a_07(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with VnpayMerchantServer(tmn_code=TMN, hash_secret=SECRET) as server:
        for name, value in {
            "ONESTOP_VNPAY_TMN_CODE": TMN,
            "ONESTOP_VNPAY_HASH_SECRET": SECRET,
            "ONESTOP_VNPAY_URL": SANDBOX_URL,
            "ONESTOP_VNPAY_API_URL": server.api_url,
            "ONESTOP_SECRET_KEY": "test-secret-key-that-is-long-enough-0123",
        }.items():
            monkeypatch.setenv(name, value)
        gateway = VnpayGateway(
            tmn_code=TMN, hash_secret=SECRET, payment_url=SANDBOX_URL, api_url=server.api_url
        )
        mail = InMemoryMailTransport()
        an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        with bootstrap(
            database_url=sqlite_url,
            payment_gateway=gateway,
            mail_transport=mail,
            clock=ManualClock(an_hour_ago),
            password_hasher=ScryptPasswordHasher(n=2**10),
            secret_key="test-secret-key-that-is-long-enough-0123",
        ) as portal:
            portal.catalog.load_json(CATALOG)
            citizen = verified_citizen(portal, mail, "an@example.vn", "Mat-khau-an-toan-1", "An")
            lost, fraud = (submit_with_files(portal, citizen, "1.001066") for _ in range(2))
            server.checkout(portal.payments.start(citizen.id, lost.id, client_ip="127.0.0.1").url)
            url = portal.payments.start(citizen.id, fraud.id, client_ip="127.0.0.1").url
            portal.payments.handle_ipn(server.checkout(url, response_code="07"))

        result = run(payments, "reconcile")
        assert result.exit_code == 0, result.output
        assert re.search(r"reconciled: 1 confirmed, 0 abandoned", result.output)
        result = run(payments, "review")
        assert result.exit_code == 0, result.output
        assert "1 payment(s) under review" in result.output
        assert "VNPay 07" in result.output

        with (
            bootstrap(
                database_url=sqlite_url, payment_gateway=gateway, mail_transport=mail
            ) as portal,
            portal.storage.unit_of_work() as uow,
        ):
            assert [p.state for p in uow.payments.list_by_dossier(lost.id)] == [
                PaymentState.CONFIRMED
            ]
