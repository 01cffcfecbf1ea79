"""The dossier aggregate (hồ sơ): its life from draft to returned result (DOMAIN section 3).

Every change goes through a method that checks its guard, raises
:class:`~onestop.errors.TransitionNotAllowed` when the status forbids it, appends a
:class:`HistoryEntry` (when, who, from, to, note) and records a past-tense event. Time always
comes in as an argument.

Transitions (action: from -> to)::

    submit              DRAFT -> AWAITING_RECEPTION                        (takes a code)
    refuse_reception    AWAITING_RECEPTION -> RECEPTION_REFUSED             (terminal)
    request_supplement  AWAITING_RECEPTION | RECEIVED | PROCESSING -> SUPPLEMENT_REQUESTED
    resubmit            SUPPLEMENT_REQUESTED -> the status it came from
    receive             AWAITING_RECEPTION -> RECEIVED                      (sets the due date)
    start_processing    RECEIVED -> PROCESSING
    pause / resume      PROCESSING -> PROCESSING (the clock stops, then the due date moves)
    request_payment     RECEIVED | PROCESSING -> PAYMENT_REQUESTED
    record_payment      PAYMENT_REQUESTED -> the status it came from, once fully paid
    decide              PROCESSING (not paused) -> DECIDED
    return_result       DECIDED -> RESULT_RETURNED                          (terminal)
    withdraw            any submitted, undecided status -> WITHDRAWN        (terminal)
    stop_processing     RECEIVED | PROCESSING | SUPPLEMENT_REQUESTED | PAYMENT_REQUESTED
                        -> STOPPED                                          (terminal)
    reschedule          a received, undecided dossier -> same status, new due date (apology)
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from typing import Any, TypeVar

import attrs

from onestop.domain import events as ev
from onestop.domain.accounts import Applicant
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.catalog import Procedure
from onestop.domain.codes import DossierCode, local_day
from onestop.domain.files import FileRef
from onestop.domain.identity import check_text
from onestop.domain.inputs import require_bool, require_date, require_datetime, require_text
from onestop.domain.money import FeeLine, total
from onestop.domain.statuses import ACTIVE_STATUSES, DossierStatus
from onestop.errors import (
    HomeServiceNotOffered,
    InvalidInput,
    InvalidMoney,
    MissingComponents,
    PaymentNotRequired,
    PermissionDenied,
    TransitionNotAllowed,
    show_value,
)

__all__ = [
    "Actor",
    "ActorKind",
    "Attachment",
    "Decision",
    "Dossier",
    "HistoryEntry",
    "PaymentStatus",
]

S = DossierStatus


class ActorKind(enum.Enum):
    """Who acts on a dossier."""

    APPLICANT = "applicant"
    OFFICER = "officer"
    SYSTEM = "system"


def _actor_kind(_: object, attribute: attrs.Attribute[ActorKind], value: ActorKind) -> None:
    if not isinstance(value, ActorKind):
        raise InvalidInput(
            "actor.kind", "must be an ActorKind (applicant, officer or system)", value
        )


def _actor_text(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    require_text(value, f"actor.{attribute.name}")


@attrs.frozen
class Actor:
    """One person (or the system) acting on a dossier; ``name`` is shown in the history."""

    kind: ActorKind = attrs.field(validator=_actor_kind)
    id: str = attrs.field(validator=_actor_text)
    name: str = attrs.field(default="", validator=_actor_text)

    @classmethod
    def applicant(cls, account_id: str, name: str = "") -> Actor:
        return cls(ActorKind.APPLICANT, account_id, name)

    @classmethod
    def officer(cls, officer_id: str, name: str = "") -> Actor:
        return cls(ActorKind.OFFICER, officer_id, name)

    @classmethod
    def system(cls, name: str = "onestop") -> Actor:
        return cls(ActorKind.SYSTEM, "system", name)


@attrs.frozen
class HistoryEntry:
    """One recorded step of the progress history (tiến độ xử lý)."""

    at: dt.datetime
    actor: Actor
    action: str
    from_status: DossierStatus | None
    to_status: DossierStatus
    note: str = ""


@attrs.frozen
class Attachment:
    """A file attached to one component of the dossier."""

    component_id: str
    file: FileRef


@attrs.frozen
class Decision:
    """The outcome of processing: approved, or refused with reasons."""

    approved: bool
    reasons: str
    at: dt.datetime
    officer_id: str
    #: The leader (lãnh đạo) whose name is on the decision; "" in records made before.
    signed_by: str = ""


class PaymentStatus(enum.Enum):
    """Whether the dossier's fees are paid (0 VND needs no payment)."""

    NOT_REQUIRED = "not_required"
    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"


_SUBMITTED_UNDECIDED = frozenset(
    {
        S.AWAITING_RECEPTION,
        S.RECEIVED,
        S.PROCESSING,
        S.SUPPLEMENT_REQUESTED,
        S.PAYMENT_REQUESTED,
    }
)


#: Longest note or reason an officer or applicant may write on a step.
MAX_NOTE_LENGTH = 4000

# Notes may span lines, but no other control character (NUL breaks PostgreSQL text, escape
# sequences a terminal) and no bidirectional embedding, override or isolate: those reorder
# what the applicant reads ("\u202efdp.exe" shows as "exe.pdf").
_FORBIDDEN_IN_NOTES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

_T = TypeVar("_T")


def _text(value: object, field: str, *, required: bool) -> str:
    """A note or reason: text, stripped, at most MAX_NOTE_LENGTH, no hidden controls."""
    text = require_text(value, field)
    if len(text) > 4 * MAX_NOTE_LENGTH:  # refused before stripping a megabyte
        raise InvalidInput(field, f"must be at most {MAX_NOTE_LENGTH} characters", value)
    text = text.strip()
    if required and not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_NOTE_LENGTH} characters", value)
    if _FORBIDDEN_IN_NOTES.search(text):
        raise InvalidInput(
            field,
            "must not contain control characters (other than line breaks and tabs) or "
            "bidirectional controls",
            value,
        )
    return text


def _require(value: Any, cls: type[_T], field: str, example: str) -> _T:
    """``value`` if it is a ``cls``; InvalidInput naming ``field`` otherwise (not TypeError)."""
    if not isinstance(value, cls):
        kind = "None" if value is None else type(value).__name__
        raise InvalidInput(field, f"must be a {cls.__name__} ({example}), not {kind}", value)
    return value


def _address(value: str, field: str) -> str:
    """A home pick-up or delivery address, checked like the applicant's own address."""
    return check_text(value, field, max_length=500)


def _actor(value: Any, field: str) -> Actor:
    return _require(value, Actor, field, "Actor.officer(id, name) or Actor.applicant(id, name)")


def _calendar(value: Any) -> WorkingCalendar:
    return _require(value, WorkingCalendar, "calendar", "the portal's WorkingCalendar")


@attrs.define(eq=False)
class Dossier:
    """A dossier (hồ sơ) submitted by an applicant for one procedure.

    The procedure is kept as a snapshot taken when the draft started, so a later change of
    the catalog never rewrites what the applicant filed. Equality is identity of ``id``.
    """

    id: str
    owner_id: str
    procedure: Procedure
    applicant: Applicant
    created_at: dt.datetime
    status: DossierStatus = S.DRAFT
    code: DossierCode | None = None
    submitted_at: dt.datetime | None = None
    received_at: dt.datetime | None = None
    due_date: dt.date | None = None
    attachments: tuple[Attachment, ...] = ()
    home_pickup_address: str | None = None
    home_delivery_address: str | None = None
    fee_lines: tuple[FeeLine, ...] = ()
    paid_amount: int = 0
    payment_ids: tuple[str, ...] = ()
    decision: Decision | None = None
    paused_since: dt.datetime | None = None
    resume_status: DossierStatus | None = None
    idempotency_key: str | None = None
    history: tuple[HistoryEntry, ...] = ()
    version: int = 0
    _events: list[ev.DomainEvent] = attrs.field(factory=list, alias="_events")

    # --- construction -------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        id: str,
        owner_id: str,
        procedure: Procedure,
        applicant: Applicant,
        now: dt.datetime,
    ) -> Dossier:
        """A new draft for ``procedure``, with the applicant block as given (editable)."""
        require_text(id, "id")
        require_text(owner_id, "owner_id")
        _require(procedure, Procedure, "procedure", "from the catalog")
        _require(applicant, Applicant, "applicant", "Applicant.create(...)")
        require_datetime(now, "now")
        if not procedure.online:
            raise InvalidInput("procedure", "this procedure cannot be filed online", procedure.code)
        dossier = cls(
            id=id,
            owner_id=owner_id,
            procedure=procedure,
            applicant=applicant,
            created_at=now,
        )
        dossier.history = (
            HistoryEntry(now, Actor.applicant(owner_id), "draft_started", None, S.DRAFT),
        )
        return dossier

    # --- reading ------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dossier) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def agency(self) -> str:
        """The receiving agency's electronic id, as text."""
        return str(self.procedure.agency)

    @property
    def total_fees(self) -> int:
        """The sum of the fee lines in VND (0 before submission)."""
        return total(self.fee_lines)

    @property
    def amount_due(self) -> int:
        """What remains to pay, in VND."""
        return max(self.total_fees - self.paid_amount, 0)

    @property
    def payment_status(self) -> PaymentStatus:
        if self.total_fees == 0:
            return PaymentStatus.NOT_REQUIRED
        if self.paid_amount >= self.total_fees:
            return PaymentStatus.PAID
        if self.paid_amount > 0:
            return PaymentStatus.PARTLY_PAID
        return PaymentStatus.UNPAID

    @property
    def is_paused(self) -> bool:
        """True while the statutory clock is stopped (pause or supplement during processing)."""
        return self.paused_since is not None

    def files_for(self, component_id: str) -> tuple[FileRef, ...]:
        """The files attached to one component, in the order they were attached."""
        require_text(component_id, "component_id")
        return tuple(a.file for a in self.attachments if a.component_id == component_id)

    def missing_components(self) -> tuple[str, ...]:
        """Ids of the mandatory components that still have no file."""
        attached = {a.component_id for a in self.attachments}
        return tuple(
            c.id for c in self.procedure.components if c.mandatory and c.id not in attached
        )

    def _component_names(self, ids: tuple[str, ...]) -> tuple[str, ...]:
        """The names of the components ``ids``, in the same order, for a citizen's message."""
        names = {c.id: c.name for c in self.procedure.components}
        return tuple(names.get(i, i) for i in ids)

    def is_overdue(self, now: dt.datetime) -> bool:
        """True when the due date has passed and the clock is running (not a status)."""
        require_datetime(now, "now")
        if self.due_date is None or self.status not in ACTIVE_STATUSES or self.is_paused:
            return False
        return local_day(now) > self.due_date

    def pull_events(self) -> list[ev.DomainEvent]:
        """The events recorded since the last pull, oldest first; clears them."""
        pulled, self._events = self._events, []
        return pulled

    def peek_events(self) -> tuple[ev.DomainEvent, ...]:
        """The events recorded since the last pull, without clearing them."""
        return tuple(self._events)

    # --- draft editing ------------------------------------------------------------------

    def _require(self, action: str, *allowed: DossierStatus) -> None:
        if self.status not in allowed:
            raise TransitionNotAllowed(action, self.status.value, tuple(s.value for s in allowed))

    def _require_owner(self, actor: Actor) -> None:
        if actor.kind is not ActorKind.APPLICANT or actor.id != self.owner_id:
            raise PermissionDenied("only the applicant who owns the dossier may do this")

    def update_applicant(self, applicant: Applicant) -> None:
        """Replace the applicant block (only while a draft)."""
        _require(applicant, Applicant, "applicant", "Applicant.create(...)")
        self._require("edit", S.DRAFT)
        self.applicant = applicant

    def attach(self, component_id: str, file: FileRef) -> None:
        """Attach a file to a component, checking its media type and size against it."""
        require_text(component_id, "component_id")
        _require(file, FileRef, "file", "what the file store returned")
        self._require("attach a file to", S.DRAFT, S.SUPPLEMENT_REQUESTED)
        component = self.procedure.component(component_id)
        component.check_file(file.media_type, file.size)
        if any(a.component_id == component_id and a.file.key == file.key for a in self.attachments):
            return  # the same stored file twice on one component adds nothing
        self.attachments = (*self.attachments, Attachment(component_id, file))

    def detach(self, component_id: str, file_key: str) -> None:
        """Remove one attached file from a component."""
        require_text(component_id, "component_id")
        require_text(file_key, "file_key")
        self._require("remove a file from", S.DRAFT, S.SUPPLEMENT_REQUESTED)
        kept = tuple(
            a
            for a in self.attachments
            if not (a.component_id == component_id and a.file.key == file_key)
        )
        if len(kept) == len(self.attachments):
            raise InvalidInput(
                "attachment",
                f"no file {show_value(file_key)} is attached to component "
                f"{show_value(component_id)}",
            )
        self.attachments = kept

    def choose_home_pickup(self, address: str | None) -> None:
        """Ask for the paper dossier to be picked up at ``address`` (None: no pick-up)."""
        if address is not None:
            require_text(address, "home_pickup.address")
        self._require("change home pick-up of", S.DRAFT)
        if address is None:
            self.home_pickup_address = None
            return
        if not self.procedure.home_pickup:
            raise HomeServiceNotOffered(
                "home_pickup", "this procedure does not offer pick-up at home", self.procedure.code
            )
        self.home_pickup_address = _address(address, "home_pickup.address")

    def choose_home_delivery(self, address: str | None) -> None:
        """Ask for the result to be delivered at ``address`` (None: collect it at the office)."""
        if address is not None:
            require_text(address, "home_delivery.address")
        self._require("change home delivery of", S.DRAFT)
        if address is None:
            self.home_delivery_address = None
            return
        if not self.procedure.home_delivery:
            raise HomeServiceNotOffered(
                "home_delivery",
                "this procedure does not offer delivery of the result at home",
                self.procedure.code,
            )
        self.home_delivery_address = _address(address, "home_delivery.address")

    def check_submittable(self) -> None:
        """Raise what would stop :meth:`submit`, without changing anything."""
        self._require("submit", S.DRAFT)
        missing = self.missing_components()
        if missing:
            raise MissingComponents(missing, self._component_names(missing))

    # --- transitions --------------------------------------------------------------------

    def _check_now(self, now: dt.datetime) -> None:
        require_datetime(now, "now")
        if self.history and now < self.history[-1].at:
            raise InvalidInput("now", "must not be earlier than the dossier's last step", now)

    def _move(
        self,
        *,
        now: dt.datetime,
        actor: Actor,
        action: str,
        to: DossierStatus,
        note: str = "",
        event: ev.DomainEvent | None = None,
    ) -> None:
        self._check_now(now)
        self.history = (*self.history, HistoryEntry(now, actor, action, self.status, to, note))
        self.status = to
        if event is not None:
            self._events.append(event)

    def submit(
        self,
        *,
        code: DossierCode,
        now: dt.datetime,
        idempotency_key: str | None = None,
    ) -> None:
        """Submit the draft under ``code`` (taken from the agency's sequence for today)."""
        _require(code, DossierCode, "code", "DossierCode.for_submission(...)")
        require_datetime(now, "now")
        if idempotency_key is not None:
            require_text(idempotency_key, "idempotency_key")
        self.check_submittable()
        self._check_now(now)
        if code.agency != self.procedure.agency:
            raise InvalidInput(
                "code", f"must belong to the receiving agency {self.procedure.agency}", str(code)
            )
        if code.day != local_day(now):
            raise InvalidInput("code", "must carry the local day of submission", str(code))
        self.fee_lines = self.procedure.fee_lines()
        self.code = code
        self.submitted_at = now
        self.idempotency_key = idempotency_key
        self._move(
            now=now,
            actor=Actor.applicant(self.owner_id, self.applicant.full_name),
            action="submitted",
            to=S.AWAITING_RECEPTION,
            event=ev.DossierSubmitted(now, self.id, str(code)),
        )

    def receive(
        self,
        *,
        officer: Actor,
        now: dt.datetime,
        calendar: WorkingCalendar,
        note: str = "",
    ) -> dt.date:
        """Receive the dossier and set the appointment date from the working calendar."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        _calendar(calendar)
        self._require("receive", S.AWAITING_RECEPTION)
        due = calendar.due_date(now, self.procedure.working_days, self.procedure.cutoff)
        self._move(
            now=now,
            actor=officer,
            action="received",
            to=S.RECEIVED,
            note=note or f"Hẹn trả kết quả ngày {due:%d/%m/%Y}",
            event=ev.DossierReceived(now, self.id, due),
        )
        self.received_at = now
        self.due_date = due
        return due

    def refuse_reception(self, *, officer: Actor, now: dt.datetime, reason: str) -> None:
        """Refuse to receive the dossier; the reason is required and shown to the applicant."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        self._require("refuse reception of", S.AWAITING_RECEPTION)
        reason = _text(reason, "reason", required=True)
        self._move(
            now=now,
            actor=officer,
            action="reception_refused",
            to=S.RECEPTION_REFUSED,
            note=reason,
            event=ev.ReceptionRefused(now, self.id, reason),
        )

    def request_supplement(self, *, officer: Actor, now: dt.datetime, note: str) -> None:
        """Ask the applicant for missing or corrected documents; the clock stops meanwhile."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        self._require("request a supplement for", S.AWAITING_RECEPTION, S.RECEIVED, S.PROCESSING)
        note = _text(note, "note", required=True)
        came_from = self.status
        self._move(
            now=now,
            actor=officer,
            action="supplement_requested",
            to=S.SUPPLEMENT_REQUESTED,
            note=note,
            event=ev.SupplementRequested(now, self.id, note),
        )
        self.resume_status = came_from
        if came_from is not S.AWAITING_RECEPTION and self.paused_since is None:
            self.paused_since = now

    def resubmit(
        self,
        *,
        actor: Actor,
        now: dt.datetime,
        calendar: WorkingCalendar,
        note: str = "",
    ) -> None:
        """Send the supplemented dossier back; the due date moves by the days spent waiting."""
        _actor(actor, "actor")
        require_datetime(now, "now")
        _calendar(calendar)
        self._require("resubmit", S.SUPPLEMENT_REQUESTED)
        self._require_owner(actor)
        missing = self.missing_components()
        if missing:
            raise MissingComponents(missing, self._component_names(missing))
        back_to = self.resume_status or S.AWAITING_RECEPTION
        self._move(
            now=now,
            actor=actor,
            action="resubmitted",
            to=back_to,
            note=_text(note, "note", required=False),
            event=ev.DossierResubmitted(now, self.id),
        )
        self.resume_status = None
        self._restart_clock(now, calendar)

    def start_processing(self, *, officer: Actor, now: dt.datetime, note: str = "") -> None:
        """Hand the received dossier to processing."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        self._require("start processing", S.RECEIVED)
        self._move(
            now=now,
            actor=officer,
            action="processing_started",
            to=S.PROCESSING,
            note=_text(note, "note", required=False),
            event=ev.ProcessingStarted(now, self.id),
        )

    def pause(self, *, officer: Actor, now: dt.datetime, reason: str) -> None:
        """Stop the statutory clock while processing (the status stays *processing*)."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        self._require("pause", S.PROCESSING)
        if self.paused_since is not None:
            raise TransitionNotAllowed("pause", "processing (already paused)")
        reason = _text(reason, "reason", required=True)
        self._move(
            now=now,
            actor=officer,
            action="paused",
            to=S.PROCESSING,
            note=reason,
            event=ev.ProcessingPaused(now, self.id, reason),
        )
        self.paused_since = now

    def resume(self, *, officer: Actor, now: dt.datetime, calendar: WorkingCalendar) -> None:
        """Restart the clock; the due date moves by the working days spent paused."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        _calendar(calendar)
        self._require("resume", S.PROCESSING)
        if self.paused_since is None:
            raise TransitionNotAllowed("resume", "processing (not paused)")
        self._check_now(now)
        self._restart_clock(now, calendar)
        self._move(
            now=now,
            actor=officer,
            action="resumed",
            to=S.PROCESSING,
            note=f"Hẹn trả kết quả ngày {self.due_date:%d/%m/%Y}" if self.due_date else "",
            event=ev.ProcessingResumed(now, self.id, self.due_date),
        )

    def _restart_clock(self, now: dt.datetime, calendar: WorkingCalendar) -> None:
        if self.paused_since is None:
            return
        waited = calendar.working_days_between(local_day(self.paused_since), local_day(now))
        if self.due_date is not None and waited > 0:
            self.due_date = calendar.extend(self.due_date, waited)
        self.paused_since = None

    def request_payment(self, *, officer: Actor, now: dt.datetime, note: str = "") -> None:
        """Ask the applicant to pay what is due (nghĩa vụ tài chính); the clock stops."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        self._require("request payment for", S.RECEIVED, S.PROCESSING)
        if self.amount_due == 0:
            raise PaymentNotRequired(f"dossier {self.code} has nothing left to pay")
        came_from = self.status
        self._move(
            now=now,
            actor=officer,
            action="payment_requested",
            to=S.PAYMENT_REQUESTED,
            note=_text(note, "note", required=False),
            event=ev.PaymentRequested(now, self.id, self.amount_due),
        )
        self.resume_status = came_from
        if self.paused_since is None:
            self.paused_since = now

    def record_payment(
        self,
        *,
        payment_id: str,
        amount: int,
        now: dt.datetime,
        calendar: WorkingCalendar,
    ) -> bool:
        """Count a confirmed payment once; returns False when it was already counted.

        A dossier waiting for payment goes back to where it was once nothing is left to pay.
        """
        require_text(payment_id, "payment_id")
        require_datetime(now, "now")
        _calendar(calendar)
        if payment_id in self.payment_ids:
            return False
        if self.status is S.DRAFT or self.status.is_terminal:
            raise TransitionNotAllowed("record a payment for", self.status.value)
        self._check_now(now)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise InvalidMoney("amount", "must be a whole number of VND above 0", amount)
        if amount > self.amount_due:
            raise InvalidMoney(
                "amount", f"must not exceed the amount due ({self.amount_due} VND)", amount
            )
        self.paid_amount += amount
        self.payment_ids = (*self.payment_ids, payment_id)
        self._events.append(ev.PaymentRecorded(now, self.id, payment_id, amount))
        if self.status is S.PAYMENT_REQUESTED and self.amount_due == 0:
            back_to = self.resume_status or S.PROCESSING
            self._move(
                now=now,
                actor=Actor.system(),
                action="payment_completed",
                to=back_to,
            )
            self.resume_status = None
            self._restart_clock(now, calendar)
        return True

    def decide(
        self,
        *,
        officer: Actor,
        now: dt.datetime,
        approved: bool,
        reasons: str = "",
        signed_by: str = "",
    ) -> None:
        """Record the decision; a refusal needs its reasons.

        ``signed_by`` is the leader whose name is on the decision (the deciding officer's
        own name when not given).
        """
        _actor(officer, "officer")
        require_datetime(now, "now")
        # A truthy "no" from a form must never be recorded as an approval.
        require_bool(approved, "approved")
        self._require("decide", S.PROCESSING)
        if self.paused_since is not None:
            raise TransitionNotAllowed("decide", "processing (paused: resume it first)")
        reasons = _text(reasons, "reasons", required=not approved)
        self._move(
            now=now,
            actor=officer,
            action="approved" if approved else "refused",
            to=S.DECIDED,
            note=reasons,
            event=ev.DossierDecided(now, self.id, approved, reasons),
        )
        signer = _text(signed_by, "signed_by", required=False) or officer.name
        self.decision = Decision(approved, reasons, now, officer.id, signer)

    def return_result(self, *, officer: Actor, now: dt.datetime, note: str = "") -> None:
        """Hand the result over; an approved result waits until the fees are paid."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        self._require("return the result of", S.DECIDED)
        if (
            self.decision is not None
            and self.decision.approved
            and self.payment_status in (PaymentStatus.UNPAID, PaymentStatus.PARTLY_PAID)
        ):
            raise TransitionNotAllowed("return the result of", "decided (fees not paid)")
        self._move(
            now=now,
            actor=officer,
            action="result_returned",
            to=S.RESULT_RETURNED,
            note=_text(note, "note", required=False),
            event=ev.ResultReturned(now, self.id),
        )

    def withdraw(self, *, actor: Actor, now: dt.datetime, reason: str) -> None:
        """The applicant withdraws the dossier (rút hồ sơ) before it is decided."""
        _actor(actor, "actor")
        require_datetime(now, "now")
        self._require("withdraw", *sorted(_SUBMITTED_UNDECIDED, key=lambda s: s.value))
        self._require_owner(actor)
        reason = _text(reason, "reason", required=True)
        self._move(
            now=now,
            actor=actor,
            action="withdrawn",
            to=S.WITHDRAWN,
            note=reason,
            event=ev.DossierWithdrawn(now, self.id, reason),
        )
        self.paused_since = None

    def stop_processing(self, *, officer: Actor, now: dt.datetime, reason: str) -> None:
        """Stop processing for good (dừng xử lý), with the reason."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        self._require(
            "stop processing of",
            S.RECEIVED,
            S.PROCESSING,
            S.SUPPLEMENT_REQUESTED,
            S.PAYMENT_REQUESTED,
        )
        reason = _text(reason, "reason", required=True)
        self._move(
            now=now,
            actor=officer,
            action="stopped",
            to=S.STOPPED,
            note=reason,
            event=ev.ProcessingStopped(now, self.id, reason),
        )
        self.paused_since = None

    def reschedule(
        self,
        *,
        officer: Actor,
        now: dt.datetime,
        new_due_date: dt.date,
        reason: str,
    ) -> None:
        """Set a new appointment date with an apology (Phiếu xin lỗi và hẹn lại ngày trả)."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        require_date(new_due_date, "new_due_date")
        self._require(
            "reschedule",
            S.RECEIVED,
            S.PROCESSING,
            S.SUPPLEMENT_REQUESTED,
            S.PAYMENT_REQUESTED,
        )
        reason = _text(reason, "reason", required=True)
        if new_due_date <= local_day(now):
            raise InvalidInput("new_due_date", "must be after today", new_due_date)
        if self.due_date is not None and new_due_date <= self.due_date:
            raise InvalidInput(
                "new_due_date", f"must be after the current due date {self.due_date}", new_due_date
            )
        old = self.due_date
        self._move(
            now=now,
            actor=officer,
            action="rescheduled",
            to=self.status,
            note=f"{reason} — Hẹn lại ngày {new_due_date:%d/%m/%Y}",
            event=ev.DossierRescheduled(now, self.id, old, new_due_date, reason),
        )
        self.due_date = new_due_date


def history_actions(history: Iterable[HistoryEntry]) -> list[str]:
    """The action names of a history, oldest first (handy in tests and examples)."""
    return [h.action for h in history]
