"""The /demo/ page: a KRA-branded form (PIN, phone, email) that must run only the collector's own
SDK and send only to the collector, and that production does not serve unless asked to."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest

from collector.app import build_app
from collector.sdk_routes import DEMO_INDEX
from config.settings import Settings
from tests.browser import console_log, make_driver

DEMO_PATHS = ("/demo/", "/demo/confirm", "/demo/?key=k")


def settings(tmp_path: Any, **env: str) -> Settings:
    # External engines (never reached here): production refuses to derive embedded ones.
    return Settings(NJIA_DATA_DIR=tmp_path, REDIS_URL="redis://127.0.0.1:1/0",
                    CLICKHOUSE_URL="http://njia:pw@127.0.0.1:1/njia", **env)


@pytest.mark.parametrize(("env", "served"), [
    ({"NJIA_MODE": "demo"}, True),
    ({"NJIA_MODE": "demo", "DEMO_PAGE_ENABLED": "false"}, False),
    ({"NJIA_MODE": "production"}, False),
    ({"NJIA_MODE": "production", "DEMO_PAGE_ENABLED": "true"}, True),
])
async def test_demo_page_is_off_in_production_unless_enabled(aiohttp_client, tmp_path, env,
                                                              served):  # noqa: ANN001
    client = await aiohttp_client(build_app(settings(tmp_path, **env)))
    for path in DEMO_PATHS:
        r = await client.get(path)
        assert r.status == (200 if served else 404), (env, path)
    r = await client.get("/demo?key=k", allow_redirects=False)
    assert r.status == (302 if served else 404)
    assert (await client.get("/v1/sdk.js")).status == 200  # the SDK itself is always served


def inline_script_hashes(html: str) -> set[str]:
    return {"'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
            for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S)}


async def test_demo_page_may_run_only_its_own_script_and_the_collectors(aiohttp_client,
                                                                        tmp_path):  # noqa: ANN001
    client = await aiohttp_client(build_app(settings(tmp_path, NJIA_MODE="demo")))
    r = await client.get("/demo/?key=k&sdk=https://evil.example/x.js")
    html = await r.text()
    policy = dict(
        (part.split()[0], part.split()[1:])
        for part in r.headers["Content-Security-Policy"].split(";") if part.strip()
    )
    hashes = inline_script_hashes(html)
    assert hashes and set(policy["script-src"]) == {"'self'", *hashes}
    assert policy["connect-src"] == ["'self'"]  # events (PIN, phone) go to this collector only
    assert policy["default-src"] == ["'none'"]
    assert policy["form-action"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert DEMO_INDEX.read_text() == html


# ---- in a browser: what the policy and the page do with hostile parameters ---------------------
class EvilOrigin:
    """Serves a script at /v1/sdk.js and /x.js that marks the page as taken over."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = b"window.__pwned = true; window.analytics = {init: function () {}};"
                self.send_response(200)
                self.send_header("Content-Type", "application/javascript")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # `localhost`, not the collector's 127.0.0.1: another origin.
        self.url = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def evil() -> Iterator[EvilOrigin]:
    origin = EvilOrigin()
    try:
        yield origin
    finally:
        origin.close()


@pytest.fixture
def driver(stack) -> Iterator[Any]:  # noqa: ANN001 - `stack` first: engines start before Chrome
    driver = make_driver()
    try:
        yield driver
    finally:
        print("browser console:\n" + console_log(driver))
        driver.quit()


def page_state(driver: Any) -> tuple[bool, str, bool]:
    """(taken over, the page's setup error, SDK ready) once the page has settled."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ready = driver.execute_script("return document.body.getAttribute('data-sdk-ready')")
        error = driver.execute_script("return document.getElementById('setup-error').textContent")
        if ready or error:
            break
        time.sleep(0.05)
    pwned = bool(driver.execute_script("return window.__pwned === true"))
    return pwned, error, bool(ready)


@pytest.mark.parametrize("params", [
    {"sdk": "{evil}/x.js"},  # any script
    {"sdk": "{evil}/v1/sdk.js"},  # a look-alike SDK path on another host
    {"api": "{evil}"},  # the SDK is loaded from the api's host
    {"sdk": "data:text/javascript,window.__pwned=true//v1/sdk.js"},
    {"api": "javascript:window.__pwned=true//"},
])
def test_hostile_parameters_never_run_a_foreign_script(stack, driver, evil, params):  # noqa: ANN001
    project = stack.project()
    query = {"key": project["write_key"],
             **{k: v.replace("{evil}", evil.url) for k, v in params.items()}}
    driver.get(f"{stack.collector_url}/demo/?{urlencode(query)}")
    pwned, error, ready = page_state(driver)
    assert not pwned, f"{params}: a foreign script ran in the collector's KRA page"
    assert not ready and error, f"{params}: the page should say it cannot load the SDK"


def test_the_collectors_own_sdk_still_runs(stack, driver):  # noqa: ANN001
    project = stack.project()
    driver.get(f"{stack.collector_url}/demo/?{urlencode({'key': project['write_key']})}")
    pwned, error, ready = page_state(driver)
    assert ready and not error and not pwned, error
