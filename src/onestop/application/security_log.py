"""Security events, logged through the standard :mod:`logging` module.

Failed logins, lockouts, reused or forged links, forged or mismatched payment callbacks and
permission refusals are logged on the ``onestop.security`` logger at WARNING, each with a
stable ``event`` name and structured fields passed as ``extra=`` (``record.onestop_event``,
``record.onestop_fields``), so a host can route them to its SIEM or audit store with a
handler or a filter. A log line never carries a password, a token or a full id number:
:func:`mask` keeps only what an officer needs to recognise the record.

The host configures handlers; the library only emits (the ``onestop`` logger has a
:class:`logging.NullHandler`, so nothing is printed unless the host asks).
"""

from __future__ import annotations

import logging
from typing import Final

__all__ = [
    "SECURITY_LOGGER",
    "log_routine_security_event",
    "log_security_event",
    "mask",
    "mask_email",
]

#: The logger every security event goes to.
SECURITY_LOGGER: Final = logging.getLogger("onestop.security")


def mask(value: object, keep: int = 3) -> str:
    """The last ``keep`` characters of a value, the rest starred: ``"*********789"``.

    Used for id numbers, phone numbers and references: enough to recognise, not to reuse.
    Values that are not text are shown by their type only.
    """
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    text = value[-200:]
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * (len(text) - keep) + text[-keep:]


def mask_email(value: object) -> str:
    """An email address with its local part hidden but for its first letter: ``n***@example.vn``."""
    if not isinstance(value, str) or "@" not in value:
        return mask(value)
    local, _, domain = value[:254].rpartition("@")
    return f"{local[:1]}***@{domain}"


def log_security_event(event: str, message: str, **fields: object) -> None:
    """Log one security event on ``onestop.security`` at WARNING with its fields as ``extra``.

    ``event`` is a stable name (``"login.failed"``, ``"account.locked"``,
    ``"token.reused"``, ``"payment.callback_forged"``, ``"permission.denied"``); ``fields``
    must already be masked (see :func:`mask`): never pass a password, token or full id.
    """
    _emit(logging.WARNING, event, message, fields)


def log_routine_security_event(event: str, message: str, **fields: object) -> None:
    """:func:`log_security_event` at DEBUG, for events that are routine one at a time.

    A failed public lookup (``"dossier.track_failed"``) is a typing mistake far more often
    than an attack; a host that wants to spot guessing counts these.
    """
    _emit(logging.DEBUG, event, message, fields)


def _emit(level: int, event: str, message: str, fields: dict[str, object]) -> None:
    SECURITY_LOGGER.log(
        level,
        "%s: %s",
        event,
        message,
        extra={"onestop_event": event, "onestop_fields": dict(fields)},
    )
