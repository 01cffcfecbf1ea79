"""``onestop sync``: keep the national public service portal in step (ONESTOP_NATIONAL_*)."""

from __future__ import annotations

import click

from onestop.application.sync import SyncDispatcher
from onestop.cli._support import fail, one_line, open_portal, reports_errors, run_worker
from onestop.domain import VN_TZ
from onestop.domain.sync import SyncState

__all__ = ["sync"]


@click.group()
def sync() -> None:
    """The sync outbox to the national portal: status, retry, dispatch."""


@sync.command()
@reports_errors
def status() -> None:
    """How many changes wait, are sent, or need attention; lists the ones that need it.

    Exits 1 when some entry needs attention (``onestop sync retry`` sends it again).
    """
    with open_portal() as portal:
        report = portal.sync.status()
    for state in SyncState:
        click.echo(f"{state.value:<16} {report.counts[state]}")
    if report.oldest_unsent is not None:
        when = report.oldest_unsent.astimezone(VN_TZ)
        click.echo(f"oldest unsent    {when:%Y-%m-%d %H:%M:%S} (Vietnam time)")
    for entry in report.needs_attention:
        click.echo(
            f"needs attention: {entry.id} dossier {entry.dossier_code} step {entry.sequence} "
            f"after {entry.attempts} attempt(s): {one_line(entry.last_error or '')}"
        )
    if report.needs_attention:
        fail(
            f"{len(report.needs_attention)} change(s) need attention: fix the cause, then "
            "run onestop sync retry"
        )


@sync.command()
@click.argument("entry_ids", nargs=-1)
@reports_errors
def retry(entry_ids: tuple[str, ...]) -> None:
    """Send again the entries that need attention (all of them, or the ENTRY_IDS given)."""
    with open_portal() as portal:
        retried = portal.sync.retry(list(entry_ids) if entry_ids else None)
    click.echo(f"{len(retried)} change(s) will be sent again")


@sync.command()
@click.option("--once", "mode", flag_value="once", default=True, help="Send what is due, exit.")
@click.option("--loop", "mode", flag_value="loop", help="Keep sending until stopped (a worker).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1, max=86_400),
    default=5.0,
    show_default=True,
    help="Seconds to wait when nothing is due (--loop).",
)
@reports_errors
def dispatch(mode: str, interval: float) -> None:
    """Send the changes that are due to the national portal (--once), or as a worker (--loop).

    --once exits 1 when some change could not be sent (it is retried later, or needs
    attention). --loop stops on Ctrl-C or SIGTERM after the current batch.
    """
    with open_portal() as portal:
        dispatcher = portal.sync_dispatcher()
        if mode == "loop":
            _loop(dispatcher, interval)
            return
        total = dispatcher.dispatch_until_idle()
    click.echo(
        f"sent {total.sent}, to retry {total.retried}, need attention {total.needs_attention}"
    )
    if total.retried or total.needs_attention:
        fail(
            f"{total.retried + total.needs_attention} change(s) could not be sent: see "
            "onestop sync status"
        )


def _loop(dispatcher: SyncDispatcher, interval: float) -> None:
    run_worker(
        "syncing",
        dispatcher.dispatch_once,
        lambda r: f"sent {r.sent}, to retry {r.retried}, need attention {r.needs_attention}",
        interval,
    )
