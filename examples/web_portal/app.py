"""The application factory: one portal (onestop), one Flask app, three areas of pages.

:func:`create_app` wires the library (``bootstrap``) on SQLite by default, loads the sample
catalog, makes a demo officer, starts the mail worker (a thread running
``portal.dispatcher.run``), and registers the blueprints: accounts and citizen pages,
officer pages, and in demo mode the "Hộp thư" and the VNPay-like payment page. CSRF
protection is Flask-WTF's ``CSRFProtect`` (every POST carries ``csrf_token()``); sessions are
Flask's signed cookies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
import threading
from pathlib import Path

import attrs
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from onestop import Portal, Settings, bootstrap
from onestop.adapters import InMemoryMailTransport
from onestop.adapters.vnpay import VnpayGateway
from onestop.domain import format_vnd
from onestop.errors import DuplicateError, OnestopError
from onestop.problems import http_status
from onestop.testing.vnpay_server import VnpayMerchantServer

from .support import WebPortal, template_globals

_log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
CATALOG = HERE.parent / "data" / "kontum-catalog.json"

#: The demo officer, shown on the officers' login page in demo mode.
DEMO_OFFICER_EMAIL = "canbo@kontum.gov.vn"
DEMO_OFFICER_PASSWORD = "Can-bo-mot-cua-2022"
DEMO_OFFICER_AGENCY = "000.00.03.H34"  # Sở Kế hoạch và Đầu tư tỉnh Kon Tum
# VNPay's side in demo mode: obviously not a real terminal or secret.
DEMO_TMN_CODE = "DEMO0001"
DEMO_HASH_SECRET = "SANDBOXDEMOSECRETNOTREAL000000000"


def default_database_url() -> str:
    """A SQLite file in the temporary directory, kept between runs."""
    return f"sqlite:///{Path(tempfile.gettempdir()) / 'onestop-web-portal.db'}"


@attrs.frozen
class PortalConfig:
    """How to run the portal; every field has the demo's default."""

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = attrs.field(factory=default_database_url)
    #: Demo mode: mail kept in memory ("Hộp thư"), payments on a local VNPay-like page.
    #: Off: mail and VNPay come from ONESTOP_SMTP_* / ONESTOP_VNPAY_* (bootstrap fails closed).
    demo: bool = True
    #: Signs the session cookie and the mailed links; random (per process) when None.
    secret_key: str | None = None
    #: How often the mail worker looks for mail to send, in seconds.
    mail_interval: float = 1.0
    #: The largest request accepted (all files of one form together); each file also has
    #: its component's own limit, checked by the library while the file is stored.
    max_request_bytes: int = 64 * 1024 * 1024

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def create_app(config: PortalConfig | None = None) -> Flask:
    """A ready portal app; call :func:`close_app` when done (stops the mail worker)."""
    config = PortalConfig() if config is None else config
    secret = config.secret_key or os.environ.get("ONESTOP_SECRET_KEY") or secrets.token_urlsafe(32)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret,
        MAX_CONTENT_LENGTH=config.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # A form may be left open a long while (a citizen scanning documents).
        WTF_CSRF_TIME_LIMIT=None,
    )
    state = _wire_portal(config, secret)
    app.extensions["onestop"] = state
    stop, worker = _start_mail_worker(state, config.mail_interval)
    app.extensions["onestop.stop"] = stop
    app.extensions["onestop.worker"] = worker
    CSRFProtect(app)
    app.context_processor(template_globals)
    app.add_template_filter(format_vnd, "vnd")
    _register_blueprints(app, demo=config.demo)
    _register_error_pages(app)
    return app


def close_app(app: Flask) -> None:
    """Stop the mail worker, VNPay's demo side and the portal's storage."""
    stop: threading.Event = app.extensions["onestop.stop"]
    stop.set()
    worker: threading.Thread | None = app.extensions.get("onestop.worker")
    if worker is not None:
        worker.join(timeout=10)
    state: WebPortal = app.extensions["onestop"]
    if state.vnpay is not None:
        state.vnpay.stop()
    state.portal.close()


def _wire_portal(config: PortalConfig, secret: str) -> WebPortal:
    settings = Settings(
        base_url=config.base_url,
        portal_name="Cổng dịch vụ công trực tuyến tỉnh Kon Tum (bản trình diễn)",
        payment_return_url=f"{config.base_url}/payments/return",
    )
    if not config.demo:  # everything from ONESTOP_*: refused unless mail and payments are real
        portal = bootstrap(database_url=config.database_url, settings=settings)
        _load_samples(portal)
        return WebPortal(portal=portal, demo=False)
    mailbox = InMemoryMailTransport()
    vnpay = VnpayMerchantServer(tmn_code=DEMO_TMN_CODE, hash_secret=DEMO_HASH_SECRET).start()
    gateway = VnpayGateway(
        tmn_code=DEMO_TMN_CODE,
        hash_secret=DEMO_HASH_SECRET,
        payment_url=f"{config.base_url}/demo/vnpay/pay",
        api_url=vnpay.api_url,
    )
    try:
        portal = bootstrap(
            database_url=config.database_url,
            mail_transport=mailbox,
            payment_gateway=gateway,
            secret_key=secret,
            settings=settings,
        )
        _load_samples(portal)
    except BaseException:
        vnpay.stop()
        raise
    return WebPortal(portal=portal, demo=True, mailbox=mailbox, vnpay=vnpay)


def _load_samples(portal: Portal) -> None:
    """The sample catalog (entries replace their earlier copies) and the demo officer."""
    portal.catalog.load_json(CATALOG)
    with contextlib.suppress(DuplicateError):  # made by an earlier run on the same database
        portal.desk.register_officer(
            DEMO_OFFICER_AGENCY,
            "Phạm Thị Dung",
            DEMO_OFFICER_EMAIL,
            password=DEMO_OFFICER_PASSWORD,
        )


def _start_mail_worker(
    state: WebPortal, interval: float
) -> tuple[threading.Event, threading.Thread]:
    """The mail outbox's worker: sends what each unit of work queued, after it committed."""
    stop = threading.Event()
    worker = threading.Thread(
        target=state.portal.dispatcher.run,
        args=(stop, interval),
        name="onestop-mail-worker",
        daemon=True,
    )
    worker.start()
    return stop, worker


def _register_blueprints(app: Flask, *, demo: bool) -> None:
    from .accounts import bp as accounts
    from .citizen import bp as citizen
    from .officer import bp as officer
    from .payments import bp as payments

    app.register_blueprint(accounts)
    app.register_blueprint(citizen)
    app.register_blueprint(payments)
    app.register_blueprint(officer)
    if demo:
        from .demo import bp as demo_pages

        app.register_blueprint(demo_pages)


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(OnestopError)
    def onestop_error(error: OnestopError) -> tuple[str, int]:
        # Errors a page did not catch next to a field: the library's sentence, its status.
        return _error_page(error.title("vi"), error.message("vi"), http_status(error))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        limit = (app.config["MAX_CONTENT_LENGTH"] or 0) // (1024 * 1024)
        detail = f"Tổng dung lượng các tệp gửi một lần không được vượt quá {limit} MB."
        return _error_page("Tệp quá lớn", detail, 413)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        detail = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang."
        return _error_page("Yêu cầu không hợp lệ", detail, 400)

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> tuple[str, int]:
        return _error_page("Không tìm thấy trang", "Địa chỉ này không có trên cổng.", 404)

    @app.errorhandler(Exception)
    def internal(error: Exception) -> tuple[str, int]:
        if isinstance(error, HTTPException):
            return _error_page(error.name, error.description or "", error.code or 500)
        _log.exception("unexpected error")
        detail = "Đã xảy ra lỗi. Vui lòng thử lại sau."
        return _error_page("Lỗi hệ thống", detail, 500)


def _error_page(title: str, detail: str, status: int) -> tuple[str, int]:
    return render_template("error.html", title=title, detail=detail), status
