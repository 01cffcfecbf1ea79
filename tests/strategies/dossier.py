"""Hypothesis strategies for dossiers at any point of their life, payments and outbox mail."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import DossierCode, local_day
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.files import FileRef
from onestop.domain.mail import MailMessage, OutboxEntry
from onestop.domain.payments import Payment
from tests.strategies.catalog import procedures
from tests.strategies.people import applicants

__all__ = ["dossiers", "file_refs", "mail_messages", "outbox_entries", "payments"]

_START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_OFFICER = Actor.officer("officer-1", "Cán bộ một cửa")


def instants() -> st.SearchStrategy[dt.datetime]:
    """Aware UTC instants between 2020 and 2030, whole seconds."""
    return st.integers(0, 10 * 365 * 86400).map(lambda s: _START + dt.timedelta(seconds=s))


def file_refs(
    media_types: frozenset[str] = frozenset({"application/pdf"}), max_bytes: int = 10**7
) -> st.SearchStrategy[FileRef]:
    """References to stored files of the given media types and sizes."""
    return st.builds(
        lambda digest, name, media_type, size: FileRef(
            key=digest, name=name, media_type=media_type, size=size, sha256=digest
        ),
        st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
        # File names refuse control, format (bidi, zero-width) and separator characters.
        st.text(
            st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")),
            min_size=1,
            max_size=40,
        ),
        st.sampled_from(sorted(media_types)),
        st.integers(1, max_bytes),
    )


@st.composite
def dossiers(draw: st.DrawFn, *, min_steps: int = 0) -> Dossier:
    """Dossiers from draft to returned result, with files, fees and history."""
    procedure = draw(procedures(online=True))
    now = draw(instants())
    dossier = Dossier.start(
        id=draw(st.uuids()).hex,
        owner_id=draw(st.uuids()).hex,
        procedure=procedure,
        applicant=draw(applicants()),
        now=now,
    )
    for component in procedure.components:
        if component.mandatory or draw(st.booleans()):
            for ref in draw(
                st.lists(
                    file_refs(component.media_types, component.max_bytes), min_size=1, max_size=2
                )
            ):
                dossier.attach(component.id, ref, reused=draw(st.booleans()))
    if procedure.home_delivery and draw(st.booleans()):
        dossier.choose_home_delivery("12 Lê Lợi, Kon Tum")
    steps = draw(st.integers(min_steps, 5))
    calendar = WorkingCalendar()
    if steps >= 1:
        code = DossierCode(procedure.agency, local_day(now), draw(st.integers(1, 9999)))
        dossier.submit(code=code, now=now, idempotency_key=draw(st.none() | st.text(max_size=8)))
    if steps >= 2:
        now += dt.timedelta(hours=1)
        dossier.receive(officer=_OFFICER, now=now, calendar=calendar)
        for component in procedure.components[:1]:
            for ref in draw(
                st.lists(file_refs(component.media_types, component.max_bytes), max_size=2)
            ):
                dossier.digitise(officer=_OFFICER, now=now, component_id=component.id, file=ref)
    if steps >= 3:
        dossier.start_processing(officer=_OFFICER, now=now)
        if dossier.amount_due:
            dossier.record_payment(
                payment_id="p-1", amount=dossier.amount_due, now=now, calendar=calendar
            )
    if steps >= 4:
        dossier.decide(officer=_OFFICER, now=now, approved=draw(st.booleans()), reasons="Lý do")
        for ref in draw(st.lists(file_refs(("application/pdf",), 10_000), max_size=2)):
            dossier.add_result(officer=_OFFICER, now=now, file=ref)
    if steps >= 5:
        dossier.return_result(officer=_OFFICER, now=now)
    dossier.pull_events()
    return dossier


def payments() -> st.SearchStrategy[Payment]:
    """Pending payments of any positive amount."""
    return st.builds(
        Payment,
        id=st.uuids().map(lambda u: u.hex),
        dossier_id=st.uuids().map(lambda u: u.hex),
        amount=st.integers(1, 10**10),
        gateway=st.sampled_from(["fake", "vnpay"]),
        txn_ref=st.text(alphabet="ABCDEF0123456789", min_size=8, max_size=20),
        created_at=instants(),
    )


def mail_messages() -> st.SearchStrategy[MailMessage]:
    """Rendered messages with Vietnamese text."""
    # Mail is UTF-8: a lone surrogate cannot be in it (MailMessage refuses one).
    line = st.text(
        st.characters(min_codepoint=32, exclude_characters="\x7f", codec="utf-8"), max_size=60
    )
    body = st.text(st.characters(codec="utf-8"), max_size=200)
    return st.builds(
        MailMessage,
        to=st.sampled_from(["a@example.vn", "cong.dan@kontum.gov.vn"]),
        subject=line,
        text=body,
        html=st.none() | body,
        template=st.sampled_from(["account_verification", "submission_receipt"]),
        locale=st.sampled_from(["vi", "en"]),
    )


def outbox_entries() -> st.SearchStrategy[OutboxEntry]:
    """Pending outbox entries."""
    return st.builds(
        OutboxEntry,
        id=st.uuids().map(lambda u: u.hex),
        message=mail_messages(),
        created_at=instants(),
    )
