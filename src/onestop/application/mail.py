"""Queue mail in the outbox, inside the unit of work of the change it announces.

Nothing here sends: :class:`~onestop.application.dispatcher.MailDispatcher` does, after the
change has committed. A rolled-back change therefore never mails anyone, and a committed
one always does, eventually.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

from onestop import formatting
from onestop.application.context import AppContext
from onestop.domain.mail import OutboxEntry
from onestop.ports.storage import UnitOfWork

__all__ = ["queue_mail"]

_MOVED = {"format_date", "format_datetime"}


def __getattr__(name: str) -> Callable[..., str]:
    # The formatting helpers moved to the public onestop.formatting (kept here one release).
    if name in _MOVED:
        warnings.warn(
            f"onestop.application.mail.{name} is deprecated; use onestop.formatting.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        found: Callable[..., str] = getattr(formatting, name)
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    rendered = ctx.mail_templates.render(
        template,
        values,
        locale or ctx.settings.locale,
        portal_name=ctx.settings.portal_name,
        portal_url=ctx.settings.base_url,
    )
    entry = OutboxEntry(
        id=ctx.new_id(),
        message=rendered.to_message(to),
        created_at=ctx.clock.now(),
    )
    uow.outbox.add(entry)
    return entry
