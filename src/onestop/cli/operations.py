"""Day-to-day work: ``onestop mail``, ``onestop payments`` and ``onestop dossier``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeAlias

import attrs
import click

from onestop.application.dispatcher import DispatchReport
from onestop.cli._support import (
    fail,
    on_a_terminal,
    open_portal,
    reports_errors,
    run_worker,
)
from onestop.config import Config
from onestop.domain import VN_TZ, DossierCode, format_vnd
from onestop.domain.mail import OutboxState
from onestop.errors import InvalidDossierCode

__all__ = ["dossier", "mail", "payments"]

_Dispatch: TypeAlias = Callable[[], DispatchReport]

# A pass that keeps finding due mail stops after this many batches: a loop, not a hang.
_MAX_PASSES = 10_000


@click.group()
def mail() -> None:
    """Send the mail outbox through the SMTP server (ONESTOP_SMTP_*)."""


@mail.command()
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
    """Send the mail that is due: every entry once (--once), or as a worker (--loop).

    --once exits 1 when some mail could not be sent (it stays queued for a retry, or is
    given up on after the last attempt). --loop stops on Ctrl-C or SIGTERM after the
    current batch.
    """
    with open_portal(sends_mail=True) as portal:
        if mode == "loop":
            _loop(portal.dispatcher.dispatch_once, interval)
            return
        with portal.storage.unit_of_work() as uow:
            due = len(uow.outbox.list(state=OutboxState.PENDING))
        total = _send_backlog(portal.dispatcher.dispatch_once, due)
    click.echo(f"sent {total.sent}, to retry {total.retried}, given up {total.failed}")
    if total.retried or total.failed:
        fail(
            f"{total.retried + total.failed} mail(s) could not be sent: check the SMTP "
            "server (onestop config check); mail to retry stays queued"
        )


def _send_backlog(dispatch_once: _Dispatch, due: int) -> DispatchReport:
    sent = retried = failed = 0
    bar: Any = _Quiet()
    if on_a_terminal():
        bar = click.progressbar(length=max(due, 1), label="sending mail", file=sys.stderr)
    with bar:
        for _ in range(_MAX_PASSES):
            report = dispatch_once()
            sent, retried, failed = (
                sent + report.sent,
                retried + report.retried,
                failed + report.failed,
            )
            bar.update(report.handled)
            if report.handled == 0:
                break
    return DispatchReport(sent=sent, retried=retried, failed=failed)


def _loop(dispatch_once: _Dispatch, interval: float) -> None:
    run_worker(
        "sending mail",
        dispatch_once,
        lambda r: f"sent {r.sent}, to retry {r.retried}, given up {r.failed}",
        interval,
    )


class _Quiet:
    """A progress bar that shows nothing (stderr is not a terminal)."""

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, steps: int) -> None:
        del steps


@click.group()
def payments() -> None:
    """Payments: reconcile (or abandon) the ones left pending too long, list those under review."""


@payments.command()
@reports_errors
def expire() -> None:
    """Abandon payments pending longer than the payment TTL, so the payer can start again."""
    with open_portal(asks_gateway=True) as portal:
        expired = portal.payments.expire_pending()
    for payment in expired:
        click.echo(
            f"{payment.id}  {payment.gateway} {payment.txn_ref}  {format_vnd(payment.amount)}"
        )
    click.echo(f"expired {len(expired)} payment(s)")


@payments.command()
@reports_errors
def reconcile() -> None:
    """Ask the gateway about payments pending past their expiry and record its answers.

    Paid ones are confirmed (as if the IPN had come), unpaid ones given up, money that moved
    without a clean payment put under review; those the gateway could not answer are left
    pending for the next run (exit code 1 when there are any, so a scheduler notices).
    """
    if not Config.from_env().vnpay:
        fail("reconciling payments asks VNPay: set the ONESTOP_VNPAY_* variables")
    with open_portal(asks_gateway=True) as portal:
        report = portal.payments.reconcile()
    for label, ids in attrs.asdict(report).items():
        for payment_id in ids:
            click.echo(f"{payment_id}  {label}")
    counts = ", ".join(f"{len(ids)} {label}" for label, ids in attrs.asdict(report).items())
    click.echo(f"reconciled: {counts}")
    if report.unreachable:
        raise SystemExit(1)


@payments.command()
@reports_errors
def review() -> None:
    """List the payments under review (money moved, not cleanly paid) for an officer."""
    with open_portal() as portal:
        waiting = portal.payments.in_review()
    for payment in waiting:
        click.echo(
            f"{payment.id}  {payment.gateway} {payment.txn_ref}  {format_vnd(payment.amount)}  "
            f"{payment.review_reason or ''}"
        )
    click.echo(f"{len(waiting)} payment(s) under review")


@click.group()
def dossier() -> None:
    """Look up a dossier by its code."""


def _code(ctx: click.Context, param: click.Parameter, value: str) -> DossierCode:
    del ctx, param
    try:
        return DossierCode.parse(value)
    except InvalidDossierCode as e:
        raise click.BadParameter(f"{value!r} is not a dossier code ({e})") from e


@dossier.command()
@click.argument("code", callback=_code)
@click.option("--json", "as_json", is_flag=True, help="The whole record as JSON.")
@reports_errors
def show(code: DossierCode, as_json: bool) -> None:
    """Print the dossier with code CODE (000.00.03.H34-220622-0001): status, files, history."""
    from onestop.serialization import dumps

    with open_portal() as portal, portal.storage.unit_of_work() as uow:
        found = uow.dossiers.get_by_code(code)
    if as_json:
        click.echo(dumps(found))
        return
    local = "%d/%m/%Y %H:%M"
    click.echo(f"Mã số hồ sơ: {found.code}")
    click.echo(f"Thủ tục: {found.procedure.code} {found.procedure.name}")
    click.echo(f"Trạng thái: {found.status.label_vi} ({found.status.value})")
    click.echo(f"Người nộp: {found.applicant.full_name} <{found.applicant.email}>")
    if found.submitted_at:
        click.echo(f"Ngày nộp: {found.submitted_at.astimezone(VN_TZ):{local}}")
    if found.due_date:
        click.echo(f"Ngày hẹn trả: {found.due_date:%d/%m/%Y}")
    click.echo(f"Lệ phí: {format_vnd(found.total_fees)}, đã nộp {format_vnd(found.paid_amount)}")
    click.echo("Thành phần hồ sơ:")
    for attachment in found.attachments:
        click.echo(
            f"  {attachment.component_id}: {attachment.file.name} ({attachment.file.size} B)"
        )
    click.echo("Tiến độ xử lý:")
    for step in found.history:
        when = step.at.astimezone(VN_TZ)
        click.echo(f"  {when:{local}}  {step.to_status.label_vi}  {step.actor.name}  {step.note}")
