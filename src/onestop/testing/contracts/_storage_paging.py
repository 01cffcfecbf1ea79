"""The storage contract's part for reading long lists one page at a time: a dossier list
sliced by ``offset`` and ``limit`` is exactly that slice of the whole list, and the counts
agree, on every adapter."""

from __future__ import annotations

import datetime as dt

import pytest

from onestop.domain.dossier import Actor
from onestop.domain.statuses import DossierStatus
from onestop.errors import InvalidInput
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._storage_base import (
    OTHER_AGENCY,
    StorageContractBase,
    _commit,
    _ids,
)


class PagingStorageContract(StorageContractBase):
    """Dossier lists by owner and by agency, page by page; part of :class:`StorageContract`."""

    def test_lists_are_read_one_page_at_a_time(self, storage: Storage) -> None:
        clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
        owner = builders.new_id("account")
        submitted = [
            builders.submitted_dossier(
                f"dossier-{n}",
                owner_id=owner,
                now=builders.T0 + dt.timedelta(minutes=(n * 7) % 11),
                seq=n + 1,
            )
            for n in range(7)
        ]
        for dossier in submitted[::3]:
            dossier.refuse_reception(
                officer=clerk, now=builders.T0 + dt.timedelta(hours=1), reason="Sai"
            )
        drafts = [builders.draft_dossier(f"draft-{n}", owner_id=owner) for n in range(2)]

        def add_all(uow: UnitOfWork) -> None:
            for dossier in [*submitted, *drafts]:
                uow.dossiers.add(dossier)

        _commit(storage, add_all)
        refused = frozenset({DossierStatus.RECEPTION_REFUSED})
        with storage.unit_of_work() as uow:
            everyone = _ids(uow.dossiers.list_by_owner(owner))
            queue = _ids(uow.dossiers.list_by_agency(builders.AGENCY))
            refusals = _ids(uow.dossiers.list_by_agency(builders.AGENCY, statuses=refused))
            assert (len(everyone), len(queue), len(refusals)) == (9, 7, 3)
            assert uow.dossiers.count_by_owner(owner) == 9
            assert uow.dossiers.count_by_owner("nobody") == 0
            assert uow.dossiers.count_by_agency(builders.AGENCY) == 7
            assert uow.dossiers.count_by_agency(builders.AGENCY, statuses=refused) == 3
            assert uow.dossiers.count_by_agency(OTHER_AGENCY) == 0
            for offset in range(10):
                for limit in (None, 1, 2, 3, 9):
                    end = None if limit is None else offset + limit
                    assert (
                        _ids(uow.dossiers.list_by_owner(owner, offset=offset, limit=limit))
                        == everyone[offset:end]
                    )
                    assert (
                        _ids(
                            uow.dossiers.list_by_agency(builders.AGENCY, offset=offset, limit=limit)
                        )
                        == queue[offset:end]
                    )
                    assert (
                        _ids(
                            uow.dossiers.list_by_agency(
                                builders.AGENCY, statuses=refused, offset=offset, limit=limit
                            )
                        )
                        == refusals[offset:end]
                    )
            for offset, limit in ((-1, None), (0, 0), (True, None), (0, -2)):
                with pytest.raises(InvalidInput):
                    uow.dossiers.list_by_owner(owner, offset=offset, limit=limit)
                with pytest.raises(InvalidInput):
                    uow.dossiers.list_by_agency(builders.AGENCY, offset=offset, limit=limit)
