"""In-memory edges for tests and examples: a file store and a mail transport.

:class:`InMemoryFileStore` is content-addressed: a file's key is the sha256 of its bytes,
so storing the same bytes twice keeps one copy. :class:`InMemoryMailTransport` records what
it sends and can be told to fail, for the dispatcher's retry tests. Both are thread-safe.
"""

from __future__ import annotations

import hashlib
import threading
from typing import BinaryIO

import attrs

from onestop.adapters._uploads import CHUNK, check_upload, read_upload
from onestop.domain.files import FileRef
from onestop.domain.mail import MailMessage
from onestop.errors import (
    FileNotFoundInStore,
    InvalidInput,
    MailPermanentFailure,
    MailTemporaryFailure,
)

__all__ = ["InMemoryFileStore", "InMemoryMailTransport", "SentMail"]


class InMemoryFileStore:
    """Files kept in a dictionary keyed by the sha256 of their content."""

    def __init__(self, *, chunk_size: int = CHUNK) -> None:
        if chunk_size < 1:
            raise InvalidInput("chunk_size", "must be 1 byte or more", chunk_size)
        self._chunk_size = chunk_size
        self._files: dict[str, bytes] = {}
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
        return ref

    def get(self, key: str) -> bytes:
        """The stored bytes, or FileNotFoundInStore."""
        with self._lock:
            content = self._files.get(key)
        if content is None:
            raise FileNotFoundInStore(key)
        return content

    def exists(self, key: str) -> bool:
        """True when ``key`` is stored."""
        with self._lock:
            return key in self._files


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
