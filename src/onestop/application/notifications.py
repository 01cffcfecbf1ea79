"""Turn a dossier's events into mail for the applicant, queued in the same unit of work.

Mail goes to the outbox with the change it announces, so it is sent if and only if the
change commits (DOMAIN section 8: one template per transition, sent after commit). Events
that the applicant need not hear about by mail (processing started, paused, ...) are shown
in the progress history only.
"""

from __future__ import annotations

from collections.abc import Iterable

from onestop.application.context import AppContext, link_to
from onestop.application.mail import queue_mail
from onestop.application.views import status_label
from onestop.domain import events as ev
from onestop.domain.dossier import Dossier
from onestop.domain.mail import OutboxEntry
from onestop.domain.vn_time import local_day
from onestop.formatting import format_date, format_datetime, format_vnd
from onestop.ports.storage import UnitOfWork

__all__ = ["queue_dossier_mail"]

_OUTCOMES = {True: ("Chấp thuận", "Approved"), False: ("Từ chối", "Refused")}
_NO_DATE = {"vi": "chưa có", "en": "none"}


def queue_dossier_mail(
    uow: UnitOfWork,
    ctx: AppContext,
    dossier: Dossier,
    events: Iterable[ev.DomainEvent],
) -> list[OutboxEntry]:
    """Queue the mail each event of ``dossier`` calls for, in ``ctx.settings.locale``."""
    locale = ctx.settings.locale
    queued: list[OutboxEntry] = []
    for event in events:
        mail = _mail_for(ctx, dossier, event, locale)
        if mail is None:
            continue
        template, values = mail
        queued.append(
            queue_mail(
                uow,
                ctx,
                template=template,
                to=dossier.applicant.email,
                values={"full_name": dossier.applicant.full_name, "code": str(dossier.code)}
                | values,
                locale=locale,
            )
        )
    return queued


def _mail_for(
    ctx: AppContext, dossier: Dossier, event: ev.DomainEvent, locale: str
) -> tuple[str, dict[str, str]] | None:
    """The template and its own values for an event, or None when it sends no mail."""
    match event:
        case ev.DossierSubmitted():
            return "submission_receipt", {
                "procedure_name": dossier.procedure.name,
                "submitted_at": format_datetime(event.at),
                "status_label": status_label(dossier.status, locale),
                "total_fees": format_vnd(dossier.total_fees),
                "tracking_link": link_to(ctx.settings.tracking_url, code=str(dossier.code)),
            }
        case ev.SupplementRequested():
            return "supplement_requested", {"note": event.note}
        case ev.ReceptionRefused():
            return "reception_refused", {"reason": event.reason}
        case ev.DossierReceived():
            due_at = dossier.due_at
            due = format_date(event.due_date)
            if due_at is not None and local_day(due_at) == event.due_date:
                due = format_datetime(due_at)  # a limit in hours promises an hour too
            return "received", {"received_at": format_datetime(event.at), "due_date": due}
        case ev.DossierDecided():
            outcome = _OUTCOMES[event.approved]
            return "result_ready", {
                "outcome": outcome[1] if locale == "en" else outcome[0],
                "reasons": event.reasons,
            }
        case ev.DossierRescheduled():
            old = event.old_due_date
            return "apology", {
                "old_due_date": format_date(old) if old else _NO_DATE.get(locale, _NO_DATE["vi"]),
                "new_due_date": format_date(event.new_due_date),
                "reason": event.reason,
            }
        case ev.PaymentRecorded():
            return "payment_confirmed", {"amount": format_vnd(event.amount)}
    return None
