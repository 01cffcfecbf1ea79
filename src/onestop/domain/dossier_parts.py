"""The values a dossier is made of: who acts, its history, files, decision and due dates.

Split from :mod:`onestop.domain.dossier` (which re-exports every public name): the
aggregate's steps live there, the values and the checks on free text here.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Any, TypeVar

import attrs

from onestop.domain.files import FileRef
from onestop.domain.identity import check_text
from onestop.domain.inputs import require_text
from onestop.domain.statuses import DossierStatus
from onestop.errors import InvalidInput

__all__ = [
    "MAX_NOTE_LENGTH",
    "Actor",
    "ActorKind",
    "Attachment",
    "Decision",
    "DueDateChange",
    "DueDateReason",
    "HistoryEntry",
    "PaymentStatus",
    "home_address",
    "note_text",
    "require_actor",
    "require_instance",
]


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
    """A file attached to one component of the dossier.

    ``digitised``: an officer scanned the paper original at the desk (số hoá); ``reused``:
    taken from the applicant's earlier dossier instead of uploaded again (tái sử dụng).
    Both are False in records made before they existed.
    """

    component_id: str
    file: FileRef
    digitised: bool = False
    reused: bool = False


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


class DueDateReason(enum.Enum):
    """Why a dossier's due date was set or moved."""

    #: Set when the dossier was received (the appointment on the receipt).
    RECEIPT = "receipt"
    #: Moved when the complete dossier came back after a supplement (restart or wait excluded).
    SUPPLEMENT = "supplement"
    #: Moved by the working time the clock stood still for a pause.
    PAUSE = "pause"
    #: Moved by the working time spent waiting for a payment.
    PAYMENT = "payment"
    #: A new date given with an apology (phiếu xin lỗi và hẹn lại ngày trả kết quả).
    APOLOGY = "apology"


@attrs.frozen
class DueDateChange:
    """One due date the dossier had: the date (and the instant, for a limit in working
    hours), when it was set, by whom and why. A dossier keeps every one, oldest first."""

    due_date: dt.date
    set_at: dt.datetime
    by: Actor
    reason: DueDateReason
    #: The due instant for a limit in working hours; None when the whole due date counts.
    due_at: dt.datetime | None = None


#: Longest note or reason an officer or applicant may write on a step.
MAX_NOTE_LENGTH = 4000

# Notes may span lines, but no other control character (NUL breaks PostgreSQL text, escape
# sequences a terminal) and no bidirectional embedding, override or isolate: those reorder
# what the applicant reads ("\u202efdp.exe" shows as "exe.pdf").
_FORBIDDEN_IN_NOTES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

_T = TypeVar("_T")


def note_text(value: object, field: str, *, required: bool) -> str:
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


def require_instance(value: Any, cls: type[_T], field: str, example: str) -> _T:
    """``value`` if it is a ``cls``; InvalidInput naming ``field`` otherwise (not TypeError)."""
    if not isinstance(value, cls):
        kind = "None" if value is None else type(value).__name__
        raise InvalidInput(field, f"must be a {cls.__name__} ({example}), not {kind}", value)
    return value


def home_address(value: str, field: str) -> str:
    """A home pick-up or delivery address, checked like the applicant's own address."""
    return check_text(value, field, max_length=500)


def require_actor(value: Any, field: str) -> Actor:
    return require_instance(
        value, Actor, field, "Actor.officer(id, name) or Actor.applicant(id, name)"
    )
