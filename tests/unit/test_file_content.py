"""Attachments' content and names (issue 8): the bytes must be what the media type says,
names hold no bidirectional or invisible characters, a failing upload keeps nothing."""

from __future__ import annotations

import io
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.adapters.memory_edges import InMemoryFileStore
from onestop.application.files import content_checked
from onestop.domain.files import HEAD_BYTES, ContentCheck, FileRef, describe_content
from onestop.errors import AttachmentContentMismatch, FileStoreError, InvalidAttachment
from tests.unit.conftest import HKD, PDF, PortalKit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(13)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20)
GIF = b"GIF89a" + bytes(20)
TIFF = b"II*\x00" + bytes(20)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20)
ZIP = b"PK\x03\x04" + bytes(26) + b"[Content_Types].xml"
ODT = b"PK\x03\x04" + bytes(26) + b"mimetypeapplication/vnd.oasis.opendocument.text"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(20)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(50) + b"This program cannot be run in DOS mode"
ELF = b"\x7fELF\x02\x01\x01" + bytes(40)
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def check(media_type: str, data: bytes, chunk: int = 7) -> None:
    """Feed ``data`` to a ContentCheck in chunks of ``chunk`` bytes, then finish."""
    checker = ContentCheck(media_type, field="f")
    for start in range(0, len(data), chunk):
        checker.feed(data[start : start + chunk])
    checker.finish()


@pytest.mark.parametrize(
    ("media_type", "data"),
    [
        ("application/pdf", PDF),
        ("image/png", PNG),
        ("image/jpeg", JPEG),
        ("image/gif", GIF),
        ("image/tiff", TIFF),
        ("image/tiff", b"MM\x00*" + bytes(8)),
        ("image/webp", WEBP),
        (DOCX, ZIP),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
        ("application/vnd.oasis.opendocument.text", ODT),
        ("application/msword", OLE2),
        ("application/vnd.ms-excel", OLE2),
        ("application/zip", ZIP),
        ("text/plain", "Giấy đề nghị đăng ký hộ kinh doanh\r\n".encode() * 500),
        ("text/plain", b"\xef\xbb\xbfUTF-8 with a byte-order mark"),
        ("text/csv", "họ tên,số CCCD\nNguyễn Văn An,062090001234\n".encode()),
        ("application/octet-stream", EXE),  # no signature known: taken as declared
        ("image/vnd.dwg", b"AC1032" + bytes(20)),
    ],
)
def test_content_matching_its_media_type_is_accepted(media_type: str, data: bytes) -> None:
    check(media_type, data)
    check(media_type, data, chunk=len(data))
    check(media_type, data, chunk=1)


@pytest.mark.parametrize(
    ("media_type", "data", "looks_like"),
    [
        ("application/pdf", EXE, "a Windows program (MZ)"),
        ("application/pdf", ELF, "a Linux program (ELF)"),
        ("application/pdf", HTML, "an HTML page"),
        ("application/pdf", PNG, "a PNG image"),
        ("image/png", JPEG, "a JPEG image"),
        ("image/jpeg", b"\xff" * 50, "data of no known type"),
        ("image/jpeg", b"\xff", "data of no known type"),
        ("image/gif", b"just some text", "text"),
        (DOCX, EXE, "a Windows program (MZ)"),
        (DOCX, OLE2, "an OLE2 compound document (doc, xls)"),
        ("application/msword", ZIP, "a ZIP archive (docx, xlsx, odt...)"),
        ("application/vnd.oasis.opendocument.spreadsheet", ODT, "another ODF file"),
        ("text/plain", b"abc\x00def", "data of no known type"),
        ("text/plain", b"abc\xff\xfedef", "data of no known type"),
        ("text/plain", PDF, "a PDF document"),
        ("text/plain", HTML, "an HTML page"),
        ("text/plain", EXE, "a Windows program (MZ)"),
    ],
)
def test_content_not_matching_is_refused_naming_both(
    media_type: str, data: bytes, looks_like: str
) -> None:
    with pytest.raises(AttachmentContentMismatch) as caught:
        check(media_type, data)
    error = caught.value
    assert isinstance(error, InvalidAttachment)
    assert error.field == "f"
    assert (error.declared, error.looks_like) == (media_type, looks_like)
    assert media_type in str(error)
    assert looks_like in str(error)


def test_text_is_checked_to_its_last_byte() -> None:
    """A NUL or a broken UTF-8 sequence far past the head is still found."""
    good = b"a" * (3 * HEAD_BYTES)
    with pytest.raises(AttachmentContentMismatch, match="NUL"):
        check("text/plain", good + b"\x00", chunk=1000)
    with pytest.raises(AttachmentContentMismatch, match="UTF-8"):
        check("text/plain", good + "đ".encode()[:1], chunk=1000)
    check("text/plain", good + "đ".encode(), chunk=1)  # a character split across chunks


def test_a_signature_is_decided_from_the_head_before_the_end() -> None:
    """A program sent as a PDF is refused after the first HEAD_BYTES, not at the end."""
    checker = ContentCheck("application/pdf")
    with pytest.raises(AttachmentContentMismatch):
        checker.feed(EXE + bytes(HEAD_BYTES))


def test_an_empty_file_is_left_to_the_size_rules() -> None:
    check("application/pdf", b"")
    check("text/plain", b"")


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=600),
    media_type=st.sampled_from(["application/pdf", "image/png", "text/plain", DOCX, "image/jpeg"]),
    chunk=st.integers(1, 64),
)
def test_any_bytes_are_accepted_or_refused_with_a_content_mismatch(
    data: bytes, media_type: str, chunk: int
) -> None:
    """Whatever the bytes, the check decides the same in any chunking, with one error type."""

    def verdict(size: int) -> str | None:
        try:
            check(media_type, data, chunk=size)
        except AttachmentContentMismatch as e:
            return e.looks_like
        return None

    assert verdict(chunk) == verdict(max(len(data), 1))
    assert describe_content(data[:HEAD_BYTES])


def test_content_checked_leaves_bytes_as_they_are_and_wraps_streams() -> None:
    assert content_checked(PDF, "application/pdf") is PDF
    stream = content_checked(io.BytesIO(EXE), "application/pdf", field="components[x].content")
    with pytest.raises(AttachmentContentMismatch) as caught:
        InMemoryFileStore().put(stream, name="a.pdf", media_type="application/pdf")
    assert caught.value.field == "components[x].content"


# --- through the portal ---------------------------------------------------------------------


def _attach(kit: PortalKit, draft_id: str, data: object, **kwargs: str) -> FileRef:
    component = kit.portal.dossiers.get(kit.citizen.id, draft_id).procedure.mandatory_components()
    return kit.portal.dossiers.attach(
        kit.citizen.id,
        draft_id,
        component[0].id,
        data,  # type: ignore[arg-type]
        filename=kwargs.get("filename", "to-khai.pdf"),
        media_type=kwargs.get("media_type", "application/pdf"),
    )


@pytest.mark.parametrize("as_stream", [False, True], ids=["bytes", "stream"])
def test_attach_refuses_a_program_declared_as_a_pdf_and_keeps_nothing(
    kit: PortalKit, as_stream: bool
) -> None:
    draft = kit.draft(HKD)
    store = kit.portal.context.file_store
    assert isinstance(store, InMemoryFileStore)
    data = EXE + bytes(200_000)
    with pytest.raises(AttachmentContentMismatch) as caught:
        _attach(kit, draft.id, io.BytesIO(data) if as_stream else data)
    assert caught.value.field.endswith("].content")
    assert "application/pdf" in str(caught.value)
    assert "Windows program" in str(caught.value)
    assert len(store) == 0
    assert kit.portal.dossiers.get(kit.citizen.id, draft.id).attachments == ()


def test_attach_accepts_a_real_pdf_stream_compressed_or_not(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    body = PDF + zlib.compress(bytes(range(256)) * 400)
    ref = _attach(kit, draft.id, io.BytesIO(body))
    assert kit.portal.context.file_store.get(ref.key) == body


@pytest.mark.parametrize(
    "filename",
    ["\u202efdp.exe", "to\u2066khai\u2069.pdf", "a\u200fb.pdf", "a\u061cb.pdf", "a\u200bb.pdf"],
    ids=repr,
)
def test_attach_refuses_names_with_bidi_or_invisible_characters(
    kit: PortalKit, filename: str
) -> None:
    draft = kit.draft(HKD)
    with pytest.raises(InvalidAttachment) as caught:
        _attach(kit, draft.id, PDF, filename=filename)
    assert caught.value.field == "file.name"
    assert len(kit.portal.context.file_store) == 0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["\u202efdp.exe", "a\u202ab", "a\u202db", "a\u2067b", "a\u200eb", "a\xadb", "a\x85b"]
)
def test_file_ref_refuses_bidi_and_invisible_characters(name: str) -> None:
    with pytest.raises(InvalidAttachment, match="bidirectional") as caught:
        FileRef("0" * 64, name, "application/pdf", 1, "0" * 64)
    assert caught.value.field == "file.name"


def test_file_ref_keeps_vietnamese_and_emoji_names() -> None:
    for name in ("Giấy đề nghị.pdf", "ảnh 📷.jpg", "tờ khai (bản sao) #2.pdf"):
        assert FileRef("0" * 64, name, "application/pdf", 1, "0" * 64).name == name


def test_attach_over_a_failing_connection_is_a_file_store_error(kit: PortalKit) -> None:
    """The client's connection reset mid-upload: FileStoreError, nothing stored or attached."""
    draft = kit.draft(HKD)

    class Dropped(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise ConnectionResetError(104, "Connection reset by peer")
            return super().read(10)

    with pytest.raises(FileStoreError) as caught:
        _attach(kit, draft.id, Dropped(PDF * 10))
    assert isinstance(caught.value.__cause__, ConnectionResetError)
    assert len(kit.portal.context.file_store) == 0  # type: ignore[arg-type]
    assert kit.portal.dossiers.get(kit.citizen.id, draft.id).attachments == ()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((None, "a.pdf", "application/pdf", 1, "0" * 64), "file.key"),
        (("k\ud800", "a.pdf", "application/pdf", 1, "0" * 64), "file.key"),
        (("k", None, "application/pdf", 1, "0" * 64), "file.name"),
        (("k", "a.pdf", 5, 1, "0" * 64), "file.media_type"),
        (("k", "a.pdf", "application/pdf", 1, b"0" * 64), "file.sha256"),
    ],
)
def test_file_ref_refuses_wrong_types_naming_the_field(
    args: tuple[object, ...], field: str
) -> None:
    with pytest.raises(InvalidAttachment) as caught:
        FileRef(*args)  # type: ignore[arg-type]
    assert caught.value.field == field
