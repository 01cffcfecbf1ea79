"""Citizens' satisfaction (DOMAIN section 11): a rating of a returned dossier, and complaints.

A citizen rates a dossier once, after its result was returned (:class:`Rating`), on the scale
of the national public service portal's assessment (:class:`SatisfactionLevel`: very
satisfied, satisfied, dissatisfied), with an optional comment. At any time after submitting
it, the citizen may leave a complaint (phản ánh, kiến nghị) about it (:class:`Complaint`).

The satisfaction indicator counts a dossier as *unsatisfied* when it has a complaint or a
poor rating (:attr:`Rating.poor`, the dissatisfied level).

Both records name the dossier's receiving agency, so that the agency's officers can list
them and the indicators can count them per agency. Building one checks the rules and
records an event (:class:`~onestop.domain.events.DossierRated`,
:class:`~onestop.domain.events.ComplaintFiled`) that the application pulls.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from onestop.domain import events as ev
from onestop.domain.dossier import MAX_NOTE_LENGTH, Dossier
from onestop.domain.dossier import _text as _note_text  # one rule for every free text
from onestop.domain.inputs import require_datetime, require_text
from onestop.domain.statuses import DossierStatus
from onestop.errors import InvalidInput, TransitionNotAllowed

__all__ = [
    "MAX_COMMENT_LENGTH",
    "Complaint",
    "Rating",
    "SatisfactionLevel",
]

#: Longest comment or complaint a citizen may write.
MAX_COMMENT_LENGTH = MAX_NOTE_LENGTH


class SatisfactionLevel(enum.Enum):
    """How satisfied the citizen is (the national portal's three levels)."""

    VERY_SATISFIED = "very_satisfied"  # Rất hài lòng
    SATISFIED = "satisfied"  # Hài lòng
    DISSATISFIED = "dissatisfied"  # Không hài lòng

    @property
    def label_vi(self) -> str:
        return _LABELS_VI[self]

    @property
    def poor(self) -> bool:
        """Whether this level counts against the satisfaction indicator."""
        return self is SatisfactionLevel.DISSATISFIED


_LABELS_VI = {
    SatisfactionLevel.VERY_SATISFIED: "Rất hài lòng",
    SatisfactionLevel.SATISFIED: "Hài lòng",
    SatisfactionLevel.DISSATISFIED: "Không hài lòng",
}


def _level(value: object) -> SatisfactionLevel:
    if isinstance(value, SatisfactionLevel):
        return value
    if isinstance(value, str):
        for level in SatisfactionLevel:
            if value == level.value:
                return level
    raise InvalidInput(
        "level",
        "must be one of " + ", ".join(level.value for level in SatisfactionLevel),
        value,
        rule_code="one_of",
    )


def _dossier(value: object) -> None:
    if not isinstance(value, Dossier):
        kind = "None" if value is None else type(value).__name__
        raise InvalidInput("dossier", f"must be a Dossier, not {kind}", value)


def _level_field(_: object, attribute: attrs.Attribute[SatisfactionLevel], value: object) -> None:
    if not isinstance(value, SatisfactionLevel):
        _level(value)  # raises, naming the levels


def _text_field(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    require_text(value, attribute.name)


def _instant_field(_: object, attribute: attrs.Attribute[dt.datetime], value: object) -> None:
    require_datetime(value, attribute.name)


#: The statuses a complaint may be left in: every one but a draft.
_SUBMITTED = tuple(s for s in DossierStatus if s is not DossierStatus.DRAFT)


@attrs.frozen
class Rating:
    """A citizen's rating of one returned dossier; a dossier has at most one."""

    dossier_id: str = attrs.field(validator=_text_field)
    account_id: str = attrs.field(validator=_text_field)
    #: The receiving agency's electronic id, as text.
    agency: str = attrs.field(validator=_text_field)
    level: SatisfactionLevel = attrs.field(validator=_level_field)
    comment: str = attrs.field(validator=_text_field)
    at: dt.datetime = attrs.field(validator=_instant_field)

    @property
    def poor(self) -> bool:
        return self.level.poor

    @classmethod
    def of(
        cls,
        dossier: Dossier,
        *,
        level: SatisfactionLevel | str,
        comment: str = "",
        now: dt.datetime,
    ) -> tuple[Rating, ev.DossierRated]:
        """The owner's rating of ``dossier``, which must have its result returned.

        TransitionNotAllowed before the result is returned; InvalidInput for a level not on
        the scale or a comment that breaks the rules of notes.
        """
        _dossier(dossier)
        chosen = _level(level)
        text = _note_text(comment, "comment", required=False)
        require_datetime(now, "now")
        if dossier.status is not DossierStatus.RESULT_RETURNED:
            raise TransitionNotAllowed(
                "rate", dossier.status.value, (DossierStatus.RESULT_RETURNED.value,)
            )
        rating = cls(dossier.id, dossier.owner_id, dossier.agency, chosen, text, now)
        return rating, ev.DossierRated(at=now, dossier_id=dossier.id, level=chosen.value)


@attrs.frozen
class Complaint:
    """A complaint (phản ánh, kiến nghị) a citizen left about one submitted dossier."""

    id: str = attrs.field(validator=_text_field)
    dossier_id: str = attrs.field(validator=_text_field)
    account_id: str = attrs.field(validator=_text_field)
    #: The receiving agency's electronic id, as text.
    agency: str = attrs.field(validator=_text_field)
    text: str = attrs.field(validator=_text_field)
    at: dt.datetime = attrs.field(validator=_instant_field)

    @classmethod
    def of(
        cls, dossier: Dossier, *, id: str, text: str, now: dt.datetime
    ) -> tuple[Complaint, ev.ComplaintFiled]:
        """The owner's complaint about ``dossier``, which must have been submitted.

        TransitionNotAllowed for a draft; InvalidInput for an empty text or one that breaks
        the rules of notes.
        """
        _dossier(dossier)
        require_text(id, "id")
        body = _note_text(text, "text", required=True)
        require_datetime(now, "now")
        if dossier.status is DossierStatus.DRAFT:
            raise TransitionNotAllowed(
                "complain about", dossier.status.value, tuple(s.value for s in _SUBMITTED)
            )
        complaint = cls(id, dossier.id, dossier.owner_id, dossier.agency, body, now)
        return complaint, ev.ComplaintFiled(at=now, dossier_id=dossier.id, complaint_id=id)
