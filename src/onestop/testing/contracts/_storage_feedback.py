"""The storage contract's part for citizens' ratings and complaints (``uow.feedback``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.codes import AgencyCode
from onestop.domain.satisfaction import Complaint, Rating, SatisfactionLevel
from onestop.errors import DuplicateError, InvalidInput
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._storage_base import (
    _PROPERTY,
    OTHER_AGENCY,
    StorageContractBase,
    _commit,
    _in_unit,
    _refused,
)


def _rating(
    dossier_id: str = "dossier-1",
    *,
    agency: AgencyCode = builders.AGENCY,
    level: SatisfactionLevel = SatisfactionLevel.SATISFIED,
    minutes: int = 0,
) -> Rating:
    return Rating(
        dossier_id=dossier_id,
        account_id="account-1",
        agency=str(agency),
        level=level,
        comment="Cán bộ hướng dẫn tận tình",
        at=builders.T0 + dt.timedelta(minutes=minutes),
    )


def _complaint(
    complaint_id: str,
    dossier_id: str = "dossier-1",
    *,
    agency: AgencyCode = builders.AGENCY,
    minutes: int = 0,
) -> Complaint:
    return Complaint(
        id=complaint_id,
        dossier_id=dossier_id,
        account_id="account-1",
        agency=str(agency),
        text=f"Hồ sơ trễ hẹn ({complaint_id})",
        at=builders.T0 + dt.timedelta(minutes=minutes),
    )


def _adding(*records: Rating | Complaint) -> Callable[[UnitOfWork], None]:
    def write(uow: UnitOfWork) -> None:
        for record in records:
            if isinstance(record, Rating):
                uow.feedback.add_rating(record)
            else:
                uow.feedback.add_complaint(record)

    return write


class FeedbackStorageContract(StorageContractBase):
    """Ratings are one per dossier; complaints are listed per dossier and per agency."""

    def test_a_rating_is_read_back_as_stored(self, storage: Storage) -> None:
        rating = _rating(level=SatisfactionLevel.DISSATISFIED)
        _commit(storage, lambda uow: uow.feedback.add_rating(rating))
        assert _in_unit(storage, lambda uow: uow.feedback.rating_of("dossier-1")) == rating
        assert _in_unit(storage, lambda uow: uow.feedback.rating_of("dossier-2")) is None

    def test_a_dossier_is_rated_once(self, storage: Storage) -> None:
        _commit(storage, lambda uow: uow.feedback.add_rating(_rating()))
        caught = _refused(
            storage,
            DuplicateError,
            lambda uow: uow.feedback.add_rating(_rating(level=SatisfactionLevel.VERY_SATISFIED)),
        )
        assert isinstance(caught.value, DuplicateError)
        assert caught.value.field == "rating.id"
        found = _in_unit(storage, lambda uow: uow.feedback.rating_of("dossier-1"))
        assert found == _rating()

    def test_a_rating_rolled_back_leaves_nothing(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            uow.feedback.add_rating(_rating())
            assert uow.feedback.rating_of("dossier-1") == _rating()  # its own write
        assert _in_unit(storage, lambda uow: uow.feedback.rating_of("dossier-1")) is None

    def test_complaints_of_a_dossier_oldest_first(self, storage: Storage) -> None:
        later = _complaint("c-b", minutes=5)
        earlier = _complaint("c-a", minutes=1)
        other = _complaint("c-c", "dossier-2", minutes=2)
        _commit(storage, _adding(later, earlier, other))
        found = _in_unit(storage, lambda uow: list(uow.feedback.complaints_of("dossier-1")))
        assert found == [earlier, later]

    def test_a_complaint_id_is_unique(self, storage: Storage) -> None:
        _commit(storage, lambda uow: uow.feedback.add_complaint(_complaint("c-1")))
        caught = _refused(
            storage,
            DuplicateError,
            lambda uow: uow.feedback.add_complaint(_complaint("c-1", "dossier-2")),
        )
        assert isinstance(caught.value, DuplicateError)
        assert caught.value.field == "complaint.id"

    def test_complaints_of_an_agency_newest_first_in_slices(self, storage: Storage) -> None:
        mine = [_complaint(f"c-{i}", f"d-{i}", minutes=i) for i in range(5)]
        theirs = _complaint("c-other", "d-other", agency=OTHER_AGENCY, minutes=9)
        _commit(storage, _adding(*mine, theirs))
        newest_first = list(reversed(mine))

        def listed(offset: int, limit: int | None) -> list[Complaint]:
            return _in_unit(
                storage,
                lambda uow: list(
                    uow.feedback.list_complaints(builders.AGENCY, offset=offset, limit=limit)
                ),
            )

        assert listed(0, None) == newest_first
        assert listed(1, 2) == newest_first[1:3]
        assert listed(4, 10) == newest_first[4:]
        assert listed(9, 1) == []
        assert _in_unit(storage, lambda uow: uow.feedback.count_complaints(builders.AGENCY)) == 5
        assert _in_unit(storage, lambda uow: uow.feedback.count_complaints(OTHER_AGENCY)) == 1

    @pytest.mark.parametrize(("offset", "limit"), [(-1, None), (0, 0), (True, 1), (0, -3)])
    def test_a_bad_slice_is_refused(self, storage: Storage, offset: int, limit: int) -> None:
        with storage.unit_of_work() as uow, pytest.raises(InvalidInput):
            uow.feedback.list_complaints(builders.AGENCY, offset=offset, limit=limit)

    @_PROPERTY
    @given(
        minutes=st.lists(st.integers(0, 30), min_size=0, max_size=8),
        offset=st.integers(0, 9),
        limit=st.none() | st.integers(1, 9),
    )
    def test_listing_is_a_slice_of_the_newest_first_order(
        self, minutes: list[int], offset: int, limit: int | None
    ) -> None:
        """Equal times are ordered by id, newest (largest) first, on every adapter."""
        complaints = [_complaint(f"c-{i:02d}", f"d-{i}", minutes=m) for i, m in enumerate(minutes)]
        with self.example_storage() as storage:
            if complaints:
                _commit(storage, _adding(*complaints))
            found = _in_unit(
                storage,
                lambda uow: list(
                    uow.feedback.list_complaints(builders.AGENCY, offset=offset, limit=limit)
                ),
            )
        model = sorted(complaints, key=lambda c: (c.at, c.id), reverse=True)
        end = None if limit is None else offset + limit
        assert found == model[offset:end]
