"""The SQL storage's indicator queries (``uow.reports``): aggregates, never a dossier loaded.

Each measure of :mod:`onestop.domain.reports` is a pair of SQL conditions over one
dossier row (its report columns, written with the dossier), and correlated subqueries
over payments, the sync outbox, accounts, complaints, ratings and, for the clock at the end
of the period, the progress history. The counts of a report are one ``SELECT`` of
``SUM(CASE ...)`` over the scope's dossiers plus one over its procedures; listing the
dossiers behind a figure is a ``SELECT id ... ORDER BY id LIMIT ... OFFSET ...``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.sql.elements import ColumnElement

from onestop.adapters._slices import check_slice
from onestop.adapters.sql import schema as t
from onestop.adapters.sql._execute import _instant_text
from onestop.adapters.sql._repositories import _Repository
from onestop.adapters.sql._statements import _ALL_ROWS
from onestop.domain.payments import PaymentState
from onestop.domain.reports import (
    CLOCK_STOPPED_STATUSES,
    PAUSING_ACTIONS,
    UNPAUSING_ACTIONS,
    IndicatorCounts,
    Measure,
    Part,
    ReportScope,
    check_query,
)
from onestop.domain.satisfaction import SatisfactionLevel
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncState

d = t.dossiers.alias("d")
h = t.dossier_history
#: The rating levels counted as dissatisfied.
_POOR = sorted(level.value for level in SatisfactionLevel if level.poor)


def _params(dialect: str, scope: ReportScope) -> dict[str, Any]:
    period = scope.period
    starts, ends = period.starts_at, period.ends_at
    sqlite = dialect == "sqlite"
    return {
        "r_agencies": list(scope.agency_keys),
        "r_starts": _instant_text(starts) if sqlite else starts,
        "r_ends": _instant_text(ends) if sqlite else ends,
        "r_last_day": period.end.isoformat() if sqlite else period.end,
    }


_STARTS: Any = bindparam("r_starts")
_ENDS: Any = bindparam("r_ends")
_LAST_DAY: Any = bindparam("r_last_day")
_IN_SCOPE = and_(
    d.c.agency.in_(bindparam("r_agencies", expanding=True)), d.c.status != DossierStatus.DRAFT.value
)


def _within(column: Any) -> ColumnElement[bool]:
    return and_(column.is_not(None), column >= _STARTS, column < _ENDS)


def _before_end(column: Any) -> ColumnElement[bool]:
    return and_(column.is_not(None), column < _ENDS)


def _history_max(*actions: str) -> Any:
    """The position of the dossier's last step before the end (of one of ``actions``)."""
    step = h.alias()
    where = [step.c.dossier_id == d.c.id, step.c.at < _ENDS]
    if actions:
        where.append(step.c.action.in_(actions))
    return select(func.max(step.c.position)).where(*where).correlate(d).scalar_subquery()


def _clock_stopped_at_end() -> ColumnElement[bool]:
    """The last step before the end left the dossier waiting, or paused it for good."""
    last = h.alias()
    status = (
        select(last.c.to_status)
        .where(last.c.dossier_id == d.c.id, last.c.position == _history_max())
        .correlate(d)
        .scalar_subquery()
    )
    paused = _history_max(*sorted(PAUSING_ACTIONS))
    unpaused = _history_max(*sorted(UNPAUSING_ACTIONS))
    return or_(
        status.in_(sorted(CLOCK_STOPPED_STATUSES)),
        and_(paused.is_not(None), or_(unpaused.is_(None), paused > unpaused)),
    )


def _vneid(dialect: str) -> ColumnElement[bool]:
    # The owner's account is linked to a national identity (its subject is recorded).
    column = t.accounts.c.national_subject
    if dialect == "postgresql":
        return d.c.owner_id.in_(select(t.accounts.c.id).where(column.is_not(None)))
    return exists().where(t.accounts.c.id == d.c.owner_id, column.is_not(None))


def _has(dialect: str, table: Any, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether the dossier has a row of ``table`` (with ``dossier_id``) meeting ``conditions``.

    PostgreSQL reads an uncorrelated ``IN`` once into a hashed subplan; inside the report's
    CASE expressions an EXISTS would run once per dossier. SQLite materialises an ``IN``
    whole, whatever the scope, and may walk an index chosen for the other condition from
    an EXISTS: there a correlated EXISTS found through the dossier's own rows, with the
    other conditions as expressions no index answers, costs what the scope holds.
    """
    if dialect == "postgresql":
        return d.c.id.in_(select(table.c.dossier_id).where(*conditions))
    return exists().where(table.c.dossier_id == d.c.id, *conditions)


def _rules(dialect: str) -> dict[Measure, tuple[ColumnElement[bool], ColumnElement[bool]]]:
    received = _within(d.c.received_at)
    decided = _within(d.c.decided_at)
    on_time = and_(
        d.c.supplement_requests <= 1,
        not_(d.c.rescheduled),
        or_(
            d.c.due_date.is_(None),
            and_(d.c.decided_on.is_not(None), d.c.decided_on <= d.c.due_date),
        ),
    )
    still_open = not_(or_(_before_end(d.c.decided_at), _before_end(d.c.closed_at)))
    overdue = and_(
        still_open,
        d.c.due_date.is_not(None),
        d.c.due_date < _LAST_DAY,
        not_(_clock_stopped_at_end()),
    )
    # The states compared as expressions that no index answers (see _has).
    paid_online = _has(
        dialect, t.payments, t.payments.c.state.concat("") == PaymentState.CONFIRMED.value
    )
    synced = _has(dialect, t.sync_outbox, t.sync_outbox.c.state.concat("") == SyncState.SENT.value)
    complained = _has(dialect, t.complaints, t.complaints.c.at < _ENDS)
    poor = _has(dialect, t.ratings, t.ratings.c.level.in_(_POOR), t.ratings.c.at < _ENDS)
    return {
        Measure.ON_TIME: (decided, on_time),
        Measure.LATE: (decided, not_(on_time)),
        Measure.OPEN: (received, still_open),
        Measure.OVERDUE: (received, overdue),
        Measure.ONLINE: (received, d.c.online),
        Measure.ONLINE_PAYMENT: (and_(received, d.c.total_fees > 0), paid_online),
        Measure.ELECTRONIC_RESULTS: (decided, d.c.result_files > 0),
        Measure.ONLINE_END_TO_END: (and_(decided, d.c.online), d.c.result_files > 0),
        Measure.DIGITISED_COMPONENTS: (received, d.c.digitised_files > 0),
        Measure.REUSED_COMPONENTS: (received, d.c.reused_files > 0),
        Measure.VNEID: (received, _vneid(dialect)),
        Measure.SYNCED: (received, synced),
        Measure.COMPLAINED_OR_POOR: (received, or_(complained, poor)),
    }


def _one(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _days(dialect: str) -> Any:
    if dialect == "sqlite":
        return func.julianday(d.c.decided_at) - func.julianday(d.c.received_at)
    instant = TIMESTAMP(timezone=True)
    span = type_coerce(d.c.decided_at, instant) - type_coerce(d.c.received_at, instant)
    return func.extract("epoch", span) / 86_400


def _procedures_of_scope() -> Any:
    p = t.procedures
    return p.c.agency.in_(bindparam("r_agencies", expanding=True))


def _online_codes() -> Any:
    return select(d.c.procedure_code).where(_IN_SCOPE, _within(d.c.received_at), d.c.online)


class _Reports(_Repository):
    def indicator_counts(self, scope: ReportScope) -> IndicatorCounts:
        """Every count of a report, in two aggregate queries."""
        check_query(scope)
        uow = self._uow
        dialect = uow._storage.dialect
        rules = _rules(dialect)
        handled = and_(_within(d.c.decided_at), d.c.received_at.is_not(None))
        columns = [_one(_within(d.c.received_at)).label("received")]
        for measure, (below, above) in rules.items():
            columns.append(_one(below).label(f"{measure.value}_d"))
            columns.append(_one(and_(below, above)).label(f"{measure.value}_n"))
        columns.append(_one(handled).label("handled"))
        columns.append(
            func.coalesce(
                func.sum(case((handled, cast(_days(dialect), Float)), else_=literal(0.0))), 0.0
            ).label("handling_days")
        )
        params = _params(dialect, scope)
        row = uow._all(
            "reports.indicator_counts",
            # Only a dossier received or decided in the period counts anywhere.
            select(*columns)
            .select_from(d)
            .where(_IN_SCOPE, or_(_within(d.c.received_at), _within(d.c.decided_at))),
            params,
            dict,
            built=True,
        )[0]
        p = t.procedures
        # Labels unlike any column's name: results are converted by column name (a column
        # named "online" would come back from SQLite as a bool).
        procedures = uow._all(
            "reports.indicator_counts",
            select(
                func.count().label("procedures_all"),
                _one(p.c.code.in_(_online_codes())).label("procedures_online"),
            ).where(_procedures_of_scope()),
            params,
            dict,
            built=True,
        )[0]
        pairs = {m: (int(row[f"{m.value}_n"]), int(row[f"{m.value}_d"])) for m in rules}
        pairs[Measure.PROCEDURES_WITH_ONLINE_DOSSIER] = (
            int(procedures["procedures_online"]),
            int(procedures["procedures_all"]),
        )
        return IndicatorCounts(
            int(row["received"]), pairs, float(row["handling_days"]), int(row["handled"])
        )

    def indicator_members(
        self,
        scope: ReportScope,
        measure: Measure,
        part: Part,
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[str]:
        """The ids behind one part of a figure, sorted, one slice of them."""
        check_query(scope, measure, part)
        check_slice(offset, limit)
        uow = self._uow
        params = _params(uow._storage.dialect, scope)
        if measure is Measure.PROCEDURES_WITH_ONLINE_DOSSIER:
            p = t.procedures
            where = [_procedures_of_scope()]
            if part == "numerator":
                where.append(p.c.code.in_(_online_codes()))
            statement = select(p.c.code.label("id")).where(*where).order_by(p.c.code)
        else:
            below, above = _rules(uow._storage.dialect)[measure]
            condition = below if part == "denominator" else and_(below, above)
            statement = select(d.c.id).where(_IN_SCOPE, condition).order_by(d.c.id)
        statement = statement.limit(_ALL_ROWS if limit is None else limit).offset(offset)
        return uow._all(
            "reports.indicator_members", statement, params, lambda r: str(r["id"]), built=True
        )
