"""The Overview page in headless Chromium: from navigation until the last chart is drawn.

The bench starts its own workbench (streamlit) against the bench warehouse, adds a bench user,
signs in once (on an empty one-day range, so signing in costs no Overview of the bench range),
then navigates to the Overview of the 30-day range: the first time with the workbench's cache
empty (cold), then again (warm: `st.cache_data` holds every result). A load counts as done when
the script has finished (no running/spinner widget) and all OVERVIEW_CHARTS Vega charts hold a
drawn canvas or SVG. Chromium is Debian's (`make browser`).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.stats import percentile

OVERVIEW_CHARTS = 9  # components.chart calls on workbench/app_pages/overview.py
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")

_STATE_JS = """
const running = document.querySelectorAll('[data-testid="stStatusWidget"],'
                                          + '[data-testid="stSpinner"]').length;
const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
let drawn = 0;
charts.forEach(c => {
  const g = c.querySelector('canvas, svg.marks');
  if (g && g.getBoundingClientRect().width > 0) drawn += 1;
});
const text = document.body ? document.body.innerText : '';
return [running, charts.length, drawn, text.includes('Sign out'), text.includes('Sign in'),
        text.includes('No sessions in')];
"""


def chromium_available() -> bool:
    return any(Path(p).exists() for p in CHROMIUM) and any(Path(p).exists() for p in CHROMEDRIVER)


def make_driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser = next(p for p in CHROMIUM if Path(p).exists())
    driver_path = next(p for p in CHROMEDRIVER if Path(p).exists())
    profile = tempfile.mkdtemp(prefix="njia-bench-chromium-")
    options = Options()
    options.binary_location = browser
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={profile}", "--window-size=1440,1800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver._bench_profile = profile
    return driver


def _quit(driver: Any) -> None:
    try:
        driver.quit()
    finally:
        shutil.rmtree(driver._bench_profile, ignore_errors=True)


def _state(driver: Any) -> tuple[int, int, int, bool, bool, bool]:
    return tuple(driver.execute_script(_STATE_JS))


def _wait_text(driver: Any, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in driver.execute_script("return document.body ? document.body.innerText : ''"):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{text!r} did not appear in {timeout} s")


def _sign_in(driver: Any, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    _wait_text(driver, "Sign in", 60)
    deadline = time.monotonic() + 60
    while not driver.find_elements(By.CSS_SELECTOR, 'input[aria-label="Username"]'):
        if time.monotonic() > deadline:
            raise TimeoutError("no sign-in form")
        time.sleep(0.1)
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Username"]').send_keys(username)
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Password"]').send_keys(password)
    next(b for b in driver.find_elements(By.TAG_NAME, "button")
         if b.text.strip() == "Sign in").click()
    _wait_text(driver, "Sign out", 120)


def load_overview(driver: Any, url: str, timeout: float) -> float:
    """Seconds from navigation until the script is done and every chart is drawn."""
    driver.execute_script("window.location.href = 'about:blank'")
    time.sleep(0.3)
    t0 = time.perf_counter()
    driver.get(url)
    deadline = time.monotonic() + timeout
    settled_since = None
    while time.monotonic() < deadline:
        running, charts, drawn, signed_in, sign_in_form, empty = _state(driver)
        if sign_in_form and not signed_in:
            raise RuntimeError("the workbench asked to sign in again (cookie not kept)")
        done = signed_in and not running and (drawn >= OVERVIEW_CHARTS or empty)
        if done:
            # Streamlit can show no status for a moment between reruns: settle for 300 ms.
            settled_since = settled_since or time.perf_counter()
            if time.perf_counter() - settled_since >= 0.3:
                if empty:
                    raise RuntimeError("the Overview shows no sessions for the bench range")
                return settled_since - t0
        else:
            settled_since = None
        time.sleep(0.05)
    raise TimeoutError(f"the Overview was not drawn within {timeout} s "
                       f"(charts drawn: {_state(driver)[2]}/{OVERVIEW_CHARTS})")


def run(env: dict[str, str], workdir: Path, project: str, d_from: str, d_to: str,
        warm_runs: int = 3, timeout: float = 900.0, sampler: Any = None, log=print
        ) -> dict[str, Any]:
    from bench.engines import start_workbench
    from metadata import users

    username = "bench-" + secrets.token_hex(3)
    password = secrets.token_urlsafe(16)
    users.add_user(username, password, role="analyst", projects=[project], name="Bench")
    wb = None
    driver = None
    try:
        wb, url = start_workbench(env, workdir / "workbench.log")
        if sampler is not None:
            sampler.pids["workbench"] = wb.pid
            sampler.phase("page idle")
        driver = make_driver()
        # Sign in on an empty day far from the data: the Overview there costs next to nothing.
        empty = {"project": project, "range": "custom", "dates": ["2020-01-01", "2020-01-01"]}
        driver.get(f"{url}/?{urlencode(empty, doseq=True)}")
        _sign_in(driver, username, password)
        time.sleep(1)
        if sampler is not None:
            sampler.phase("page idle")
        target = f"{url}/?" + urlencode({"project": project, "range": "custom",
                                          "dates": [d_from, d_to]}, doseq=True)
        if sampler is not None:
            sampler.phase("page load")
        cold = load_overview(driver, target, timeout)
        log(f"  Overview cold: {cold:.2f} s")
        warm = []
        for _ in range(warm_runs):
            warm.append(load_overview(driver, target, timeout))
        log(f"  Overview warm: {', '.join(f'{w:.2f}' for w in warm)} s")
        return {"cold_s": cold, "warm_s": warm, "warm_median_s": percentile(warm, 50),
                "charts": OVERVIEW_CHARTS}
    finally:
        if driver is not None:
            _quit(driver)
        if wb is not None:
            wb.stop()
        users.remove_user(username)
