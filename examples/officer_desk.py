"""The officer's desk: receive with an appointment date, supplement, decision, return.

A citizen submits on Wednesday 22 June 2022 at 09:00 (Vietnam time). The officer of the
receiving agency receives it (appointment in 3 working days), asks for a supplement during
processing (the clock stops), the citizen resubmits two days later (the appointment moves),
the officer approves and returns the result. The progress history is printed at the end, as
the applicant sees it.
"""

from __future__ import annotations

import datetime as dt
import sys

from _demo import CATALOG, PDF, submit_with_files, verified_citizen

from onestop import bootstrap
from onestop.adapters import FakePaymentGateway, InMemoryMailTransport, ManualClock
from onestop.domain import VN_TZ
from onestop.errors import OnestopError

AGENCY = "000.00.03.H34"
PROCEDURE = "1.001612"  # Đăng ký kinh doanh hộ kinh doanh: 3 working days


def local(day: int, hour: int) -> dt.datetime:
    """An instant of June 2022, Vietnam time."""
    return dt.datetime(2022, 6, day, hour, tzinfo=VN_TZ)


def main(argv: list[str] | None = None) -> int:
    del argv
    clock = ManualClock(local(22, 9))
    mail = InMemoryMailTransport()
    with bootstrap(
        clock=clock, mail_transport=mail, payment_gateway=FakePaymentGateway()
    ) as portal:
        portal.catalog.load_json(CATALOG)
        citizen = verified_citizen(
            portal, mail, "tran.thi.b@example.vn", "Mat-khau-an-toan-1", "Trần Thị B"
        )
        officer = portal.desk.register_officer(AGENCY, "Lê Văn C", "le.van.c@kontum.gov.vn")
        dossier = submit_with_files(portal, citizen, PROCEDURE)
        print(f"Submitted {dossier.code} on {clock.now().astimezone(VN_TZ):%A %d/%m/%Y %H:%M}")

        queue = portal.desk.queue(officer.id, page=1)
        print(f"Officer {officer.full_name} sees {queue.total} dossier(s) awaiting action")

        # An officer of another agency is refused; the host shows the citizen-facing message.
        outsider = portal.desk.register_officer(
            "000.00.05.H34", "Phạm Văn D", "pham.van.d@kontum.gov.vn"
        )
        try:
            portal.desk.receive(outsider.id, dossier.id)
        except OnestopError as refused:
            print(f"Officer of another agency: {refused.code} ({refused.http_status})")
            print(f"  {refused.message('vi')}")

        clock.set(local(22, 10))
        due = portal.desk.receive(officer.id, dossier.id).due_date
        print(f"Received; appointment date (Giấy hẹn trả kết quả): {due:%A %d/%m/%Y}")

        clock.set(local(23, 8))
        portal.desk.start_processing(officer.id, dossier.id)
        portal.desk.request_supplement(
            officer.id, dossier.id, "Bổ sung bản sao căn cước công dân rõ nét hơn"
        )
        print("Supplement requested; the processing clock stops")

        clock.set(local(27, 9))  # the next Monday
        portal.dossiers.attach(
            citizen.id,
            dossier.id,
            "giay-to-phap-ly",
            PDF,
            filename="cccd-ro-net.pdf",
            media_type="application/pdf",
        )
        moved = portal.dossiers.resubmit(citizen.id, dossier.id, "Đã bổ sung bản sao rõ nét")
        print(f"Resubmitted on Monday; appointment moves to {moved.due_date:%A %d/%m/%Y}")

        clock.set(local(28, 14))
        portal.desk.decide(officer.id, dossier.id, approved=True)
        clock.set(local(29, 9))
        portal.desk.return_result(officer.id, dossier.id)
        sent = portal.dispatcher.dispatch_once()
        print(f"Result returned; {sent.sent} mail(s) sent to the citizen so far in this batch")

        print()
        print(f"Tiến độ xử lý hồ sơ {dossier.code}")
        for step in portal.dossiers.progress(citizen.id, dossier.id):
            when = step.at.astimezone(VN_TZ)
            print(f"  {when:%d/%m/%Y %H:%M}  {step.label_vi:<40} {step.status.label_vi}")
            if step.note:
                print(f"  {'':16}  {step.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
