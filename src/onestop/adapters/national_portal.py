"""The national public service portal over HTTP (httpx), with explicit timeouts.

Each service is a JSON POST to a path under ``base_url`` (DOMAIN section 10):

* ``DongBoHoSoMC`` (``dossier_path``): ``{"service": "DongBoHoSoMC", "isUpdating": "false"
  | "true", "data": [record]}``;
* ``CapNhatTienDoHoSoMC`` (``progress_path``): ``{"service": "CapNhatTienDoHoSoMC",
  "data": [row, ...]}`` with at most 10 rows.

A reply is ``{"error_code": ..., "message": ...}``; ``0`` (or ``"0"``) is success, anything
else is :class:`~onestop.errors.NationalPortalRejected`. No reply (connection refused or
dropped, a timeout), a 5xx or a reply that is not such JSON is
:class:`~onestop.errors.NationalPortalUnavailable`: the dispatcher retries it with backoff;
nothing is retried here, so a request is never sent twice inside one attempt.

Authentication is configuration: with ``username`` and ``password`` the adapter logs in at
``login_path`` (``{"username": ..., "password": ...}`` answered by ``{"error_code": 0,
"session": "..."}``) and sends ``Authorization: Bearer <session>``; a 401 means the session
expired: it logs in again once and resends. Without them (a gateway in front handles it)
no login is made; ``headers`` adds fixed headers (an API key) either way.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from onestop.domain.sync import MAX_PROGRESS_BATCH
from onestop.errors import (
    ConfigurationError,
    InvalidInput,
    NationalPortalRejected,
    NationalPortalUnavailable,
)

__all__ = ["DEFAULT_TIMEOUT", "HttpNationalPortal"]

#: Connect within 5 s, and no read, write or pool wait longer than 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

DOSSIER_SERVICE = "DongBoHoSoMC"
PROGRESS_SERVICE = "CapNhatTienDoHoSoMC"


class HttpNationalPortal:
    """:class:`~onestop.ports.national.NationalPortal` over HTTPS POST with JSON bodies."""

    def __init__(
        self,
        base_url: str,
        *,
        dossier_path: str = "/DongBoHoSoMC",
        progress_path: str = "/CapNhatTienDoHoSoMC",
        login_path: str = "/login",
        username: str | None = None,
        password: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"the national portal's base URL must start with http:// or https://, "
                f"not {base_url!r} (ONESTOP_NATIONAL_URL)"
            )
        if (username is None) != (password is None):
            raise ConfigurationError(
                "give the national portal both a username and a password "
                "(ONESTOP_NATIONAL_USERNAME and ONESTOP_NATIONAL_PASSWORD), or neither"
            )
        self.base_url = base_url.rstrip("/")
        self._paths = {
            DOSSIER_SERVICE: _path(dossier_path),
            PROGRESS_SERVICE: _path(progress_path),
        }
        self._login_path = _path(login_path)
        self._username = username
        self._password = password
        self._session: str | None = None
        self._lock = threading.Lock()
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=dict(headers or {}),
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        auth = "session login" if self._username is not None else "no login"
        return f"<HttpNationalPortal {self.base_url} ({auth})>"

    def close(self) -> None:
        self._client.close()

    # --- the port ---------------------------------------------------------------------------

    def insert_dossier(self, record: Mapping[str, Any]) -> None:
        self._call(DOSSIER_SERVICE, {"isUpdating": "false", "data": [dict(record)]})

    def update_dossier(self, record: Mapping[str, Any]) -> None:
        self._call(DOSSIER_SERVICE, {"isUpdating": "true", "data": [dict(record)]})

    def update_progress(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not 1 <= len(rows) <= MAX_PROGRESS_BATCH:
            raise InvalidInput(
                "rows", f"must be 1 to {MAX_PROGRESS_BATCH} progress rows", len(rows)
            )
        self._call(PROGRESS_SERVICE, {"data": [dict(r) for r in rows]})

    # --- HTTP ---------------------------------------------------------------------------------

    def _call(self, service: str, body: dict[str, Any]) -> None:
        payload = {"service": service, **body}
        session = self._current_session()
        response = self._post(service, self._paths[service], payload, session)
        if response.status_code == 401 and self._username is not None:
            # The session expired: log in again, once, and send the same request.
            session = self._current_session(renew_from=session)
            response = self._post(service, self._paths[service], payload, session)
        _check(service, response)

    def _post(
        self, service: str, path: str, payload: dict[str, Any], session: str | None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {session}"} if session else {}
        try:
            return self._client.post(path, json=payload, headers=headers)
        except httpx.TimeoutException as e:
            raise NationalPortalUnavailable(f"{service}: no answer in time ({e!r})") from e
        except httpx.HTTPError as e:
            raise NationalPortalUnavailable(f"{service}: {type(e).__name__}: {e}") from e

    def _current_session(self, *, renew_from: str | None = None) -> str | None:
        if self._username is None:
            return None
        with self._lock:
            if self._session is None or self._session == renew_from:
                self._session = self._log_in()
            return self._session

    def _log_in(self) -> str:
        response = self._post(
            "login",
            self._login_path,
            {"username": self._username, "password": self._password},
            None,
        )
        reply = _check("login", response)
        session = reply.get("session")
        if not isinstance(session, str) or not session:
            raise NationalPortalUnavailable("login: the reply holds no session")
        return session


def _path(path: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigurationError(f"a national portal service path must start with /, not {path!r}")
    return path


def _check(service: str, response: httpx.Response) -> dict[str, Any]:
    """The reply as a dict when it says success; the matching error otherwise."""
    if response.status_code >= 500:
        raise NationalPortalUnavailable(f"{service}: HTTP {response.status_code}")
    try:
        reply = response.json()
    except ValueError:
        reply = None
    if response.status_code >= 400:
        message = reply.get("message", "") if isinstance(reply, dict) else response.text[:300]
        raise NationalPortalRejected(f"HTTP {response.status_code}", str(message), service)
    if not isinstance(reply, dict) or "error_code" not in reply:
        raise NationalPortalUnavailable(f"{service}: the reply is not {{error_code, message}}")
    code = reply["error_code"]
    if str(code).strip() != "0":
        raise NationalPortalRejected(str(code), str(reply.get("message", "")), service)
    return reply
