"""Service indicators (DOMAIN section 11, Decision 766/QĐ-TTg) as counts over our records.

A report covers the dossiers of some agencies (:class:`ReportScope`) over local days
(:class:`ReportPeriod`). Each :class:`Figure` states its numerator and denominator, and
the dossiers (or procedures) behind either can be listed; storage counts them (in SQL on a
database, :class:`~onestop.ports.storage.ReportQueries`), and :func:`members` here is the
reference every adapter must agree with, over the :class:`DossierFacts` of each dossier.

The rules, with the period's local days ``start`` to ``end`` both included:

* **received** in the period: the reception (``received_at``) falls in it; every share of
  dossiers below is of these, unless said otherwise.
* **on time / late**: of the dossiers *decided* (approved or refused) in the period, those
  decided on or before their due date, asked for a supplement at most once and never given
  an apology (rescheduled). The due date already moved by the working days spent waiting
  for a supplement (the clock stops then), so that wait is excluded.
* **open**: received, and neither decided nor closed (refused, withdrawn, stopped) by the
  end of the period; **overdue**: open, its due date before the period's last day, and its
  clock running at the end (not paused, not waiting for a supplement or a payment).
* **average handling time**: over the dossiers decided in the period, days from reception to
  decision.
* **online**: filed on the portal and not fetched from home by post (channel 2);
  **procedures with an online dossier**: of the scope's procedures, those that received an
  online dossier in the period; **online payment**: of the received dossiers with fees,
  those with a payment confirmed through a gateway.
* **VNeID**: the owner's account is linked to a national identity; **synced**: the national
  portal acknowledged at least one message of the dossier.
* **complained or poor**: a complaint, or a dissatisfied rating, made before the end of
  the period; the **satisfaction** score is 100 % minus the overdue and the complained-or-
  poor shares (not below 0).

* **electronic results**: of the dossiers decided in the period, those with at least one
  electronic result document; **online end to end**: the same, of the online (channel 2)
  dossiers decided in the period.
* **digitised / reused components**: of the received dossiers, those with at least one
  component file scanned at the desk (digitised) / taken from the applicant's earlier
  dossier (reused). Results and files added after the period count too (the records keep no
  time for them apart from the history).

A measure the records could not answer would be listed in :data:`NOT_RECORDED` and reported
as not recorded, never as 0 %; none is now.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final, Literal

import attrs

from onestop.domain.codes import AgencyCode, local_day
from onestop.domain.dossier import Dossier
from onestop.domain.vn_time import VN_TZ
from onestop.errors import InvalidInput

__all__ = [
    "MAX_REPORT_DAYS",
    "NOT_RECORDED",
    "DossierFacts",
    "Figure",
    "IndicatorCounts",
    "Measure",
    "Part",
    "Report",
    "ReportPeriod",
    "ReportScope",
    "check_query",
    "count",
    "members",
    "static_facts",
]

#: The longest period a report covers (ten years of days).
MAX_REPORT_DAYS: Final = 3660

#: Which side of a figure to list: the dossiers counted above or below the line.
Part = Literal["numerator", "denominator"]


class Measure(enum.Enum):
    """One figure of a report."""

    ON_TIME = "on_time"
    LATE = "late"
    OPEN = "open"
    OVERDUE = "overdue"
    ONLINE = "online"
    ONLINE_END_TO_END = "online_end_to_end"
    PROCEDURES_WITH_ONLINE_DOSSIER = "procedures_with_online_dossier"
    ONLINE_PAYMENT = "online_payment"
    ELECTRONIC_RESULTS = "electronic_results"
    DIGITISED_COMPONENTS = "digitised_components"
    REUSED_COMPONENTS = "reused_components"
    VNEID = "vneid"
    SYNCED = "synced"
    COMPLAINED_OR_POOR = "complained_or_poor"


#: Measures this portal's records do not hold, reported as not recorded (none since
#: dossiers record result documents and digitised/reused component files).
NOT_RECORDED: Final[frozenset[Measure]] = frozenset()

#: Statuses in which the clock stops (waiting for the applicant).
CLOCK_STOPPED_STATUSES: Final = frozenset({"supplement_requested", "payment_requested"})
#: History actions that stop the clock, and those that start it again.
PAUSING_ACTIONS: Final = frozenset({"paused"})
UNPAUSING_ACTIONS: Final = frozenset({"resumed", "payment_completed", "resubmitted"})
#: History actions that end a dossier without a decision.
CLOSING_ACTIONS: Final = frozenset({"reception_refused", "withdrawn", "stopped"})


def _day(value: object, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInput(field, "must be a date (not a datetime)", value)
    return value


@attrs.frozen
class ReportPeriod:
    """Local (Vietnam) days ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    def __attrs_post_init__(self) -> None:
        _day(self.start, "start")
        _day(self.end, "end")
        # Its instants run from the day before the start (UTC) to the day after the end.
        for name, day in (("start", self.start), ("end", self.end)):
            if not dt.date(dt.MINYEAR + 1, 1, 1) <= day <= dt.date(dt.MAXYEAR - 1, 12, 31):
                raise InvalidInput(
                    name,
                    f"must be a day of the years {dt.MINYEAR + 1} to {dt.MAXYEAR - 1}",
                    day,
                    rule_code="out_of_range",
                )
        if self.end < self.start:
            raise InvalidInput("end", "must not be before the start", self.end)
        if (self.end - self.start).days >= MAX_REPORT_DAYS:
            raise InvalidInput(
                "end",
                f"must be less than {MAX_REPORT_DAYS} days after the start",
                self.end,
                rule_code="out_of_range",
                limits={"maximum": MAX_REPORT_DAYS},
            )

    @property
    def starts_at(self) -> dt.datetime:
        """The first instant of the period (00:00 in Vietnam), in UTC."""
        return dt.datetime.combine(self.start, dt.time(0), VN_TZ).astimezone(dt.UTC)

    @property
    def ends_at(self) -> dt.datetime:
        """The first instant after the period (00:00 the next day in Vietnam), in UTC."""
        following = self.end + dt.timedelta(days=1)
        return dt.datetime.combine(following, dt.time(0), VN_TZ).astimezone(dt.UTC)

    def months(self) -> list[ReportPeriod]:
        """The calendar months the period touches, each cut to the period."""
        found: list[ReportPeriod] = []
        first = self.start
        while first <= self.end:
            following = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            found.append(ReportPeriod(first, min(self.end, following - dt.timedelta(days=1))))
            first = following
        return found


@attrs.frozen
class ReportScope:
    """The agencies whose dossiers (and procedures) a report counts, over a period."""

    agencies: frozenset[AgencyCode]
    period: ReportPeriod

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.agencies, frozenset) or not all(
            isinstance(a, AgencyCode) for a in self.agencies
        ):
            raise InvalidInput("agencies", "must be a frozenset of AgencyCode", self.agencies)
        if not self.agencies:
            raise InvalidInput("agencies", "must name at least one agency")
        if not isinstance(self.period, ReportPeriod):
            raise InvalidInput("period", "must be a ReportPeriod", self.period)

    @property
    def agency_keys(self) -> tuple[str, ...]:
        """The agencies' storage keys, sorted."""
        return tuple(sorted(a.key for a in self.agencies))


@attrs.frozen
class Figure:
    """``numerator`` of ``denominator`` dossiers (procedures, for that measure)."""

    measure: Measure
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The share from 0 to 1; None when nothing is counted (not 0 %, not 100 %)."""
        return None if self.denominator == 0 else self.numerator / self.denominator

    @property
    def percent(self) -> float | None:
        value = self.value
        return None if value is None else round(100 * value, 2)

    def __str__(self) -> str:
        shown = "n/a" if self.percent is None else f"{self.percent:g}%"
        return f"{self.numerator}/{self.denominator} ({shown})"


@attrs.frozen
class IndicatorCounts:
    """What storage counts for a scope: (numerator, denominator) per recorded measure, the
    dossiers received, and the handling time summed over the dossiers decided."""

    received: int
    pairs: Mapping[Measure, tuple[int, int]]
    handling_days: float
    handled: int


@attrs.frozen
class Report:
    """The indicators of an agency (with its sub-agencies or not) over a period."""

    agency: AgencyCode
    with_sub_agencies: bool
    period: ReportPeriod
    received: int
    figures: tuple[Figure, ...]
    #: Mean days from reception to decision over ``handled`` dossiers (None: none decided).
    average_handling_days: float | None
    handled: int

    @classmethod
    def of(
        cls,
        agency: AgencyCode,
        with_sub_agencies: bool,
        scope: ReportScope,
        counts: IndicatorCounts,
    ) -> Report:
        figures = tuple(Figure(m, *counts.pairs[m]) for m in Measure if m not in NOT_RECORDED)
        average = counts.handling_days / counts.handled if counts.handled else None
        return cls(
            agency,
            with_sub_agencies,
            scope.period,
            counts.received,
            figures,
            average,
            counts.handled,
        )

    def figure(self, measure: Measure) -> Figure | None:
        """The figure of ``measure``; None for a measure the records do not hold."""
        return next((f for f in self.figures if f.measure is measure), None)

    @property
    def satisfaction(self) -> float | None:
        """100 % minus the overdue and complained-or-poor shares, in percent (not below 0)."""
        overdue, poor = self.figure(Measure.OVERDUE), self.figure(Measure.COMPLAINED_OR_POOR)
        if overdue is None or poor is None or overdue.percent is None or poor.percent is None:
            return None
        return max(0.0, round(100 - overdue.percent - poor.percent, 2))


# --- the reference computation -----------------------------------------------------------


@attrs.frozen
class DossierFacts:
    """What one submitted dossier contributes, from the dossier and the records around it."""

    dossier_id: str
    procedure_code: str
    received_at: dt.datetime | None
    decided_at: dt.datetime | None
    decided_on: dt.date | None
    due_date: dt.date | None
    closed_at: dt.datetime | None
    supplement_requests: int
    rescheduled: bool
    online: bool
    total_fees: int
    #: How many electronic result documents, digitised and reused component files it has.
    result_files: int
    digitised_files: int
    reused_files: int
    #: (at, action, status after) of each history entry, oldest first.
    history: tuple[tuple[dt.datetime, str, str], ...]
    paid_online: bool
    synced: bool
    vneid: bool
    complaint_times: tuple[dt.datetime, ...]
    poor_rating_at: dt.datetime | None

    @classmethod
    def of(
        cls,
        dossier: Dossier,
        *,
        paid_online: bool,
        synced: bool,
        vneid: bool,
        complaint_times: Iterable[dt.datetime] = (),
        poor_rating_at: dt.datetime | None = None,
    ) -> DossierFacts:
        """The facts of ``dossier`` and of the payments, sync, account and feedback given."""
        fixed = static_facts(dossier)
        return cls(
            dossier_id=dossier.id,
            procedure_code=dossier.procedure.code,
            history=tuple((h.at, h.action, h.to_status.value) for h in dossier.history),
            paid_online=paid_online,
            synced=synced,
            vneid=vneid,
            complaint_times=tuple(complaint_times),
            poor_rating_at=poor_rating_at,
            **fixed,  # type: ignore[arg-type]
        )

    def clock_stopped_at(self, moment: dt.datetime) -> bool:
        """Whether the clock was stopped at the end of the instant before ``moment``."""
        status, paused = "", False
        for at, action, to_status in self.history:
            if at >= moment:
                break
            status = to_status
            if action in PAUSING_ACTIONS:
                paused = True
            elif action in UNPAUSING_ACTIONS:
                paused = False
        return paused or status in CLOCK_STOPPED_STATUSES


def static_facts(dossier: Dossier) -> dict[str, object]:
    """The facts a dossier holds by itself, as storage keeps them in columns."""
    decision = dossier.decision
    closed = [h.at for h in dossier.history if h.action in CLOSING_ACTIONS]
    return {
        "received_at": dossier.received_at,
        "decided_at": None if decision is None else decision.at,
        "decided_on": None if decision is None else local_day(decision.at),
        "due_date": dossier.due_date,
        "closed_at": closed[-1] if closed else None,
        "supplement_requests": sum(h.action == "supplement_requested" for h in dossier.history),
        "rescheduled": any(h.action == "rescheduled" for h in dossier.history),
        # Channel 2 (online), unless a paper dossier is fetched from home by post (3).
        "online": dossier.home_pickup_address is None,
        "total_fees": dossier.total_fees,
        "result_files": len(dossier.results),
        "digitised_files": sum(a.digitised for a in dossier.attachments),
        "reused_files": sum(a.reused for a in dossier.attachments),
    }


def _within(instant: dt.datetime | None, period: ReportPeriod) -> bool:
    return instant is not None and period.starts_at <= instant < period.ends_at


def _before(instant: dt.datetime | None, moment: dt.datetime) -> bool:
    return instant is not None and instant < moment


def _rules(
    period: ReportPeriod,
) -> dict[Measure, tuple[Callable[[DossierFacts], bool], Callable[[DossierFacts], bool]]]:
    """(denominator, numerator) tests of each dossier measure."""
    ends = period.ends_at

    def received(f: DossierFacts) -> bool:
        return _within(f.received_at, period)

    def decided(f: DossierFacts) -> bool:
        return _within(f.decided_at, period)

    def on_time(f: DossierFacts) -> bool:
        return (
            f.supplement_requests <= 1
            and not f.rescheduled
            and (f.due_date is None or (f.decided_on is not None and f.decided_on <= f.due_date))
        )

    def still_open(f: DossierFacts) -> bool:
        return not (_before(f.decided_at, ends) or _before(f.closed_at, ends))

    def overdue(f: DossierFacts) -> bool:
        return (
            still_open(f)
            and f.due_date is not None
            and f.due_date < period.end
            and not f.clock_stopped_at(ends)
        )

    def with_fees(f: DossierFacts) -> bool:
        return received(f) and f.total_fees > 0

    def complained_or_poor(f: DossierFacts) -> bool:
        return any(at < ends for at in f.complaint_times) or _before(f.poor_rating_at, ends)

    return {
        Measure.ON_TIME: (decided, on_time),
        Measure.LATE: (decided, lambda f: not on_time(f)),
        Measure.OPEN: (received, still_open),
        Measure.OVERDUE: (received, overdue),
        Measure.ONLINE: (received, lambda f: f.online),
        Measure.ONLINE_PAYMENT: (with_fees, lambda f: f.paid_online),
        Measure.ELECTRONIC_RESULTS: (decided, lambda f: f.result_files > 0),
        Measure.ONLINE_END_TO_END: (
            lambda f: decided(f) and f.online,
            lambda f: f.result_files > 0,
        ),
        Measure.DIGITISED_COMPONENTS: (received, lambda f: f.digitised_files > 0),
        Measure.REUSED_COMPONENTS: (received, lambda f: f.reused_files > 0),
        Measure.VNEID: (received, lambda f: f.vneid),
        Measure.SYNCED: (received, lambda f: f.synced),
        Measure.COMPLAINED_OR_POOR: (received, complained_or_poor),
    }


def _online_procedures(facts: Sequence[DossierFacts], period: ReportPeriod) -> set[str]:
    return {f.procedure_code for f in facts if f.online and _within(f.received_at, period)}


def check_query(scope: object, measure: object = None, part: object = "numerator") -> None:
    """InvalidInput unless ``scope`` is a ReportScope, ``measure`` (when given) a Measure the
    records hold and ``part`` a side of a figure."""
    if not isinstance(scope, ReportScope):
        raise InvalidInput("scope", "must be a ReportScope", scope)
    if measure is not None:
        _check_measure(measure, part)


def _check_measure(measure: object, part: object) -> None:
    if not isinstance(measure, Measure) or measure in NOT_RECORDED:
        raise InvalidInput(
            "measure",
            "must be one of " + ", ".join(m.value for m in Measure if m not in NOT_RECORDED),
            measure,
            rule_code="one_of",
        )
    if part not in ("numerator", "denominator"):
        raise InvalidInput("part", "must be numerator or denominator", part, rule_code="one_of")


def members(
    facts: Sequence[DossierFacts],
    procedures: Iterable[str],
    period: ReportPeriod,
    measure: Measure,
    part: Part,
) -> list[str]:
    """The ids (procedure codes, for that measure) counted in one part of a figure, sorted."""
    _check_measure(measure, part)
    if measure is Measure.PROCEDURES_WITH_ONLINE_DOSSIER:
        codes = set(procedures)
        if part == "numerator":
            codes &= _online_procedures(facts, period)
        return sorted(codes)
    below, above = _rules(period)[measure]
    return sorted(f.dossier_id for f in facts if below(f) and (part == "denominator" or above(f)))


def count(
    facts: Sequence[DossierFacts], procedures: Iterable[str], period: ReportPeriod
) -> IndicatorCounts:
    """Every count of a report over ``facts`` and the scope's ``procedures``."""
    codes = set(procedures)
    pairs: dict[Measure, tuple[int, int]] = {}
    for measure, (below, above) in _rules(period).items():
        under = [f for f in facts if below(f)]
        pairs[measure] = (sum(1 for f in under if above(f)), len(under))
    pairs[Measure.PROCEDURES_WITH_ONLINE_DOSSIER] = (
        len(codes & _online_procedures(facts, period)),
        len(codes),
    )
    spans = [
        (f.decided_at - f.received_at).total_seconds() / 86_400
        for f in facts
        if f.decided_at is not None and f.received_at is not None and _within(f.decided_at, period)
    ]
    received = sum(1 for f in facts if _within(f.received_at, period))
    return IndicatorCounts(received, pairs, sum(spans), len(spans))
