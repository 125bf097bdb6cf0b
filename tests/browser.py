"""Headless Chromium for tests: Debian's `chromium` + `chromium-driver`, driven by Selenium.

    from tests.browser import make_driver, require_chromium

    def test_page():
        driver = make_driver()          # skips (or fails under CI=true) without Chromium
        try:
            driver.get(url)
        finally:
            driver.quit()               # also removes the temp profile

Selenium's own driver download (Selenium Manager) cannot work offline, so the browser and the
driver are always given as explicit paths. Install them with
`apt-get install -y chromium chromium-driver`, or point CHROMIUM_BINARY / CHROMEDRIVER at others.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

BROWSER_CANDIDATES = (
    "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium",
)
DRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")

# Quiet, reproducible, and no network of its own: no updates, sync, field trials or QUIC, so a
# test only sees the requests its page makes.
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

INSTALL_HINT = (
    "Chromium is not installed: the browser tests need Debian's `chromium` and `chromium-driver` "
    "(apt-get install -y chromium chromium-driver), or CHROMIUM_BINARY and CHROMEDRIVER set to a "
    "Chromium and its matching chromedriver"
)


def _first_executable(env_name: str, candidates: tuple[str, ...]) -> str | None:
    override = os.environ.get(env_name)
    for path in ((override,) if override else candidates):
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    return None


def chromium_paths() -> tuple[str, str] | None:
    """(browser, chromedriver) when both are installed, else None."""
    browser = _first_executable("CHROMIUM_BINARY", BROWSER_CANDIDATES)
    driver = _first_executable("CHROMEDRIVER", DRIVER_CANDIDATES)
    return (browser, driver) if browser and driver else None


def chromium_available() -> bool:
    if chromium_paths() is None:
        return False
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return True


def require_chromium() -> None:
    """Skip the calling test without Chromium; under CI=true fail it, so CI cannot go green
    by silently skipping the browser tests."""
    if chromium_available():
        return
    message = INSTALL_HINT if chromium_paths() is None else "selenium is not installed"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: browser tests must run)")
    pytest.skip(message)


def make_driver(window: tuple[int, int] = (1400, 1000), extra_args: tuple[str, ...] = ()):  # noqa: ANN201
    """A headless Chrome WebDriver with a fresh profile; `quit()` also deletes the profile."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    class Driver(webdriver.Chrome):
        profile_dir = ""

        def quit(self) -> None:
            try:
                super().quit()
            finally:
                shutil.rmtree(self.profile_dir, ignore_errors=True)

    browser, chromedriver = chromium_paths()  # type: ignore[misc] - checked by require_chromium
    profile = tempfile.mkdtemp(prefix="njia-chromium-")
    options = Options()
    options.binary_location = browser
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}",
                 f"--window-size={window[0]},{window[1]}", *extra_args):
        options.add_argument(flag)
    # Keep the page's console so a failing test can show it (driver.get_log("browser")).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = Driver(service=Service(executable_path=chromedriver), options=options)
    except Exception:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.profile_dir = profile
    return driver


def use_desktop_user_agent(driver) -> str:  # noqa: ANN001
    """Drop "Headless" from the user agent (for pages opened after this call).

    Headless Chromium says "HeadlessChrome/…", which the processor rightly classifies as a bot;
    a test that plays a real visitor wants the desktop Chrome user agent it otherwise has.
    """
    agent = driver.execute_script("return navigator.userAgent").replace("HeadlessChrome", "Chrome")
    driver.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": agent})
    return agent


def console_log(driver) -> str:  # noqa: ANN001
    """The page's console messages so far, one a line (empty when unavailable)."""
    try:
        return "\n".join(f"{e['level']} {e['message']}" for e in driver.get_log("browser"))
    except Exception:
        return ""
