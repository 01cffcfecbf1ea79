"""One shape for like things: desk actions return the Dossier, lists are paged, locales are
"vi"/"en", load_json takes a path; the old forms still work for a release, with a warning."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from onestop.application.pagination import Page
from onestop.domain.dossier import Dossier
from onestop.domain.statuses import DossierStatus as S
from onestop.errors import InvalidCatalog, InvalidInput
from tests.unit.conftest import BUDGET, CATALOG_JSON, HKD, PortalKit, make_kit


def test_every_desk_action_returns_the_updated_dossier(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    officer = kit.officer()
    received = kit.portal.desk.receive(officer.id, dossier.id)
    assert isinstance(received, Dossier)
    assert received.status is S.RECEIVED
    assert received.due_date is not None
    apologised = kit.portal.desk.send_apology(
        officer.id, dossier.id, reason="Quá tải", new_due_date=dt.date(2022, 7, 15)
    )
    assert isinstance(apologised, Dossier)
    assert apologised.due_date == dt.date(2022, 7, 15)
    assert apologised.history[-1].action == "rescheduled"


def test_lists_are_pages_of_the_same_type(kit: PortalKit) -> None:
    submitted = []
    for _ in range(3):
        submitted.append(kit.submitted(HKD))
        kit.clock.advance(dt.timedelta(minutes=1))
    first, second, third = submitted
    officer = kit.officer()
    page = kit.portal.desk.queue(officer.id, page=1, page_size=2)
    assert isinstance(page, Page)
    assert ([d.id for d in page.items], page.total, page.has_next) == (
        [first.id, second.id],
        3,
        True,
    )
    last = kit.portal.desk.queue(officer.id, page=2, page_size=2)
    assert [d.id for d in last.items] == [third.id]
    mine = kit.portal.dossiers.list_mine(kit.citizen.id, page=1)
    assert isinstance(mine, Page)
    assert mine.total == 3
    assert mine.page_size == kit.portal.context.settings.page_size
    late = kit.portal.desk.overdue(officer.id, page_size=10)
    assert (late.page, late.total) == (1, 0)
    with pytest.raises(InvalidInput) as caught:
        kit.portal.desk.queue(officer.id, page=1, page_size=10_000)
    assert caught.value.field == "page_size"


def test_a_list_without_a_page_still_comes_whole_with_a_warning(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    officer = kit.officer()
    with pytest.warns(DeprecationWarning, match=r"OfficerDesk\.queue\(\) without page="):
        assert [d.id for d in kit.portal.desk.queue(officer.id)] == [dossier.id]
    with pytest.warns(DeprecationWarning, match="list_mine"):
        assert [d.id for d in kit.portal.dossiers.list_mine(kit.citizen.id)] == [dossier.id]
    with pytest.warns(DeprecationWarning, match="overdue"):
        assert kit.portal.desk.overdue(officer.id) == []


def test_queue_statuses_take_any_collection(kit: PortalKit) -> None:
    waiting = kit.submitted(HKD)
    kit.clock.advance(dt.timedelta(minutes=1))
    taken = kit.submitted(HKD)
    officer = kit.officer()
    kit.portal.desk.receive(officer.id, taken.id)
    for statuses in (
        [S.AWAITING_RECEPTION],
        (S.AWAITING_RECEPTION,),
        {S.AWAITING_RECEPTION},
        frozenset({S.AWAITING_RECEPTION}),
        (s for s in [S.AWAITING_RECEPTION]),
    ):
        page = kit.portal.desk.queue(officer.id, statuses=statuses, page=1)
        assert [d.id for d in page.items] == [waiting.id]
    with pytest.raises(InvalidInput) as caught:
        kit.portal.desk.queue(officer.id, statuses=(s for s in ["received"]), page=1)  # type: ignore[misc]
    assert caught.value.field == "statuses[0]"


def test_payments_speak_the_librarys_locales(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    start = kit.portal.payments.start
    default = start(kit.citizen.id, dossier.id, client_ip="127.0.0.1")
    assert kit.gateway.started[default.txn_ref].locale == "vi"
    english = start(kit.citizen.id, dossier.id, client_ip="127.0.0.1", locale="en")
    assert kit.gateway.started[english.txn_ref].locale == "en"
    with pytest.warns(DeprecationWarning, match="locale='vn'"):
        old = start(kit.citizen.id, dossier.id, client_ip="127.0.0.1", locale="vn")
    assert kit.gateway.started[old.txn_ref].locale == "vi"
    with pytest.raises(InvalidInput):
        start(kit.citizen.id, dossier.id, client_ip="127.0.0.1", locale="fr")


def test_a_gateway_without_its_own_ipn_reply_gets_a_plain_one(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    redirect = kit.portal.payments.start(kit.citizen.id, dossier.id, client_ip="127.0.0.1")
    callback = kit.gateway.complete(redirect.txn_ref)
    assert kit.portal.payments.handle_ipn(callback) == {"status": "confirmed"}
    assert kit.portal.payments.handle_ipn(callback) == {"status": "already_confirmed"}


def test_load_json_takes_a_path_and_load_json_text_the_json(tmp_path: Path) -> None:
    document = CATALOG_JSON.read_text(encoding="utf-8")
    for load in (
        lambda portal: portal.catalog.load_json(CATALOG_JSON),
        lambda portal: portal.catalog.load_json(str(CATALOG_JSON)),
        lambda portal: portal.catalog.load_json_text(document),
        lambda portal: portal.catalog.load_json_text(document.encode()),
    ):
        portal = make_kit().portal
        report = load(portal)
        assert report.procedures == len(json.loads(document)["procedures"])
    portal = make_kit().portal
    with pytest.warns(DeprecationWarning, match="load_json_text"):
        portal.catalog.load_json(document.encode())
    with pytest.raises(InvalidCatalog, match="load_json_text"):
        portal.catalog.load_json(document)
    with pytest.raises(InvalidCatalog):
        portal.catalog.load_json_text("{not json")
    assert BUDGET in document
