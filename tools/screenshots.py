"""`make screenshots`: sign in with headless Chromium and save every page to docs/screenshots/.

    python -m tools.screenshots [--url http://localhost:8501] [--project kra-demo]
                                    [--range 30d | --from D --to D] [--out docs/screenshots]

Without --url it starts its own workbench (streamlit, on a free loopback port) against the
configured stack — run `make up` first so there is data to show — signs in as a throwaway admin
it creates and removes again, and writes signin.png and one PNG per page (overview, funnels,
sessions, journey, paths, retention, live, errors, admin). With --url, give --username and the
password on stdin.
Chromium is Debian's (/usr/bin/chromium + /usr/bin/chromedriver; `make browser` installs it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PAGES = ["overview", "whatsapp", "ai_agent", "campaigns", "service_report", "funnels",
         "sessions", "journey", "paths", "retention", "live", "errors", "admin"]
WINDOW = (1440, 1800)
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def make_driver(window: tuple[int, int] = WINDOW) -> Any:
    """Headless Chromium (Debian's), a fresh profile removed on quit()."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser = next((p for p in CHROMIUM if Path(p).exists()), None)
    driver_path = next((p for p in CHROMEDRIVER if Path(p).exists()), None)
    if not browser or not driver_path:
        raise SystemExit("Chromium is not installed: `make browser` (Debian: apt-get install "
                         "chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="njia-shots-")
    options = Options()
    options.binary_location = browser
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--hide-scrollbars",
                 f"--user-data-dir={profile}", f"--window-size={window[0]},{window[1]}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    original_quit = driver.quit

    def quit_and_clean() -> None:
        try:
            original_quit()
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    driver.quit = quit_and_clean
    return driver


def wait_until_idle(driver: Any, timeout: float = 60.0) -> None:
    """Until the script has finished running and no spinner is left (then let charts draw)."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    time.sleep(0.5)
    while time.monotonic() < deadline:
        running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
        spinners = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSpinner"]')
        if not running and not spinners:
            time.sleep(1.5)  # Vega renders after the script is done
            return
        time.sleep(0.2)
    raise TimeoutError(f"the page kept running for {timeout} s")


def wait_for_text(driver: Any, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in driver.find_element("tag name", "body").text:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{text!r} did not appear; the page shows: "
                       f"{driver.find_element('tag name', 'body').text[:500]!r}")


def sign_in(driver: Any, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    wait_for_text(driver, "Sign in")
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Username"]').send_keys(username)
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Password"]').send_keys(password)
    button = next(b for b in driver.find_elements(By.TAG_NAME, "button")
                  if b.text.strip() == "Sign in")
    button.click()


def signed_in(driver: Any) -> bool:
    from selenium.webdriver.common.by import By

    return bool(driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebar"]')) and \
        "Sign out" in driver.find_element(By.TAG_NAME, "body").text


def capture(driver: Any, base_url: str, username: str, password: str, out_dir: Path,
            query: dict[str, Any], pages: list[str] = PAGES,
            session_id: str | None = None,
            extras: dict[str, dict[str, Any]] | None = None) -> list[Path]:
    """Sign in, then save one PNG per page (and the sign-in page first)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    qs = urlencode(query, doseq=True)
    driver.get(f"{base_url}/?{qs}")
    wait_for_text(driver, "Sign in")
    wait_until_idle(driver)
    saved = [out_dir / "signin.png"]
    driver.save_screenshot(str(saved[0]))
    sign_in(driver, username, password)
    wait_for_text(driver, "Sign out")
    for page in pages:
        extra = {"session": session_id} if page == "sessions" and session_id else {}
        extra.update((extras or {}).get(page, {}))
        path = "" if page == PAGES[0] else page  # the default page lives at "/"
        driver.get(f"{base_url}/{path}?{urlencode({**query, **extra}, doseq=True)}")
        time.sleep(0.5)
        if not signed_in(driver) and "Sign in" in driver.find_element("tag name", "body").text:
            sign_in(driver, username, password)  # no cookie carried over: sign in again
            wait_for_text(driver, "Sign out")
        wait_until_idle(driver)
        shot = out_dir / f"{page}.png"
        driver.save_screenshot(str(shot))
        saved.append(shot)
    return saved


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def workbench_server(env: dict[str, str] | None = None) -> Iterator[str]:
    """A workbench (streamlit) of our own on a free loopback port; its URL."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="njia-workbench-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "workbench" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--client.toolbarMode", "viewer"],
        cwd=ROOT, env=env or dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {Path(log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("streamlit did not start in 60 s") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        Path(log.name).unlink(missing_ok=True)


@contextlib.contextmanager
def throwaway_admin() -> Iterator[tuple[str, str]]:
    from metadata import users

    username = f"screenshots-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    users.add_user(username, password, role="admin", projects=[users.ALL_PROJECTS],
                   name="Screenshots")
    try:
        yield username, password
    finally:
        users.remove_user(username)


def _default_project() -> str:
    from metadata.projects import list_projects

    ids = [p.project_id for p in list_projects()]
    if not ids:
        raise SystemExit("no project yet: `make run` creates kra-demo with demo data")
    return "kra-demo" if "kra-demo" in ids else ids[0]


def _a_session(query: dict[str, Any]) -> tuple[str, str] | None:
    """A session worth showing on the Sessions page, and its person for the journey explorer:
    a converted one in the range, else any."""
    from metadata.access import OPERATOR
    from metadata.projects import get_project
    from queries.runner import run
    from queries.timerange import preset_dates, today_in

    project = get_project(query["project"])
    if project is None:
        return None
    if query["range"] == "custom":
        date_from, date_to = query["dates"]
    else:
        date_from, date_to = preset_dates(query["range"], today_in(project.settings.timezone))
    params = {"project": query["project"], "from": str(date_from), "to": str(date_to),
              "limit": 1}
    for converted in ("yes", "any"):
        found = run("sessions_list", {**params, "converted": converted}, OPERATOR)
        if not found.empty:
            key = str(found["person_key"].iloc[0])
            return str(found["session_id"].iloc[0]), key.partition(":")[2] or key
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running workbench (default: start one)")
    parser.add_argument("--username", help="with --url: who signs in (password on stdin)")
    parser.add_argument("--project")
    parser.add_argument("--range", default="30d", choices=("today", "7d", "30d"))
    parser.add_argument("--from", dest="date_from")
    parser.add_argument("--to", dest="date_to")
    parser.add_argument("--session", help="session id to open on the Sessions page")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    project = args.project or _default_project()
    query: dict[str, Any] = {"project": project, "range": args.range}
    if args.date_from and args.date_to:
        query.update(range="custom", dates=[args.date_from, args.date_to])
    found = _a_session(query)
    session_id = args.session or (found[0] if found else None)
    extras = {"journey": {"person": found[1]}} if found else {}
    driver = make_driver()
    try:
        if args.url:
            if not args.username:
                parser.error("--url needs --username (and the password on stdin)")
            saved = capture(driver, args.url.rstrip("/"), args.username,
                            sys.stdin.readline().rstrip("\n"), args.out, query,
                            session_id=session_id, extras=extras)
        else:
            with throwaway_admin() as (username, password), workbench_server() as url:
                saved = capture(driver, url, username, password, args.out, query,
                                session_id=session_id, extras=extras)
    finally:
        driver.quit()
    for path in saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
