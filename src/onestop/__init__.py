"""onestop: the online workflow of a one-stop office (cơ chế một cửa), embeddable in a portal.

Start with :func:`bootstrap`, which wires a complete portal (in memory by default)::

    from onestop import bootstrap
    portal = bootstrap()
    portal.accounts.register_citizen("a@example.vn", "a long password", "Nguyễn Văn A")

The pure rules live in :mod:`onestop.domain`, the ports in :mod:`onestop.ports`, the
adapters in :mod:`onestop.adapters`, the use cases in :mod:`onestop.application`, and every
error in :mod:`onestop.errors`.
"""

import logging

from onestop import errors
from onestop.application.context import AppContext, Settings
from onestop.bootstrap import Portal, bootstrap
from onestop.errors import OnestopError

__all__ = ["AppContext", "OnestopError", "Portal", "Settings", "bootstrap", "errors"]
__version__ = "0.1.0.dev0"

# A library emits log records; the host decides where they go.
logging.getLogger("onestop").addHandler(logging.NullHandler())
