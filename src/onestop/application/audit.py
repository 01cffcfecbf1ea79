"""The audit trail's use cases: record administrative actions, verify every chain.

Each administrative action (``officer.created``, ``officer.roles_changed``,
``officer.deactivated``, ``officer.reactivated``, ``officer.password_set``,
``officer.subject_linked``, ``account.locked``, ``account.unlocked``, ``catalog.loaded``)
is appended to the ``admin`` stream by :func:`record_admin_action` in the unit of work that
makes the change, so the change and its record are committed together or not at all. The
storage itself chains every step of a submitted dossier's history into the dossier's
stream as it writes it.

:meth:`AuditService.verify` reads every stream and finds a record modified, deleted or
reordered, and a dossier whose history no longer matches its stream; it names each one.
What this does and does not protect against is said in :mod:`onestop.domain.audit`: it
finds edits made around the library; it cannot stop someone who rewrites a whole chain
with the algorithm in hand, unless the chain heads were kept elsewhere
(:meth:`AuditService.checkpoint`, then ``verify(checkpoint=...)``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.domain.audit import (
    ADMIN_STREAM,
    AuditEvent,
    AuditProblem,
    AuditRecord,
    compare_history,
    dossier_of_stream,
    dossier_stream,
    verify_stream,
)
from onestop.errors import DuplicateError, InvalidDocument
from onestop.ports.storage import UnitOfWork

__all__ = ["AuditReport", "AuditService", "record_admin_action", "run_admin_action"]

T = TypeVar("T")

# How often an administrative action is tried again when another one took its place in the
# admin stream at the same moment (each try re-reads the stream's head).
_ADMIN_RETRIES = 20
_AUDIT_POSITION = "audit.id"


def record_admin_action(
    uow: UnitOfWork, ctx: AppContext, action: str, subject: str, *, by: str, **details: object
) -> AuditRecord:
    """Append one administrative action to the ``admin`` stream, in ``uow``."""
    event = AuditEvent.of(ctx.clock.now(), by, action, subject, **details)
    record = AuditRecord.following(uow.audit.head(ADMIN_STREAM), ADMIN_STREAM, event)
    uow.audit.append(record)
    return record


def run_admin_action(ctx: AppContext, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work`` in a unit of work and commit; again if another action took its record's
    place in the admin stream first (``work`` must not commit itself)."""
    for attempt in range(_ADMIN_RETRIES):
        try:
            with ctx.storage.unit_of_work() as uow:
                result = work(uow)
                uow.commit()
                return result
        except DuplicateError as e:
            if e.field != _AUDIT_POSITION or attempt == _ADMIN_RETRIES - 1:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


@attrs.frozen
class AuditReport:
    """What :meth:`AuditService.verify` found: ``ok`` when no problem."""

    streams: int
    records: int
    dossiers: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@checked_methods
class AuditService:
    """Verify the audit trail, read a stream, take a checkpoint of every chain's head."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def records(self, stream: str) -> list[AuditRecord]:
        """The records of one stream (``"admin"``, ``"dossier/<id>"``), by position."""
        with self._ctx.storage.unit_of_work() as uow:
            return list(uow.audit.list(stream))

    def dossier_records(self, dossier_id: str) -> list[AuditRecord]:
        """The records that mirror one dossier's progress history."""
        return self.records(dossier_stream(dossier_id))

    def checkpoint(self) -> str:
        """The head (position and hash) of every stream, as JSON text to keep elsewhere.

        Kept where the database's administrators cannot write, it lets :meth:`verify` find
        a chain rewritten wholesale, which the chain alone cannot.
        """
        with self._ctx.storage.unit_of_work() as uow:
            heads = {}
            for stream in uow.audit.streams():
                head = uow.audit.head(stream)
                if head is not None:
                    heads[stream] = [head.position, head.hash]
        return json.dumps({"onestop_audit_checkpoint": 1, "heads": heads}, sort_keys=True)

    def verify(self, *, checkpoint: str | None = None) -> AuditReport:
        """Check every chain, and every submitted dossier's history against its stream.

        With ``checkpoint`` (from :meth:`checkpoint`), also check that every head it
        recorded is still in its chain, unchanged.
        """
        expected = {} if checkpoint is None else _read_checkpoint(checkpoint)
        problems: list[AuditProblem] = []
        records = 0
        dossiers = 0
        with self._ctx.storage.unit_of_work() as uow:
            streams = list(uow.audit.streams())
            seen: dict[str, list[AuditRecord]] = {}
            for stream in streams:
                chain = list(uow.audit.list(stream))
                seen[stream] = chain
                records += len(chain)
                problems.extend(verify_stream(stream, chain))
            chains = dict(seen)
            for agency in uow.catalog.list_agencies():
                for dossier in uow.dossiers.list_by_agency(agency.code):
                    dossiers += 1
                    stream = dossier_stream(dossier.id)
                    problems.extend(compare_history(dossier, seen.pop(stream, [])))
        for stream in seen:
            dossier_id = dossier_of_stream(stream)
            if dossier_id is not None:
                problems.append(
                    AuditProblem(
                        stream,
                        1,
                        "history",
                        f"dossier {dossier_id!r} has an audit stream but is not stored any "
                        "more: a submitted dossier was deleted",
                    )
                )
        problems.extend(_checkpoint_problems(expected, chains))
        return AuditReport(len(streams), records, dossiers, tuple(problems))


def _read_checkpoint(text: str) -> dict[str, tuple[int, str]]:
    try:
        data = json.loads(text)
        heads = data["heads"]
        return {str(s): (int(p), str(h)) for s, (p, h) in heads.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise InvalidDocument(
            "checkpoint", "is not a checkpoint written by AuditService.checkpoint"
        ) from e


def _checkpoint_problems(
    expected: Mapping[str, tuple[int, str]], chains: Mapping[str, list[AuditRecord]]
) -> list[AuditProblem]:
    problems: list[AuditProblem] = []
    for stream, (position, digest) in sorted(expected.items()):
        found = next((r for r in chains.get(stream, []) if r.position == position), None)
        if found is None:
            problems.append(
                AuditProblem(
                    stream,
                    position,
                    "checkpoint",
                    "the record the checkpoint holds is gone: the chain was cut or rewritten",
                )
            )
        elif found.hash != digest:
            problems.append(
                AuditProblem(
                    stream,
                    position,
                    "checkpoint",
                    "the record differs from the checkpoint: the chain was rewritten",
                )
            )
    return problems
