"""Electronic results, digitised and reused component files on the dossier (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.dossier import Actor, Dossier
from onestop.errors import InvalidAttachment, InvalidInput, TransitionNotAllowed
from onestop.testing import builders

OFFICER = Actor.officer("o-1", "Lê Văn Cường")
RESULT = builders.file_ref(b"%PDF-1.4 ket qua", name="ket-qua.pdf")


def _submitted() -> Dossier:
    dossier = builders.draft_dossier()
    dossier.submit(code=builders.dossier_code(1, now=builders.T0), now=builders.T0)
    return dossier


def test_a_result_is_added_while_processing_or_decided_never_after_it_is_returned() -> None:
    dossier = _submitted()
    now = builders.T0 + dt.timedelta(hours=1)
    with pytest.raises(TransitionNotAllowed):
        dossier.add_result(officer=OFFICER, now=now, file=RESULT)
    dossier.receive(officer=OFFICER, now=now, calendar=WorkingCalendar())
    dossier.start_processing(officer=OFFICER, now=now)
    dossier.add_result(officer=OFFICER, now=now, file=RESULT)
    dossier.add_result(officer=OFFICER, now=now, file=RESULT)  # the same file adds nothing
    assert dossier.results == (RESULT,)
    assert dossier.history[-1].action == "result_added"
    dossier.decide(officer=OFFICER, now=now, approved=False, reasons="Không đủ")
    other = builders.file_ref(b"%PDF-1.4 tu choi")
    dossier.add_result(officer=OFFICER, now=now, file=other)
    assert dossier.results == (RESULT, other)
    dossier.return_result(officer=OFFICER, now=now)
    with pytest.raises(TransitionNotAllowed):
        dossier.add_result(officer=OFFICER, now=now, file=builders.file_ref(b"late"))


def test_digitising_marks_the_file_and_follows_the_component_rules() -> None:
    dossier = _submitted()
    component = dossier.procedure.mandatory_components()[0].id
    scan = builders.file_ref(b"%PDF-1.4 scan")
    dossier.digitise(officer=OFFICER, now=builders.T0, component_id=component, file=scan)
    assert dossier.attachments[-1].digitised
    assert not dossier.attachments[-1].reused
    assert dossier.history[-1].action == "component_digitised"
    with pytest.raises(InvalidAttachment):
        dossier.digitise(
            officer=OFFICER,
            now=builders.T0,
            component_id=component,
            file=builders.file_ref(b"exe", media_type="application/x-msdownload"),
        )
    with pytest.raises(InvalidInput):
        dossier.digitise(officer=OFFICER, now=builders.T0, component_id="nope", file=scan)


def test_reuse_is_a_flag_of_the_attached_file_and_must_be_a_bool() -> None:
    dossier = builders.draft_dossier(attach=False)
    component = dossier.procedure.mandatory_components()[0].id
    dossier.attach(component, builders.file_ref(), reused=True)
    assert dossier.attachments[-1].reused
    with pytest.raises(InvalidInput):
        dossier.attach(component, builders.file_ref(b"x"), reused="yes")  # type: ignore[arg-type]
