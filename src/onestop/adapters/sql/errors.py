"""Driver errors turned into the library's own errors (always ``raise ... from e``).

A unique-constraint violation becomes :class:`~onestop.errors.DuplicateError` naming the
same rule the in-memory storage names (``"account.email"``, ``"dossier.code"``); every other
database failure (lost connection, lock timeout, full disk, a foreign key) becomes
:class:`~onestop.errors.StorageError`.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy import exc as sa_exc

from onestop.adapters.sql.schema import CONSTRAINT_RULES, metadata
from onestop.errors import DuplicateError, OnestopError, StorageError

__all__ = [
    "constraint_of",
    "translate_driver_error",
    "translate_driver_errors",
    "translate_errors",
]

# SQLite names columns, not constraints: "UNIQUE constraint failed: dossiers.owner_id, ...".
_SQLITE_UNIQUE: Final = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w., ]+)")


def _sqlite_index() -> dict[tuple[str, ...], str]:
    index: dict[tuple[str, ...], str] = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint):
                columns = tuple(sorted(f"{table.name}.{c.name}" for c in constraint.columns))
                index[columns] = str(constraint.name)
    return index


_BY_COLUMNS: Final = _sqlite_index()


def constraint_of(error: BaseException) -> str | None:
    """The name of the unique constraint (or primary key) a driver's error broke, if it says."""
    diag = getattr(error, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name
    found = _SQLITE_UNIQUE.search(str(error))
    if found is None:
        return None
    columns = tuple(sorted(c.strip() for c in found.group("columns").split(",")))
    return _BY_COLUMNS.get(columns)


@contextmanager
def translate_errors(doing: str, values: Mapping[str, object] | None = None) -> Iterator[None]:
    """Run a database call, turning driver errors into onestop errors.

    ``values`` maps a rule (``"account.email"``) to the value the failed write tried to take,
    so that the DuplicateError carries it as the in-memory storage's does.
    """
    try:
        yield
    except OnestopError:
        raise
    except sa_exc.IntegrityError as e:
        raise _integrity(doing, values, e.orig or e) from e
    except sa_exc.SQLAlchemyError as e:
        detail = getattr(e, "orig", None) or e
        raise StorageError(f"{doing} failed in the database: {detail}") from e


def _integrity(
    doing: str, values: Mapping[str, object] | None, error: BaseException
) -> OnestopError:
    what = CONSTRAINT_RULES.get(constraint_of(error) or "")
    if what is None:
        return StorageError(f"{doing} broke a database rule: {error}")
    return DuplicateError(what, (values or {}).get(what))


@functools.cache
def _driver_classes() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(every driver error class, the integrity error classes) of the installed drivers."""
    errors: list[type[BaseException]] = [sqlite3.Error]
    integrity: list[type[BaseException]] = [sqlite3.IntegrityError]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        pass
    else:
        errors.append(psycopg.Error)
        integrity.append(psycopg.IntegrityError)
    return tuple(errors), tuple(integrity)


def translate_driver_error(
    doing: str, values: Mapping[str, object] | None, error: Exception
) -> Exception:
    """The onestop error for a driver's error; anything else is returned unchanged."""
    errors, integrity = _driver_classes()
    if isinstance(error, integrity):
        return _integrity(doing, values, error)
    if isinstance(error, errors):
        return StorageError(f"{doing} failed in the database: {error}")
    return error


@contextmanager
def translate_driver_errors(
    doing: str, values: Mapping[str, object] | None = None
) -> Iterator[None]:
    """As :func:`translate_errors`, for a statement run on the driver's own cursor."""
    errors, integrity = _driver_classes()
    try:
        yield
    except OnestopError:
        raise
    except integrity as e:
        raise _integrity(doing, values, e) from e
    except errors as e:
        raise StorageError(f"{doing} failed in the database: {e}") from e
