"""A reference web portal on onestop: the portal guide's whole flow, in Vietnamese, in Flask.

Run it with ``python examples/web_portal.py [--port PORT]``. Modules: :mod:`.app` (the
factory: wiring, mail worker, CSRF, error pages), :mod:`.accounts` (register, verify, log
in), :mod:`.citizen` (search, submit, my dossiers with their result documents, tracking),
:mod:`.reuse` (a file of an earlier dossier instead of an upload), :mod:`.payments` (fees
through the gateway), :mod:`.officer` (the desk: actions, digitising, result documents),
:mod:`.demo` (the mailbox and the local VNPay page), :mod:`.support` (errors by field, who is
logged in).
"""

from .app import PortalConfig, close_app, create_app

__all__ = ["PortalConfig", "close_app", "create_app"]
