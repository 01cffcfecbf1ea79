"""Every public method of every use case answers any input normally or with an OnestopError.

The entry points are found by introspection (every public method of ``portal.accounts``,
``.catalog``, ``.dossiers``, ``.desk``, ``.payments`` and ``.dispatcher``), so a method added
later is fuzzed without editing this file. One in-memory portal per module holds real
records (two citizens, an officer, a draft and a submitted dossier), and each argument is
drawn either from values valid for those records or from hostile values.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.adapters.security import ScryptPasswordHasher
from onestop.domain.statuses import DossierStatus
from tests.fuzz.harness import Call, arguments_for, call_safely
from tests.unit.conftest import BUDGET, CATALOG_JSON, HKD, PDF, WARD, PortalKit, make_kit

SERVICES = (
    "accounts",
    "catalog",
    "dossiers",
    "desk",
    "payments",
    "dispatcher",
    "files",
    "audit",
    "sync",
    "indicators",
    "reports",
    "forms",
    "national_login",
)
PASSWORD = "mật-khẩu-an-toàn-2026"
#: Calls per entry point; raise it for a long local run (ONESTOP_FUZZ_EXAMPLES=2000).
# Deprecated entry points are fuzzed too, on purpose: their warnings are expected here.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXAMPLES = int(os.environ.get("ONESTOP_FUZZ_EXAMPLES", "150"))

_kit: PortalKit | None = None
_good: dict[str, st.SearchStrategy[Any]] = {}


def _prepare() -> tuple[PortalKit, dict[str, st.SearchStrategy[Any]]]:
    """One portal with real records, and for each parameter name the values valid for it."""
    global _kit
    if _kit is not None:
        return _kit, _good
    kit = make_kit()
    # The cheapest scrypt cost: fuzzing checks answers, not the hash's strength.
    kit.portal.context.password_hasher = ScryptPasswordHasher(n=2**10)
    officer = kit.officer(WARD)
    draft = kit.draft(HKD)
    submitted = kit.submitted(BUDGET)
    stopped = threading.Event()
    stopped.set()  # dispatcher.run returns at once
    components = [c.id for c in draft.procedure.components]
    _good.update(
        {
            "account_id": st.sampled_from([kit.citizen.id, kit.stranger.id]),
            "officer_id": st.just(officer.id),
            "dossier_id": st.sampled_from([draft.id, submitted.id]),
            "email": st.sampled_from([kit.citizen.email, "nobody@example.vn", "An@Example.VN"]),
            "password": st.just(PASSWORD),
            "old_password": st.just(PASSWORD),
            "new_password": st.just(PASSWORD + "-mới"),
            "full_name": st.just("Nguyễn Văn An"),
            "representative_name": st.just("Trần Thị Bình"),
            "organisation_name": st.just("Công ty TNHH Kon Tum"),
            "name": st.just("Lê Văn Cường"),
            "tax_code": st.just("0101234567"),
            "phone": st.just("0912345678"),
            "id_number": st.sampled_from(["001099012345", "123456789"]),
            "id_number_or_phone": st.sampled_from(["001099012345", "0912345678"]),
            "date_of_birth": st.just(dt.date(1999, 5, 17)),
            "address": st.just("12 Lê Lợi, Kon Tum"),
            "pickup_address": st.just("12 Lê Lợi, Kon Tum"),
            "delivery_address": st.just("12 Lê Lợi, Kon Tum"),
            "id_issued_by": st.just("Cục Cảnh sát QLHC về TTXH"),
            "locale": st.sampled_from(["vi", "en", "vn"]),
            "token": st.just("not-a-token"),
            "procedure_code": st.sampled_from([HKD, BUDGET]),
            "code": st.sampled_from([HKD, str(submitted.code)]),
            "component_id": st.sampled_from(components),
            "data": st.just(PDF),
            "filename": st.just("don-de-nghi.pdf"),
            "media_type": st.just("application/pdf"),
            "file_key": st.just("0" * 64),
            "note": st.just("Ghi chú"),
            "reason": st.just("Lý do"),
            "reasons": st.just("Không đủ điều kiện"),
            "approved": st.booleans(),
            "new_due_date": st.just(dt.date(2022, 7, 1)),
            "query": st.sampled_from(["dang ky", "", "hộ kinh doanh"]),
            "agency": st.just(WARD),
            "field": st.just("ho-kinh-doanh"),
            "page": st.integers(1, 3),
            "page_size": st.integers(1, 10),
            "source": st.just(CATALOG_JSON),
            "client_ip": st.just("203.0.113.7"),
            "statuses": st.just(frozenset({DossierStatus.AWAITING_RECEPTION})),
            "idempotency_key": st.just("khoa-1"),
            "stop": st.just(stopped),
            "interval": st.just(0.01),
            "params": st.just({"txn_ref": "x"}),
            "older_than": st.just(dt.timedelta(hours=24)),
            "start": st.just(dt.date(2022, 6, 1)),
            "end": st.just(dt.date(2022, 6, 30)),
            "dossier_code": st.just(str(submitted.code)),
            "checkpoint": st.just("0" * 64),
            "payment_id": st.just("payment-1"),
            "by": st.just(officer.id),
            "amount": st.integers(1, 200_000),
            "form": st.sampled_from(["receipt", "refusal", "control_sheet", "register_book"]),
            "format": st.sampled_from(["pdf", "html", "docx"]),
        }
    )
    _kit = kit
    return kit, _good


def _entry_points() -> Iterator[str]:
    kit = make_kit()
    for service in SERVICES:
        target = getattr(kit.portal, service)
        for name, _member in inspect.getmembers(type(target), inspect.isfunction):
            if not name.startswith("_"):
                yield f"{service}.{name}"


ENTRY_POINTS = sorted(_entry_points())


def test_every_use_case_method_is_fuzzed() -> None:
    """The introspection finds the methods a host calls (a guard against finding none)."""
    assert len(ENTRY_POINTS) >= 40
    for expected in ("dossiers.track", "accounts.log_in", "payments.handle_callback"):
        assert expected in ENTRY_POINTS


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_any_input_gets_a_normal_answer_or_an_onestop_error(entry_point: str) -> None:
    kit, good = _prepare()
    service, method = entry_point.split(".")
    fn = getattr(getattr(kit.portal, service), method)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(arguments_for(fn, good))
    def run(drawn: tuple[tuple[Any, ...], dict[str, Any]]) -> None:
        args, kwargs = drawn
        call_safely(Call(entry_point, args, kwargs), fn)

    run()
