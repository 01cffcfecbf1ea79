"""The SQL storage's ratings and complaints (``uow.feedback``): plain columns, no document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import bindparam, func, select

from onestop.adapters._slices import check_slice
from onestop.adapters.sql import schema as t
from onestop.adapters.sql._repositories import _Repository
from onestop.adapters.sql._rows import _Row
from onestop.adapters.sql._statements import _ALL_ROWS, _INSERT
from onestop.domain.codes import AgencyCode
from onestop.domain.satisfaction import Complaint, Rating, SatisfactionLevel
from onestop.errors import InvalidInput, StorageError

_RATING_OF: Final = select(t.ratings).where(t.ratings.c.dossier_id == bindparam("p_dossier_id"))
_COMPLAINTS_OF: Final = (
    select(t.complaints)
    .where(t.complaints.c.dossier_id == bindparam("p_dossier_id"))
    .order_by(t.complaints.c.at, t.complaints.c.id)
)
_NEWEST_FIRST: Final = (t.complaints.c.at.desc(), t.complaints.c.id.desc())
_COMPLAINTS_OF_AGENCY: Final = (
    select(t.complaints)
    .where(t.complaints.c.agency == bindparam("p_agency"))
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("p_limit"))
    .offset(bindparam("p_offset"))
)
_COUNT_COMPLAINTS: Final = select(func.count().label("n")).where(
    t.complaints.c.agency == bindparam("p_agency")
)


def _rating(row: _Row) -> Rating:
    try:
        return Rating(
            dossier_id=row["dossier_id"],
            account_id=row["account_id"],
            agency=row["agency"],
            level=SatisfactionLevel(row["level"]),
            comment=row["comment"],
            at=row["at"],
        )
    except Exception as e:
        raise StorageError(f"a stored Rating cannot be read back: {e}") from e


def _complaint(row: _Row) -> Complaint:
    try:
        return Complaint(
            id=row["id"],
            dossier_id=row["dossier_id"],
            account_id=row["account_id"],
            agency=row["agency"],
            text=row["text"],
            at=row["at"],
        )
    except Exception as e:
        raise StorageError(f"a stored Complaint cannot be read back: {e}") from e


def _rating_row(r: Rating) -> dict[str, Any]:
    return {
        "dossier_id": r.dossier_id,
        "account_id": r.account_id,
        "agency": r.agency,
        "level": r.level.value,
        "comment": r.comment,
        "at": r.at,
    }


def _complaint_row(c: Complaint) -> dict[str, Any]:
    return {
        "id": c.id,
        "dossier_id": c.dossier_id,
        "account_id": c.account_id,
        "agency": c.agency,
        "text": c.text,
        "at": c.at,
    }


class _Feedback(_Repository):
    def add_rating(self, rating: Rating) -> None:
        """Store a rating; a dossier already rated raises DuplicateError."""
        if not isinstance(rating, Rating):
            raise InvalidInput("rating", "must be a Rating", rating)
        uow = self._uow
        connection = uow._write("feedback.add_rating")
        uow._execute(
            connection,
            "feedback.add_rating",
            _INSERT[t.ratings.name],
            _rating_row(rating),
            values={"rating.id": rating.dossier_id},
        )

    def rating_of(self, dossier_id: str) -> Rating | None:
        """The dossier's rating, if it was rated."""
        return self._uow._one(
            "feedback.rating_of", _RATING_OF, {"p_dossier_id": dossier_id}, _rating
        )

    def add_complaint(self, complaint: Complaint) -> None:
        """Store a complaint; a taken id raises DuplicateError."""
        if not isinstance(complaint, Complaint):
            raise InvalidInput("complaint", "must be a Complaint", complaint)
        uow = self._uow
        connection = uow._write("feedback.add_complaint")
        uow._execute(
            connection,
            "feedback.add_complaint",
            _INSERT[t.complaints.name],
            _complaint_row(complaint),
            values={"complaint.id": complaint.id},
        )

    def complaints_of(self, dossier_id: str) -> Sequence[Complaint]:
        """One dossier's complaints, oldest first."""
        return self._uow._all(
            "feedback.complaints_of", _COMPLAINTS_OF, {"p_dossier_id": dossier_id}, _complaint
        )

    def list_complaints(
        self, agency: AgencyCode, *, offset: int = 0, limit: int | None = None
    ) -> Sequence[Complaint]:
        """The complaints about dossiers of ``agency``, newest first, one slice of them."""
        check_slice(offset, limit)
        return self._uow._all(
            "feedback.list_complaints",
            _COMPLAINTS_OF_AGENCY,
            {
                "p_agency": str(agency),
                "p_offset": offset,
                "p_limit": _ALL_ROWS if limit is None else limit,
            },
            _complaint,
        )

    def count_complaints(self, agency: AgencyCode) -> int:
        """How many complaints there are about dossiers of ``agency``."""
        found = self._uow._one(
            "feedback.count_complaints",
            _COUNT_COMPLAINTS,
            {"p_agency": str(agency)},
            lambda row: int(row["n"]),
        )
        return 0 if found is None else found
