"""SQLite's synchronous setting: durable by default, NORMAL only when asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from onestop.adapters.sql import SqlStorage
from onestop.errors import ConfigurationError

#: PRAGMA synchronous answers: 1 NORMAL, 2 FULL.
_LEVELS = {"normal": 1, "full": 2}


def _level(storage: SqlStorage) -> int:
    connection = storage.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous")
        (level,) = cursor.fetchone()
        return int(level)
    finally:
        connection.close()


@pytest.mark.parametrize("chosen", [None, "full", "normal"])
def test_the_default_is_full_and_normal_is_a_choice(tmp_path: Path, chosen: str | None) -> None:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    storage = (
        SqlStorage.from_url(url)
        if chosen is None
        else SqlStorage.from_url(url, sqlite_synchronous=chosen)
    )
    try:
        assert _level(storage) == _LEVELS[chosen or "full"]
        with storage.unit_of_work() as uow:  # and the storage works as before
            assert uow.catalog.list_agencies() == []
    finally:
        storage.close()


@pytest.mark.parametrize("wrong", ["off", "FULL ", "", "extra"])
def test_other_values_are_refused(tmp_path: Path, wrong: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SqlStorage.from_url(f"sqlite:///{tmp_path / 'portal.db'}", sqlite_synchronous=wrong)
    assert "sqlite_synchronous" in str(caught.value)
