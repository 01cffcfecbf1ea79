"""A portal taking VNPay payments, with a citizen whose submitted dossier owes 100 000 VND."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import attrs

from onestop import bootstrap
from onestop.adapters import InMemoryMailTransport, ManualClock, ScryptPasswordHasher
from onestop.adapters.vnpay import VnpayGateway
from onestop.bootstrap import Portal
from onestop.domain.codes import VN_TZ

SECRET = "SANDBOXTESTSECRETNOTREAL0123456789"  # obviously fake, sandbox-style
TMN = "DEMO0001"
CATALOG = Path(__file__).resolve().parents[1] / "data" / "catalog.json"
HKD = "2.000720"  # 100 000 VND due at submission


@attrs.frozen
class DossierDue:
    """The portal, its mail and clock, and the citizen's account and dossier awaiting payment."""

    portal: Portal
    mail: InMemoryMailTransport
    clock: ManualClock
    account_id: str
    dossier_id: str
    agency: str


@contextlib.contextmanager
def dossier_due(gateway: VnpayGateway) -> Iterator[DossierDue]:
    """A portal paid through ``gateway`` at 09:00 on 22 June 2022, one dossier awaiting payment."""
    mail = InMemoryMailTransport()
    clock = ManualClock(dt.datetime(2022, 6, 22, 9, tzinfo=VN_TZ))
    with bootstrap(
        payment_gateway=gateway,
        mail_transport=mail,
        clock=clock,
        password_hasher=ScryptPasswordHasher(n=2**10),
        secret_key="test-secret-key-that-is-long-enough-0123",
        environ={},
    ) as portal:
        portal.catalog.load_json(CATALOG)
        email, password = "an.nguyen@example.vn", "Mat-khau-an-toan-1"
        portal.accounts.register_citizen(email, password, "Nguyễn Văn An")
        portal.dispatcher.dispatch_once()
        link = re.search(r"token=([\w.=-]+)", mail.sent[-1].message.text)
        assert link is not None
        portal.accounts.verify(link.group(1))
        account = portal.accounts.log_in(email, password)
        draft = portal.dossiers.start_draft(account.id, HKD)
        for component in draft.procedure.mandatory_components():
            portal.dossiers.attach(
                account.id,
                draft.id,
                component.id,
                b"%PDF-1.4\n%%EOF\n",
                filename=f"{component.id}.pdf",
                media_type="application/pdf",
            )
        dossier = portal.dossiers.submit(account.id, draft.id)
        assert dossier.amount_due == 100_000
        yield DossierDue(portal, mail, clock, account.id, dossier.id, dossier.agency)
