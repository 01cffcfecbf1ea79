"""DiskFileStore: content-addressed, atomic, size-limited, and file names never become paths."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.adapters.disk import DiskFileStore
from onestop.errors import (
    AttachmentTooLarge,
    ConfigurationError,
    FileNotFoundInStore,
    FileStoreError,
    InvalidAttachment,
    InvalidInput,
)
from onestop.ports.edges import Clock, FileStore
from onestop.testing.contracts.edges import FileStoreContract

PDF = "application/pdf"


def files_under(root: Path) -> list[Path]:
    """Every regular file below ``root`` (temporary ones included)."""
    return sorted(p for p in root.rglob("*") if p.is_file())


class FailingStream(io.BytesIO):
    """A stream that yields ``good`` bytes, then raises (a dropped upload)."""

    def __init__(self, good: bytes, error: Exception) -> None:
        super().__init__(good)
        self._error = error

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if chunk:
            return chunk
        raise self._error


@pytest.fixture
def store(tmp_path: Path) -> DiskFileStore:
    return DiskFileStore(tmp_path / "files", chunk_size=7)


def test_put_stores_under_the_sha256_in_two_levels_of_directories(store: DiskFileStore) -> None:
    """The key is the sha256; the file lives at root/ab/cd/<sha256> with exactly those bytes."""
    data = b"%PDF-1.4 scanned form"
    ref = store.put(data, name="to-khai.pdf", media_type=PDF)
    digest = hashlib.sha256(data).hexdigest()
    assert (ref.key, ref.sha256, ref.size, ref.name) == (digest, digest, len(data), "to-khai.pdf")
    path = store.root / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == data
    assert files_under(store.root) == [path]
    assert store.get(ref.key) == data
    assert store.exists(ref.key)


def test_the_same_bytes_are_kept_once(store: DiskFileStore) -> None:
    """Two puts of one content under different names share one file and one key."""
    first = store.put(b"same", name="a.pdf", media_type=PDF)
    second = store.put(io.BytesIO(b"same"), name="b.pdf", media_type=PDF)
    assert first.key == second.key
    assert (first.name, second.name) == ("a.pdf", "b.pdf")
    assert len(files_under(store.root)) == 1


def test_an_empty_file_can_be_stored(store: DiskFileStore) -> None:
    ref = store.put(b"", name="empty.pdf", media_type=PDF)
    assert ref.size == 0
    assert store.get(ref.key) == b""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=300),
    name=st.text(
        alphabet=st.characters(min_codepoint=32, exclude_categories=["Cs", "Cc", "Cf", "Zl", "Zp"]),
        min_size=1,
        max_size=40,
    ).filter(lambda s: "\x7f" not in s),
    as_stream=st.booleans(),
)
def test_any_bytes_under_any_name_round_trip(data: bytes, name: str, as_stream: bool) -> None:
    """Whatever the bytes and the (printable) name, get returns the bytes; the name stays data."""
    with tempfile.TemporaryDirectory() as tmp:
        store = DiskFileStore(Path(tmp) / "files", chunk_size=16, fsync=False)
        ref = store.put(io.BytesIO(data) if as_stream else data, name=name, media_type=PDF)
        assert ref.name == name
        assert store.get(ref.key) == data
        stored = files_under(store.root)
        assert [p.name for p in stored] == [hashlib.sha256(data).hexdigest()]
        assert all(p.resolve().is_relative_to(store.root.resolve()) for p in stored)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        "/etc/shadow",
        "C:\\Windows\\system32\\cmd.exe",
        "CON",
        "nul.txt",
        "LPT1",
        "thư mục/giấy tờ.pdf",
        "a\\b.pdf",
        "~/.ssh/id_rsa",
    ],
)
def test_names_that_look_like_paths_are_only_data(tmp_path: Path, name: str) -> None:
    """Traversal, absolute and reserved names are stored as the display name, never as a path."""
    root = tmp_path / "files"
    store = DiskFileStore(root)
    ref = store.put(b"content", name=name, media_type=PDF)
    assert ref.name == name
    digest = hashlib.sha256(b"content").hexdigest()
    assert files_under(tmp_path) == [root / digest[:2] / digest[2:4] / digest]


@pytest.mark.parametrize("name", ["", "evil\x00.pdf", "line\nbreak.pdf", "x" * 256])
def test_names_with_nul_or_control_characters_are_refused(store: DiskFileStore, name: str) -> None:
    """Like the in-memory store: InvalidAttachment, and nothing written."""
    with pytest.raises(InvalidAttachment):
        store.put(b"content", name=name, media_type=PDF)
    assert not store.root.exists() or files_under(store.root) == []


def test_a_bad_media_type_is_refused_before_reading(store: DiskFileStore) -> None:
    stream = FailingStream(b"", RuntimeError("must not be read"))
    with pytest.raises(InvalidAttachment):
        store.put(stream, name="a.pdf", media_type="not a media type")


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "0" * 63,
        "0" * 65,
        "A" * 64,
        "g" * 64,
        "../" + "0" * 61,
        "0" * 64 + "\x00",
        "",
    ],
)
def test_keys_that_are_not_64_hex_digits_are_never_paths(store: DiskFileStore, key: str) -> None:
    """get raises FileNotFoundInStore and exists says False, without building a path."""
    store.put(b"content", name="a.pdf", media_type=PDF)
    with pytest.raises(FileNotFoundInStore):
        store.get(key)
    assert not store.exists(key)


def test_a_well_formed_key_never_stored_is_not_found(store: DiskFileStore) -> None:
    with pytest.raises(FileNotFoundInStore):
        store.get("ab" * 32)
    assert not store.exists("ab" * 32)


def test_bytes_over_the_limit_are_refused_before_writing(store: DiskFileStore) -> None:
    with pytest.raises(AttachmentTooLarge):
        store.put(b"x" * 11, name="a.pdf", media_type=PDF, max_bytes=10)
    assert not store.root.exists() or files_under(store.root) == []


def test_a_stream_over_the_limit_is_refused_mid_stream_leaving_nothing(
    store: DiskFileStore,
) -> None:
    """The limit is checked while streaming; the partial temporary file is removed."""
    with pytest.raises(AttachmentTooLarge):
        store.put(io.BytesIO(b"x" * 100), name="a.pdf", media_type=PDF, max_bytes=20)
    assert files_under(store.root) == []


def test_a_stream_of_exactly_the_limit_is_accepted(store: DiskFileStore) -> None:
    ref = store.put(io.BytesIO(b"x" * 20), name="a.pdf", media_type=PDF, max_bytes=20)
    assert ref.size == 20


def test_the_store_wide_limit_applies_when_the_caller_gives_none(tmp_path: Path) -> None:
    store = DiskFileStore(tmp_path, max_bytes=5, chunk_size=2)
    with pytest.raises(AttachmentTooLarge):
        store.put(io.BytesIO(b"123456"), name="a.pdf", media_type=PDF)
    with pytest.raises(AttachmentTooLarge):
        store.put(io.BytesIO(b"123456"), name="a.pdf", media_type=PDF, max_bytes=100)
    assert store.put(b"12345", name="a.pdf", media_type=PDF).size == 5


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=200), limit=st.integers(0, 200), chunk=st.integers(1, 50))
def test_the_limit_holds_for_every_size_and_chunk(data: bytes, limit: int, chunk: int) -> None:
    """Accepted exactly when size <= limit; a refusal leaves no file at all."""
    size = len(data)
    with tempfile.TemporaryDirectory() as tmp:
        store = DiskFileStore(Path(tmp), chunk_size=chunk, fsync=False)
        stream = io.BytesIO(data)
        if size <= limit:
            ref = store.put(stream, name="f.pdf", media_type=PDF, max_bytes=limit)
            assert ref.size == size
        else:
            with pytest.raises(AttachmentTooLarge):
                store.put(stream, name="f.pdf", media_type=PDF, max_bytes=limit)
            assert files_under(Path(tmp)) == []


@pytest.mark.parametrize("error", [OSError("connection reset"), ValueError("bad upload")])
def test_a_stream_failing_mid_way_leaves_no_file_and_no_temporary(
    store: DiskFileStore, error: Exception
) -> None:
    """An upload dropped after some bytes leaves nothing behind, not even a .part file."""
    store.put(b"kept", name="kept.pdf", media_type=PDF)
    before = files_under(store.root)
    with pytest.raises((FileStoreError, ValueError)) as caught:
        store.put(FailingStream(b"y" * 50, error), name="a.pdf", media_type=PDF)
    if isinstance(error, OSError):
        assert isinstance(caught.value, FileStoreError)
        assert caught.value.__cause__ is error
    assert files_under(store.root) == before


def test_a_failing_rename_leaves_no_temporary(
    store: DiskFileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk error at the last step is a FileStoreError and the temporary file is removed."""

    def broken_replace(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(FileStoreError, match="No space left"):
        store.put(b"content", name="a.pdf", media_type=PDF)
    assert files_under(store.root) == []


def test_a_file_changed_on_disk_is_reported_corrupted(store: DiskFileStore) -> None:
    ref = store.put(b"original", name="a.pdf", media_type=PDF)
    (store.root / ref.key[:2] / ref.key[2:4] / ref.key).write_bytes(b"tampered")
    with pytest.raises(FileStoreError, match="corrupted"):
        store.get(ref.key)
    with store.open(ref.key) as stream, pytest.raises(FileStoreError, match="corrupted"):
        stream.read()


def test_two_stores_on_one_root_see_each_others_files(tmp_path: Path) -> None:
    """The disk is the only state: another process (here another instance) reads the file."""
    ref = DiskFileStore(tmp_path).put(b"shared", name="a.pdf", media_type=PDF)
    assert DiskFileStore(tmp_path).get(ref.key) == b"shared"


@pytest.mark.parametrize("max_bytes", [-1, True, 1.5])
def test_a_bad_limit_is_refused(store: DiskFileStore, max_bytes: object) -> None:
    with pytest.raises(InvalidInput):
        store.put(b"x", name="a.pdf", media_type=PDF, max_bytes=max_bytes)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        DiskFileStore(store.root, max_bytes=max_bytes)  # type: ignore[arg-type]


# --- the port's contract ----------------------------------------------------------------------


class TestDiskFileStoreContract(FileStoreContract):
    """The FileStore contract suite, on disk, with a small chunk size to cross boundaries."""

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _root(cls, tmp_path_factory: pytest.TempPathFactory) -> None:
        cls.root = tmp_path_factory.mktemp("disk-contract")

    root: Path

    def make_store(self) -> FileStore:
        return DiskFileStore(Path(tempfile.mkdtemp(dir=self.root)), chunk_size=1000, fsync=False)

    def make_timed_store(self, clock: Clock) -> FileStore:
        return DiskFileStore(
            Path(tempfile.mkdtemp(dir=self.root)), chunk_size=1000, fsync=False, clock=clock
        )

    def count_files(self, store: FileStore) -> int | None:
        assert isinstance(store, DiskFileStore)
        return len(files_under(store.root)) if store.root.exists() else 0


def test_stale_uploads_of_a_killed_process_are_removed(store: DiskFileStore) -> None:
    """Only temporary files untouched for long are deleted; stored files are never touched."""
    ref = store.put(b"kept", name="a.pdf", media_type=PDF)
    incoming = store.root / ".incoming"
    stale, fresh = incoming / "put-stale.part", incoming / "put-fresh.part"
    stale.write_bytes(b"half a fi")
    fresh.write_bytes(b"still bein")
    an_hour_and_a_bit_ago = time.time() - 3700
    os.utime(stale, (an_hour_and_a_bit_ago, an_hour_and_a_bit_ago))
    assert store.remove_stale_uploads() == 1
    assert not stale.exists()
    assert fresh.exists()
    assert store.get(ref.key) == b"kept"
    assert DiskFileStore(store.root / "never-used").remove_stale_uploads() == 0
