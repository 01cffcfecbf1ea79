"""The tamper-evident audit trail (issue 10): chains, verification, what it finds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from onestop.domain.audit import (
    ADMIN_STREAM,
    GENESIS,
    AuditEvent,
    AuditRecord,
    dossier_stream,
    verify_stream,
)
from onestop.errors import DuplicateError, InvalidDocument
from onestop.testing import builders
from tests.unit.conftest import WARD, PortalKit

T0 = builders.T0


def chain(length: int, stream: str = ADMIN_STREAM) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    previous = None
    for n in range(length):
        event = AuditEvent.of(T0 + dt.timedelta(minutes=n), "operator", "x.done", f"s{n}", n=n)
        previous = AuditRecord.following(previous, stream, event)
        records.append(previous)
    return records


def renumbered(records: list[AuditRecord]) -> list[AuditRecord]:
    return [attrs.evolve(r, position=i) for i, r in enumerate(records, 1)]


def kinds(problems: list[Any]) -> list[tuple[int, str]]:
    return [(p.position, p.kind) for p in problems]


# --- the chain ----------------------------------------------------------------------------


def test_an_untouched_chain_verifies() -> None:
    """Positions from 1, each record linked to the one before, the first to GENESIS."""
    records = chain(4)
    assert records[0].previous_hash == GENESIS
    assert [r.position for r in records] == [1, 2, 3, 4]
    assert verify_stream(ADMIN_STREAM, records) == []


def test_a_modified_record_is_found() -> None:
    """Changing what a record says without its hash breaks its own hash."""
    records = chain(3)
    records[1] = attrs.evolve(records[1], detail='{"n":99}')
    assert kinds(verify_stream(ADMIN_STREAM, records)) == [(2, "modified")]


def test_a_record_rewritten_with_a_new_hash_breaks_the_next_link() -> None:
    """Recomputing the changed record's hash is found at the record after it."""
    records = chain(3)
    event = attrs.evolve(records[1].event, detail='{"n":99}')
    records[1] = AuditRecord.following(records[0], ADMIN_STREAM, event)
    assert kinds(verify_stream(ADMIN_STREAM, records)) == [(3, "broken_link")]


def test_a_deleted_record_is_found() -> None:
    """A gap in the positions names the missing record."""
    records = chain(4)
    del records[1]
    problems = verify_stream(ADMIN_STREAM, records)
    assert kinds(problems) == [(2, "missing")]
    assert "#2" in problems[0].message


def test_a_deleted_record_hidden_by_renumbering_is_found() -> None:
    """Deleting a record and renumbering the rest still breaks the chain."""
    records = chain(4)
    del records[1]
    assert kinds(verify_stream(ADMIN_STREAM, renumbered(records))) == [(2, "broken_link")]
    assert kinds(verify_stream(ADMIN_STREAM, renumbered(chain(3)[1:]))) == [(1, "missing")]


def test_reordered_records_are_found() -> None:
    """Swapping two records' positions is reported as a reordering."""
    records = chain(4)
    swapped = renumbered([records[0], records[2], records[1], records[3]])
    problems = verify_stream(ADMIN_STREAM, swapped)
    assert (2, "reordered") in kinds(problems)
    assert all(p.kind in ("reordered", "broken_link") for p in problems)


def test_a_record_cannot_move_to_another_stream() -> None:
    """The stream is part of the hash."""
    moved = [attrs.evolve(r, stream="elsewhere") for r in chain(2)]
    assert kinds(verify_stream("elsewhere", moved)) == [(1, "modified"), (2, "modified")]


# --- the service --------------------------------------------------------------------------


def admin_actions(kit: PortalKit) -> list[str]:
    return [r.action for r in kit.portal.audit.records(ADMIN_STREAM)]


def test_administrative_actions_are_recorded(kit: PortalKit) -> None:
    """Catalog loaded, officer created and changed, account locked and unlocked."""
    officer = kit.officer()
    kit.portal.desk.change_roles(officer.id, frozenset(officer.roles))
    kit.portal.desk.deactivate(officer.id)
    kit.portal.accounts.lock(kit.citizen.email)
    kit.portal.accounts.unlock(kit.citizen.email, by="admin@kontum.gov.vn")
    assert admin_actions(kit) == [
        "catalog.loaded",
        "officer.created",
        "officer.roles_changed",
        "officer.deactivated",
        "account.locked",
        "account.unlocked",
    ]
    last = kit.portal.audit.records(ADMIN_STREAM)[-1]
    assert last.actor == "admin@kontum.gov.vn"
    assert last.subject == kit.citizen.id
    assert kit.portal.audit.verify().ok


def test_a_failed_action_leaves_no_record(kit: PortalKit) -> None:
    """The record is written in the change's unit of work: no change, no record."""
    kit.portal.desk.register_officer(WARD, "Phạm Thị Dung", "dung@kontum.gov.vn")
    before = admin_actions(kit)
    with pytest.raises(DuplicateError):
        kit.portal.desk.register_officer(WARD, "Phạm Thị Dung", "dung@kontum.gov.vn")
    assert admin_actions(kit) == before


def test_every_history_step_is_in_the_dossiers_stream(kit: PortalKit) -> None:
    """Submission, reception and processing are chained as they happen."""
    dossier = kit.submitted()
    officer = kit.officer()
    kit.portal.desk.receive(officer.id, dossier.id)
    kit.portal.desk.start_processing(officer.id, dossier.id)
    stored = kit.portal.desk.get(officer.id, dossier.id)
    records = kit.portal.audit.dossier_records(dossier.id)
    assert [r.action for r in records] == [h.action for h in stored.history]
    report = kit.portal.audit.verify()
    assert report.ok
    assert report.dossiers == 1


def test_an_edited_history_is_found(kit: PortalKit) -> None:
    """A note changed in the stored dossier (around the library) no longer matches."""
    dossier = kit.submitted()
    officer = kit.officer()
    kit.portal.desk.receive(officer.id, dossier.id, note="Đã nhận đủ")
    stored = kit.storage._tables["dossier"].rows[dossier.id]
    entry = stored.history[-1]
    stored.history = (*stored.history[:-1], attrs.evolve(entry, note="Nhận thiếu"))
    report = kit.portal.audit.verify()
    assert not report.ok
    assert [(p.stream, p.position, p.kind) for p in report.problems] == [
        (dossier_stream(dossier.id), len(stored.history), "history")
    ]


def test_a_deleted_tail_record_is_found_through_the_history(kit: PortalKit) -> None:
    """The chain alone cannot see its last record go; the dossier's history can."""
    dossier = kit.submitted()
    officer = kit.officer()
    kit.portal.desk.receive(officer.id, dossier.id)
    stream = dossier_stream(dossier.id)
    rows = kit.storage._tables["audit"].rows
    last = len(kit.portal.audit.dossier_records(dossier.id))
    del rows[(stream, last)]
    problems = kit.portal.audit.verify().problems
    assert [(p.position, p.kind) for p in problems] == [(last, "history")]


def test_a_modified_admin_record_is_found(kit: PortalKit) -> None:
    """Rewriting who did what in the admin stream breaks the chain."""
    kit.officer()
    rows = kit.storage._tables["audit"].rows
    key = (ADMIN_STREAM, 2)
    rows[key] = attrs.evolve(rows[key], actor="someone-else")
    problems = kit.portal.audit.verify().problems
    assert [(p.stream, p.position, p.kind) for p in problems] == [(ADMIN_STREAM, 2, "modified")]
    assert "admin #2: modified" in str(problems[0])


def test_a_checkpoint_finds_a_chain_rewritten_wholesale(kit: PortalKit) -> None:
    """Recomputing every hash fools the chain, not a checkpoint kept elsewhere."""
    kit.officer()
    checkpoint = kit.portal.audit.checkpoint()
    rows = kit.storage._tables["audit"].rows
    previous = None
    for position in (1, 2):
        old = rows[(ADMIN_STREAM, position)]
        event = attrs.evolve(old.event, actor="forger") if position == 2 else old.event
        previous = AuditRecord.following(previous, ADMIN_STREAM, event)
        rows[(ADMIN_STREAM, position)] = previous
    assert kit.portal.audit.verify().ok  # the forger recomputed everything
    problems = kit.portal.audit.verify(checkpoint=checkpoint).problems
    assert [(p.stream, p.position, p.kind) for p in problems] == [(ADMIN_STREAM, 2, "checkpoint")]


def test_a_checkpoint_must_be_one(kit: PortalKit) -> None:
    """Text that is no checkpoint is refused, not taken as an empty one."""
    with pytest.raises(InvalidDocument):
        kit.portal.audit.verify(checkpoint='{"heads": 3}')
