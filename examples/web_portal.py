"""A reference web portal: the portal guide's whole flow in a browser, in Vietnamese.

    python examples/web_portal.py [--port PORT] [--database URL]

serves http://127.0.0.1:8000 on SQLite (a file in the temporary directory, kept between
runs) with the sample catalog loaded. Citizens register (the verification mail is in
"Hộp thư"), log in, choose "Đơn vị" and "Lĩnh vực", submit a dossier with its files, pay its
fees on a local VNPay-like page and follow it in "Hồ sơ của tôi"; anyone tracks a dossier by
its code and id number; officers (the demo officer's login is on the officers' page)
receive, ask for a supplement, digitise paper originals, attach the electronic result,
decide and return. Ctrl-C (or SIGTERM) stops it.

The pages are the Flask app in ``examples/web_portal/`` (``pip install -e '.[sql,web,forms]'``).
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
from types import FrameType

# The package examples/web_portal/ (a directory beats this script of the same name).
from web_portal import PortalConfig, close_app, create_app
from web_portal.app import DEMO_OFFICER_EMAIL, default_database_url
from werkzeug.serving import make_server

from onestop.errors import ConfigurationError


def free_port(host: str) -> int:
    """A port nobody listens on now (for --port 0)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--database", default=None, help="database URL (default: SQLite)")
    parser.add_argument(
        "--no-demo",
        action="store_true",
        help="real mail and payments from ONESTOP_SMTP_* / ONESTOP_VNPAY_* (no Hộp thư)",
    )
    args = parser.parse_args(argv)
    host = "127.0.0.1"
    config = PortalConfig(
        host=host,
        port=args.port or free_port(host),
        database_url=args.database or default_database_url(),
        demo=not args.no_demo,
    )
    try:
        app = create_app(config)
    except ConfigurationError as error:  # e.g. a database left by an older onestop
        print(f"web_portal: error: {error} (database: {config.database_url})", file=sys.stderr)
        return 1
    server = make_server(host, config.port, app, threaded=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown).start()  # not from the serving thread

    signal.signal(signal.SIGTERM, stop)
    print(f"Cổng dịch vụ công (onestop) on {config.base_url}/", flush=True)
    print(f"Database: {config.database_url}", flush=True)
    if config.demo:
        print(f"Demo officer: {DEMO_OFFICER_EMAIL} (password on the officers' login page)")
        print(f"Mail sent by the portal: {config.base_url}/demo/mailbox", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        close_app(app)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
