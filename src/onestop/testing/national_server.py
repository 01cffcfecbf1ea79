"""A fake national public service portal on loopback, for tests and examples.

:class:`FakeNationalPortalServer` answers the services of DOMAIN section 10 over real HTTP
(``http.server`` in a thread), keeps what it received (dossier records by ``MaHoSo``, the
progress rows of each dossier in arrival order, every request) and injects faults on demand::

    with FakeNationalPortalServer(username="u", password="p") as server:
        server.inject("500", "drop_after", service="CapNhatTienDoHoSoMC")
        ...  # point HttpNationalPortal at server.url

Faults, each used by one request: ``"500"`` (answer 500, process nothing), ``"timeout"``
(answer nothing for ``slow_seconds``, process nothing), ``"drop_after"`` (process the request,
then close the connection without an answer: the retry is a duplicate), ``"expire_session"``
(forget every session first: the client must log in again), ``"refuse"`` (answer
error_code 99).

Like the national portal, it refuses an insert of a dossier it holds ("... đã tồn tại"),
and an update of one it does not hold. A progress row equal to one it holds is a duplicate
and not stored twice (counted in ``duplicates``). ``out_of_order`` lists every row that
arrived older than the dossier's latest step, and every record update that went back in
time (a later update overtaken by an earlier one).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler
from typing import Any

from onestop.testing._loopback import LoopbackHttpServer

__all__ = ["FakeNationalPortalServer"]

_FAULTS = frozenset({"500", "timeout", "drop_after", "expire_session", "refuse"})


class FakeNationalPortalServer(LoopbackHttpServer):
    """A national portal on ``127.0.0.1``, started by ``start()`` or ``with``."""

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        prefix: str = "",
        slow_seconds: float = 2.0,
    ) -> None:
        self.username = username
        self.password = password
        self.prefix = prefix.rstrip("/")
        self.slow_seconds = slow_seconds
        self.records: dict[str, dict[str, Any]] = {}
        self.progress: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, str]] = []  # (service, MaHoSo, isUpdating)
        self.duplicates = 0
        self.out_of_order: list[str] = []
        self.logins = 0
        self._sessions: set[str] = set()
        self._faults: deque[tuple[str, str | None]] = deque()
        self._lock = threading.Lock()

    # --- life --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{self.origin}{self.prefix}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # --- faults --------------------------------------------------------------------------------

    def inject(self, *faults: str, service: str | None = None) -> None:
        """Apply ``faults`` to the next requests (of ``service`` only, when given), in order.

        Without ``service`` a fault never hits a login (``service="login"`` for that).
        """
        for fault in faults:
            if fault not in _FAULTS:
                raise ValueError(f"unknown fault {fault!r}; one of {sorted(_FAULTS)}")
        with self._lock:
            self._faults.extend((f, service) for f in faults)

    def _next_fault(self, service: str) -> str | None:
        with self._lock:
            for i, (fault, only) in enumerate(self._faults):
                # A login is faulted only when asked for by name.
                if only == service or (only is None and service != "login"):
                    del self._faults[i]
                    return fault
        return None

    @property
    def faults_left(self) -> int:
        with self._lock:
            return len(self._faults)

    # --- the services ------------------------------------------------------------------------

    def handle(self, path: str, body: dict[str, Any], auth: str | None) -> tuple[int, Any]:
        """(HTTP status, reply) for one request; the fault handling is in the handler."""
        service = path.rsplit("/", 1)[-1]
        if service == "login":
            if body.get("username") != self.username or body.get("password") != self.password:
                return 200, {"error_code": 1, "message": "Sai tên đăng nhập hoặc mật khẩu"}
            session = uuid.uuid4().hex
            with self._lock:
                self._sessions.add(session)
                self.logins += 1
            return 200, {"error_code": 0, "message": "OK", "session": session}
        if self.username is not None:
            token = (auth or "").removeprefix("Bearer ")
            with self._lock:
                if token not in self._sessions:
                    return 401, {"error_code": 401, "message": "Phiên làm việc đã hết hạn"}
        if body.get("service") != service:
            return 200, {"error_code": 2, "message": "Sai tên dịch vụ"}
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return 200, {"error_code": 3, "message": "Thiếu dữ liệu"}
        if not all(_only_strings(item) for item in data):
            return 200, {"error_code": 4, "message": "Mọi giá trị phải là chuỗi"}
        with self._lock:
            if service == "DongBoHoSoMC":
                return 200, self._dossier(data[0], body.get("isUpdating") == "true")
            if service == "CapNhatTienDoHoSoMC":
                if len(data) > 10:
                    return 200, {"error_code": 5, "message": "Tối đa 10 bản ghi"}
                return 200, self._progress(data)
        return 404, {"error_code": 404, "message": "Không có dịch vụ"}

    def _dossier(self, record: dict[str, Any], updating: bool) -> dict[str, Any]:
        code = record.get("MaHoSo", "")
        self.requests.append(("DongBoHoSoMC", code, "true" if updating else "false"))
        known = self.records.get(code)
        if not updating and known is not None:
            return {"error_code": -1, "message": f"Hồ sơ {code} đã tồn tại"}
        if updating and known is None:
            return {"error_code": -1, "message": f"Hồ sơ {code} không tồn tại"}
        if known is not None and _stamp(known) > _stamp(record):
            self.out_of_order.append(f"record {code} went back in time")
        self.records[code] = record
        return {"error_code": 0, "message": "Thành công"}

    def _progress(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        for row in rows:
            code = row.get("MaHoSo", "")
            self.requests.append(("CapNhatTienDoHoSoMC", code, ""))
            if code not in self.records:
                return {"error_code": -1, "message": f"Hồ sơ {code} không tồn tại"}
        for row in rows:
            held = self.progress.setdefault(row["MaHoSo"], [])
            if row in held:
                self.duplicates += 1
                continue
            if held and held[-1].get("ThoiDiemXuLy", "") > row.get("ThoiDiemXuLy", ""):
                self.out_of_order.append(f"progress of {row['MaHoSo']} arrived out of order")
            held.append(row)
        return {"error_code": 0, "message": "Thành công"}

    def expire_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()


def _stamp(record: dict[str, Any]) -> tuple[str, ...]:
    """How far a record has come: the latest of its dates (strings sort as times)."""
    keys = ("NgayNopHoSo", "NgayTiepNhan", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi")
    return (max(str(record.get(k, "")) for k in keys), str(len(record.get("DanhSachLePhi", []))))


def _only_strings(value: object) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_strings(v) for v in value)
    return False


def _handler_for(server: FakeNationalPortalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet tests

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            path = self.path
            if server.prefix and path.startswith(server.prefix):
                path = path[len(server.prefix) :]
            service = path.rsplit("/", 1)[-1]
            fault = server._next_fault(service)
            if fault == "expire_session":
                server.expire_sessions()
            elif fault == "500":
                self._reply(500, {"error_code": 500, "message": "Lỗi máy chủ"})
                return
            elif fault == "timeout":
                time.sleep(server.slow_seconds)
                self.close_connection = True
                return
            elif fault == "refuse":
                self._reply(200, {"error_code": 99, "message": "Dữ liệu không hợp lệ"})
                return
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                self._reply(400, {"error_code": 400, "message": "JSON không hợp lệ"})
                return
            status, reply = server.handle(path, body, self.headers.get("Authorization"))
            if fault == "drop_after":
                # Processed, but the answer never leaves: the client cannot know.
                self.close_connection = True
                return
            self._reply(status, reply)

        def _reply(self, status: int, reply: Any) -> None:
            data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
