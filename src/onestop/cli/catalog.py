"""``onestop catalog``: load a catalog file into the database, or export it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from onestop.cli._support import on_a_terminal, open_portal, reports_errors

__all__ = ["catalog"]


@click.group()
def catalog() -> None:
    """Load the procedure catalog (agencies, fields, procedures) or export it."""


@catalog.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reports_errors
def load(file: Path) -> None:
    """Put every agency, field and procedure of FILE (catalog JSON) in one transaction.

    Entries replace those with the same code; a file with any problem loads nothing and
    every problem is listed by its JSON path.
    """
    with open_portal() as portal:
        if not on_a_terminal():
            report = portal.catalog.load_json(file)
        else:
            with click.progressbar(length=1, label="loading", file=sys.stderr) as bar:

                def advance(done: int, total: int) -> None:
                    bar.length = total
                    bar.update(done - bar.pos)

                report = portal.catalog.load_json(file, progress=advance)
    click.echo(
        f"loaded {file}: {report.agencies} agencies, {report.fields} fields, "
        f"{report.procedures} procedures"
    )


@catalog.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of stdout.",
)
@reports_errors
def export(output: Path | None) -> None:
    """Write the whole catalog as a catalog file that ``onestop catalog load`` reads back."""
    with open_portal() as portal:
        content = portal.catalog.dump_json()
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(content)
        click.echo(f"wrote {output} ({len(content)} bytes)", err=True)
