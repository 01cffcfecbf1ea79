"""Service indicators (DOMAIN section 11, Decision 766/QĐ-TTg): pure arithmetic over facts.

:class:`DossierFacts` is what one dossier contributes, taken from our own records;
:func:`compute` turns the facts of one agency and period into :class:`Indicators`, each
figure a :class:`Ratio` (or :class:`Average`) that states its numerator and denominator and
the dossiers behind them, so a director can check any figure against the records.

Rules:

* **period**: local days ``start`` to ``end``, both included. A dossier *received* in the
  period is its denominator for the reception figures; a dossier *decided* in the period
  (``NgayKetThucXuLy``) is a result due for the on-time figure.
* **on time**: decided on or before its due date. The due date already moved by the working
  days spent waiting for a supplement (the clock stops then), so that wait is excluded; a
  dossier asked for a supplement more than once, or rescheduled with an apology, is late.
* **open / overdue**: received in the period and not finished at the end of it; overdue
  when, at the end of the period, its due date has passed with the clock running.
* **online**: filed online (channel 2) among those received; **online payment**: among
  those received with fees, paid through an online gateway; **VNeID**: ``None`` when the
  records do not say (never counted as 0 % or 100 %); **synced**: received dossiers the
  national portal acknowledged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import attrs

from onestop.errors import InvalidInput

__all__ = ["Average", "DossierFacts", "Indicators", "Ratio", "compute"]


@attrs.frozen
class Ratio:
    """``numerator`` of ``denominator`` dossiers (or procedures), by id."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]

    @property
    def value(self) -> float | None:
        """The share from 0 to 1; None when nothing is counted (not 0 %, not 100 %)."""
        if not self.denominator:
            return None
        return len(self.numerator) / len(self.denominator)

    @property
    def percent(self) -> float | None:
        value = self.value
        return None if value is None else round(100 * value, 2)

    def __str__(self) -> str:
        shown = "n/a" if self.percent is None else f"{self.percent:g}%"
        return f"{len(self.numerator)}/{len(self.denominator)} ({shown})"


@attrs.frozen
class Average:
    """The mean of ``values`` (days), with the dossier each value belongs to."""

    values: tuple[tuple[str, float], ...]

    @property
    def value(self) -> float | None:
        if not self.values:
            return None
        return sum(v for _, v in self.values) / len(self.values)

    def __str__(self) -> str:
        v = self.value
        return "n/a" if v is None else f"{v:.2f} days over {len(self.values)}"


@attrs.frozen
class DossierFacts:
    """What one submitted dossier contributes to the indicators, from our records."""

    dossier_id: str
    procedure_code: str
    received_on: dt.date | None
    due_date: dt.date | None
    #: When it was decided (approved or refused), if it was.
    decided_at: dt.datetime | None
    decided_on: dt.date | None
    received_at: dt.datetime | None
    #: The local day it ended without a result (refused reception, withdrawn, stopped).
    closed_on: dt.date | None
    supplement_requests: int
    rescheduled: bool
    #: Paused (or waiting for a supplement or payment) at the end of the period.
    paused_at_end: bool
    online: bool
    has_fees: bool
    paid_online: bool
    #: True / False when the account records it; None when the records do not say.
    vneid: bool | None
    synced: bool

    def __attrs_post_init__(self) -> None:
        if self.supplement_requests < 0:
            raise InvalidInput("supplement_requests", "must be 0 or more", self.supplement_requests)

    def finished_by(self, day: dt.date) -> bool:
        ends = [d for d in (self.decided_on, self.closed_on) if d is not None]
        return bool(ends) and min(ends) <= day

    @property
    def on_time(self) -> bool:
        """Decided on or before its due date, at most one supplement, no apology."""
        if self.decided_on is None:
            return False
        if self.supplement_requests > 1 or self.rescheduled:
            return False
        return self.due_date is None or self.decided_on <= self.due_date


@attrs.frozen
class Indicators:
    """The figures of one agency and period."""

    start: dt.date
    end: dt.date
    received: tuple[str, ...]
    on_time: Ratio
    late: Ratio
    average_handling_days: Average
    open: Ratio
    overdue: Ratio
    online: Ratio
    procedures_with_online_dossier: Ratio
    online_payment: Ratio
    vneid: Ratio | None
    synced: Ratio


def _ids(facts: Iterable[DossierFacts]) -> tuple[str, ...]:
    return tuple(sorted(f.dossier_id for f in facts))


def compute(
    facts: Sequence[DossierFacts],
    *,
    start: dt.date,
    end: dt.date,
    procedures: Sequence[str] = (),
) -> Indicators:
    """The indicators of ``facts`` for the days ``start`` to ``end`` (both included).

    ``procedures`` are the codes of the agency's procedures (for the share that received an
    online dossier); facts outside the period are ignored.
    """
    if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
        raise InvalidInput(
            "period", "must be two dates, the end not before the start", (start, end)
        )

    def within(day: dt.date | None) -> bool:
        return day is not None and start <= day <= end

    received = [f for f in facts if within(f.received_on)]
    decided = [f for f in facts if within(f.decided_on)]
    on_time = [f for f in decided if f.on_time]
    late = [f for f in decided if not f.on_time]
    still_open = [f for f in received if not f.finished_by(end)]
    overdue = [
        f for f in still_open if f.due_date is not None and f.due_date < end and not f.paused_at_end
    ]
    online = [f for f in received if f.online]
    with_fees = [f for f in received if f.has_fees]
    recorded_vneid = [f for f in received if f.vneid is not None]
    online_procedures = {f.procedure_code for f in online}
    handling = tuple(
        (f.dossier_id, (f.decided_at - f.received_at).total_seconds() / 86_400)
        for f in sorted(decided, key=lambda f: f.dossier_id)
        if f.decided_at is not None and f.received_at is not None
    )
    return Indicators(
        start=start,
        end=end,
        received=_ids(received),
        on_time=Ratio(_ids(on_time), _ids(decided)),
        late=Ratio(_ids(late), _ids(decided)),
        average_handling_days=Average(handling),
        open=Ratio(_ids(still_open), _ids(received)),
        overdue=Ratio(_ids(overdue), _ids(received)),
        online=Ratio(_ids(online), _ids(received)),
        procedures_with_online_dossier=Ratio(
            tuple(sorted(p for p in set(procedures) if p in online_procedures)),
            tuple(sorted(set(procedures))),
        ),
        online_payment=Ratio(_ids(f for f in with_fees if f.paid_online), _ids(with_fees)),
        vneid=(
            Ratio(_ids(f for f in recorded_vneid if f.vneid), _ids(recorded_vneid))
            if recorded_vneid
            else None
        ),
        synced=Ratio(_ids(f for f in received if f.synced), _ids(received)),
    )
