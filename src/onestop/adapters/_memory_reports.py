"""The in-memory storage's indicator queries (``uow.reports``): the domain's reference rules.

The facts of each dossier of the scope are gathered from the unit of work's view of every
table (dossiers, payments, the sync outbox, accounts, complaints, ratings) and counted by
:func:`onestop.domain.reports.count` and :func:`~onestop.domain.reports.members`, which the
SQL storage's aggregate queries must equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from onestop.adapters._memory_tables import (
    _ACCOUNTS,
    _COMPLAINTS,
    _DOSSIERS,
    _PAYMENTS,
    _PROCEDURES,
    _RATINGS,
    _SYNC,
)
from onestop.adapters._slices import check_slice
from onestop.domain.dossier import Dossier
from onestop.domain.payments import PaymentState
from onestop.domain.reports import (
    DossierFacts,
    IndicatorCounts,
    Measure,
    Part,
    ReportScope,
    check_query,
    count,
    members,
)
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncState

if TYPE_CHECKING:
    from onestop.adapters.memory import InMemoryUnitOfWork


class _Reports:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _facts(self, scope: ReportScope) -> tuple[list[DossierFacts], list[str]]:
        uow = self._uow
        agencies = scope.agencies
        dossiers: list[Dossier] = [
            d
            for d in uow._visible_rows(_DOSSIERS)
            if d.procedure.agency in agencies and d.status is not DossierStatus.DRAFT
        ]
        wanted = {d.id for d in dossiers}
        owners = {d.owner_id for d in dossiers}
        paid = {
            p.dossier_id
            for p in uow._visible_rows(_PAYMENTS)
            if p.dossier_id in wanted and p.state is PaymentState.CONFIRMED
        }
        synced = {
            e.dossier_id
            for e in uow._visible_rows(_SYNC)
            if e.dossier_id in wanted and e.state is SyncState.SENT
        }
        # The owners whose account is linked to a national identity.
        vneid = {a.id for a in uow._visible_rows(_ACCOUNTS) if a.id in owners and a.vneid}
        complaints: dict[str, list[object]] = {}
        for c in uow._visible_rows(_COMPLAINTS):
            if c.dossier_id in wanted:
                complaints.setdefault(c.dossier_id, []).append(c.at)
        poor = {
            r.dossier_id: r.at
            for r in uow._visible_rows(_RATINGS)
            if r.dossier_id in wanted and r.poor
        }
        facts = [
            DossierFacts.of(
                d,
                paid_online=d.id in paid,
                synced=d.id in synced,
                vneid=d.owner_id in vneid,
                complaint_times=complaints.get(d.id, ()),  # type: ignore[arg-type]
                poor_rating_at=poor.get(d.id),
            )
            for d in dossiers
        ]
        procedures = [p.code for p in uow._visible_rows(_PROCEDURES) if p.agency in agencies]
        return facts, procedures

    def indicator_counts(self, scope: ReportScope) -> IndicatorCounts:
        """Every count of a report of ``scope``."""
        self._uow._begin("reports.indicator_counts")
        check_query(scope)
        facts, procedures = self._facts(scope)
        return count(facts, procedures, scope.period)

    def indicator_members(
        self,
        scope: ReportScope,
        measure: Measure,
        part: Part,
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[str]:
        """The ids behind one part of a figure, sorted, one slice of them."""
        self._uow._begin("reports.indicator_members")
        check_query(scope, measure, part)
        check_slice(offset, limit)
        facts, procedures = self._facts(scope)
        found = members(facts, procedures, scope.period, measure, part)
        return found[offset:] if limit is None else found[offset : offset + limit]
