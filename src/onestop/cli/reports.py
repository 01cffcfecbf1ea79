"""``onestop report indicators``: the service indicators as a table, CSV or JSON, and a chart.

Without ``--agency`` every agency of the catalog gets a row of its own (with the agencies
below it when ``--with-sub-agencies``). ``--chart FILE`` draws, per agency and month, the
on-time and online shares as a PNG (matplotlib: the ``reports`` extra).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from onestop.bootstrap import Portal
from onestop.cli._support import open_portal, reports_errors
from onestop.domain.reports import NOT_RECORDED, Measure, Report
from onestop.errors import ConfigurationError

__all__ = ["report"]

#: The short column titles of the table.
_TITLES = {
    Measure.ON_TIME: "on time",
    Measure.LATE: "late",
    Measure.OPEN: "open",
    Measure.OVERDUE: "overdue",
    Measure.ONLINE: "online",
    Measure.PROCEDURES_WITH_ONLINE_DOSSIER: "procs online",
    Measure.ONLINE_PAYMENT: "paid online",
    Measure.VNEID: "VNeID",
    Measure.SYNCED: "synced",
    Measure.COMPLAINED_OR_POOR: "complaints",
}


@click.group()
def report() -> None:
    """Reports on the portal's records."""


def _day(_: click.Context, param: click.Parameter, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("must be a date as YYYY-MM-DD", param=param) from None


@report.command()
@click.option("--from", "start", required=True, callback=_day, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, callback=_day, help="Last day (included).")
@click.option("--agency", default=None, help="One agency's code (every agency when left out).")
@click.option(
    "--with-sub-agencies", is_flag=True, help="Count the agencies below each one with it."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the on-time and online shares per agency and month into this PNG file.",
)
@reports_errors
def indicators(
    start: dt.date,
    end: dt.date,
    agency: str | None,
    with_sub_agencies: bool,
    fmt: str,
    chart: Path | None,
) -> None:
    """The indicators of Decision 766/QĐ-TTg per agency over the days --from to --to.

    Each figure is numerator/denominator (percent); "n/a" means nothing to count. A figure
    the records do not hold would be listed as not recorded (none is now).
    """
    if chart is not None:
        _require_matplotlib()
    with open_portal() as portal:
        names = {str(a.code): a.name for a in portal.reports.agencies()}
        codes = [agency] if agency is not None else list(names)
        reports = [
            portal.reports.indicators(code, start, end, with_sub_agencies=with_sub_agencies)
            for code in codes
        ]
        if chart is not None:
            _draw(portal, codes, names, start, end, with_sub_agencies, chart)
    click.echo(_FORMATS[fmt](reports, names), nl=False)
    if chart is not None:
        click.echo(f"chart written to {chart}", err=True)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _table(reports: Sequence[Report], names: dict[str, str]) -> str:
    header = ["agency", "received", *_TITLES.values(), "avg days", "satisfaction"]
    rows = [header]
    for r in reports:
        cells = [str(r.agency), str(r.received)]
        cells += [str(r.figure(m)) for m in _TITLES]
        average = "n/a" if r.average_handling_days is None else f"{r.average_handling_days:.2f}"
        satisfaction = "n/a" if r.satisfaction is None else f"{r.satisfaction:g}%"
        rows.append([*cells, average, satisfaction])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines = [line.rstrip() for line in lines]
    if NOT_RECORDED:
        lines.append("not recorded: " + ", ".join(sorted(m.value for m in NOT_RECORDED)))
    return "\n".join(lines) + "\n"


def _csv(reports: Sequence[Report], names: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["agency", "agency_name", "from", "to", "measure", "numerator", "denominator", "value"]
    )
    for r in reports:
        head = [str(r.agency), names.get(str(r.agency), ""), r.period.start, r.period.end]
        writer.writerow([*head, "received", r.received, "", ""])
        for f in r.figures:
            writer.writerow(
                [*head, f.measure.value, f.numerator, f.denominator, _percent(f.percent)]
            )
        average = r.average_handling_days
        writer.writerow(
            [
                *head,
                "average_handling_days",
                "",
                r.handled,
                "" if average is None else f"{average:.4f}",
            ]
        )
        writer.writerow([*head, "satisfaction", "", "", _percent(r.satisfaction)])
        for m in sorted(NOT_RECORDED, key=lambda m: m.value):
            writer.writerow([*head, m.value, "", "", "not recorded"])
    return out.getvalue()


def _json(reports: Sequence[Report], names: dict[str, str]) -> str:
    data: list[dict[str, Any]] = [
        {
            "agency": str(r.agency),
            "agency_name": names.get(str(r.agency), ""),
            "with_sub_agencies": r.with_sub_agencies,
            "from": r.period.start.isoformat(),
            "to": r.period.end.isoformat(),
            "received": r.received,
            "figures": {
                f.measure.value: {
                    "numerator": f.numerator,
                    "denominator": f.denominator,
                    "percent": f.percent,
                }
                for f in r.figures
            },
            "not_recorded": sorted(m.value for m in NOT_RECORDED),
            "average_handling_days": r.average_handling_days,
            "handled": r.handled,
            "satisfaction": r.satisfaction,
        }
        for r in reports
    ]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_FORMATS = {"table": _table, "csv": _csv, "json": _json}


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as e:
        raise ConfigurationError("--chart needs matplotlib: pip install 'onestop[reports]'") from e


def _draw(
    portal: Portal,
    codes: Sequence[str],
    names: dict[str, str],
    start: dt.date,
    end: dt.date,
    with_sub_agencies: bool,
    path: Path,
) -> None:
    """Two panels (on time, online), one line per agency over the months of the period."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    from matplotlib import pyplot as plt

    figure, (on_time, online) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    try:
        for code in codes:
            months = portal.reports.monthly(code, start, end, with_sub_agencies=with_sub_agencies)
            labels = [m.period.start.strftime("%Y-%m") for m in months]
            for axes, measure in ((on_time, Measure.ON_TIME), (online, Measure.ONLINE)):
                values = [_share(m, measure) for m in months]
                axes.plot(labels, values, marker="o", label=names.get(code, code))
        on_time.set_title("Đúng hạn (on time), % of results due")
        online.set_title("Trực tuyến (online), % of dossiers received")
        for axes in (on_time, online):
            axes.set_ylim(0, 105)
            axes.set_ylabel("%")
            axes.grid(True, alpha=0.3)
        online.set_xlabel("month")
        on_time.legend(fontsize="small", loc="lower left")
        figure.suptitle(f"{start.isoformat()} – {end.isoformat()}")
        figure.tight_layout()
        figure.savefig(path, format="png", dpi=100)
    finally:
        plt.close(figure)


def _share(report: Report, measure: Measure) -> float:
    """The figure's percent; NaN (a gap in the line) when nothing was counted."""
    figure = report.figure(measure)
    return float("nan") if figure is None or figure.percent is None else figure.percent
