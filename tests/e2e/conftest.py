"""Fixtures of the browser tests: one portal server per run, one Chromium per run.

Without Chromium, its driver or Selenium the tests are skipped locally and fail under
``CI`` (``.ci/run`` installs Debian's ``chromium`` and ``chromium-driver``). Screenshots go
to a temporary directory, or to ``ONESTOP_E2E_SCREENSHOTS`` when set (one folder per test).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import CHROMEDRIVER, Browser, PortalProcess, chromium_path, start_driver
from tests.support import require_module, unavailable


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalProcess]:
    """``python examples/web_portal.py`` on a free port and a new SQLite file."""
    require_module("flask")
    require_module("flask_wtf")
    work = tmp_path_factory.mktemp("web-portal")
    server = PortalProcess(work / "portal.db", work / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Chromium through Selenium (one for the whole run)."""
    require_module("selenium")
    if chromium_path() is None or not Path(CHROMEDRIVER).exists():
        unavailable(
            "Chromium and its driver are not installed: apt-get install chromium chromium-driver"
        )
    driver = start_driver()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("ONESTOP_E2E_SCREENSHOTS")
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


def _browser(driver: Any, server: PortalProcess, shots: Path) -> Browser:
    driver.delete_all_cookies()
    return Browser(driver, server.base_url, shots)


@pytest.fixture
def browser(
    chromium: Any, portal_server: PortalProcess, screenshots: Path, request: pytest.FixtureRequest
) -> Browser:
    """The shared Chromium, logged out, saving screenshots under the test's name."""
    folder = screenshots / re.sub(r"\W+", "-", request.node.name).strip("-")
    folder.mkdir(exist_ok=True)
    chromium.get(portal_server.base_url + "/")
    return _browser(chromium, portal_server, folder)


@pytest.fixture
def second_browser(
    chromium: Any, portal_server: PortalProcess, screenshots: Path, request: pytest.FixtureRequest
) -> Iterator[Browser]:
    """Another Chromium (another person: the officer beside the citizen)."""
    del chromium  # asked for its check that Chromium is there (skip, or fail under CI)
    folder = screenshots / (re.sub(r"\W+", "-", request.node.name).strip("-") + "-officer")
    folder.mkdir(exist_ok=True)
    driver = start_driver()
    try:
        yield Browser(driver, portal_server.base_url, folder)
    finally:
        driver.quit()


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    """A small real PDF, as a scanned form would be."""
    path = tmp_path / "giay-de-nghi.pdf"
    path.write_bytes(PDF)
    return path


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
