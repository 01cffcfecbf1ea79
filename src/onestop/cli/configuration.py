"""``onestop config check``: what would be wired, secrets masked; exit 1 on a dangerous setup."""

from __future__ import annotations

import click

from onestop.cli._support import fail, one_line, reports_errors
from onestop.config import Config
from onestop.errors import OnestopError

__all__ = ["config"]


@click.group()
def config() -> None:
    """Inspect the configuration (the ONESTOP_* environment)."""


@config.command()
@click.option("--offline", is_flag=True, help="Do not connect to the database or build adapters.")
@reports_errors
def check(offline: bool) -> None:
    """Print what a portal started here would wire, with secrets masked.

    Exits 1 when a portal would refuse to start or run unsafely: a database without an
    SMTP server, a payment gateway or a strong secret key (unless ONESTOP_ALLOW_FAKES=1
    accepts the fakes), half an SMTP or VNPay setup, or a database that is down or not at
    this onestop's revision.
    """
    settings = Config.from_env()
    width = max(len(name) for name, _ in settings.describe())
    for name, value in settings.describe():
        click.echo(f"{name:<{width}}  {value}")

    dangers = list(settings.problems())
    warnings: list[str] = []
    if not offline:
        dangers.extend(_adapters_that_fail(settings))
        if settings.database_url:
            dangers.extend(_database_problems(settings.database_url))
    if settings.persistent and settings.allow_fakes and not (settings.smtp and settings.vnpay):
        warnings.append("ONESTOP_ALLOW_FAKES=1: fake mail or payments are accepted on purpose")
    base = settings.settings.get("base_url", "http://localhost:8000")
    if settings.persistent and ("localhost" in base or "127.0.0.1" in base):
        warnings.append(f"links in mail point at {base}: set ONESTOP_BASE_URL")
    for warning in warnings:
        click.echo(f"warning: {warning}")
    for danger in dangers:
        click.echo(f"dangerous: {danger}")
    if dangers:
        fail(f"{len(dangers)} dangerous setting(s): a portal would not start, or run unsafely")
    click.echo("ok: a portal started with this configuration would be safe")


def _adapters_that_fail(settings: Config) -> list[str]:
    found = []
    for what, build in (
        ("SMTP", settings.mail_transport),
        ("VNPay", settings.payment_gateway),
        ("settings", settings.make_settings),
    ):
        try:
            build()
        except OnestopError as e:
            found.append(f"{what}: {one_line(str(e))}")
    return found


def _database_problems(url: str) -> list[str]:
    try:
        from onestop.adapters.sql import SqlStorage, migrations
    except ImportError:
        return ["the database needs SQLAlchemy and Alembic: pip install 'onestop[sql]'"]
    try:
        storage = SqlStorage.from_url(url, create=False)
    except OnestopError as e:
        return [f"database: {one_line(str(e))}"]
    try:
        found = migrations.status(storage.engine)
    except OnestopError as e:
        return [f"database: {one_line(str(e))}"]
    finally:
        storage.close()
    click.echo(f"revision: {found.revision or 'none'} ({found.state.value})")
    if found.state in (migrations.SchemaState.CURRENT, migrations.SchemaState.EMPTY):
        return []  # an empty database is created by the first start, or by onestop db upgrade
    return [f"database: {found.advice}"]
