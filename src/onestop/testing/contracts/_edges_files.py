"""The file store contract (re-exported by :mod:`onestop.testing.contracts.edges`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.errors import (
    AttachmentContentMismatch,
    AttachmentTooLarge,
    FileNotFoundInStore,
    FileStoreError,
    InvalidAttachment,
)
from onestop.ports.edges import (
    Clock,
    FileStore,
)
from onestop.testing import builders
from onestop.testing.contracts._edges_base import _FEW, _PROPERTY

__all__ = [
    "FileStoreContract",
]


# --- files ---------------------------------------------------------------------------------


class FileStoreContract:
    """What every :class:`~onestop.ports.edges.FileStore` does."""

    def make_store(self) -> FileStore:
        """A new, empty file store."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_store()")

    def count_files(self, store: FileStore) -> int | None:
        """How many files ``store`` keeps, if the adapter can tell (to check nothing is kept)."""
        return None

    @pytest.mark.parametrize("stream", [False, True], ids=["bytes", "stream"])
    def test_put_and_get(self, stream: bool) -> None:
        store = self.make_store()
        data = b"%PDF-1.4 Gi\xe1\xba\xa5y \xc4\x91\xe1\xbb\x81 ngh\xe1\xbb\x8b\n" * 100
        source: bytes | io.BytesIO = io.BytesIO(data) if stream else data
        ref = store.put(source, name="giấy đề nghị.pdf", media_type="application/pdf")
        assert ref.size == len(data)
        assert ref.sha256 == hashlib.sha256(data).hexdigest()
        assert ref.media_type == "application/pdf"
        assert ref.name == "giấy đề nghị.pdf"
        assert store.exists(ref.key)
        assert store.get(ref.key) == data

    def test_open_streams_what_was_stored(self) -> None:
        """open() gives the bytes back in chunks, as many reads as the caller likes."""
        store = self.make_store()
        data = bytes(range(256)) * 1200  # 300 KiB: more than one chunk of any sensible size
        ref = store.put(io.BytesIO(data), name="bản scan.png", media_type="image/png")
        with store.open(ref.key) as stream:
            parts = list(iter(lambda: stream.read(7_000), b""))
        assert b"".join(parts) == data
        assert len(parts) > 1
        assert max(len(p) for p in parts) <= 7_000
        with store.open(ref.key) as stream:
            assert stream.read() == data
            assert stream.read() == b""
        empty = store.put(b"", name="trống.txt", media_type="text/plain")
        with store.open(empty.key) as stream:
            assert stream.read() == b""

    @pytest.mark.parametrize("key", ["0" * 64, "missing", "", "../../etc/passwd", "a/../b"])
    def test_open_of_an_unknown_key_is_not_found(self, key: str) -> None:
        store = self.make_store()
        store.put(b"something", name="a.pdf", media_type="application/pdf")
        with pytest.raises(FileNotFoundInStore):
            store.open(key)

    @given(data=st.binary(max_size=4096), size=st.integers(min_value=1, max_value=5000))
    @_FEW
    def test_open_reads_any_content_in_any_chunk_size(self, data: bytes, size: int) -> None:
        store = self.make_store()
        ref = store.put(data, name="tệp.bin", media_type="application/octet-stream")
        with store.open(ref.key) as stream:
            assert b"".join(iter(lambda: stream.read(size), b"")) == data

    def test_empty_file(self) -> None:
        store = self.make_store()
        ref = store.put(b"", name="trống.txt", media_type="text/plain")
        assert ref.size == 0
        assert ref.sha256 == hashlib.sha256(b"").hexdigest()
        assert store.get(ref.key) == b""

    def test_large_stream(self) -> None:
        store = self.make_store()
        data = bytes(range(256)) * 1200  # 300 KiB: more than one chunk of any sensible size
        ref = store.put(io.BytesIO(data), name="scan.png", media_type="image/png")
        assert ref.size == len(data)
        assert store.get(ref.key) == data

    def test_same_content_same_key(self) -> None:
        store = self.make_store()
        first = store.put(b"noi dung", name="a.pdf", media_type="application/pdf")
        again = store.put(io.BytesIO(b"noi dung"), name="b.png", media_type="image/png")
        other = store.put(b"noi dung khac", name="a.pdf", media_type="application/pdf")
        assert first.key == again.key
        assert again.name == "b.png"
        assert again.media_type == "image/png"
        assert other.key != first.key
        assert store.get(first.key) == b"noi dung"
        assert store.get(other.key) == b"noi dung khac"

    @pytest.mark.parametrize("stream", [False, True], ids=["bytes", "stream"])
    def test_too_large_keeps_nothing(self, stream: bool) -> None:
        store = self.make_store()
        before = self.count_files(store)
        data = b"x" * 1001
        source: bytes | io.BytesIO = io.BytesIO(data) if stream else data
        with pytest.raises(AttachmentTooLarge):
            store.put(source, name="lớn.pdf", media_type="application/pdf", max_bytes=1000)
        assert self.count_files(store) == before
        assert not store.exists(hashlib.sha256(data).hexdigest())
        exact = b"y" * 1000
        exact_source: bytes | io.BytesIO = io.BytesIO(exact) if stream else exact
        ref = store.put(exact_source, name="vừa.pdf", media_type="application/pdf", max_bytes=1000)
        assert store.get(ref.key) == exact

    @pytest.mark.parametrize("key", ["0" * 64, "missing", "", "../../etc/passwd", "a/../b"])
    def test_unknown_key(self, key: str) -> None:
        store = self.make_store()
        store.put(b"something", name="a.pdf", media_type="application/pdf")
        assert not store.exists(key)
        with pytest.raises(FileNotFoundInStore):
            store.get(key)

    @given(data=st.binary(max_size=4096), stream=st.booleans())
    @_PROPERTY
    def test_round_trip_generated(self, data: bytes, stream: bool) -> None:
        store = self.make_store()
        source: bytes | io.BytesIO = io.BytesIO(data) if stream else data
        ref = store.put(source, name="tệp.bin", media_type="application/octet-stream")
        assert (ref.size, ref.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert store.exists(ref.key)
        assert store.get(ref.key) == data

    @pytest.mark.parametrize(
        "failure",
        [
            ConnectionResetError(104, "Connection reset by peer"),
            OSError(5, "Input/output error"),
            TimeoutError("the client stopped sending"),
            ValueError("I/O operation on closed file."),
            RuntimeError("a host's stream wrapper failed"),
            "text",
            12,
            None,
            [b"x"],
        ],
        ids=repr,
    )
    def test_an_upload_stream_that_fails_is_a_file_store_error_and_keeps_nothing(
        self, failure: object
    ) -> None:
        """read() raising (a reset connection) or giving non-bytes: FileStoreError, no file."""
        store = self.make_store()
        kept = store.put(b"kept", name="kept.pdf", media_type="application/pdf")
        before = self.count_files(store)
        stream = _FailingStream(b"%PDF-1.4 " + b"y" * 3000, failure)
        with pytest.raises(FileStoreError) as caught:
            store.put(stream, name="a.pdf", media_type="application/pdf")  # type: ignore[arg-type]
        if isinstance(failure, BaseException):
            assert caught.value.__cause__ is failure
        assert self.count_files(store) == before
        assert not store.exists(hashlib.sha256(b"%PDF-1.4 " + b"y" * 3000).hexdigest())
        assert store.get(kept.key) == b"kept"
        again = store.put(io.BytesIO(b"after"), name="b.pdf", media_type="application/pdf")
        assert store.get(again.key) == b"after"

    def test_a_library_error_raised_while_reading_passes_unchanged(self) -> None:
        """A content check refusing the file mid-read is not turned into FileStoreError."""
        store = self.make_store()
        before = self.count_files(store)
        refusal = AttachmentContentMismatch("file.content", "must be a PDF document")
        stream = _FailingStream(b"MZ" + b"\x00" * 3000, refusal)
        with pytest.raises(AttachmentContentMismatch) as caught:
            store.put(stream, name="a.pdf", media_type="application/pdf")  # type: ignore[arg-type]
        assert caught.value is refusal
        assert self.count_files(store) == before

    @pytest.mark.parametrize("data", ["text", None, 12, object()], ids=repr)
    def test_data_that_is_neither_bytes_nor_a_stream_is_refused(self, data: object) -> None:
        store = self.make_store()
        before = self.count_files(store)
        with pytest.raises((InvalidAttachment, FileStoreError)):
            store.put(data, name="a.pdf", media_type="application/pdf")  # type: ignore[arg-type]
        assert self.count_files(store) == before

    @pytest.mark.parametrize(
        "name",
        [
            "\u202efdp.exe",  # shows as "exe.pdf"
            "h\u1ed3 s\u01a1\u202e.pdf",
            "a\u202ab.pdf",
            "a\u2066b\u2069.pdf",
            "a\u200eb.pdf",
            "a\u200fb.pdf",
            "a\u061cb.pdf",
            "a\u200bb.pdf",  # zero-width space
            "a\ufeffb.pdf",  # byte-order mark
            "a\u2028b.pdf",  # line separator
            "a\x85b.pdf",  # next line (a C1 control)
            "a\ud800b.pdf",  # lone surrogate
        ],
        ids=repr,
    )
    def test_names_with_bidi_or_invisible_characters_are_refused(self, name: str) -> None:
        store = self.make_store()
        before = self.count_files(store)
        with pytest.raises(InvalidAttachment) as caught:
            store.put(b"%PDF-1.4", name=name, media_type="application/pdf")
        assert caught.value.field == "file.name"
        assert self.count_files(store) == before

    # --- collecting unreferenced files ------------------------------------------------------

    def make_timed_store(self, clock: Clock) -> FileStore:
        """A new, empty store that dates what it stores by ``clock``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement make_timed_store(clock) for the collection tests"
        )

    def _timed(self) -> tuple[FileStore, _Clock]:
        clock = _Clock(builders.T0)
        return self.make_timed_store(clock), clock

    def test_keys_older_than_lists_what_was_stored_before(self) -> None:
        store, clock = self._timed()
        old = store.put(b"old", name="a.pdf", media_type="application/pdf")
        clock.advance(dt.timedelta(hours=2))
        young = store.put(io.BytesIO(b"young"), name="b.pdf", media_type="application/pdf")
        clock.advance(dt.timedelta(minutes=30))
        assert list(store.keys_older_than(dt.timedelta(hours=1))) == [old.key]
        assert sorted(store.keys_older_than(dt.timedelta(minutes=10))) == sorted(
            [old.key, young.key]
        )
        assert list(store.keys_older_than(dt.timedelta(hours=3))) == []

    def test_storing_the_same_bytes_again_makes_them_young(self) -> None:
        store, clock = self._timed()
        first = store.put(b"same", name="a.pdf", media_type="application/pdf")
        clock.advance(dt.timedelta(hours=5))
        again = store.put(io.BytesIO(b"same"), name="b.pdf", media_type="application/pdf")
        assert again.key == first.key
        clock.advance(dt.timedelta(minutes=1))
        assert list(store.keys_older_than(dt.timedelta(hours=1))) == []
        assert not store.delete_if_older(first.key, dt.timedelta(hours=1))
        assert store.get(first.key) == b"same"

    def test_delete_if_older_deletes_old_files_only(self) -> None:
        store, clock = self._timed()
        old = store.put(b"old", name="a.pdf", media_type="application/pdf")
        clock.advance(dt.timedelta(hours=2))
        young = store.put(b"young", name="b.pdf", media_type="application/pdf")
        assert not store.delete_if_older(young.key, dt.timedelta(hours=1))
        assert store.delete_if_older(old.key, dt.timedelta(hours=1))
        assert not store.exists(old.key)
        with pytest.raises(FileNotFoundInStore):
            store.get(old.key)
        assert store.get(young.key) == b"young"
        assert not store.delete_if_older(old.key, dt.timedelta(hours=1))  # already gone
        for key in ("0" * 64, "", "../x", "\x00"):
            assert not store.delete_if_older(key, dt.timedelta(hours=1))
        again = store.put(b"old", name="a.pdf", media_type="application/pdf")
        assert store.get(again.key) == b"old"


class _Clock:
    """A clock moved by hand (the contract cannot import the adapters' ManualClock)."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


class _FailingStream:
    """A client's upload that gives ``data`` in small pieces, then fails with ``failure``.

    ``failure`` is raised when it is an exception, else returned from ``read()`` as is.
    """

    def __init__(self, data: bytes, failure: object) -> None:
        self._data = io.BytesIO(data)
        self._failure = failure
        self._reads = 0

    def read(self, size: int = -1) -> object:
        self._reads += 1
        if self._reads <= 2:
            return self._data.read(min(size, 100) if size and size > 0 else 100)
        if isinstance(self._failure, BaseException):
            raise self._failure
        return self._failure
