"""Digitising at the desk, reusing an earlier file, electronic results (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest

from onestop.domain.accounts import OfficerRole
from onestop.domain.reports import Figure, Measure
from onestop.errors import (
    DossierNotFound,
    FileNotFoundInStore,
    InvalidAttachment,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
)
from onestop.testing import builders
from tests.unit.conftest import BUDGET, FINANCE, PDF, WARD, PortalKit

DAY = dt.date(2022, 6, 22)


def test_a_reused_file_is_the_earlier_stored_file_marked_reused(kit: PortalKit) -> None:
    earlier = kit.submitted()
    source = earlier.attachments[0]
    draft = kit.draft()
    ref = kit.portal.dossiers.reuse_file(
        kit.citizen.id, draft.id, source.component_id, earlier.id, source.file.key
    )
    assert ref == source.file
    again = kit.portal.dossiers.get(kit.citizen.id, draft.id)
    assert [(a.file, a.reused, a.digitised) for a in again.attachments] == [(ref, True, False)]
    view = kit.portal.dossiers.view(kit.citizen.id, draft.id)
    [line] = [f for c in view.components for f in c.files]
    assert line.reused and line.key == ref.key
    before = kit.snapshot()
    with pytest.raises(DossierNotFound):  # someone else's dossier does not exist for them
        kit.portal.dossiers.reuse_file(
            kit.stranger.id, draft.id, source.component_id, earlier.id, source.file.key
        )
    with pytest.raises(FileNotFoundInStore):
        kit.portal.dossiers.reuse_file(
            kit.citizen.id, draft.id, source.component_id, earlier.id, "0" * 64
        )
    with pytest.raises(InvalidInput) as caught:
        kit.portal.dossiers.reuse_file(
            kit.citizen.id, draft.id, source.component_id, draft.id, source.file.key
        )
    assert caught.value.field == "source_dossier_id"
    with pytest.raises(TransitionNotAllowed):  # the earlier dossier is no draft any more
        kit.portal.dossiers.reuse_file(
            kit.citizen.id, earlier.id, source.component_id, draft.id, source.file.key
        )
    assert kit.snapshot() == before


def test_an_officer_digitises_a_paper_original_at_reception(kit: PortalKit) -> None:
    dossier = kit.submitted()
    component = dossier.procedure.mandatory_components()[0].id
    clerk = kit.officer(WARD)
    before = kit.snapshot()
    with pytest.raises(InvalidAttachment):
        kit.portal.desk.digitise(
            clerk.id, dossier.id, component, b"MZ", filename="scan.exe", media_type="text/x"
        )
    processor = kit.portal.desk.register_officer(
        WARD,
        "Phạm Thị Dung",
        f"{builders.new_id('officer')}@kontum.gov.vn",
        roles=frozenset({OfficerRole.PROCESSING}),
    )
    with pytest.raises(PermissionDenied):
        kit.portal.desk.digitise(
            processor.id, dossier.id, component, PDF, filename="a.pdf", media_type="application/pdf"
        )
    assert kit.snapshot() == before
    ref = kit.portal.desk.digitise(
        clerk.id, dossier.id, component, PDF, filename="scan.pdf", media_type="application/pdf"
    )
    stored = kit.portal.desk.get(clerk.id, dossier.id)
    assert (stored.attachments[-1].file, stored.attachments[-1].digitised) == (ref, True)
    assert stored.history[-1].action == "component_digitised"
    kit.portal.desk.receive(clerk.id, dossier.id)
    kit.portal.desk.start_processing(clerk.id, dossier.id)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.digitise(
            clerk.id, dossier.id, component, PDF, filename="b.pdf", media_type="application/pdf"
        )


def test_a_result_document_is_added_opened_by_the_applicant_and_counted(kit: PortalKit) -> None:
    dossier = kit.submitted(BUDGET)
    officer = kit.officer(FINANCE)
    kit.clock.advance(dt.timedelta(hours=1))
    kit.portal.desk.receive(officer.id, dossier.id)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.attach_result(
            officer.id, dossier.id, PDF, filename="kq.pdf", media_type="application/pdf"
        )
    kit.portal.desk.start_processing(officer.id, dossier.id)
    with pytest.raises(InvalidAttachment) as caught:
        kit.portal.desk.attach_result(
            officer.id, dossier.id, b"<x/>", filename="kq.xml", media_type="application/xml"
        )
    assert caught.value.field == "result.media_type"
    ref = kit.portal.desk.attach_result(
        officer.id, dossier.id, PDF, filename="ket-qua.pdf", media_type="application/pdf"
    )
    kit.portal.desk.decide(officer.id, dossier.id, approved=True)
    with kit.portal.dossiers.open_file(kit.citizen.id, dossier.id, ref.key) as download:
        assert download.read() == PDF
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.open_file(kit.stranger.id, dossier.id, ref.key)
    view = kit.portal.dossiers.view(kit.citizen.id, dossier.id)
    assert [r.key for r in view.results] == [ref.key]
    report = kit.portal.reports.indicators(FINANCE, DAY, DAY + dt.timedelta(days=6))
    assert report.figure(Measure.ELECTRONIC_RESULTS) == Figure(Measure.ELECTRONIC_RESULTS, 1, 1)
    assert report.figure(Measure.ONLINE_END_TO_END) == Figure(Measure.ONLINE_END_TO_END, 1, 1)
    kit.portal.desk.return_result(officer.id, dossier.id)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.desk.attach_result(
            officer.id, dossier.id, PDF, filename="kq2.pdf", media_type="application/pdf"
        )


def test_the_same_bytes_under_two_components_keep_each_its_name(kit: PortalKit) -> None:
    """The file store keeps equal bytes under one key: naming the component opens (or
    reuses) that component's file, with its own name; without it, the first is meant."""
    dossier = kit.submitted()  # the same PDF for every mandatory component, named after it
    first, second = dossier.attachments[0], dossier.attachments[1]
    assert first.file.key == second.file.key and first.file.name != second.file.name
    key = first.file.key

    def name(download: object) -> str:
        with download as opened:  # type: ignore[attr-defined]
            return str(opened.name)

    citizen = kit.portal.dossiers
    assert name(citizen.open_file(kit.citizen.id, dossier.id, key)) == first.file.name
    assert (
        name(citizen.open_file(kit.citizen.id, dossier.id, key, component_id=second.component_id))
        == second.file.name
    )
    clerk = kit.officer(WARD)
    assert (
        name(kit.portal.desk.open_file(clerk.id, dossier.id, key, component_id=second.component_id))
        == second.file.name
    )
    with pytest.raises(FileNotFoundInStore):
        citizen.open_file(kit.citizen.id, dossier.id, key, component_id="not-a-component")
    draft = kit.draft()
    ref = citizen.reuse_file(
        kit.citizen.id,
        draft.id,
        second.component_id,
        dossier.id,
        key,
        source_component_id=second.component_id,
    )
    assert ref == second.file


def test_the_files_a_draft_could_reuse_are_listed_per_component(kit: PortalKit) -> None:
    """Each component gets the applicant's earlier files it accepts, newest dossier first,
    each stored file once; someone else's files never; reusing one of them works."""
    older = kit.submitted()  # one PDF (the same bytes) for each mandatory component
    kit.clock.advance(dt.timedelta(minutes=5))
    newer_draft = kit.draft()
    other_pdf = PDF.replace(b"%%EOF", b"% other\n%%EOF")
    component = newer_draft.procedure.mandatory_components()[0]
    kit.portal.dossiers.attach(
        kit.citizen.id,
        newer_draft.id,
        component.id,
        other_pdf,
        filename="moi.pdf",
        media_type="application/pdf",
    )
    kit.submitted(account=kit.stranger)  # a stranger's files are not offered
    kit.clock.advance(dt.timedelta(minutes=5))
    draft = kit.draft()
    offered = kit.portal.dossiers.reusable_files(kit.citizen.id, draft.id)
    assert set(offered) == {c.id for c in draft.procedure.components}
    for each in draft.procedure.components:
        files = offered[each.id]
        assert len({f.file.key for f in files}) == len(files)  # each stored file once
        for found in files:
            assert found.dossier_id in (older.id, newer_draft.id)
            assert found.file.media_type in each.media_types
            assert found.file.size <= each.max_bytes
    accepting_pdf = [c for c in draft.procedure.components if "application/pdf" in c.media_types]
    first = offered[accepting_pdf[0].id]
    # The newer draft's file first, then the older dossier's (its key once, from the first
    # component holding it); a draft has no code.
    assert [(f.dossier_id, f.file.name) for f in first] == [
        (newer_draft.id, "moi.pdf"),
        (older.id, older.attachments[0].file.name),
    ]
    assert first[0].dossier_code is None and first[1].dossier_code == str(older.code)
    assert first[1].component_id == older.attachments[0].component_id
    ref = kit.portal.dossiers.reuse_file(
        kit.citizen.id,
        draft.id,
        accepting_pdf[0].id,
        first[1].dossier_id,
        first[1].file.key,
        source_component_id=first[1].component_id,
    )
    assert ref == first[1].file
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.reusable_files(kit.stranger.id, draft.id)
