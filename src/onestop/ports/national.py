"""The national public service portal (Cổng Dịch vụ công quốc gia), as the sync sees it.

Messages are the mappings of DOMAIN section 10, every value a string, built by
:mod:`onestop.application.sync`. An adapter raises:

* :class:`~onestop.errors.NationalPortalRejected` when the portal answered with an error
  (its ``error_code`` and ``message``; an insert of a dossier it already holds says
  "đã tồn tại", which the dispatcher then sends as an update);
* :class:`~onestop.errors.NationalPortalUnavailable` when no answer came (connection refused
  or dropped, a timeout, a 5xx): the request may or may not have been processed, so the
  dispatcher sends it again later; every message is idempotent on the portal's side
  (insert-or-update by ``MaHoSo``) except that a progress row may then arrive twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

__all__ = ["NationalPortal"]


class NationalPortal(Protocol):
    def insert_dossier(self, record: Mapping[str, Any]) -> None:
        """Send a dossier the portal does not know yet (``DongBoHoSoMC``, inserting)."""

    def update_dossier(self, record: Mapping[str, Any]) -> None:
        """Send a dossier the portal already holds (``DongBoHoSoMC``, updating)."""

    def update_progress(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Send at most 10 progress rows (``CapNhatTienDoHoSoMC``), oldest first."""
