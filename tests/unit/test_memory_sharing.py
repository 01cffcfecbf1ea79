"""The in-memory storage clones entities shallowly: immutable parts are shared, never copied,
and still nothing a caller does to what it got back changes what is stored."""

from __future__ import annotations

import datetime as dt
import enum

import attrs
import pytest

from onestop.adapters.memory import InMemoryStorage
from onestop.domain.accounts import Account, Officer
from onestop.domain.dossier import Dossier
from onestop.domain.mail import OutboxEntry
from onestop.domain.payments import Payment
from onestop.testing import builders

T0 = builders.T0

_IMMUTABLE = (str, int, float, bool, bytes, tuple, frozenset, type(None))


def _stored_dossier(storage: InMemoryStorage) -> Dossier:
    dossier = builders.submitted_dossier()
    with storage.unit_of_work() as uow:
        uow.dossiers.add(dossier)
        uow.commit()
    return dossier


def test_every_read_shares_the_procedure_instead_of_copying_it() -> None:
    """Two reads of one dossier, and the dossier added, hold the very same procedure."""
    storage = InMemoryStorage()
    added = _stored_dossier(storage)
    with storage.unit_of_work() as uow:
        first = uow.dossiers.get(added.id)
        second = uow.dossiers.get(added.id)
    assert first is not second
    assert first.procedure is second.procedure is added.procedure
    assert first.history is added.history


def test_a_caller_cannot_change_stored_state_through_what_it_got_back() -> None:
    """Reassigning, mutating frozen parts or pushing events on a read copy stores nothing."""
    storage = InMemoryStorage()
    added = _stored_dossier(storage)
    with storage.unit_of_work() as uow:
        got = uow.dossiers.get(added.id)
    got.status = builders.decided_dossier().status
    got.history = ()
    got.attachments = ()
    got.peek_events()  # a read copy has none ...
    got.pull_events().append(object())  # type: ignore[arg-type]  # ... and its buffer is its own
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        got.procedure.name = "changed"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        got.applicant.full_name = "changed"  # type: ignore[misc]
    with storage.unit_of_work() as uow:
        again = uow.dossiers.get(added.id)
    assert again.status is added.status
    assert again.history == added.history and again.history
    assert again.attachments == added.attachments
    assert again.peek_events() == ()


def test_a_list_a_caller_slipped_into_an_entity_is_copied_not_shared() -> None:
    """Should a caller store a mutable container, later changes to it do not reach storage."""
    storage = InMemoryStorage()
    dossier = builders.draft_dossier()
    attachments = list(dossier.attachments)
    dossier.attachments = attachments  # type: ignore[assignment]
    with storage.unit_of_work() as uow:
        uow.dossiers.add(dossier)
        uow.commit()
    attachments.clear()
    with storage.unit_of_work() as uow:
        assert len(uow.dossiers.get(dossier.id).attachments) == len(
            builders.draft_dossier().attachments
        )


@pytest.mark.parametrize(
    "record",
    [
        builders.account(),
        builders.officer(),
        builders.submitted_dossier(),
        builders.payment(),
        builders.outbox_entry(),
    ],
    ids=lambda r: type(r).__name__,
)
def test_entities_hold_only_immutable_values_but_their_event_buffer(
    record: Account | Officer | Dossier | Payment | OutboxEntry,
) -> None:
    """What makes sharing safe: every attribute is immutable, or frozen attrs, or events."""
    for attribute in attrs.fields(type(record)):
        if attribute.name != "_events":
            value = getattr(record, attribute.name)
            assert _immutable(value), attribute.name


def _immutable(value: object) -> bool:
    if isinstance(value, tuple | frozenset):
        return all(_immutable(item) for item in value)
    if isinstance(value, (*_IMMUTABLE, enum.Enum, dt.date, dt.time)):
        return True
    if not attrs.has(type(value)):
        return False
    name = attrs.fields(type(value))[0].name
    try:
        setattr(value, name, getattr(value, name))
    except attrs.exceptions.FrozenInstanceError:
        return all(_immutable(getattr(value, a.name)) for a in attrs.fields(type(value)))
    return False


def test_listing_by_owner_uses_an_index_and_sees_the_unit_of_works_own_writes() -> None:
    """Committed rows come from the owner index; staged adds and deletes count at once."""
    storage = InMemoryStorage()
    kept, dropped = (
        builders.draft_dossier(owner_id="owner-1"),
        builders.draft_dossier(owner_id="owner-1"),
    )
    with storage.unit_of_work() as uow:
        uow.dossiers.add(kept)
        uow.dossiers.add(dossier_of_other := builders.draft_dossier(owner_id="owner-2"))
        uow.commit()
    with storage.unit_of_work() as uow:
        uow.dossiers.add(dropped)
        assert {d.id for d in uow.dossiers.list_by_owner("owner-1")} == {kept.id, dropped.id}
        uow.dossiers.delete_draft(kept.id)
        assert [d.id for d in uow.dossiers.list_by_owner("owner-1")] == [dropped.id]
        assert [d.id for d in uow.dossiers.list_by_owner("owner-2")] == [dossier_of_other.id]
    with storage.unit_of_work() as uow:
        assert [d.id for d in uow.dossiers.list_by_owner("owner-1")] == [kept.id]
