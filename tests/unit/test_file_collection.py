"""Collecting stored files no dossier references (issue 8): portal.files.collect_unreferenced."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from onestop.adapters.clocks import ManualClock
from onestop.adapters.disk import DiskFileStore
from onestop.adapters.memory_edges import InMemoryFileStore
from onestop.application.files import CollectionReport
from onestop.errors import InvalidInput
from onestop.ports.edges import FileStore
from tests.unit.conftest import HKD, PDF, PortalKit, make_kit, vn

DAY = dt.timedelta(hours=24)


def _kit(file_store: FileStore | None = None, clock: ManualClock | None = None) -> PortalKit:
    return make_kit(clock=clock, file_store=file_store)


@pytest.fixture(params=["memory", "disk"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> PortalKit:
    clock = ManualClock(vn(2022, 6, 22, 9))
    store: FileStore = (
        InMemoryFileStore(clock=clock)
        if request.param == "memory"
        else DiskFileStore(tmp_path / "files", fsync=False, clock=clock)
    )
    return _kit(store, clock)


def pdf(n: int) -> bytes:
    return PDF + f"% file {n}\n".encode()


def attach(kit: PortalKit, draft_id: str, data: bytes, component: str | None = None) -> str:
    dossier = kit.portal.dossiers.get(kit.citizen.id, draft_id)
    component = component or dossier.procedure.mandatory_components()[0].id
    return kit.portal.dossiers.attach(
        kit.citizen.id,
        draft_id,
        component,
        io.BytesIO(data),
        filename="to-khai.pdf",
        media_type="application/pdf",
    ).key


def stored(kit: PortalKit, key: str) -> bool:
    return kit.portal.context.file_store.exists(key)


def test_files_of_drafts_and_submitted_dossiers_are_never_collected(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    in_draft = attach(kit, draft.id, pdf(1))
    submitted = kit.submitted(HKD)
    in_submitted = [a.file.key for a in submitted.attachments]
    kit.clock.advance(30 * DAY)
    report = kit.portal.files.collect_unreferenced()
    assert report.deleted == ()
    assert report.referenced == report.considered == len({in_draft, *in_submitted})
    assert stored(kit, in_draft)
    assert all(stored(kit, key) for key in in_submitted)


def test_detached_and_discarded_files_are_collected_after_the_grace_period(
    kit: PortalKit,
) -> None:
    draft = kit.draft(HKD)
    component = draft.procedure.mandatory_components()[0].id
    detached = attach(kit, draft.id, pdf(1), component)
    kept = attach(kit, draft.id, pdf(2), component)
    kit.portal.dossiers.detach(kit.citizen.id, draft.id, component, detached)
    discarded_draft = kit.draft(HKD)
    discarded = attach(kit, discarded_draft.id, pdf(3))
    kit.portal.dossiers.discard_draft(kit.citizen.id, discarded_draft.id)
    # A failed attach: the file was stored, the dossier never referenced it.
    failed = kit.portal.context.file_store.put(pdf(4), name="x.pdf", media_type="application/pdf")

    kit.clock.advance(DAY - dt.timedelta(minutes=1))
    assert kit.portal.files.collect_unreferenced().deleted == ()  # all younger than a day
    kit.clock.advance(dt.timedelta(minutes=2))
    report = kit.portal.files.collect_unreferenced()
    assert sorted(report.deleted) == sorted([detached, discarded, failed.key])
    assert (report.considered, report.referenced, report.kept_young) == (4, 1, 0)
    assert stored(kit, kept)
    assert not any(stored(kit, key) for key in report.deleted)
    assert kit.portal.files.collect_unreferenced() == CollectionReport(1, 1, (), 0)


def test_a_file_stored_again_during_collection_is_kept(kit: PortalKit) -> None:
    """The race with an attach: listed as old and unreferenced, then attached again."""
    draft = kit.draft(HKD)
    component = draft.procedure.mandatory_components()[0].id
    key = attach(kit, draft.id, pdf(1), component)
    kit.portal.dossiers.detach(kit.citizen.id, draft.id, component, key)
    kit.clock.advance(2 * DAY)
    store = kit.portal.context.file_store
    listed = store.keys_older_than

    def list_then_attach(older_than: dt.timedelta) -> list[str]:
        keys = list(listed(older_than))
        # Just after the listing, the applicant attaches the same bytes again.
        assert attach(kit, draft.id, pdf(1), component) == key
        return keys

    store.keys_older_than = list_then_attach  # type: ignore[method-assign]
    report = kit.portal.files.collect_unreferenced()
    assert report.deleted == ()
    assert report.considered == 1
    assert stored(kit, key)
    attached = kit.portal.dossiers.get(kit.citizen.id, draft.id).attachments
    assert [a.file.key for a in attached] == [key]


def test_a_file_stored_again_before_it_is_deleted_is_kept(kit: PortalKit) -> None:
    """Stored again after the reference check, before the delete: still kept."""
    draft = kit.draft(HKD)
    component = draft.procedure.mandatory_components()[0].id
    key = attach(kit, draft.id, pdf(1), component)
    kit.portal.dossiers.detach(kit.citizen.id, draft.id, component, key)
    kit.clock.advance(2 * DAY)
    storage = kit.storage
    real_unit_of_work = storage.unit_of_work

    def unit_of_work():  # type: ignore[no-untyped-def]
        unit = real_unit_of_work()
        asked = unit.dossiers.referenced_file_keys

        def referenced(keys):  # type: ignore[no-untyped-def]
            answer = asked(keys)
            kit.portal.context.file_store.put(pdf(1), name="a.pdf", media_type="application/pdf")
            return answer

        unit.dossiers.referenced_file_keys = referenced  # type: ignore[method-assign]
        return unit

    storage.unit_of_work = unit_of_work  # type: ignore[method-assign]
    report = kit.portal.files.collect_unreferenced()
    storage.unit_of_work = real_unit_of_work  # type: ignore[method-assign]
    assert report.deleted == ()
    assert report.kept_young == 1
    assert stored(kit, key)


@pytest.mark.parametrize(
    "older_than", [dt.timedelta(0), dt.timedelta(minutes=9), dt.timedelta(days=-1)]
)
def test_a_grace_period_too_short_for_an_attach_is_refused(
    kit: PortalKit, older_than: dt.timedelta
) -> None:
    with pytest.raises(InvalidInput) as caught:
        kit.portal.files.collect_unreferenced(older_than=older_than)
    assert caught.value.field == "older_than"


@pytest.mark.parametrize("older_than", [None, 3600, "1d", 1.5])
def test_a_grace_period_that_is_not_a_duration_is_refused(older_than: object) -> None:
    kit = _kit()
    with pytest.raises(InvalidInput):
        kit.portal.files.collect_unreferenced(older_than=older_than)  # type: ignore[arg-type]


def test_the_default_portal_dates_files_by_its_own_clock() -> None:
    """bootstrap's in-memory store uses the portal's clock: collection works out of the box."""
    kit = _kit()
    draft = kit.draft(HKD)
    component = draft.procedure.mandatory_components()[0].id
    key = attach(kit, draft.id, pdf(1), component)
    kit.portal.dossiers.detach(kit.citizen.id, draft.id, component, key)
    kit.clock.advance(2 * DAY)
    assert kit.portal.files.collect_unreferenced().deleted == (key,)
