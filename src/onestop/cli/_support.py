"""What the commands share: the configuration, one-line errors, exit codes, progress bars.

Exit codes: 0 done; 1 the command ran and failed (a database that is down or at the wrong
revision, a dangerous setup, a dossier not found, a file refused); 2 the command line is
wrong (Click's usage errors). Every error is one line on stderr, ``onestop: error: ...``,
never a traceback; output meant for people or pipes goes to stdout.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar, cast

import click

from onestop.config import DATABASE_URL_ENV, Config
from onestop.errors import OnestopError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from onestop.bootstrap import Portal

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandFailed",
    "database_url",
    "fail",
    "on_a_terminal",
    "open_engine",
    "open_portal",
    "reports_errors",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

P = ParamSpec("P")
R = TypeVar("R")


def one_line(text: str) -> str:
    """``text`` on one line (drivers' messages span several)."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


class CommandFailed(click.ClickException):
    """The command ran and failed: exit code 1, one line on stderr."""

    exit_code = EXIT_FAILED

    def show(self, file: Any = None) -> None:
        click.echo(f"onestop: error: {one_line(self.format_message())}", err=True)


def fail(message: str) -> NoReturn:
    raise CommandFailed(message)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the library's errors (and the file system's) into one line and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.Abort, click.exceptions.Exit):
            raise
        except OnestopError as e:
            raise CommandFailed(str(e)) from e
        except OSError as e:
            raise CommandFailed(f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")) from e

    return wrapper


def on_a_terminal() -> bool:
    """Whether people watch stderr (a progress bar helps) or it goes to a pipe or a file."""
    return sys.stderr.isatty()


def database_url(explicit: str | None = None) -> str:
    """The database the command works on: ``--database-url``, else ``ONESTOP_DATABASE_URL``."""
    url = explicit or Config.from_env().database_url
    if not url:
        fail(
            f"no database: set {DATABASE_URL_ENV} (sqlite:///portal.db or "
            "postgresql+psycopg://user:password@host/db) or give --database-url"
        )
    return url


@contextmanager
def open_engine(explicit_url: str | None = None) -> Iterator[Engine]:
    """The SQL engine of the configured database, schema untouched; disposed afterwards."""
    try:
        from onestop.adapters.sql import SqlStorage
    except ImportError:
        fail("the database commands need SQLAlchemy and Alembic: pip install 'onestop[sql]'")
    storage = SqlStorage.from_url(database_url(explicit_url), create=False)
    try:
        yield storage.engine
    finally:
        storage.close()


class _NotWired:
    """Stands for an adapter a command does not use; using it is a bug, said loudly."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str) -> Any:
        raise CommandFailed(f"this command does not use {self._what} (asked for {name})")


@contextmanager
def open_portal(*, sends_mail: bool = False, asks_gateway: bool = False) -> Iterator[Portal]:
    """The portal on the configured database, as :func:`onestop.bootstrap` wires it.

    Only what the command uses must be configured: a command that sends no mail and takes
    no payment needs neither SMTP nor VNPay nor the secret key. One that sends mail needs a
    real SMTP server, even with ``ONESTOP_ALLOW_FAKES=1``: from a command, mail "sent" to
    the in-memory transport would be lost for good. One that ``asks_gateway`` uses the
    configured VNPay gateway when there is one (``ONESTOP_VNPAY_*``).
    """
    from onestop.bootstrap import bootstrap

    config = Config.from_env()
    database_url()  # refuses the in-memory default: a command's records would vanish
    options: dict[str, Any] = {
        "payment_gateway": cast(Any, _NotWired("a payment gateway")),
        "token_signer": cast(Any, _NotWired("the secret key")),
    }
    if asks_gateway and config.vnpay:
        options["payment_gateway"] = config.payment_gateway()
    if sends_mail:
        if not config.smtp:
            fail(
                "sending mail needs an SMTP server: set ONESTOP_SMTP_HOST and "
                "ONESTOP_SMTP_FROM (the in-memory transport would mark mail sent that "
                "nobody receives)"
            )
    else:
        options["mail_transport"] = cast(Any, _NotWired("a mail transport"))
    portal = bootstrap(**options)
    try:
        yield portal
    finally:
        portal.close()


def run_worker(
    what: str,
    dispatch_once: Callable[[], Any],
    describe: Callable[[Any], str],
    interval: float,
) -> None:
    """Call ``dispatch_once`` until SIGTERM or Ctrl-C, waiting ``interval`` when idle.

    A worker outlives a database restart: an OnestopError is reported in one line and the
    next round tries again. Each round that handled something prints ``describe(report)``.
    """
    import signal
    import threading
    import time
    from types import FrameType

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        del frame
        click.echo(f"onestop: {signal.Signals(signum).name}: stopping", err=True)
        stop.set()

    previous = signal.signal(signal.SIGTERM, request_stop)
    click.echo(f"{what} every {interval:g} s when idle; Ctrl-C stops", err=True)
    try:
        while not stop.is_set():
            try:
                report = dispatch_once()
            except OnestopError as e:
                click.echo(f"onestop: error: {one_line(str(e))}; retrying", err=True)
                stop.wait(interval)
                continue
            if report.handled:
                click.echo(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {describe(report)}")
            else:
                stop.wait(interval)
    except KeyboardInterrupt:
        click.echo("onestop: interrupted: stopping", err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
