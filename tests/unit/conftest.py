"""Shared fixtures of the unit tests."""

from __future__ import annotations

# --- helper C: a wired in-memory portal for the dossier, desk and payment tests -------------
import datetime as dt
from pathlib import Path

import attrs
import pytest

from onestop import bootstrap
from onestop.adapters.clocks import ManualClock
from onestop.adapters.fake_payment import FakePaymentGateway
from onestop.adapters.memory import InMemoryStorage
from onestop.bootstrap import Portal
from onestop.domain.accounts import Account, Officer
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import VN_TZ
from onestop.domain.dossier import Dossier
from onestop.ports.edges import FileStore
from onestop.testing import builders

CATALOG_JSON = Path(__file__).parent.parent / "data" / "catalog.json"
#: A tiny real PDF, what a scanned form would be.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
#: National Day 2022 (Thursday 1 and Friday 2 September): the test calendar's holidays.
HOLIDAYS = frozenset({dt.date(2022, 9, 1), dt.date(2022, 9, 2)})
#: Agencies and procedures of tests/data/catalog.json the tests use.
WARD = "000.01.20.H34"  # Phòng Tài chính - Kế hoạch thành phố Kon Tum
HKD = "2.000720"  # 3 working days, 100 000 VND at submission, pick-up and delivery, cutoff 15:00
BUILD = "000.00.05.H34"  # Sở Xây dựng
PERMIT = "1.009974"  # 20 working days, fees at reception, delivery only, cutoff 16:30
FINANCE = "000.00.03.H34"  # Sở Tài chính
BUDGET = "1.005439"  # 2 working days, no fees, no home services, no cutoff


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An instant in Vietnam's local time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN_TZ)


@attrs.define
class PortalKit:
    """A portal on in-memory adapters with its clock, storage, gateway and two citizens."""

    portal: Portal
    clock: ManualClock
    storage: InMemoryStorage
    gateway: FakePaymentGateway
    citizen: Account
    stranger: Account

    def officer(self, agency: str = WARD, name: str = "Lê Văn Cường") -> Officer:
        email = f"{builders.new_id('officer')}@kontum.gov.vn"
        return self.portal.desk.register_officer(agency, name, email)

    def draft(self, procedure: str = HKD, account: Account | None = None) -> Dossier:
        owner = account or self.citizen
        return self.portal.dossiers.start_draft(owner.id, procedure)

    def fill(self, dossier: Dossier, account: Account | None = None) -> None:
        """Attach a PDF to every mandatory component."""
        owner = account or self.citizen
        for component in dossier.procedure.mandatory_components():
            self.portal.dossiers.attach(
                owner.id,
                dossier.id,
                component.id,
                PDF,
                filename=f"{component.id}.pdf",
                media_type="application/pdf",
            )

    def submitted(
        self, procedure: str = HKD, account: Account | None = None, key: str | None = None
    ) -> Dossier:
        owner = account or self.citizen
        draft = self.draft(procedure, owner)
        self.fill(draft, owner)
        return self.portal.dossiers.submit(owner.id, draft.id, idempotency_key=key)

    def snapshot(self) -> tuple[object, ...]:
        """Everything storage holds that a use case may write: to compare before and after."""
        with self.storage.unit_of_work() as uow:
            dossiers = sorted(
                (
                    (d.id, d.version, d.status, str(d.code), d.attachments, d.due_date)
                    for a in (self.citizen, self.stranger)
                    for d in uow.dossiers.list_by_owner(a.id)
                ),
                key=repr,
            )
            payments = sorted(
                (p.id, p.state, p.version)
                for d in dossiers
                for p in uow.payments.list_by_dossier(str(d[0]))
            )
            outbox = sorted(e.id for e in uow.outbox.list())
            codes = {
                (str(ag.code), day): uow.codes.peek(ag.code, day)
                for ag in uow.catalog.list_agencies()
                for day in {dt.date(2022, 6, d) for d in range(20, 31)}
            }
        return (tuple(dossiers), tuple(payments), tuple(outbox), tuple(sorted(codes.items())))


def make_kit(
    start: dt.datetime | None = None,
    *,
    clock: ManualClock | None = None,
    file_store: FileStore | None = None,
) -> PortalKit:
    """A portal in memory with the test catalog, a citizen and a stranger; ``clock`` (else
    one at ``start``, by default a Wednesday at 9:00) and ``file_store`` (else in memory)."""
    clock = clock or ManualClock(start or vn(2022, 6, 22, 9))
    storage = InMemoryStorage()
    gateway = FakePaymentGateway()
    portal = bootstrap(
        storage=storage,
        clock=clock,
        payment_gateway=gateway,
        file_store=file_store,
        secret_key="test-secret-key-for-helper-c",
        calendar=WorkingCalendar(holidays=HOLIDAYS),
        environ={},
    )
    portal.catalog.load_json(CATALOG_JSON)
    citizen = builders.account(email="an.nguyen@example.vn")
    stranger = builders.account(email="binh.tran@example.vn", full_name="Trần Thị Bình")
    with storage.unit_of_work() as uow:
        uow.accounts.add(citizen)
        uow.accounts.add(stranger)
        uow.commit()
    return PortalKit(portal, clock, storage, gateway, citizen, stranger)


@pytest.fixture
def kit() -> PortalKit:
    return make_kit()


def outbox(kit: PortalKit) -> list[tuple[str, str]]:
    """The (template, recipient) of every mail queued so far, oldest first."""
    with kit.storage.unit_of_work() as uow:
        entries = sorted(uow.outbox.list(), key=lambda e: (e.created_at, e.id))
    return [(e.message.template, e.message.to) for e in entries]
