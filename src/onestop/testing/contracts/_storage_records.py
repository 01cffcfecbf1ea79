"""The storage contract's part for what a dossier records of its files: components
digitised at the desk or reused from an earlier dossier, and electronic result documents.

Stored, read back, changed in a later unit of work (a result added to a dossier read in it,
and to one that was not), read back again: the same values on every adapter, and the files
all count as referenced (the file collection keeps them).
"""

from __future__ import annotations

import datetime as dt

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.dossier import Actor, Dossier
from onestop.ports.storage import Storage
from onestop.testing import builders
from onestop.testing.contracts._storage_base import StorageContractBase, _commit, _in_unit
from onestop.testing.contracts._support import assert_same_fields

_CLERK = Actor.officer("officer-records", "Lê Văn Cường")


def _recorded() -> Dossier:
    """A dossier with a reused file, a digitised file and one result, being processed."""
    dossier = builders.draft_dossier()
    component = dossier.procedure.mandatory_components()[0].id
    dossier.attach(component, builders.file_ref(b"%PDF-1.4 earlier"), reused=True)
    now = builders.T0
    dossier.submit(code=builders.dossier_code(7, now=now), now=now)
    dossier.digitise(
        officer=_CLERK, now=now, component_id=component, file=builders.file_ref(b"%PDF scan")
    )
    dossier.receive(officer=_CLERK, now=now, calendar=WorkingCalendar(holidays=frozenset()))
    dossier.start_processing(officer=_CLERK, now=now)
    dossier.add_result(officer=_CLERK, now=now, file=builders.file_ref(b"%PDF-1.4 kq 1"))
    dossier.pull_events()
    return dossier


class RecordsStorageContract(StorageContractBase):
    """Digitised and reused files, result documents; part of :class:`StorageContract`."""

    def test_flags_and_results_round_trip(self, storage: Storage) -> None:
        dossier = _recorded()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        loaded = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert_same_fields(loaded, dossier)
        assert [(a.digitised, a.reused) for a in loaded.attachments][-2:] == [
            (False, True),
            (True, False),
        ]
        assert loaded.results == dossier.results

    def test_a_result_added_later_is_kept_and_its_file_referenced(self, storage: Storage) -> None:
        dossier = _recorded()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        later = builders.file_ref(b"%PDF-1.4 kq 2")
        with storage.unit_of_work() as uow:
            stored = uow.dossiers.get(dossier.id)
            stored.add_result(officer=_CLERK, now=builders.T0 + dt.timedelta(hours=1), file=later)
            uow.dossiers.update(stored)
            uow.commit()
        # A change to a dossier not read in this unit of work rewrites its rows.
        stored.decide(
            officer=_CLERK, now=builders.T0 + dt.timedelta(hours=2), approved=False, reasons="Sai"
        )
        last = builders.file_ref(b"%PDF-1.4 kq 3")
        stored.add_result(officer=_CLERK, now=builders.T0 + dt.timedelta(hours=2), file=last)
        stored.pull_events()
        _commit(storage, lambda uow: uow.dossiers.update(stored))
        loaded = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert_same_fields(loaded, stored)
        assert loaded.results == (*dossier.results, later, last)
        keys = [r.key for r in loaded.results] + [a.file.key for a in loaded.attachments]
        referenced = _in_unit(storage, lambda uow: set(uow.dossiers.referenced_file_keys(keys)))
        assert referenced == set(keys)
