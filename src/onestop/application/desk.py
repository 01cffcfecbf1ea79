"""The officer's desk: the agency's queue and every action on a dossier (DOMAIN sections 3-4).

An officer sees and acts on the dossiers of their own agency only, and an inactive officer
can do nothing. Each action is one unit of work with optimistic concurrency: when two
officers act on one dossier at once, one succeeds and the other gets ConcurrentUpdate.
That is never retried here: the second officer decided on a dossier that has changed, and
must look at it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.notifications import queue_dossier_mail
from onestop.application.security_log import log_security_event
from onestop.domain.accounts import Officer
from onestop.domain.codes import AgencyCode, local_day
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.statuses import ACTIVE_STATUSES, DossierStatus
from onestop.errors import DossierNotFound, PermissionDenied
from onestop.ports.storage import UnitOfWork

__all__ = ["OfficerDesk"]

T = TypeVar("T")

#: What an action does to a loaded dossier: given the acting officer and the time.
Action = Callable[[Dossier, Actor, dt.datetime], T]


def _active_officer(uow: UnitOfWork, officer_id: str) -> Officer:
    officer = uow.officers.get(officer_id)
    if not officer.active:
        log_security_event(
            "permission.denied", "an inactive officer tried to act", actor_id=officer.id
        )
        raise PermissionDenied(f"officer {officer.id!r} is inactive and can do nothing")
    return officer


def _agency_dossier(uow: UnitOfWork, officer: Officer, dossier_id: str) -> Dossier:
    dossier = uow.dossiers.get(dossier_id)
    if not officer.acts_for(dossier.procedure.agency):
        log_security_event(
            "permission.denied",
            "an officer tried to act on a dossier of another agency",
            actor_id=officer.id,
            dossier_id=dossier.id,
            actor_agency=str(officer.agency),
            dossier_agency=dossier.agency,
        )
        raise PermissionDenied(
            f"dossier {dossier.id!r} belongs to agency {dossier.agency}; "
            f"officer {officer.id!r} works for {officer.agency}"
        )
    if dossier.status is DossierStatus.DRAFT:
        # A draft is the applicant's own business until it is submitted.
        raise DossierNotFound(dossier_id)
    return dossier


@checked_methods
class OfficerDesk:
    """What an agency's officers do: register, see the queue, act on dossiers, apologise."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    # --- officers and reading -----------------------------------------------------------

    def register_officer(self, agency: AgencyCode | str, full_name: str, email: str) -> Officer:
        """A new officer of an agency the catalog knows (AgencyNotFound otherwise)."""
        code = agency if isinstance(agency, AgencyCode) else AgencyCode.parse(agency)
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            uow.catalog.get_agency(code)
            officer = Officer.create(ctx.new_id(), code, full_name, email)
            uow.officers.add(officer)
            uow.commit()
        return officer

    def get(self, officer_id: str, dossier_id: str) -> Dossier:
        """One dossier of the officer's agency."""
        with self._ctx.storage.unit_of_work() as uow:
            return _agency_dossier(uow, _active_officer(uow, officer_id), dossier_id)

    def queue(
        self, officer_id: str, *, statuses: frozenset[DossierStatus] | None = None
    ) -> list[Dossier]:
        """The agency's submitted dossiers (optionally in some statuses), oldest first."""
        with self._ctx.storage.unit_of_work() as uow:
            officer = _active_officer(uow, officer_id)
            return list(uow.dossiers.list_by_agency(officer.agency, statuses=statuses))

    def overdue(self, officer_id: str) -> list[Dossier]:
        """The agency's dossiers past their due date with the clock running, oldest first."""
        now = self._ctx.clock.now()
        with self._ctx.storage.unit_of_work() as uow:
            officer = _active_officer(uow, officer_id)
            dossiers = uow.dossiers.list_by_agency(officer.agency, statuses=ACTIVE_STATUSES)
        return [d for d in dossiers if d.is_overdue(now)]

    # --- actions ------------------------------------------------------------------------

    def _act(self, officer_id: str, dossier_id: str, action: Action[T]) -> T:
        """Load, act, store and queue the mail the action calls for, in one unit of work."""
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            officer = _active_officer(uow, officer_id)
            dossier = _agency_dossier(uow, officer, dossier_id)
            result = action(dossier, Actor.officer(officer.id, officer.full_name), ctx.clock.now())
            uow.dossiers.update(dossier)
            queue_dossier_mail(uow, ctx, dossier, dossier.pull_events())
            uow.commit()
        return result

    def _change(
        self,
        officer_id: str,
        dossier_id: str,
        step: Callable[[Dossier, Actor, dt.datetime], object],
    ) -> Dossier:
        """:meth:`_act` for a step that changes the dossier; returns the changed dossier."""

        def act(d: Dossier, officer: Actor, now: dt.datetime) -> Dossier:
            step(d, officer, now)
            return d

        return self._act(officer_id, dossier_id, act)

    def receive(self, officer_id: str, dossier_id: str, *, note: str = "") -> dt.date:
        """Receive the dossier; returns the appointment date (working days, cutoff applied)."""
        calendar = self._ctx.calendar
        return self._act(
            officer_id,
            dossier_id,
            lambda d, officer, now: d.receive(
                officer=officer, now=now, calendar=calendar, note=note
            ),
        )

    def refuse_reception(self, officer_id: str, dossier_id: str, reason: str) -> Dossier:
        """Refuse to receive the dossier, with the reason the applicant is mailed."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.refuse_reception(officer=o, now=now, reason=reason),
        )

    def request_supplement(self, officer_id: str, dossier_id: str, note: str) -> Dossier:
        """Ask the applicant for missing or corrected documents; the clock stops meanwhile."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.request_supplement(officer=o, now=now, note=note),
        )

    def start_processing(self, officer_id: str, dossier_id: str, note: str = "") -> Dossier:
        """Hand the received dossier to processing."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.start_processing(officer=o, now=now, note=note),
        )

    def pause(self, officer_id: str, dossier_id: str, reason: str) -> Dossier:
        """Stop the statutory clock while processing."""
        return self._change(
            officer_id, dossier_id, lambda d, o, now: d.pause(officer=o, now=now, reason=reason)
        )

    def resume(self, officer_id: str, dossier_id: str) -> Dossier:
        """Restart the clock; the due date moves by the working days spent paused."""
        calendar = self._ctx.calendar
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.resume(officer=o, now=now, calendar=calendar),
        )

    def request_payment(self, officer_id: str, dossier_id: str, note: str = "") -> Dossier:
        """Ask the applicant to pay what is due; the clock stops until it is paid."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.request_payment(officer=o, now=now, note=note),
        )

    def decide(
        self, officer_id: str, dossier_id: str, *, approved: bool, reasons: str = ""
    ) -> Dossier:
        """Record the decision (a refusal needs reasons); the applicant is mailed the result."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.decide(officer=o, now=now, approved=approved, reasons=reasons),
        )

    def return_result(self, officer_id: str, dossier_id: str, note: str = "") -> Dossier:
        """Hand the result over (an approved one only once the fees are paid)."""
        return self._change(
            officer_id, dossier_id, lambda d, o, now: d.return_result(officer=o, now=now, note=note)
        )

    def stop_processing(self, officer_id: str, dossier_id: str, reason: str) -> Dossier:
        """Stop processing for good (dừng xử lý), with the reason."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.stop_processing(officer=o, now=now, reason=reason),
        )

    def send_apology(
        self,
        officer_id: str,
        dossier_id: str,
        *,
        reason: str,
        new_due_date: dt.date | None = None,
    ) -> dt.date:
        """Reschedule with an apology letter mailed to the applicant; returns the new date.

        By default the new date is the procedure's processing time in working days (at
        least one) counted from today, or from the current due date if that is later.
        """
        calendar = self._ctx.calendar

        def act(d: Dossier, officer: Actor, now: dt.datetime) -> dt.date:
            new_date = new_due_date
            if new_date is None:
                start = local_day(now)
                if d.due_date is not None and d.due_date > start:
                    start = d.due_date
                new_date = calendar.add_working_days(start, max(d.procedure.working_days, 1))
            d.reschedule(officer=officer, now=now, new_due_date=new_date, reason=reason)
            return new_date

        return self._act(officer_id, dossier_id, act)
