"""Queue mail in the outbox, inside the unit of work of the change it announces.

Nothing here sends: :class:`~onestop.application.dispatcher.MailDispatcher` does, after the
change has committed. A rolled-back change therefore never mails anyone, and a committed
one always does, eventually.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from onestop.application.context import AppContext
from onestop.application.templates import render
from onestop.domain.codes import local_time
from onestop.domain.mail import OutboxEntry
from onestop.ports.storage import UnitOfWork

__all__ = ["format_date", "format_datetime", "queue_mail"]


def format_date(day: dt.date) -> str:
    """A day as Vietnamese letters and forms write it: ``22/06/2022``."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def format_datetime(instant: dt.datetime) -> str:
    """An instant on Vietnam's clock (UTC+7), hours first: ``09:30 22/06/2022``."""
    local = local_time(instant)
    return f"{local.hour:02d}:{local.minute:02d} {format_date(local.date())}"


def queue_mail(
    uow: UnitOfWork,
    ctx: AppContext,
    *,
    template: str,
    to: str,
    values: Mapping[str, str],
    locale: str | None = None,
) -> OutboxEntry:
    """Render ``template`` for ``to`` and add it to ``uow``'s outbox; it is sent after commit.

    ``locale`` defaults to the portal's (``Settings.locale``). TemplateError for a template,
    locale or placeholder that does not fit.
    """
    rendered = render(
        template,
        values,
        locale or ctx.settings.locale,
        portal_name=ctx.settings.portal_name,
    )
    entry = OutboxEntry(
        id=ctx.new_id(),
        message=rendered.to_message(to),
        created_at=ctx.clock.now(),
    )
    uow.outbox.add(entry)
    return entry
