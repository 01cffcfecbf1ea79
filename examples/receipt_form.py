"""The receipt and appointment slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) as a PDF.

A citizen submits on Wednesday 22 June 2022 at 09:00 (Vietnam time); the officer receives
the dossier at 10:00 and prints the receipt, with the QR code of Circular 01/2023/TT-VPCP.
The PDF is written to the directory given as the first argument (a new temporary
directory by default) and its path printed, with what the QR code says. Needs ``onestop[forms]``.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from _demo import CATALOG, submit_with_files, verified_citizen

from onestop import bootstrap
from onestop.adapters import FakePaymentGateway, InMemoryMailTransport, ManualClock
from onestop.domain import VN_TZ
from onestop.forms import receipt_qr

AGENCY = "000.00.03.H34"
PROCEDURE = "1.001612"  # Đăng ký kinh doanh hộ kinh doanh: 3 working days


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0] if args else tempfile.mkdtemp(prefix="onestop-receipt-"))
    clock = ManualClock(dt.datetime(2022, 6, 22, 9, tzinfo=VN_TZ))
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
        print(f"Submitted {dossier.code}")

        clock.set(dt.datetime(2022, 6, 22, 10, tzinfo=VN_TZ))
        dossier = portal.desk.receive(officer.id, dossier.id)
        print(f"Received; appointment date {dossier.due_date:%d/%m/%Y}")

        receipt = portal.forms.receipt(officer.id, dossier.id, format="pdf")
        path = directory / receipt.filename
        path.write_bytes(receipt.content)
        print(f"Receipt ({receipt.media_type}, {len(receipt.content)} bytes) written to {path}")
        assert dossier.received_at is not None
        qr = receipt_qr(dossier, portal.context.settings.portal_name, dossier.received_at)
        print(f"QR code: {qr.payload}")

        page = portal.forms.receipt(officer.id, dossier.id, format="html")
        print(f"The same form as a web page: {page.filename} ({len(page.content)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
