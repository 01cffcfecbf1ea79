"""``portal.reports``: the service indicators of DOMAIN section 11, per agency and period.

Storage counts them (:class:`~onestop.ports.storage.ReportQueries`: aggregate queries on a
database); this service chooses the scope (an agency, with its sub-agencies or not, from
the catalog), checks the period, and lists the dossiers behind any figure, one page at a
time. :mod:`onestop.domain.reports` states the rules.
"""

from __future__ import annotations

import datetime as dt

from onestop.application.arguments import checked_methods
from onestop.application.catalog import agencies_in_scope
from onestop.application.context import AppContext
from onestop.application.pagination import Page, check_page
from onestop.domain.catalog import Agency
from onestop.domain.codes import AgencyCode
from onestop.domain.reports import NOT_RECORDED, Measure, Part, Report, ReportPeriod, ReportScope
from onestop.errors import InvalidInput
from onestop.ports.storage import UnitOfWork

__all__ = ["ReportService"]


def _code(agency: AgencyCode | str) -> AgencyCode:
    return agency if isinstance(agency, AgencyCode) else AgencyCode.parse(agency)


def _measure(measure: Measure | str) -> Measure:
    if isinstance(measure, Measure):
        return measure
    for each in Measure:
        if each.value == measure:
            return each
    raise InvalidInput(
        "measure",
        "must be one of " + ", ".join(m.value for m in Measure if m not in NOT_RECORDED),
        measure,
        rule_code="one_of",
    )


def _scope(
    uow: UnitOfWork, code: AgencyCode, period: ReportPeriod, with_sub_agencies: bool
) -> ReportScope:
    """The agency (AgencyNotFound if the catalog lacks it) and, if asked, every one below."""
    return ReportScope(agencies_in_scope(uow, (code,), with_sub_agencies), period)


@checked_methods
class ReportService:
    """Indicators of an agency (with its sub-agencies or not) over local days, and the
    dossiers behind each figure."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def indicators(
        self,
        agency: AgencyCode | str,
        start: dt.date,
        end: dt.date,
        *,
        with_sub_agencies: bool = False,
    ) -> Report:
        """The figures of ``agency`` for local days ``start`` to ``end`` (both included)."""
        code, period = _code(agency), ReportPeriod(start, end)
        with self._ctx.storage.unit_of_work() as uow:
            scope = _scope(uow, code, period, with_sub_agencies)
            counts = uow.reports.indicator_counts(scope)
        return Report.of(code, with_sub_agencies, scope, counts)

    def monthly(
        self,
        agency: AgencyCode | str,
        start: dt.date,
        end: dt.date,
        *,
        with_sub_agencies: bool = False,
    ) -> list[Report]:
        """One report per calendar month of the period (the first and last cut to it)."""
        code, period = _code(agency), ReportPeriod(start, end)
        reports: list[Report] = []
        with self._ctx.storage.unit_of_work() as uow:
            for month in period.months():
                scope = _scope(uow, code, month, with_sub_agencies)
                reports.append(
                    Report.of(code, with_sub_agencies, scope, uow.reports.indicator_counts(scope))
                )
        return reports

    def agencies(self) -> list[Agency]:
        """The catalog's agencies, by code: what a report of every agency goes through."""
        with self._ctx.storage.unit_of_work() as uow:
            return sorted(uow.catalog.list_agencies(), key=lambda a: a.code.key)

    def dossiers_behind(
        self,
        agency: AgencyCode | str,
        start: dt.date,
        end: dt.date,
        measure: Measure | str,
        part: Part = "numerator",
        *,
        with_sub_agencies: bool = False,
        page: int = 1,
        page_size: int | None = None,
    ) -> Page[str]:
        """The dossier ids (procedure codes, for procedures with an online dossier) counted in
        ``part`` of the figure of ``measure`` (a :class:`Measure` or its value), sorted, one
        page (from 1, ``page_size`` up to ``Settings.max_page_size``)."""
        code, period, chosen = _code(agency), ReportPeriod(start, end), _measure(measure)
        settings = self._ctx.settings
        number, size = check_page(
            page, page_size, default=settings.page_size, maximum=settings.max_page_size
        )
        with self._ctx.storage.unit_of_work() as uow:
            scope = _scope(uow, code, period, with_sub_agencies)
            counts = uow.reports.indicator_counts(scope)
            ids = uow.reports.indicator_members(
                scope, chosen, part, offset=(number - 1) * size, limit=size
            )
        numerator, denominator = counts.pairs[chosen]
        total = numerator if part == "numerator" else denominator
        return Page(items=tuple(ids), page=number, page_size=size, total=total)
