"""A tamper-evident audit trail: records chained by sha256, one chain per stream.

Every step of a submitted dossier's progress history is an :class:`AuditRecord` of the
stream ``dossier/<id>``; every administrative action (an officer created or deactivated,
roles changed, an account locked or unlocked, a catalog loaded) is one of the stream
``admin``. A record's ``hash`` is the sha256 of its content and of the ``previous_hash``
of the record before it in its stream (:data:`GENESIS` for the first), so changing,
removing or reordering one record breaks the chain from there on, and :func:`verify_stream`
says where. A dossier's history is also compared with its stream
(:func:`compare_history`), so editing the history itself (the dossier's document or its
``dossier_history`` rows) is found too.

What this protects against: a change made to the stored rows by someone who goes around the
library (a support engineer fixing a status by hand in SQL, a script that deletes an
awkward step, a restore of an old backup over part of the data) without rewriting the
chain. What it does **not** protect against: someone with write access who knows this
scheme and recomputes every hash after the change (sha256 has no secret; a database
administrator can rewrite a whole stream), or who deletes the last records of a stream and
the history entries they mirror together. Against those, keep the heads of the chains
somewhere the database's administrators cannot write: take a checkpoint
(``portal.audit.checkpoint()``, ``onestop audit checkpoint``) regularly, store it
elsewhere (mail it, print it, commit it to another system), and verify against it
(``portal.audit.verify(checkpoint=...)``): a rewritten chain no longer holds the hashes
the checkpoint recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence

import attrs

from onestop.domain.dossier import Dossier, HistoryEntry
from onestop.domain.inputs import require_datetime, require_text
from onestop.errors import InvalidInput

__all__ = [
    "ADMIN_STREAM",
    "GENESIS",
    "AuditEvent",
    "AuditProblem",
    "AuditRecord",
    "compare_history",
    "dossier_stream",
    "history_records",
    "verify_stream",
]

#: The ``previous_hash`` of the first record of every stream.
GENESIS = "0" * 64
#: The stream of administrative actions.
ADMIN_STREAM = "admin"
_DOSSIER_PREFIX = "dossier/"


def dossier_stream(dossier_id: str) -> str:
    """The stream that mirrors one dossier's progress history."""
    return f"{_DOSSIER_PREFIX}{dossier_id}"


def dossier_of_stream(stream: str) -> str | None:
    """The dossier id a stream mirrors, or None for another stream."""
    return stream[len(_DOSSIER_PREFIX) :] if stream.startswith(_DOSSIER_PREFIX) else None


# One encoder, made once: json.dumps with options makes a new one at every call.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _canonical(value: object) -> str:
    return _CANONICAL.encode(value)


def _instant(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


@attrs.frozen
class AuditEvent:
    """What happened, when, by whom, to what; ``detail`` is canonical JSON (sorted keys)."""

    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: str = "{}"

    @classmethod
    def of(
        cls, at: dt.datetime, actor: str, action: str, subject: str, **details: object
    ) -> AuditEvent:
        """An event with ``details`` (JSON values) written canonically."""
        require_datetime(at, "at")
        return cls(
            at,
            require_text(actor, "actor"),
            require_text(action, "action"),
            require_text(subject, "subject"),
            _canonical(details),
        )

    @classmethod
    def from_history(cls, dossier_id: str, entry: HistoryEntry) -> AuditEvent:
        """The event one step of a dossier's progress history is recorded as."""
        require_text(dossier_id, "dossier_id")
        if not isinstance(entry, HistoryEntry):
            raise InvalidInput("entry", "must be a HistoryEntry of the dossier", entry)
        return cls.of(
            entry.at,
            f"{entry.actor.kind.value}:{entry.actor.id}",
            entry.action,
            dossier_id,
            actor_name=entry.actor.name,
            from_status=None if entry.from_status is None else entry.from_status.value,
            to_status=entry.to_status.value,
            note=entry.note,
        )


def _digest(stream: str, event: AuditEvent, previous_hash: str) -> str:
    content = _canonical(
        [
            stream,
            _instant(event.at),
            event.actor,
            event.action,
            event.subject,
            event.detail,
            previous_hash,
        ]
    )
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()


@attrs.frozen
class AuditRecord:
    """One link of a stream's chain: ``position`` counts from 1 within the stream."""

    stream: str
    position: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: str
    previous_hash: str
    hash: str

    @classmethod
    def following(cls, previous: AuditRecord | None, stream: str, event: AuditEvent) -> AuditRecord:
        """The record of ``event`` chained after ``previous`` (None: the stream's first)."""
        if previous is not None and not isinstance(previous, AuditRecord):
            raise InvalidInput("previous", "must be an AuditRecord or None", previous)
        require_text(stream, "stream")
        if not isinstance(event, AuditEvent):
            raise InvalidInput("event", "must be an AuditEvent", event)
        if previous is not None and previous.stream != stream:
            raise InvalidInput("previous", "must be a record of the same stream", previous.stream)
        position = 1 if previous is None else previous.position + 1
        previous_hash = GENESIS if previous is None else previous.hash
        return cls(
            stream=stream,
            position=position,
            at=event.at,
            actor=event.actor,
            action=event.action,
            subject=event.subject,
            detail=event.detail,
            previous_hash=previous_hash,
            hash=_digest(stream, event, previous_hash),
        )

    @property
    def event(self) -> AuditEvent:
        return AuditEvent(self.at, self.actor, self.action, self.subject, self.detail)

    @property
    def details(self) -> Mapping[str, object]:
        """``detail`` read back."""
        value = json.loads(self.detail)
        return value if isinstance(value, dict) else {}

    def content_matches(self) -> bool:
        """Whether ``hash`` is still the hash of what the record says."""
        return _digest(self.stream, self.event, self.previous_hash) == self.hash


def history_records(dossier: Dossier, head: AuditRecord | None) -> list[AuditRecord]:
    """The records of the history entries the dossier's stream does not hold yet.

    ``head`` is the stream's last record (None if empty); entries past its position are
    chained after it. A draft's history is recorded when it is submitted.
    """
    stream = dossier_stream(dossier.id)
    known = 0 if head is None else head.position
    records: list[AuditRecord] = []
    previous = head
    for entry in dossier.history[known:]:
        previous = AuditRecord.following(
            previous, stream, AuditEvent.from_history(dossier.id, entry)
        )
        records.append(previous)
    return records


@attrs.frozen
class AuditProblem:
    """One break found by verification: where, what kind, and in words."""

    stream: str
    position: int
    kind: str  # "missing", "modified", "reordered", "broken_link", "history", "checkpoint"
    message: str

    def __str__(self) -> str:
        return f"{self.stream} #{self.position}: {self.kind}: {self.message}"


def verify_stream(stream: str, records: Sequence[AuditRecord]) -> list[AuditProblem]:
    """Every break in one stream's chain; ``records`` as stored, by position."""
    problems: list[AuditProblem] = []
    position_of = {r.hash: r.position for r in records}
    expected_position = 1
    previous: AuditRecord | None = None
    for record in records:
        gap = record.position > expected_position
        if gap:
            missing = (
                f"#{expected_position}"
                if record.position == expected_position + 1
                else f"#{expected_position} to #{record.position - 1}"
            )
            problems.append(
                AuditProblem(stream, expected_position, "missing", f"record {missing} deleted")
            )
        if not record.content_matches():
            problems.append(
                AuditProblem(
                    stream,
                    record.position,
                    "modified",
                    f"the record ({record.action} of {record.subject}) was changed after it "
                    "was written: its content no longer matches its hash",
                )
            )
        expected_link = GENESIS if previous is None else previous.hash
        if record.previous_hash != expected_link and not gap:
            other = position_of.get(record.previous_hash)
            if other is not None:
                problems.append(
                    AuditProblem(
                        stream,
                        record.position,
                        "reordered",
                        f"the record was written after #{other}, not after "
                        f"#{record.position - 1}: records were reordered",
                    )
                )
            elif previous is None:
                problems.append(
                    AuditProblem(
                        stream,
                        record.position,
                        "missing",
                        "the first record does not start the chain: records before it were "
                        "deleted and the rest renumbered",
                    )
                )
            else:
                problems.append(
                    AuditProblem(
                        stream,
                        record.position,
                        "broken_link",
                        f"the record does not follow #{previous.position}: a record between "
                        f"them was deleted, or #{previous.position} was rewritten",
                    )
                )
        previous = record
        expected_position = record.position + 1
    return problems


def compare_history(dossier: Dossier, records: Sequence[AuditRecord]) -> list[AuditProblem]:
    """Where a submitted dossier's history and its stream disagree."""
    stream = dossier_stream(dossier.id)
    by_position = {r.position: r for r in records}
    problems: list[AuditProblem] = []
    last = max([len(dossier.history), *by_position])
    for position in range(1, last + 1):
        record = by_position.get(position)
        if position > len(dossier.history):
            if record is not None:
                problems.append(
                    AuditProblem(
                        stream,
                        position,
                        "history",
                        f"the history has no step #{position} ({record.action}) any more: "
                        "it was deleted from the dossier",
                    )
                )
            continue
        entry = dossier.history[position - 1]
        if record is None:
            if position > max(by_position, default=0):
                problems.append(
                    AuditProblem(
                        stream,
                        position,
                        "history",
                        f"history step #{position} ({entry.action}) has no audit record: it "
                        "was added outside the library, or its record was deleted",
                    )
                )
            continue  # a gap inside the stream is reported by verify_stream
        if AuditEvent.from_history(dossier.id, entry) != record.event:
            problems.append(
                AuditProblem(
                    stream,
                    position,
                    "history",
                    f"history step #{position} ({entry.action}) differs from its audit "
                    "record: the history was modified",
                )
            )
    return problems
