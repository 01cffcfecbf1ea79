"""The helpers the examples share (``examples/_demo.py``) do what the examples rely on."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from onestop import Portal, bootstrap
from onestop.adapters import InMemoryMailTransport, ScryptPasswordHasher
from onestop.domain import AccountStatus, DossierStatus
from onestop.errors import InvalidCredentials

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def demo() -> Iterator[ModuleType]:
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield importlib.import_module("_demo")
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture
def mail() -> InMemoryMailTransport:
    return InMemoryMailTransport()


@pytest.fixture
def portal(demo: ModuleType, mail: InMemoryMailTransport) -> Iterator[Portal]:
    with bootstrap(
        mail_transport=mail,
        password_hasher=ScryptPasswordHasher(n=2**10),
        secret_key="demo-helpers-test-secret-0123456789",
        environ={},
    ) as portal:
        portal.catalog.load_json(demo.CATALOG)
        yield portal


def test_the_sample_pdf_is_a_pdf(demo: ModuleType) -> None:
    assert demo.PDF.startswith(b"%PDF-") and demo.PDF.rstrip().endswith(b"%%EOF")


def test_verified_citizen_follows_the_mailed_link_and_logs_in(
    demo: ModuleType, portal: Portal, mail: InMemoryMailTransport
) -> None:
    account = demo.verified_citizen(portal, mail, "an@example.vn", "Mat-khau-an-toan-1", "Lê An")
    assert account.email == "an@example.vn"
    assert account.status is AccountStatus.ACTIVE
    link = demo.link_from_mail(mail, "an@example.vn")
    assert link is not None and "/verify?token=" in link
    assert demo.token_of(link) == link.split("token=", 1)[1]
    with pytest.raises(InvalidCredentials):
        portal.accounts.log_in("an@example.vn", "wrong-password-1")


def test_link_from_mail_is_none_for_someone_never_mailed(
    demo: ModuleType, mail: InMemoryMailTransport
) -> None:
    assert demo.link_from_mail(mail, "nobody@example.vn") is None


def test_submit_with_files_attaches_every_mandatory_component(
    demo: ModuleType, portal: Portal, mail: InMemoryMailTransport
) -> None:
    account = demo.verified_citizen(portal, mail, "binh@example.vn", "Mat-khau-an-toan-1", "Bình")
    dossier = demo.submit_with_files(portal, account, "1.001612")
    assert dossier.status is DossierStatus.AWAITING_RECEPTION
    assert str(dossier.code).endswith("-0001")
    for component in dossier.procedure.components:
        files = dossier.files_for(component.id)
        assert (len(files) == 1) == component.mandatory, component.id
        assert all(f.media_type == "application/pdf" for f in files)
