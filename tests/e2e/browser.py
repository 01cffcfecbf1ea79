"""The web portal example, started for real, and headless Chromium driving it (Selenium).

:func:`start_portal` runs ``python examples/web_portal.py`` on a free port with a new SQLite
file and waits for its home page. :class:`Browser` wraps a Selenium driver with the few
moves the tests make (open a page, fill a field by its label's ``for``, press a button by
its text, read the error next to a field) and saves a screenshot after each step.

Debian's ``chromium`` and ``chromium-driver`` are used, with the driver's path given
explicitly so that Selenium Manager never tries to download one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "web_portal.py"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver"
#: How long a page may take to answer or an element to appear, in seconds.
WAIT = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PortalProcess:
    """``examples/web_portal.py`` running in a subprocess; :meth:`stop` ends it."""

    def __init__(self, database: Path, log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ONESTOP_")}
        environ["PYTHONIOENCODING"] = "utf-8"
        self._log = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(SCRIPT),
                "--port",
                str(self.port),
                "--database",
                f"sqlite:///{database}",
            ],
            cwd=ROOT,
            env=environ,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.log_path = log

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the home page answers 200; the log in the error if the server died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the portal exited:\n{self.log_path.read_text('utf-8')}")
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the portal did not answer:\n{self.log_path.read_text('utf-8')}")

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit code."""
        self.process.terminate()
        try:
            code = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log.close()
        return code


def chromium_path() -> str | None:
    for path in CHROMIUM:
        if Path(path).exists():
            return path
    return shutil.which("chromium")


def start_driver() -> Any:
    """Headless Chromium through Debian's chromedriver (never downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path() or CHROMIUM[0]
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        "--window-size=1100,1000",
        "--lang=vi",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT * 4)
    return driver


class Browser:
    """A driver on the portal, with a screenshot after each named step."""

    def __init__(self, driver: Any, base_url: str, shots: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.shots = shots
        self.steps = 0

    # --- moving around ---------------------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def click_link(self, text: str) -> None:
        from selenium.webdriver.common.by import By

        self._navigating(self.driver.find_element(By.LINK_TEXT, text))

    def press(self, text: str) -> None:
        """Press the (first visible) button whose text is ``text``."""
        from selenium.webdriver.common.by import By

        for button in self.driver.find_elements(By.TAG_NAME, "button"):
            if button.text.strip() == text and button.is_displayed():
                self._navigating(button)
                return
        raise AssertionError(f"no button {text!r} on {self.driver.current_url}")

    def _navigating(self, element: Any) -> None:
        """Click ``element`` and wait for the next page (every link and button loads one)."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.driver.find_element(By.TAG_NAME, "html")

        def gone(driver: Any) -> bool:
            try:
                page.is_enabled()
            except WebDriverException:  # stale, or "does not belong to the document"
                return True
            return False

        element.click()
        WebDriverWait(self.driver, WAIT).until(gone)

    def fill(self, field_id: str, value: str) -> None:
        from selenium.webdriver.common.by import By

        element = self.driver.find_element(By.ID, field_id)
        element.clear()
        element.send_keys(value)

    def set_date(self, field_id: str, iso: str) -> None:
        """A date input, set as the browser would post it (typing depends on the locale)."""
        from selenium.webdriver.common.by import By

        element = self.driver.find_element(By.ID, field_id)
        self.driver.execute_script("arguments[0].value = arguments[1]", element, iso)

    def upload(self, field_id: str, path: Path) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.ID, field_id).send_keys(str(path))

    def check(self, field_id: str) -> None:
        from selenium.webdriver.common.by import By

        box = self.driver.find_element(By.ID, field_id)
        if not box.is_selected():
            box.click()

    def select(self, field_id: str, visible_text: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        Select(self.driver.find_element(By.ID, field_id)).select_by_visible_text(visible_text)

    def keyboard(self) -> Any:
        """Key presses sent to whatever has the focus (Selenium's ActionChains)."""
        from selenium.webdriver.common.action_chains import ActionChains

        return ActionChains(self.driver)

    def focused_text(self) -> str:
        text: str = self.driver.switch_to.active_element.text
        return text

    def fits_a_phone(self, name: str) -> bool:
        """Reload the page 390 pixels wide (a phone): whether nothing runs off the side."""
        size = self.driver.get_window_size()
        self.driver.set_window_size(390, 844)
        try:
            self.driver.refresh()
            self.text  # noqa: B018 (waits for the page)
            self.shot(name)
            self.driver.set_window_size(390, 844)
            fits: bool = self.driver.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth"
            )
            return fits
        finally:
            self.driver.set_window_size(size["width"], size["height"])

    # --- reading ---------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The page's visible text (read again if the page changed while it was read)."""
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
        )
        from selenium.webdriver.common.by import By

        for _ in range(20):
            try:
                body: str = self.driver.find_element(By.TAG_NAME, "body").text
            except (StaleElementReferenceException, NoSuchElementException):
                time.sleep(0.1)  # a new page is loading
            else:
                return body
        raise AssertionError(f"the page at {self.driver.current_url} never settled")

    def text_of(self, element_id: str) -> str:
        from selenium.webdriver.common.by import By

        found: str = self.driver.find_element(By.ID, element_id).text
        return found

    def error_for(self, field: str) -> str:
        """The error shown next to ``field`` (its ``<p id="field-error">``)."""
        return " ".join(self.text_of(f"{field}-error").split())

    def wait_for_text(self, text: str, *, reload: bool = False, timeout: float = WAIT) -> None:
        """Until the page shows ``text`` (reloading it meanwhile when asked)."""
        deadline = time.monotonic() + timeout
        while text not in self.text:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on {self.driver.current_url}:\n{self.text}")
            time.sleep(0.3)
            if reload:
                self.driver.refresh()

    def shot(self, name: str) -> Path:
        """Save a screenshot of the whole page as ``NN-name.png``."""
        from selenium.webdriver.common.by import By

        self.steps += 1
        path = self.shots / f"{self.steps:02d}-{name}.png"
        height = self.driver.execute_script("return document.body.scrollHeight")
        width = self.driver.get_window_size()["width"]
        self.driver.set_window_size(width, max(600, min(int(height) + 140, 4000)))
        self.driver.find_element(By.TAG_NAME, "body").screenshot(str(path))
        return path
