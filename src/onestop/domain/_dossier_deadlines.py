"""A dossier's due date: set at receipt, moved when the clock stood still, once by an apology.

A mixin of :class:`~onestop.domain.dossier.Dossier` (split by responsibility). The due date
comes from the procedure's :class:`~onestop.domain.deadlines.DeadlinePolicy` and the portal's
:class:`~onestop.domain.deadlines.Deadlines` (calendar, office hours, default supplement
rule). A limit in working days gives a due date (the whole day counts); a limit in working
hours also gives the due instant (``due_at``). Every due date the dossier ever had is kept in
``due_dates`` with when, by whom and why (DOMAIN section 9: "every old and new due date is
kept").
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Final

from onestop.domain import events as ev
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.deadlines import DeadlinePolicy, Deadlines
from onestop.domain.dossier_parts import (
    Actor,
    DueDateChange,
    DueDateReason,
    note_text,
    require_actor,
)
from onestop.domain.inputs import require_date, require_datetime
from onestop.domain.statuses import ACTIVE_STATUSES, DossierStatus
from onestop.domain.vn_time import VN_TZ, local_day, local_time
from onestop.errors import AlreadyRescheduled, ApologyTooLate, InvalidInput, TransitionNotAllowed

if TYPE_CHECKING:
    from onestop.domain.catalog import Procedure
    from onestop.domain.dossier_parts import HistoryEntry

__all__ = ["MAX_APOLOGY_DAYS_BEFORE", "DeadlineSteps", "deadlines_for"]

S = DossierStatus

#: The most working days before the due date a portal may require an apology to be sent.
MAX_APOLOGY_DAYS_BEFORE: Final = 30

#: A due date and, for a limit in working hours, the due instant.
Due = tuple[dt.date, dt.datetime | None]

_RESCHEDULABLE = (S.RECEIVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED)


@functools.lru_cache(maxsize=16)
def _office_of(calendar: WorkingCalendar) -> Deadlines:
    return Deadlines(calendar)


def deadlines_for(value: object) -> Deadlines:
    """The portal's deadline rules from ``value``: Deadlines as given, or a WorkingCalendar
    with the usual office hours and the ``exclude_wait`` supplement rule."""
    if isinstance(value, Deadlines):
        return value
    if isinstance(value, WorkingCalendar):
        return _office_of(value)
    kind = "None" if value is None else type(value).__name__
    raise InvalidInput(
        "calendar", f"must be the portal's Deadlines or WorkingCalendar, not {kind}", value
    )


def first_due(office: Deadlines, policy: DeadlinePolicy, received_at: dt.datetime) -> Due:
    """The due date (and instant, for hours) of a dossier received at ``received_at``."""
    if policy.limit.unit == "days":
        return office.calendar.due_date(received_at, policy.limit.amount, policy.cutoff), None
    due_at = office.due(received_at, policy)
    return due_at.date(), due_at


def _latest_apology_day(office: Deadlines, due: dt.date, days_before: int) -> dt.date | None:
    """The last day an apology may be sent: ``days_before`` working days before ``due``
    (``due`` itself for 0), or None when no such day is left before year 1."""
    if days_before == 0:
        return due
    day, left = due, days_before
    # Walks back at most MAX_APOLOGY_DAYS_BEFORE working days: a bounded check, not a due
    # date; the calendar refuses runs of years without work, so this ends quickly.
    for _ in range(366 * (MAX_APOLOGY_DAYS_BEFORE + 1)):
        if day == dt.date.min:
            return None
        day -= dt.timedelta(days=1)
        if office.calendar.is_working_day(day):
            left -= 1
            if not left:
                return day
    return None


class DeadlineSteps:
    """Receipt, the clock stopping and starting again, the apology and new date."""

    if not TYPE_CHECKING:  # slots for the dossier; mypy reads the declarations below
        __slots__ = ()

    if TYPE_CHECKING:  # what the mixin needs of the dossier
        id: str
        procedure: Procedure
        status: DossierStatus
        history: tuple[HistoryEntry, ...]
        received_at: dt.datetime | None
        due_date: dt.date | None
        due_at: dt.datetime | None
        due_dates: tuple[DueDateChange, ...]
        paused_since: dt.datetime | None

        @property
        def is_paused(self) -> bool: ...

        def _require(self, action: str, *allowed: DossierStatus) -> None: ...

        def _check_now(self, now: dt.datetime) -> None: ...

        def _move(
            self,
            *,
            now: dt.datetime,
            actor: Actor,
            action: str,
            to: DossierStatus,
            note: str = "",
            event: ev.DomainEvent | None = None,
        ) -> None: ...

    @property
    def due_instant(self) -> dt.datetime | None:
        """When the result is due: ``due_at`` for a limit in hours, else the end of the due
        date (local midnight after it); None before receipt."""
        if self.due_at is not None:
            return self.due_at
        if self.due_date is None:
            return None
        if self.due_date == dt.date.max:
            return dt.datetime.max.replace(tzinfo=VN_TZ)
        return dt.datetime.combine(self.due_date + dt.timedelta(days=1), dt.time(), VN_TZ)

    def is_overdue(self, now: dt.datetime) -> bool:
        """True when the due date has passed and the clock is running (not a status)."""
        require_datetime(now, "now")
        due = self.due_instant
        if due is None or self.status not in ACTIVE_STATUSES or self.is_paused:
            return False
        if self.due_at is None:
            return local_day(now) > self.due_date  # type: ignore[operator]
        return now > due

    def _set_due(self, due: Due, now: dt.datetime, by: Actor, why: DueDateReason) -> None:
        day, at = due
        self.due_date, self.due_at = day, at
        self.due_dates = (*self.due_dates, DueDateChange(day, now, by, why, at))

    def receive(
        self,
        *,
        officer: Actor,
        now: dt.datetime,
        calendar: Deadlines | WorkingCalendar,
        note: str = "",
    ) -> dt.date:
        """Receive the dossier and set the appointment from the procedure's deadline policy
        (``calendar``: the portal's Deadlines, or a WorkingCalendar with the usual hours)."""
        require_actor(officer, "officer")
        require_datetime(now, "now")
        office = deadlines_for(calendar)
        self._require("receive", S.AWAITING_RECEPTION)
        self._check_now(now)
        due = first_due(office, self.procedure.deadline, now)
        day, at = due
        when = f"Hẹn trả kết quả ngày {day:%d/%m/%Y}"
        if at is not None:
            when = f"Hẹn trả kết quả lúc {at:%H:%M} ngày {day:%d/%m/%Y}"
        self._move(
            now=now,
            actor=officer,
            action="received",
            to=S.RECEIVED,
            note=note or when,
            event=ev.DossierReceived(now, self.id, day),
        )
        self.received_at = now
        self._set_due(due, now, officer, DueDateReason.RECEIPT)
        return day

    def _due_after_wait(
        self, now: dt.datetime, office: Deadlines, why: DueDateReason
    ) -> Due | None:
        """The due date once the stopped clock starts again at ``now`` (None: unchanged).

        After a supplement the procedure's rule applies (``restart``: the whole limit from
        the complete dossier); a pause or a wait for payment is always left out of the count.
        """
        stopped = self.paused_since
        if stopped is None or self.due_date is None:
            return None
        policy = self.procedure.deadline
        if why is DueDateReason.SUPPLEMENT and office.rule_for(policy) == "restart":
            due = first_due(office, policy, now)
        elif policy.limit.unit == "days" or self.due_at is None:
            # Days, or hours whose due date an apology set: the whole day counts, so the
            # date moves by the working days waited.
            days = office.calendar.working_days_between(local_day(stopped), local_day(now))
            due = office.calendar.extend(self.due_date, days), None
        else:
            moved = office.after_wait(policy, self.due_at, stopped, now)
            due = local_time(moved).date(), moved
        return None if due == (self.due_date, self.due_at) else due

    def _restart_clock(
        self,
        now: dt.datetime,
        due: Due | None,
        by: Actor,
        why: DueDateReason,
    ) -> None:
        """Start the clock again with the due date :meth:`_due_after_wait` computed."""
        self.paused_since = None
        if due is not None:
            self._set_due(due, now, by, why)

    def resume(
        self,
        *,
        officer: Actor,
        now: dt.datetime,
        calendar: Deadlines | WorkingCalendar,
    ) -> None:
        """Restart the clock; the due date moves by the working time spent paused."""
        require_actor(officer, "officer")
        require_datetime(now, "now")
        office = deadlines_for(calendar)
        self._require("resume", S.PROCESSING)
        if self.paused_since is None:
            raise TransitionNotAllowed("resume", "processing (not paused)")
        self._check_now(now)
        due = self._due_after_wait(now, office, DueDateReason.PAUSE)
        self._restart_clock(now, due, officer, DueDateReason.PAUSE)
        self._move(
            now=now,
            actor=officer,
            action="resumed",
            to=S.PROCESSING,
            note=f"Hẹn trả kết quả ngày {self.due_date:%d/%m/%Y}" if self.due_date else "",
            event=ev.ProcessingResumed(now, self.id, self.due_date),
        )

    def reschedule(
        self,
        *,
        officer: Actor,
        now: dt.datetime,
        new_due_date: dt.date,
        reason: str,
        calendar: Deadlines | WorkingCalendar | None = None,
        days_before: int = 1,
    ) -> None:
        """Set a new appointment date with an apology (Phiếu xin lỗi và hẹn lại ngày trả).

        Allowed once per dossier (AlreadyRescheduled after that), and only up to
        ``days_before`` working days before the due date (ApologyTooLate after that; 0
        allows the due date itself, before the due instant). ``calendar`` says which days
        are working days (the default calendar when None).
        """
        require_actor(officer, "officer")
        require_datetime(now, "now")
        require_date(new_due_date, "new_due_date")
        office = deadlines_for(WorkingCalendar() if calendar is None else calendar)
        if isinstance(days_before, bool) or not isinstance(days_before, int):
            raise InvalidInput("days_before", "must be a whole number of working days", days_before)
        if not 0 <= days_before <= MAX_APOLOGY_DAYS_BEFORE:
            raise InvalidInput(
                "days_before",
                f"must be from 0 to {MAX_APOLOGY_DAYS_BEFORE} working days",
                days_before,
            )
        self._require("reschedule", *_RESCHEDULABLE)
        reason = note_text(reason, "reason", required=True)
        if new_due_date <= local_day(now):
            raise InvalidInput("new_due_date", "must be after today", new_due_date)
        if self.due_date is not None and new_due_date <= self.due_date:
            raise InvalidInput(
                "new_due_date", f"must be after the current due date {self.due_date}", new_due_date
            )
        if any(change.reason is DueDateReason.APOLOGY for change in self.due_dates) or any(
            entry.action == "rescheduled" for entry in self.history
        ):
            raise AlreadyRescheduled(self.id, self.due_date)
        due_instant = self.due_instant
        if self.due_date is not None and due_instant is not None:
            latest = _latest_apology_day(office, self.due_date, days_before)
            if latest is None or local_day(now) > latest or now >= due_instant:
                raise ApologyTooLate(self.due_date, latest)
        self._check_now(now)
        old = self.due_date
        self._move(
            now=now,
            actor=officer,
            action="rescheduled",
            to=self.status,
            note=f"{reason} — Hẹn lại ngày {new_due_date:%d/%m/%Y}",
            event=ev.DossierRescheduled(now, self.id, old, new_due_date, reason),
        )
        self._set_due((new_due_date, None), now, officer, DueDateReason.APOLOGY)
