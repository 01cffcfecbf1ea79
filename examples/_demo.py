"""Shared bits of the examples: the sample catalog, a small PDF, and a verified citizen."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from onestop import Portal
from onestop.adapters import InMemoryMailTransport
from onestop.domain import Account, Dossier

CATALOG = Path(__file__).with_name("data") / "kontum-catalog.json"
# A tiny but real PDF: what a scanned form would be.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def link_from_mail(transport: InMemoryMailTransport, email: str) -> str | None:
    """The verification link of the last mail sent to ``email``, if any."""
    for sent in reversed(transport.sent):
        if sent.message.to == email:
            found = re.search(r"https?://\S+/verify\?token=[\w.=-]+", sent.message.text)
            return found.group(0) if found else None
    return None


def token_of(link: str) -> str:
    """The token a verification link carries."""
    return parse_qs(urlsplit(link).query)["token"][0]


def verified_citizen(
    portal: Portal, mail: InMemoryMailTransport, email: str, password: str, name: str
) -> Account:
    """Register a citizen, follow the mailed link, log in."""
    portal.accounts.register_citizen(email, password, name, phone="0987 654 321")
    portal.dispatcher.dispatch_once()
    link = link_from_mail(mail, email)
    if link is None:
        raise RuntimeError(f"no verification mail reached {email}")
    portal.accounts.verify(token_of(link))
    return portal.accounts.log_in(email, password)


def attach_mandatory(portal: Portal, account: Account, draft: Dossier) -> None:
    """Attach a PDF to every mandatory component of the draft's procedure."""
    for component in draft.procedure.components:
        if component.mandatory:
            portal.dossiers.attach(
                account.id,
                draft.id,
                component.id,
                PDF,
                filename=f"{component.id}.pdf",
                media_type="application/pdf",
            )


def submit_with_files(portal: Portal, account: Account, procedure_code: str) -> Dossier:
    """Start a draft, attach a PDF to every mandatory component, submit."""
    draft = portal.dossiers.start_draft(account.id, procedure_code)
    attach_mandatory(portal, account, draft)
    return portal.dossiers.submit(account.id, draft.id, idempotency_key=draft.id)
