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
    reschedule          a received, undecided dossier -> same status, new due date (apology;
                        once, and only before the due date)

The due date (set at receipt, moved when the clock stood still, given anew by an apology)
follows the procedure's deadline policy; every one the dossier had stays in ``due_dates``
(:mod:`onestop.domain._dossier_deadlines`). Draft editing lives in
:mod:`onestop.domain._dossier_drafting`, the values in :mod:`onestop.domain.dossier_parts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from onestop.domain import events as ev
from onestop.domain._dossier_deadlines import DeadlineSteps, deadlines_for
from onestop.domain._dossier_drafting import DraftSteps
from onestop.domain.accounts import Applicant
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.catalog import Procedure
from onestop.domain.codes import DossierCode, local_day
from onestop.domain.deadlines import Deadlines
from onestop.domain.dossier_parts import (
    MAX_NOTE_LENGTH,
    Actor,
    ActorKind,
    Attachment,
    Decision,
    DueDateChange,
    DueDateReason,
    HistoryEntry,
    PaymentStatus,
    note_text,
    require_actor,
    require_instance,
)
from onestop.domain.files import FileRef
from onestop.domain.inputs import require_bool, require_datetime, require_text
from onestop.domain.money import FeeLine, total
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    InvalidInput,
    InvalidMoney,
    MissingComponents,
    PaymentNotRequired,
    PermissionDenied,
    TransitionNotAllowed,
)

__all__ = [
    "MAX_NOTE_LENGTH",
    "Actor",
    "ActorKind",
    "Attachment",
    "Decision",
    "Dossier",
    "DueDateChange",
    "DueDateReason",
    "HistoryEntry",
    "PaymentStatus",
]

# The one rule for every free text (notes, reasons), under its former private name.
_text = note_text
_actor = require_actor
_require = require_instance

S = DossierStatus


_SUBMITTED_UNDECIDED = frozenset(
    {
        S.AWAITING_RECEPTION,
        S.RECEIVED,
        S.PROCESSING,
        S.SUPPLEMENT_REQUESTED,
        S.PAYMENT_REQUESTED,
    }
)


@attrs.define(eq=False)
class Dossier(DraftSteps, DeadlineSteps):
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
    #: The due instant, for a procedure whose limit is in working hours (None otherwise).
    due_at: dt.datetime | None = None
    #: Every due date the dossier had, oldest first: set at receipt, moved, rescheduled.
    due_dates: tuple[DueDateChange, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    #: Electronic result documents (kết quả điện tử), oldest first.
    results: tuple[FileRef, ...] = ()
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

    def pull_events(self) -> list[ev.DomainEvent]:
        """The events recorded since the last pull, oldest first; clears them."""
        pulled, self._events = self._events, []
        return pulled

    def peek_events(self) -> tuple[ev.DomainEvent, ...]:
        """The events recorded since the last pull, without clearing them."""
        return tuple(self._events)

    # --- transitions --------------------------------------------------------------------

    def _require(self, action: str, *allowed: DossierStatus) -> None:
        if self.status not in allowed:
            raise TransitionNotAllowed(action, self.status.value, tuple(s.value for s in allowed))

    def _officer_step(
        self, officer: Actor, now: dt.datetime, action: str, *allowed: DossierStatus
    ) -> None:
        """Check an officer's step: who acts, when, and that the status is one of ``allowed``."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        self._require(action, *allowed)

    def _require_owner(self, actor: Actor) -> None:
        if actor.kind is not ActorKind.APPLICANT or actor.id != self.owner_id:
            raise PermissionDenied("only the applicant who owns the dossier may do this")

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

    def refuse_reception(self, *, officer: Actor, now: dt.datetime, reason: str) -> None:
        """Refuse to receive the dossier; the reason is required and shown to the applicant."""
        self._officer_step(officer, now, "refuse reception of", S.AWAITING_RECEPTION)
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
        self._officer_step(
            officer, now, "request a supplement for", S.AWAITING_RECEPTION, S.RECEIVED, S.PROCESSING
        )
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
        calendar: Deadlines | WorkingCalendar,
        note: str = "",
    ) -> None:
        """Send the supplemented dossier back; the due date follows the procedure's
        supplement rule (``restart``: the whole limit from now; ``exclude_wait``: it moves by
        the working time spent waiting)."""
        _actor(actor, "actor")
        require_datetime(now, "now")
        office = deadlines_for(calendar)
        self._require("resubmit", S.SUPPLEMENT_REQUESTED)
        self._require_owner(actor)
        missing = self.missing_components()
        if missing:
            raise MissingComponents(missing, self._component_names(missing))
        back_to = self.resume_status or S.AWAITING_RECEPTION
        self._check_now(now)
        due = self._due_after_wait(now, office, DueDateReason.SUPPLEMENT)
        self._move(
            now=now,
            actor=actor,
            action="resubmitted",
            to=back_to,
            note=_text(note, "note", required=False),
            event=ev.DossierResubmitted(now, self.id),
        )
        self.resume_status = None
        self._restart_clock(now, due, actor, DueDateReason.SUPPLEMENT)

    def start_processing(self, *, officer: Actor, now: dt.datetime, note: str = "") -> None:
        """Hand the received dossier to processing."""
        self._officer_step(officer, now, "start processing", S.RECEIVED)
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
        self._officer_step(officer, now, "pause", S.PROCESSING)
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

    def request_payment(self, *, officer: Actor, now: dt.datetime, note: str = "") -> None:
        """Ask the applicant to pay what is due (nghĩa vụ tài chính); the clock stops."""
        self._officer_step(officer, now, "request payment for", S.RECEIVED, S.PROCESSING)
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
        calendar: Deadlines | WorkingCalendar,
    ) -> bool:
        """Count a confirmed payment once; returns False when it was already counted.

        A dossier waiting for payment goes back to where it was once nothing is left to pay.
        """
        require_text(payment_id, "payment_id")
        require_datetime(now, "now")
        office = deadlines_for(calendar)
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
        completes = self.status is S.PAYMENT_REQUESTED and amount == self.amount_due
        due = self._due_after_wait(now, office, DueDateReason.PAYMENT) if completes else None
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
            self._restart_clock(now, due, Actor.system(), DueDateReason.PAYMENT)
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
        # Every argument checked before anything changes.
        signer = _text(signed_by, "signed_by", required=False) or officer.name
        decision = Decision(approved, reasons, now, officer.id, signer)
        self._move(
            now=now,
            actor=officer,
            action="approved" if approved else "refused",
            to=S.DECIDED,
            note=reasons,
            event=ev.DossierDecided(now, self.id, approved, reasons),
        )
        self.decision = decision

    def return_result(self, *, officer: Actor, now: dt.datetime, note: str = "") -> None:
        """Hand the result over; an approved result waits until the fees are paid."""
        self._officer_step(officer, now, "return the result of", S.DECIDED)
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

    def add_result(self, *, officer: Actor, now: dt.datetime, file: FileRef) -> None:
        """Add an electronic result document, while processing or decided (not yet returned)."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        require_instance(file, FileRef, "file", "what the file store returned")
        self._require("add a result to", S.PROCESSING, S.DECIDED)
        self._check_now(now)
        if any(r.key == file.key for r in self.results):
            return  # the same stored file twice adds nothing
        self.results = (*self.results, file)
        self.history = (
            *self.history,
            HistoryEntry(now, officer, "result_added", self.status, self.status, file.name),
        )

    def digitise(
        self, *, officer: Actor, now: dt.datetime, component_id: str, file: FileRef
    ) -> None:
        """Attach the scan of a paper original an officer made at the desk (số hoá)."""
        _actor(officer, "officer")
        require_datetime(now, "now")
        require_text(component_id, "component_id")
        require_instance(file, FileRef, "file", "what the file store returned")
        self._require("digitise a component of", S.AWAITING_RECEPTION, S.RECEIVED)
        self._check_now(now)
        component = self.procedure.component(component_id)
        component.check_file(file.media_type, file.size)
        self.attachments = (*self.attachments, Attachment(component_id, file, digitised=True))
        self.history = (
            *self.history,
            HistoryEntry(
                now, officer, "component_digitised", self.status, self.status, component_id
            ),
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
        self._officer_step(
            officer,
            now,
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


def history_actions(history: Iterable[HistoryEntry]) -> list[str]:
    """The action names of a history, oldest first (handy in tests and examples)."""
    return [h.action for h in history]
