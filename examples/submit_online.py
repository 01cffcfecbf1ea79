"""Submit a dossier online, as the portal guide walks a citizen through it.

Register, open the link from the verification mail, log in, choose the agency and the field,
search without diacritics, open the procedure, attach the files, ask for home delivery of
the result and submit; then print the success screen ("Nộp hồ sơ thành công").

Runs in memory by default. With ``ONESTOP_DATABASE_URL=sqlite:///portal.db`` the records
stay in SQLite, and a second run submits a second dossier whose code continues the day's
sequence (the account and the catalog from the first run are reused).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys

from _demo import CATALOG, attach_mandatory, link_from_mail, token_of

from onestop import bootstrap
from onestop.adapters import FakePaymentGateway, InMemoryMailTransport
from onestop.application import DossierView
from onestop.errors import DuplicateError

AGENCY = "000.00.03.H34"  # Sở Kế hoạch và Đầu tư tỉnh Kon Tum
EMAIL = "nthieu.stc@kontum.gov.vn"
PASSWORD = "Mat-khau-2022!"


def print_success(screen: DossierView) -> None:
    """The guide's success screen, as text, from the library's view (values preformatted)."""
    words = screen.labels
    print(screen.heading)
    print(f"{words['code']}: {screen.code}")
    print(screen.status_label)
    print()
    print(words["applicant"])
    for line in screen.applicant:
        print(f"  {line.label}: {line.value}")
    if screen.home_delivery_address:
        print(f"  Nhận kết quả tại nhà: {screen.home_delivery_address}")
    print()
    print(words["components"])
    print(f"  {words['component_name']:<52} {words['copies']:<24} {words['files']}")
    for component in screen.components:
        files = ", ".join(f"{f.name} ({f.size_text})" for f in component.files) or "-"
        print(f"  {component.name:<52} {component.copies_text:<24} {files}")
    print()
    print(words["fees"])
    fees = screen.fees
    print(
        f"  {words['fee_kind']:<12} {words['quantity']:>8} {words['unit_amount']:>14}"
        f" {words['amount']:>14}  {words['description']}"
    )
    if not fees.rows:
        print("  (Thủ tục này không thu phí, lệ phí)")
    for row in fees.rows:
        print(
            f"  {row.kind_label:<12} {row.quantity:>8} {row.unit_amount_text:>14}"
            f" {row.amount_text:>14}  {row.description}"
        )
    print(f"  {words['total']:<12} {'':>8} {'':>14} {fees.total_text:>14}  ✔")


def main(argv: list[str] | None = None) -> int:
    del argv
    mail = InMemoryMailTransport()
    # Links are signed; a real portal sets ONESTOP_SECRET_KEY once and keeps it.
    secret = os.environ.get("ONESTOP_SECRET_KEY") or secrets.token_urlsafe(32)
    # The mail and the payment gateway are in memory on purpose (a demonstration): passed
    # explicitly, so that bootstrap accepts them even with ONESTOP_DATABASE_URL set.
    persistent = bool(os.environ.get("ONESTOP_DATABASE_URL"))
    with bootstrap(
        mail_transport=mail, payment_gateway=FakePaymentGateway(), secret_key=secret
    ) as portal:
        portal.catalog.load_json(CATALOG)

        # Bước 1: Đăng ký tài khoản, then follow the link from the mail.
        try:
            portal.accounts.register_citizen(
                EMAIL,
                PASSWORD,
                "Nguyễn Trung Hiếu",
                phone="0912 345 678",
                id_number="062092001234",
                date_of_birth=dt.date(1992, 5, 14),
                id_issued_by="Cục Cảnh sát QLHC về TTXH",
                address="12 Lê Lợi, TP Kon Tum, tỉnh Kon Tum",
            )
            portal.dispatcher.dispatch_once()
            link = link_from_mail(mail, EMAIL)
            assert link is not None, "the verification mail carries a link"
            print(f"Mail 'Xác nhận đăng ký tài khoản...' received; opening {link[:60]}...")
            portal.accounts.verify(token_of(link))
        except DuplicateError:
            print(f"The account {EMAIL} exists already (an earlier run): logging in.")

        # Bước 2: Đăng nhập, choose the agency and the field, search without diacritics.
        account = portal.accounts.log_in(EMAIL, PASSWORD)
        agency = next(a for a in portal.catalog.list_agencies() if str(a.code) == AGENCY)
        field = next(f for f in portal.catalog.list_fields(agency.code) if "kinh doanh" in f.name)
        print(f"Đơn vị: {agency.name} ({agency.code}); Lĩnh vực: {field.name}")
        found = portal.catalog.search("dang ky kinh doanh", agency=agency.code, field=field.id)
        procedure = found.items[0]
        print(f"Tìm 'dang ky kinh doanh': {found.total} kết quả -> {procedure.code}", end=" ")
        print(procedure.name)

        # Open the procedure: applicant details prefilled, components to attach.
        draft = portal.dossiers.start_draft(account.id, procedure.code)
        # Attach a scanned PDF to every mandatory component (bản chính / bản sao).
        attach_mandatory(portal, account, draft)
        portal.dossiers.choose_home_services(
            account.id, draft.id, delivery_address="12 Lê Lợi, TP Kon Tum, tỉnh Kon Tum"
        )

        # Nộp hồ sơ: a double click gives the same dossier, thanks to the idempotency key.
        dossier = portal.dossiers.submit(account.id, draft.id, idempotency_key=draft.id)
        again = portal.dossiers.submit(account.id, draft.id, idempotency_key=draft.id)
        assert again.code == dossier.code
        print()
        print_success(portal.dossiers.submission_view(account.id, dossier.id))
        print()
        if persistent:
            # The outbox is in the database: the mail worker sends the receipt.
            print(f"Receipt mail to {EMAIL} queued: onestop mail dispatch --once sends it")
        else:
            sent = portal.dispatcher.dispatch_once()
            print(f"Receipt mail sent: {sent.sent} message(s) to {EMAIL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
