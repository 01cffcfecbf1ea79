"""The officer's desk: officers, their login, the queue and every action (DOMAIN sections 3-4).

An officer sees and acts on the dossiers of their own agency only, each action needs the
role it belongs to (reception, processing, approval, return; accounting for payments under
review: :class:`OfficerRole`), and a deactivated officer can do nothing. A refusal is
:class:`PermissionDenied`, logged as the security event ``permission.denied``. Officers
log in like citizens (:meth:`OfficerDesk.log_in`: the same scrypt hashing, one error for an
unknown email and a wrong password, the same lockout), or through the host's single sign-on
(:meth:`OfficerDesk.log_in_external`). Creating, deactivating and reactivating officers,
changing their roles and setting their passwords are recorded in the audit trail
(:mod:`onestop.application.audit`) in the same unit of work.

Each action is one unit of work with optimistic concurrency: when two officers act on one
dossier at once, one succeeds and the other gets ConcurrentUpdate. That is never retried
here: the second officer decided on a dossier that has changed, and must look at it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import BinaryIO, Literal, TypeVar, overload

from onestop.application import satisfaction
from onestop.application._desk_officers import OfficerAccounts
from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.downloads import FileDownload, open_attached
from onestop.application.due_dates import DEFAULT_DUE_SOON, default_new_date, dossiers_due_soon
from onestop.application.notifications import queue_dossier_mail
from onestop.application.pagination import Page, fetch_page, page_or_list
from onestop.application.rights import active_officer, agency_dossier, require_role
from onestop.application.sync import queue_dossier_sync
from onestop.application.uploads import (
    RESULT_MAX_BYTES,
    RESULT_MEDIA_TYPES,
    display_name,
    require_status,
    store_component_file,
    store_upload,
)
from onestop.application.views import DossierView
from onestop.domain.accounts import OfficerRole
from onestop.domain.codes import local_day
from onestop.domain.deadlines import TimeLimit
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.files import FileRef
from onestop.domain.satisfaction import Complaint
from onestop.domain.statuses import ACTIVE_STATUSES, DossierStatus
from onestop.errors import (
    InvalidInput,
)

__all__ = ["OfficerDesk"]

R = OfficerRole

T = TypeVar("T")

#: What an action does to a loaded dossier: given the acting officer and the time.
Action = Callable[[Dossier, Actor, dt.datetime], T]


def _statuses(statuses: Iterable[DossierStatus]) -> frozenset[DossierStatus]:
    """Any collection of statuses as a set; InvalidInput names an element that is not one."""
    chosen = tuple(statuses)
    for i, status in enumerate(chosen):
        if not isinstance(status, DossierStatus):
            raise InvalidInput(f"statuses[{i}]", "must be a DossierStatus", status)
    return frozenset(chosen)


@checked_methods
class OfficerDesk(OfficerAccounts):
    """What an agency's officers do: register, see the queue, act on dossiers, apologise."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._dummy_hash: str | None = None

    def get(self, officer_id: str, dossier_id: str) -> Dossier:
        """One dossier of the officer's agency."""
        with self._ctx.storage.unit_of_work() as uow:
            return agency_dossier(uow, active_officer(uow, officer_id), dossier_id)

    def view(self, officer_id: str, dossier_id: str, *, locale: str | None = None) -> DossierView:
        """A dossier of the officer's agency as the officer's screen shows it, formatted.

        ``locale`` is "vi" or "en" (``Settings.locale`` when None).
        """
        dossier = self.get(officer_id, dossier_id)
        return DossierView.of(
            dossier, now=self._ctx.clock.now(), locale=locale or self._ctx.settings.locale
        )

    def open_file(
        self,
        officer_id: str,
        dossier_id: str,
        file_key: str,
        *,
        component_id: str | None = None,
        disposition: Literal["attachment", "inline"] = "attachment",
    ) -> FileDownload:
        """Open a file attached to a dossier of the officer's agency, to read it.

        ``component_id`` names the component the file is attached to, when the same bytes
        are attached to two. PermissionDenied for another agency's dossier or an inactive
        officer; a key not attached to this dossier (or to that component) is
        FileNotFoundInStore. The caller closes the download.
        """
        with self._ctx.storage.unit_of_work() as uow:
            dossier = agency_dossier(uow, active_officer(uow, officer_id), dossier_id)
        return open_attached(self._ctx.file_store, dossier, file_key, disposition, component_id)

    @overload
    def queue(
        self,
        officer_id: str,
        *,
        statuses: Iterable[DossierStatus] | None = None,
        page: None = None,
        page_size: None = None,
    ) -> list[Dossier]: ...
    @overload
    def queue(
        self,
        officer_id: str,
        *,
        statuses: Iterable[DossierStatus] | None = None,
        page: int,
        page_size: int | None = None,
    ) -> Page[Dossier]: ...
    @overload
    def queue(
        self,
        officer_id: str,
        *,
        statuses: Iterable[DossierStatus] | None = None,
        page: int | None = None,
        page_size: int,
    ) -> Page[Dossier]: ...
    def queue(
        self,
        officer_id: str,
        *,
        statuses: Iterable[DossierStatus] | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[Dossier] | list[Dossier]:
        """The agency's submitted dossiers (optionally in some statuses), oldest first.

        ``statuses`` is any collection of statuses. One page (from 1, ``page_size`` up to
        ``Settings.max_page_size``); without ``page`` the whole list, deprecated.
        """
        wanted = None if statuses is None else _statuses(statuses)
        settings = self._ctx.settings
        with self._ctx.storage.unit_of_work() as uow:
            agency = active_officer(uow, officer_id).agency
            return fetch_page(
                lambda offset, limit: uow.dossiers.list_by_agency(
                    agency, statuses=wanted, offset=offset, limit=limit
                ),
                lambda: uow.dossiers.count_by_agency(agency, statuses=wanted),
                page,
                page_size,
                default=settings.page_size,
                maximum=settings.max_page_size,
                method="OfficerDesk.queue",
            )

    @overload
    def overdue(
        self, officer_id: str, *, page: None = None, page_size: None = None
    ) -> list[Dossier]: ...
    @overload
    def overdue(
        self, officer_id: str, *, page: int, page_size: int | None = None
    ) -> Page[Dossier]: ...
    @overload
    def overdue(
        self, officer_id: str, *, page: int | None = None, page_size: int
    ) -> Page[Dossier]: ...
    def overdue(
        self, officer_id: str, *, page: int | None = None, page_size: int | None = None
    ) -> Page[Dossier] | list[Dossier]:
        """The agency's dossiers past their due date with the clock running, the longest
        overdue first (then by id).

        Only the dossiers due by today are read (the storage's due-date index), then those
        whose clock is stopped or whose due hour has not come are left out. Paged as
        :meth:`queue`.
        """
        now = self._ctx.clock.now()
        with self._ctx.storage.unit_of_work() as uow:
            officer = active_officer(uow, officer_id)
            dossiers = uow.dossiers.list_due_by_agency(
                officer.agency, due_by=local_day(now), statuses=ACTIVE_STATUSES
            )
        late = [d for d in dossiers if d.is_overdue(now)]
        return self._paged(late, page, page_size, "OfficerDesk.overdue")

    def due_soon(
        self,
        officer_id: str,
        *,
        within: TimeLimit | dt.timedelta = DEFAULT_DUE_SOON,
        page: int = 1,
        page_size: int | None = None,
    ) -> Page[Dossier]:
        """The agency's running dossiers due within ``within`` from now (a TimeLimit in
        working days or hours, or a timedelta; one working day by default), soonest first,
        to act or apologise in time. One page (from 1, ``page_size`` up to
        ``Settings.max_page_size``)."""
        return dossiers_due_soon(self._ctx, officer_id, within, page, page_size)

    def complaints(
        self, officer_id: str, *, page: int = 1, page_size: int | None = None
    ) -> Page[Complaint]:
        """The complaints (phản ánh, kiến nghị) citizens left about the agency's dossiers,
        newest first, one page (from 1, ``page_size`` up to ``Settings.max_page_size``)."""
        return satisfaction.complaints_of_agency(self._ctx, officer_id, page, page_size)

    def _paged(
        self, found: list[Dossier], page: int | None, page_size: int | None, method: str
    ) -> Page[Dossier] | list[Dossier]:
        settings = self._ctx.settings
        return page_or_list(
            found,
            page,
            page_size,
            default=settings.page_size,
            maximum=settings.max_page_size,
            method=method,
            stacklevel=5,  # past _paged, the method and checked_methods' wrapper
        )

    # --- actions ------------------------------------------------------------------------

    def _act(
        self,
        officer_id: str,
        dossier_id: str,
        action: Action[T],
        roles: frozenset[OfficerRole],
        name: str,
    ) -> T:
        """Load, act, store and queue the mail the action calls for, in one unit of work.

        The officer must be active, of the dossier's agency, and hold one of ``roles``.
        """
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            officer = active_officer(uow, officer_id)
            require_role(officer, roles, name)
            dossier = agency_dossier(uow, officer, dossier_id)
            result = action(dossier, Actor.officer(officer.id, officer.full_name), ctx.clock.now())
            uow.dossiers.update(dossier)
            queue_dossier_mail(uow, ctx, dossier, dossier.pull_events())
            queue_dossier_sync(uow, ctx, dossier)
            uow.commit()
        return result

    def _change(
        self,
        officer_id: str,
        dossier_id: str,
        step: Callable[[Dossier, Actor, dt.datetime], object],
        roles: frozenset[OfficerRole],
        name: str,
    ) -> Dossier:
        """:meth:`_act` for a step that changes the dossier; returns the changed dossier."""

        def act(d: Dossier, officer: Actor, now: dt.datetime) -> Dossier:
            step(d, officer, now)
            return d

        return self._act(officer_id, dossier_id, act, roles, name)

    def receive(self, officer_id: str, dossier_id: str, *, note: str = "") -> Dossier:
        """Receive the dossier; returns it, its ``due_date`` the appointment date.

        The appointment follows the procedure's deadline policy (working days, or working
        hours with ``due_at`` the due instant), with its cutoff applied.
        """
        calendar = self._ctx.deadlines
        return self._change(
            officer_id,
            dossier_id,
            lambda d, officer, now: d.receive(
                officer=officer, now=now, calendar=calendar, note=note
            ),
            frozenset({R.RECEPTION}),
            "receive",
        )

    def refuse_reception(self, officer_id: str, dossier_id: str, reason: str) -> Dossier:
        """Refuse to receive the dossier, with the reason the applicant is mailed."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.refuse_reception(officer=o, now=now, reason=reason),
            frozenset({R.RECEPTION}),
            "refuse_reception",
        )

    def request_supplement(self, officer_id: str, dossier_id: str, note: str) -> Dossier:
        """Ask the applicant for missing or corrected documents; the clock stops meanwhile."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.request_supplement(officer=o, now=now, note=note),
            frozenset({R.RECEPTION}),
            "request_supplement",
        )

    def start_processing(self, officer_id: str, dossier_id: str, note: str = "") -> Dossier:
        """Hand the received dossier to processing."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.start_processing(officer=o, now=now, note=note),
            frozenset({R.PROCESSING}),
            "start_processing",
        )

    def pause(self, officer_id: str, dossier_id: str, reason: str) -> Dossier:
        """Stop the statutory clock while processing."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.pause(officer=o, now=now, reason=reason),
            frozenset({R.PROCESSING}),
            "pause",
        )

    def resume(self, officer_id: str, dossier_id: str) -> Dossier:
        """Restart the clock; the due date moves by the working time spent paused."""
        calendar = self._ctx.deadlines
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.resume(officer=o, now=now, calendar=calendar),
            frozenset({R.PROCESSING}),
            "resume",
        )

    def request_payment(self, officer_id: str, dossier_id: str, note: str = "") -> Dossier:
        """Ask the applicant to pay what is due; the clock stops until it is paid."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.request_payment(officer=o, now=now, note=note),
            frozenset({R.PROCESSING}),
            "request_payment",
        )

    def decide(
        self,
        officer_id: str,
        dossier_id: str,
        *,
        approved: bool,
        reasons: str = "",
        signed_by: str = "",
    ) -> Dossier:
        """Record the decision (a refusal needs reasons); the applicant is mailed the result.

        ``signed_by`` is the leader whose name is on the decision; the deciding officer's
        own name when not given.
        """
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.decide(
                officer=o, now=now, approved=approved, reasons=reasons, signed_by=signed_by
            ),
            frozenset({R.APPROVAL}),
            "decide",
        )

    def _upload(
        self,
        officer_id: str,
        dossier_id: str,
        roles: frozenset[OfficerRole],
        name: str,
        statuses: tuple[DossierStatus, ...],
        action: str,
    ) -> Dossier:
        """Who may act and whether the dossier is in ``statuses``: checked before storing."""
        with self._ctx.storage.unit_of_work() as uow:
            officer = active_officer(uow, officer_id)
            require_role(officer, roles, name)
            dossier = agency_dossier(uow, officer, dossier_id)
        require_status(dossier, statuses, action)
        return dossier

    def digitise(
        self,
        officer_id: str,
        dossier_id: str,
        component_id: str,
        data: bytes | BinaryIO,
        *,
        filename: str,
        media_type: str,
    ) -> FileRef:
        """Store the scan of a paper original made at the desk (số hoá) and attach it to a
        component of a dossier awaiting reception or received, marked digitised.

        Reception role; the component's media types and size limit apply as to a citizen's
        upload. The file is stored before the dossier refers to it.
        """
        roles = frozenset({R.RECEPTION})
        display_name(filename)
        dossier = self._upload(
            officer_id,
            dossier_id,
            roles,
            "digitise",
            (DossierStatus.AWAITING_RECEPTION, DossierStatus.RECEIVED),
            "digitise a component of",
        )
        component = dossier.procedure.component(component_id)
        ref = store_component_file(
            self._ctx, component, data, filename=filename, media_type=media_type
        )
        self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.digitise(officer=o, now=now, component_id=component.id, file=ref),
            roles,
            "digitise",
        )
        return ref

    def attach_result(
        self,
        officer_id: str,
        dossier_id: str,
        data: bytes | BinaryIO,
        *,
        filename: str,
        media_type: str,
    ) -> FileRef:
        """Store an electronic result document (kết quả điện tử) and add it to a dossier
        being processed or decided, before its result is returned.

        Processing, approval or return role; a PDF, JPEG or PNG of at most
        :data:`~onestop.application.uploads.RESULT_MAX_BYTES`. The applicant reads it with
        ``dossiers.open_file``.
        """
        roles = frozenset({R.PROCESSING, R.APPROVAL, R.RETURN})
        display_name(filename)
        self._upload(
            officer_id,
            dossier_id,
            roles,
            "attach_result",
            (DossierStatus.PROCESSING, DossierStatus.DECIDED),
            "add a result to",
        )
        ref = store_upload(
            self._ctx,
            data,
            filename=filename,
            media_type=media_type,
            allowed=RESULT_MEDIA_TYPES,
            max_bytes=RESULT_MAX_BYTES,
            field="result",
        )
        self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.add_result(officer=o, now=now, file=ref),
            roles,
            "attach_result",
        )
        return ref

    def return_result(self, officer_id: str, dossier_id: str, note: str = "") -> Dossier:
        """Hand the result over (an approved one only once the fees are paid)."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.return_result(officer=o, now=now, note=note),
            frozenset({R.RETURN}),
            "return_result",
        )

    def stop_processing(self, officer_id: str, dossier_id: str, reason: str) -> Dossier:
        """Stop processing for good (dừng xử lý), with the reason."""
        return self._change(
            officer_id,
            dossier_id,
            lambda d, o, now: d.stop_processing(officer=o, now=now, reason=reason),
            frozenset({R.PROCESSING}),
            "stop_processing",
        )

    def send_apology(
        self,
        officer_id: str,
        dossier_id: str,
        *,
        reason: str,
        new_due_date: dt.date | None = None,
    ) -> Dossier:
        """Reschedule with an apology letter mailed to the applicant; returns the dossier.

        Allowed once per dossier (AlreadyRescheduled), and at the latest
        ``Settings.apology_days_before`` working days before the due date (ApologyTooLate).
        By default the new date is the procedure's time limit again (at least one working
        day) counted from the current due date.
        """
        office = self._ctx.deadlines
        days_before = self._ctx.settings.apology_days_before

        def act(d: Dossier, officer: Actor, now: dt.datetime) -> Dossier:
            new_date = default_new_date(office, d, now) if new_due_date is None else new_due_date
            d.reschedule(
                officer=officer,
                now=now,
                new_due_date=new_date,
                reason=reason,
                calendar=office,
                days_before=days_before,
            )
            return d

        return self._act(
            officer_id, dossier_id, act, frozenset({R.RECEPTION, R.PROCESSING}), "send_apology"
        )
