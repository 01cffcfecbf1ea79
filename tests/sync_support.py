"""A portal with the sample catalog, a citizen and an officer, and a dossier's whole life."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from onestop import bootstrap
from onestop.adapters import FakePaymentGateway, InMemoryMailTransport, ManualClock
from onestop.bootstrap import Portal
from onestop.domain import VN_TZ
from onestop.domain.accounts import Account, Officer
from onestop.domain.dossier import Dossier

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "examples" / "data" / "kontum-catalog.json"
AGENCY = "000.00.03.H34"
PROCEDURE = "1.001612"  # 3 working days
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SECRET = "a-secret-key-for-the-sync-tests-0123456789"


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant of June 2022, Vietnam time."""
    return dt.datetime(2022, 6, day, hour, minute, tzinfo=VN_TZ)


@attrs.define
class World:
    portal: Portal
    clock: ManualClock
    mail: InMemoryMailTransport
    citizen: Account
    officer: Officer
    counter: int = 0


def make_world(**options: Any) -> World:
    clock = ManualClock(local(22, 9))
    mail = InMemoryMailTransport()
    portal = bootstrap(
        clock=clock,
        mail_transport=mail,
        payment_gateway=FakePaymentGateway(),
        secret_key=SECRET,
        environ={},
        **options,
    )
    portal.catalog.load_json(CATALOG)
    citizen = portal.accounts.register_citizen(
        "tran.thi.b@example.vn",
        "Mat-khau-an-toan-1",
        "Trần Thị B",
        phone="0987 654 321",
        id_number="001190012345",
        date_of_birth=dt.date(1990, 1, 1),
    )
    portal.dispatcher.dispatch_once()
    link = next(
        found.group(0)
        for sent in reversed(mail.sent)
        if (found := re.search(r"https?://\S+/verify\?token=[\w.=-]+", sent.message.text))
    )
    portal.accounts.verify(parse_qs(urlsplit(link).query)["token"][0])
    officer = portal.desk.register_officer(AGENCY, "Lê Văn C", "le.van.c@kontum.gov.vn")
    return World(portal, clock, mail, citizen, officer)


def submit(world: World, procedure: str = PROCEDURE) -> Dossier:
    portal = world.portal
    draft = portal.dossiers.start_draft(world.citizen.id, procedure)
    for component in draft.procedure.components:
        if component.mandatory:
            portal.dossiers.attach(
                world.citizen.id,
                draft.id,
                component.id,
                PDF,
                filename=f"{component.id}.pdf",
                media_type="application/pdf",
            )
    return portal.dossiers.submit(world.citizen.id, draft.id, idempotency_key=draft.id)


def whole_life(world: World, dossier: Dossier) -> Dossier:
    """Receive, process, supplement and resubmit, decide, return: every step a change."""
    portal, clock, officer = world.portal, world.clock, world.officer
    clock.set(local(22, 10))
    portal.desk.receive(officer.id, dossier.id)
    clock.set(local(23, 8))
    portal.desk.start_processing(officer.id, dossier.id)
    clock.set(local(23, 9))
    portal.desk.request_supplement(officer.id, dossier.id, "Bổ sung bản sao rõ nét hơn")
    clock.set(local(27, 9))
    first = next(c for c in dossier.procedure.components if c.mandatory)
    portal.dossiers.attach(
        world.citizen.id,
        dossier.id,
        first.id,
        PDF,
        filename="ro-net.pdf",
        media_type="application/pdf",
    )
    portal.dossiers.resubmit(world.citizen.id, dossier.id, "Đã bổ sung")
    clock.set(local(28, 14))
    portal.desk.decide(officer.id, dossier.id, approved=True)
    clock.set(local(29, 9))
    return portal.desk.return_result(officer.id, dossier.id)
