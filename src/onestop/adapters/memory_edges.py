"""In-memory edges for tests and examples: a file store and a mail transport.

:class:`InMemoryFileStore` is content-addressed: a file's key is the sha256 of its bytes,
so storing the same bytes twice keeps one copy. :class:`InMemoryMailTransport` records what
it sends and can be told to fail, for the dispatcher's retry tests. Both are thread-safe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from typing import BinaryIO

import attrs

from onestop.adapters._uploads import CHUNK, check_upload, read_upload
from onestop.adapters.clocks import SystemClock
from onestop.domain.files import FileRef
from onestop.domain.mail import MailMessage
from onestop.errors import (
    FileNotFoundInStore,
    InvalidInput,
    MailPermanentFailure,
    MailTemporaryFailure,
)
from onestop.ports.edges import Clock

__all__ = ["InMemoryFileStore", "InMemoryMailTransport", "SentMail"]


class InMemoryFileStore:
    """Files kept in a dictionary keyed by the sha256 of their content.

    ``clock`` dates each file when it is stored (and stored again), for
    :meth:`keys_older_than`; the system's clock unless told otherwise.
    """

    def __init__(self, *, chunk_size: int = CHUNK, clock: Clock | None = None) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidInput("chunk_size", "must be 1 byte or more", chunk_size)
        self._chunk_size = chunk_size
        self._clock: Clock = SystemClock() if clock is None else clock
        self._files: dict[str, bytes] = {}
        self._stored_at: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<InMemoryFileStore {len(self)} files>"

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)

    def put(
        self,
        data: bytes | BinaryIO,
        *,
        name: str,
        media_type: str,
        max_bytes: int | None = None,
    ) -> FileRef:
        """Store bytes (or a binary stream, read in chunks); AttachmentTooLarge past ``max_bytes``.

        Nothing is kept when the file is refused. ``name`` is for display only.
        """
        check_upload(name=name, media_type=media_type, max_bytes=max_bytes)
        content = read_upload(data, max_bytes, self._chunk_size)
        digest = hashlib.sha256(content).hexdigest()
        ref = FileRef(
            key=digest, name=name, media_type=media_type, size=len(content), sha256=digest
        )
        with self._lock:
            self._files.setdefault(digest, content)
            self._stored_at[digest] = self._clock.now()
        return ref

    def get(self, key: str) -> bytes:
        """The stored bytes, or FileNotFoundInStore."""
        with self._lock:
            content = self._files.get(key) if isinstance(key, str) else None
        if content is None:
            raise FileNotFoundInStore(key)
        return content

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a stream, or FileNotFoundInStore (they are in memory anyway)."""
        return io.BytesIO(self.get(key))

    def exists(self, key: str) -> bool:
        """True when ``key`` is stored."""
        with self._lock:
            return isinstance(key, str) and key in self._files

    def keys_older_than(self, older_than: dt.timedelta) -> list[str]:
        """The keys stored (or stored again) more than ``older_than`` ago."""
        cutoff = self._clock.now() - older_than
        with self._lock:
            return sorted(key for key, at in self._stored_at.items() if at < cutoff)

    def delete_if_older(self, key: str, older_than: dt.timedelta) -> bool:
        """Delete ``key`` unless it was stored (again) within ``older_than``; True if deleted."""
        cutoff = self._clock.now() - older_than
        with self._lock:
            at = self._stored_at.get(key) if isinstance(key, str) else None
            if at is None or at >= cutoff:
                return False
            del self._files[key], self._stored_at[key]
            return True


@attrs.frozen
class SentMail:
    """One message the transport delivered, with the id it was sent under."""

    message_id: str
    message: MailMessage


class InMemoryMailTransport:
    """Delivers mail to a list (:attr:`sent`); :meth:`fail_next` makes sends fail on purpose."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[SentMail] = []
        self._failures: list[bool] = []  # True: permanent; consumed from the front
        self.attempts = 0

    def __repr__(self) -> str:
        return f"<InMemoryMailTransport {len(self.sent)} sent>"

    @property
    def sent(self) -> list[SentMail]:
        """Every message delivered so far, oldest first (a copy)."""
        with self._lock:
            return list(self._sent)

    def messages_to(self, address: str) -> list[MailMessage]:
        """The messages delivered to ``address`` (compared case-insensitively), oldest first."""
        wanted = address.strip().lower()
        return [s.message for s in self.sent if s.message.to.lower() == wanted]

    def fail_next(self, n: int = 1, *, permanent: bool = False) -> None:
        """Make the next ``n`` sends raise MailPermanentFailure or MailTemporaryFailure."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInput("n", "must be a whole number, 0 or more", n)
        with self._lock:
            self._failures.extend([permanent] * n)

    def send(self, message: MailMessage, *, message_id: str) -> None:
        """Deliver one message, unless a failure was asked for with :meth:`fail_next`."""
        with self._lock:
            self.attempts += 1
            if self._failures:
                permanent = self._failures.pop(0)
                if permanent:
                    raise MailPermanentFailure(f"550 recipient refused: {message.to} (injected)")
                raise MailTemporaryFailure("451 try again later (injected)")
            self._sent.append(SentMail(message_id, message))
