"""``portal.indicators``: the service indicators of an agency and period, from our records.

The facts of each dossier (:class:`~onestop.domain.indicators.DossierFacts`) are read from
the dossier, its payments and the sync outbox; the arithmetic is
:func:`onestop.domain.indicators.compute`. This reads the agency's dossiers through the
storage port (in Python); computing in SQL is left to a later change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.sync import channel
from onestop.domain.codes import AgencyCode, local_day
from onestop.domain.dossier import Dossier
from onestop.domain.indicators import DossierFacts, Indicators, compute
from onestop.domain.payments import Payment, PaymentState
from onestop.domain.statuses import DossierStatus
from onestop.errors import InvalidInput, NotFound

__all__ = ["IndicatorService", "facts_of"]

_CLOSED = {"reception_refused", "withdrawn", "stopped"}
_CLOCK_STOPPED = frozenset({DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.PAYMENT_REQUESTED})


def _status_at(dossier: Dossier, moment: dt.datetime) -> tuple[DossierStatus | None, bool]:
    """The dossier's status at ``moment``, and whether its clock was stopped then."""
    status: DossierStatus | None = None
    paused = False
    for entry in dossier.history:
        if entry.at > moment:
            break
        status = entry.to_status
        if entry.action == "paused":
            paused = True
        elif entry.action in ("resumed", "payment_completed", "resubmitted"):
            paused = False
    return status, paused or status in _CLOCK_STOPPED


def facts_of(
    dossier: Dossier,
    payments: Sequence[Payment],
    *,
    synced: bool,
    period_end: dt.datetime,
    vneid: bool | None = None,
) -> DossierFacts:
    """What ``dossier`` contributes to the indicators, read from its record.

    ``vneid`` is whether the owner's account is identified through VNeID (None: no account
    to tell, such as a dossier filed at the desk for someone without one).
    """
    closed = [h.at for h in dossier.history if h.action in _CLOSED]
    decided_at = dossier.decision.at if dossier.decision is not None else None
    _, paused = _status_at(dossier, period_end)
    # The channel as the national portal is told it.
    online = channel(dossier) == "2"
    return DossierFacts(
        dossier_id=dossier.id,
        procedure_code=dossier.procedure.code,
        received_on=local_day(dossier.received_at) if dossier.received_at else None,
        due_date=dossier.due_date,
        decided_at=decided_at,
        decided_on=local_day(decided_at) if decided_at else None,
        received_at=dossier.received_at,
        closed_on=local_day(closed[-1]) if closed else None,
        supplement_requests=sum(h.action == "supplement_requested" for h in dossier.history),
        rescheduled=any(h.action == "rescheduled" for h in dossier.history),
        paused_at_end=paused,
        online=online,
        has_fees=dossier.total_fees > 0,
        paid_online=any(p.state is PaymentState.CONFIRMED for p in payments),
        vneid=vneid,
        synced=synced,
    )


@checked_methods
class IndicatorService:
    """The indicators of an agency (with its sub-agencies or not) over a period."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def compute(
        self,
        agency: AgencyCode | str,
        start: dt.date,
        end: dt.date,
        *,
        include_subagencies: bool = True,
    ) -> Indicators:
        """The figures for local days ``start`` to ``end`` (both included)."""
        code = agency if isinstance(agency, AgencyCode) else AgencyCode.parse(agency)
        if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
            raise InvalidInput("period", "must be two dates, the end not before the start")
        # The end of the last day, in Vietnam time: what "at the end of the period" means.
        period_end = dt.datetime.combine(
            end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=7))
        ) - dt.timedelta(microseconds=1)
        with self._ctx.storage.unit_of_work() as uow:
            agencies = [
                a.code
                for a in uow.catalog.list_agencies()
                if a.code == code or (include_subagencies and code.is_ancestor_of(a.code))
            ]
            if code not in agencies:
                agencies.append(code)
            dossiers: list[Dossier] = []
            procedures: list[str] = []
            for each in agencies:
                dossiers.extend(uow.dossiers.list_by_agency(each))
                procedures.extend(p.code for p in uow.catalog.list_procedures(agency=each))
            synced = uow.sync.sent_dossier_ids(d.id for d in dossiers)
            vneid: dict[str, bool | None] = {}
            for owner_id in {d.owner_id for d in dossiers}:
                try:
                    vneid[owner_id] = uow.accounts.get(owner_id).vneid
                except NotFound:
                    vneid[owner_id] = None
            facts = [
                facts_of(
                    d,
                    uow.payments.list_by_dossier(d.id),
                    synced=d.id in synced,
                    period_end=period_end,
                    vneid=vneid[d.owner_id],
                )
                for d in dossiers
            ]
        return compute(facts, start=start, end=end, procedures=procedures)
