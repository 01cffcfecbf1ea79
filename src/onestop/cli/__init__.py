"""The ``onestop`` command: operate a portal from a shell, without writing Python.

Each area is a Click group in a module of its own (``db``, ``catalog``, ``officer``,
``account``, ``mail``, ``payments``, ``dossier``, ``sync``, ``config``, ``audit``...) and is
listed in :data:`COMMANDS`; :func:`main` loads them when the command runs. Every command reads the
same configuration as :func:`onestop.bootstrap` (the ``ONESTOP_*`` environment).

Needs the ``cli`` extra: ``pip install 'onestop[cli]'``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Final

__all__ = ["COMMANDS", "main"]

#: ``(module, attribute)`` of each command group, in the order ``--help`` lists them.
COMMANDS: Final[tuple[tuple[str, str], ...]] = (
    ("onestop.cli.database", "db"),
    ("onestop.cli.catalog", "catalog"),
    ("onestop.cli.officers", "officer"),
    ("onestop.cli.officers", "account"),
    ("onestop.cli.operations", "mail"),
    ("onestop.cli.operations", "payments"),
    ("onestop.cli.operations", "dossier"),
    ("onestop.cli.sync", "sync"),
    ("onestop.cli.reports", "report"),
    ("onestop.cli.configuration", "config"),
    ("onestop.cli.officers", "audit"),
)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``onestop`` console script."""
    try:
        import click
    except ImportError:  # pragma: no cover - the console script is installed with the extra
        sys.stderr.write("onestop: the command needs Click: pip install 'onestop[cli]'\n")
        raise SystemExit(2) from None

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="onestop")
    def onestop() -> None:
        """Operate a onestop portal: database, catalog, officers, mail, payments, audit."""

    for module_name, attribute in COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:
                raise
            continue  # an area not built yet
        onestop.add_command(getattr(module, attribute))
    onestop.main(args=argv, prog_name="onestop")
