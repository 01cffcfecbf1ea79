"""Keep the national public service portal in step: every step of a dossier, synced.

A citizen submits on Wednesday 22 June 2022; the officer receives the dossier, asks for a
supplement during processing, the citizen resubmits, the officer approves and returns the
result. Each step queued a sync entry in its own unit of work; the sync dispatcher then sends
them, in order, to the national portal at the base URL given as the only argument (the
services are paths under it: ``/DongBoHoSoMC``, ``/CapNhatTienDoHoSoMC``), or, without one, to
a fake national portal it starts on loopback, which fails the first request with a 500 to
show the retry. Each request's service and dossier code is printed, then the sync state.

    python examples/national_sync.py [BASE_URL]
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Any

from _demo import CATALOG, PDF, submit_with_files, verified_citizen

from onestop import bootstrap
from onestop.adapters import FakePaymentGateway, InMemoryMailTransport, ManualClock
from onestop.adapters.national_portal import HttpNationalPortal
from onestop.application.sync import SyncDispatcher
from onestop.domain import VN_TZ
from onestop.testing.national_server import FakeNationalPortalServer

AGENCY = "000.00.03.H34"
PROCEDURE = "1.001612"


def local(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2022, 6, day, hour, tzinfo=VN_TZ)


class Printing:
    """A national portal that prints each request before passing it on."""

    def __init__(self, portal: HttpNationalPortal) -> None:
        self._portal = portal

    def insert_dossier(self, record: Mapping[str, Any]) -> None:
        print(f"  DongBoHoSoMC (insert)  {record['MaHoSo']}  status {record['TrangThaiHoSo']}")
        self._portal.insert_dossier(record)

    def update_dossier(self, record: Mapping[str, Any]) -> None:
        print(f"  DongBoHoSoMC (update)  {record['MaHoSo']}  status {record['TrangThaiHoSo']}")
        self._portal.update_dossier(record)

    def update_progress(self, rows: Sequence[Mapping[str, Any]]) -> None:
        print(f"  CapNhatTienDoHoSoMC    {rows[0]['MaHoSo']}  {len(rows)} step(s)")
        self._portal.update_progress(rows)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    with ExitStack() as stack:
        if args:
            base_url = args[0]
        else:
            server = stack.enter_context(FakeNationalPortalServer())
            server.inject("500")  # the first request fails: the dispatcher retries it
            base_url = server.url
            print(f"Fake national portal listening on {base_url}")
        national = HttpNationalPortal(base_url, timeout=10.0)
        stack.callback(national.close)

        clock = ManualClock(local(22, 9))
        mail = InMemoryMailTransport()
        portal = stack.enter_context(
            bootstrap(clock=clock, mail_transport=mail, payment_gateway=FakePaymentGateway())
        )
        portal.catalog.load_json(CATALOG)
        citizen = verified_citizen(
            portal, mail, "tran.thi.b@example.vn", "Mat-khau-an-toan-1", "Trần Thị B"
        )
        officer = portal.desk.register_officer(AGENCY, "Lê Văn C", "le.van.c@kontum.gov.vn")
        dossier = submit_with_files(portal, citizen, PROCEDURE)
        clock.set(local(22, 10))
        portal.desk.receive(officer.id, dossier.id)
        clock.set(local(23, 8))
        portal.desk.start_processing(officer.id, dossier.id)
        portal.desk.request_supplement(officer.id, dossier.id, "Bổ sung bản sao rõ nét hơn")
        clock.set(local(27, 9))
        portal.dossiers.attach(
            citizen.id,
            dossier.id,
            "giay-to-phap-ly",
            PDF,
            filename="cccd-ro-net.pdf",
            media_type="application/pdf",
        )
        portal.dossiers.resubmit(citizen.id, dossier.id, "Đã bổ sung bản sao rõ nét")
        clock.set(local(28, 14))
        portal.desk.decide(officer.id, dossier.id, approved=True)
        clock.set(local(29, 9))
        portal.desk.return_result(officer.id, dossier.id)
        print(f"Dossier {dossier.code}: {portal.sync.status().unsent} change(s) to sync")

        dispatcher = SyncDispatcher(
            portal.context, Printing(national), backoff=dt.timedelta(0), jitter=lambda: 0.0
        )
        report = dispatcher.dispatch_until_idle()
        print(
            f"Synced: sent {report.sent}, retried {report.retried}, "
            f"need attention {report.needs_attention}"
        )
        status = portal.sync.status()
        print("Sync state: " + ", ".join(f"{s.value} {n}" for s, n in status.counts.items()))
    return 0 if not status.unsent else 1


if __name__ == "__main__":
    sys.exit(main())
