"""Files out: an attachment read back with a permission check, streamed, with its headers."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.application.downloads import CHUNK_SIZE, FileDownload, content_disposition
from onestop.errors import DossierNotFound, FileNotFoundInStore, InvalidInput, PermissionDenied
from tests.unit.conftest import BUILD, HKD, PDF, PortalKit

NAME = "Giấy đề nghị đăng ký hộ kinh doanh.pdf"


def attached(kit: PortalKit, data: bytes = PDF, name: str = NAME) -> tuple[str, str]:
    """A submitted dossier with ``data`` attached as ``name``: (dossier id, file key)."""
    draft = kit.draft(HKD)
    component = draft.procedure.mandatory_components()[0].id
    ref = kit.portal.dossiers.attach(
        kit.citizen.id, draft.id, component, data, filename=name, media_type="application/pdf"
    )
    kit.fill(draft)
    kit.portal.dossiers.submit(kit.citizen.id, draft.id)
    return draft.id, ref.key


def test_the_owner_reads_a_file_back_with_its_metadata_and_headers(kit: PortalKit) -> None:
    data = PDF + b"%" + bytes(range(256)) * 600  # several chunks
    dossier_id, key = attached(kit, data)
    with kit.portal.dossiers.open_file(kit.citizen.id, dossier_id, key) as download:
        assert (download.name, download.media_type) == (NAME, "application/pdf")
        assert (download.size, download.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert download.content_disposition == content_disposition(NAME)
        assert download.headers["Content-Length"] == str(len(data))
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["ETag"] == f'"{download.sha256}"'
        chunks = list(download)
    assert b"".join(chunks) == data
    assert len(chunks) > 1
    assert all(len(c) <= CHUNK_SIZE for c in chunks)
    assert download.stream.closed  # iterating to the end closes it


def test_an_officer_of_the_agency_reads_it_inline_and_no_one_else_does(kit: PortalKit) -> None:
    dossier_id, key = attached(kit)
    officer = kit.officer()
    with kit.portal.desk.open_file(officer.id, dossier_id, key, disposition="inline") as d:
        assert d.read() == PDF
        assert d.content_disposition.startswith("inline; ")
    with pytest.raises(PermissionDenied):
        kit.portal.desk.open_file(kit.officer(BUILD).id, dossier_id, key)
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.open_file(kit.stranger.id, dossier_id, key)


def test_a_file_not_attached_to_that_dossier_is_not_found(kit: PortalKit) -> None:
    """A key from another dossier (even one the caller owns) does not open through this one."""
    first_id, _ = attached(kit, PDF + b"% one")
    second_id, second_key = attached(kit, PDF + b"% two")
    with kit.portal.dossiers.open_file(kit.citizen.id, second_id, second_key) as d:
        assert d.read().endswith(b"% two")
    for key in (second_key, "0" * 64, "../../etc/passwd"):
        with pytest.raises(FileNotFoundInStore):
            kit.portal.dossiers.open_file(kit.citizen.id, first_id, key)


def test_a_draft_is_the_applicants_own_until_submitted(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    kit.fill(draft)
    key = kit.portal.dossiers.get(kit.citizen.id, draft.id).attachments[0].file.key
    with kit.portal.dossiers.open_file(kit.citizen.id, draft.id, key) as d:
        assert d.read() == PDF
    with pytest.raises(DossierNotFound):
        kit.portal.desk.open_file(kit.officer().id, draft.id, key)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("don.pdf", 'attachment; filename="don.pdf"'),
        (
            "Giấy đề nghị.pdf",
            'attachment; filename="Giay de nghi.pdf"; '
            "filename*=UTF-8''Gi%E1%BA%A5y%20%C4%91%E1%BB%81%20ngh%E1%BB%8B.pdf",
        ),
        ("ĐƠN.PDF", "attachment; filename=\"DON.PDF\"; filename*=UTF-8''%C4%90%C6%A0N.PDF"),
        ('a"b.pdf', "attachment; filename=\"ab.pdf\"; filename*=UTF-8''a%22b.pdf"),
        ("C:\\hồ sơ\\c.pdf", 'attachment; filename="c.pdf"'),
        (
            "申请.pdf",
            "attachment; filename=\"download.pdf\"; filename*=UTF-8''%E7%94%B3%E8%AF%B7.pdf",
        ),
        ("a\r\nSet-Cookie: x.pdf", 'attachment; filename="aSet-Cookie: x.pdf"'),
        ("", 'attachment; filename="download"'),
    ],
)
def test_content_disposition_has_an_ascii_fallback_and_the_exact_name(
    name: str, expected: str
) -> None:
    assert content_disposition(name) == expected


@given(st.text(max_size=60))
def test_any_name_gives_a_header_value_that_cannot_break_the_header(name: str) -> None:
    value = content_disposition(name, "inline")
    assert value.isascii()
    assert value.isprintable()
    pattern = r"inline; filename=\"([^\"\\]*)\"(?:; filename\*=UTF-8''([^ ;\"]*))?"
    match = re.fullmatch(pattern, value)
    assert match is not None
    if match.group(2) is not None:
        exact = unquote(match.group(2), errors="strict")
        shown = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ")
        assert exact == shown.replace("\\", "/").rsplit("/", 1)[-1].strip()


def test_a_bad_disposition_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as caught:
        content_disposition("a.pdf", "download")  # type: ignore[arg-type]
    assert caught.value.field == "disposition"


def test_a_download_repr_names_the_file_not_its_bytes() -> None:
    import io

    download = FileDownload(
        name="a.pdf",
        media_type="application/pdf",
        size=3,
        sha256="0" * 64,
        content_disposition=content_disposition("a.pdf"),
        stream=io.BytesIO(b"abc"),
    )
    assert repr(download) == "<FileDownload 'a.pdf' application/pdf 3 bytes>"
