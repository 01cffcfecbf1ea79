"""Due dates at the desk: the dossiers due soon, and the default new date of an apology.

:func:`dossiers_due_soon` is what ``portal.desk.due_soon`` answers: the agency's running
dossiers whose due moment falls within a working time (``TimeLimit``: working days or
hours, counted on the portal's calendar and office hours) or a plain ``timedelta`` from now,
soonest first, one page at a time, so that an officer can act (or apologise) in time.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from onestop.application.context import AppContext
from onestop.application.pagination import Page, check_page
from onestop.application.rights import active_officer
from onestop.domain.codes import local_day
from onestop.domain.deadlines import Deadlines, TimeLimit
from onestop.domain.dossier import Dossier
from onestop.domain.statuses import ACTIVE_STATUSES
from onestop.errors import InvalidInput

__all__ = ["DEFAULT_DUE_SOON", "MAX_DUE_SOON", "default_new_date", "dossiers_due_soon"]

#: What "due soon" means when the officer does not say: within one working day.
DEFAULT_DUE_SOON: Final = TimeLimit(1, "days")
#: The farthest a due-soon list looks ahead as a plain duration: a year.
MAX_DUE_SOON: Final = dt.timedelta(days=366)


def _horizon(office: Deadlines, now: dt.datetime, within: TimeLimit | dt.timedelta) -> dt.datetime:
    """The last due moment that counts as soon."""
    if isinstance(within, dt.timedelta):
        if not dt.timedelta(0) <= within <= MAX_DUE_SOON:
            raise InvalidInput("within", "must be a duration from 0 to 366 days", within)
        return now + within
    if within.unit == "hours":
        return office.add_working_minutes(now, within.amount * 60)
    return office.due_on(office.calendar.add_working_days(local_day(now), within.amount))


def due_moment(office: Deadlines, dossier: Dossier) -> dt.datetime | None:
    """When ``dossier`` is due: its due instant (limits in hours) or the end of the office's
    last session on its due date."""
    if dossier.due_at is not None:
        return dossier.due_at
    if dossier.due_date is None:
        return None
    return office.due_on(dossier.due_date)


def dossiers_due_soon(
    ctx: AppContext,
    officer_id: str,
    within: TimeLimit | dt.timedelta,
    page: int,
    page_size: int | None,
) -> Page[Dossier]:
    """One page of the agency's running dossiers due between now and ``within`` from now,
    soonest first (overdue and paused dossiers are not listed: see ``desk.overdue``)."""
    settings = ctx.settings
    number, size = check_page(
        page, page_size, default=settings.page_size, maximum=settings.max_page_size
    )
    office = ctx.deadlines
    now = ctx.clock.now()
    horizon = _horizon(office, now, within)
    with ctx.storage.unit_of_work() as uow:
        officer = active_officer(uow, officer_id)
        dossiers = uow.dossiers.list_due_by_agency(
            officer.agency, due_by=local_day(horizon), statuses=ACTIVE_STATUSES
        )
    soon: list[tuple[dt.datetime, str, Dossier]] = []
    for dossier in dossiers:
        due = due_moment(office, dossier)
        if due is None or dossier.is_paused or dossier.is_overdue(now):
            continue
        if due <= horizon:
            soon.append((due, dossier.id, dossier))
    soon.sort(key=lambda item: (item[0], item[1]))  # the due instant orders within a day
    return Page.of([d for _, _, d in soon], page=number, page_size=size)


def default_new_date(office: Deadlines, dossier: Dossier, now: dt.datetime) -> dt.date:
    """The new date an apology gives when the officer names none: the procedure's time
    limit again (at least one working day), counted from the current due date."""
    start = local_day(now)
    if dossier.due_date is not None and dossier.due_date > start:
        start = dossier.due_date
    limit = dossier.procedure.time_limit
    if limit.unit == "days":
        return office.calendar.add_working_days(start, max(limit.amount, 1))
    moved = office.add_working_minutes(office.due_on(start), limit.amount * 60)
    if moved.date() > start:
        return moved.date()
    return office.calendar.next_working_day(start)
