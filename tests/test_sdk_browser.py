"""The JS SDK end to end: headless Chromium on the demo page → collector → processor → warehouse.

The demo page is served from its own origin (a static server on another port, reached as
`localhost` while the collector is `127.0.0.1`), as the tax app is, so CORS, the preflight of
`X-Write-Key` and the text/plain beacon are all exercised for real.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from aiohttp import web

from collector.sdk_routes import DEMO_INDEX, SDK_FILE, add_sdk_routes
from tests.browser import console_log, make_driver, use_desktop_user_agent
from tests.conftest import make_event
from tests.engines import free_port

PIN = "A123456789Z"
PHONE = "0711 111 111"
EMAIL = "Jane.Wanjiku@Example.com"
TAX_APP_ORIGIN = "https://itax.kra.go.ke"

# Spy on the SDK's fetches so the test knows which events went by fetch and which only by the
# beacon. The SDK looks up window.fetch at call time, so installing this after load works.
FETCH_SPY = """
window.__njiaFetched = [];
var original = window.fetch.bind(window);
window.fetch = function (url, init) {
  try {
    JSON.parse(init.body).batch.forEach(function (e) { window.__njiaFetched.push(e.event_id); });
  } catch (e) { /* not a batch */ }
  return original(url, init);
};
"""


# ---- the tax app's origin: a static server for the demo page --------------------------------
class DemoHandler(BaseHTTPRequestHandler):
    """Serves the demo page at /demo/ and its views, like the collector's /demo/ routes."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = urlsplit(self.path).path
        if path == "/demo/" or re.fullmatch(r"/demo/[a-z0-9-]+", path):
            body = DEMO_INDEX.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def demo_origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DemoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # `localhost` vs the collector's `127.0.0.1`: another origin and another site.
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def driver(stack) -> Iterator[Any]:  # noqa: ANN001 - `stack` first: engines start before Chrome
    driver = make_driver()
    try:
        use_desktop_user_agent(driver)
        yield driver
    finally:
        print("browser console:\n" + console_log(driver))  # shown when the test fails
        driver.quit()


# ---- helpers ----------------------------------------------------------------------------------
def demo_url(origin: str, key: str, api: str, **options: Any) -> str:
    return f"{origin}/demo/?{urlencode({'key': key, 'api': api, 'debug': '1', **options})}"


def wait_for(driver: Any, condition: Callable[[Any], Any], what: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition(driver)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def sdk_status(driver: Any) -> dict[str, Any]:
    return driver.execute_script("return window.analytics && analytics.status()") or {}


def open_demo(driver: Any, url: str) -> None:
    driver.get(url)
    wait_for(
        driver,
        lambda d: d.execute_script("return document.body.getAttribute('data-sdk-ready')"),
        f"the demo page to load the SDK ({url}); page says: "
        + str(driver.execute_script("return document.getElementById('setup-error').textContent")),
    )


def click(driver: Any, element_id: str) -> None:
    driver.find_element("id", element_id).click()


def wait_stored(stack: Any, project_id: str, expected: int, timeout: float = 15) -> None:
    """Drain until `expected` events are stored (a beacon may land after the first drain)."""
    deadline = time.monotonic() + timeout
    stored = 0
    while time.monotonic() < deadline:
        stack.drain()
        stored = stack.count(project_id)
        if stored >= expected:
            break
        time.sleep(0.1)
    # Give stragglers (duplicates) a moment, so "exactly" below means exactly.
    time.sleep(0.3)
    stack.drain()
    assert stack.count(project_id) == expected, f"stored {stack.count(project_id)}"


def stored_events(stack: Any, project_id: str) -> list[dict[str, Any]]:
    result = stack.ch().query(
        "SELECT toString(event_id) AS event_id, event_name, timestamp, received_at, anonymous_id,"
        " user_id, phone, email, session_id, channel, page_path, page_title, user_agent, locale,"
        " client_timezone, library_name, library_version, device_type, is_bot,"
        " toJSONString(properties) AS properties, toJSONString(traits) AS traits"
        " FROM events WHERE project_id = {p:String} ORDER BY timestamp",
        parameters={"p": project_id},
    )
    rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    for row in rows:
        row["properties"] = json.loads(row["properties"])
        row["traits"] = json.loads(row["traits"])
    return rows


def require_sdk_on_collector(stack: Any) -> None:
    response = requests.get(f"{stack.collector_url}/v1/sdk.js", timeout=10)
    assert response.status_code == 200, (
        f"the collector does not serve /v1/sdk.js (HTTP {response.status_code}): "
        "collector/routes.py must call collector.sdk_routes.add_sdk_routes(app)"
    )


# ---- browser tests ----------------------------------------------------------------------------
def test_demo_journey_by_fetch_and_beacon(stack, driver, demo_origin) -> None:  # noqa: ANN001
    require_sdk_on_collector(stack)
    project = stack.project()
    # Batches of 5 and no timer flush within the test: events 1–5 go by fetch, 6–8 only by the
    # beacon when the page goes away.
    open_demo(driver, demo_url(demo_origin, project["write_key"], stack.collector_url,
                               flushAt=5, flushInterval=600_000))
    driver.execute_script(FETCH_SPY)

    click(driver, "nav-file-nil")  # page_view /demo/file-nil (the load sent /demo/)
    click(driver, "btn-validate")  # validation_success
    click(driver, "nav-home")  # page_view /demo/
    login = {"login-pin": PIN, "login-phone": PHONE, "login-email": EMAIL}
    for element_id, value in login.items():
        field = driver.find_element("id", element_id)
        field.clear()
        field.send_keys(value)
    click(driver, "btn-login")  # identify: the 5th event, a size flush
    wait_for(driver, lambda d: len(d.execute_script("return window.__njiaFetched")) == 5,
             "the first batch of 5 to be sent by fetch")
    click(driver, "nav-confirm")  # page_view /demo/confirm
    click(driver, "btn-otp")  # otp_success
    click(driver, "btn-file")  # return_filed
    status = wait_for(driver, lambda d: (s := sdk_status(d)) and s["queued"] == 3
                      and not s["sending"] and s, "3 events queued and nothing in flight")
    assert status["failures"] == 0
    fetched = set(driver.execute_script("return window.__njiaFetched"))
    receipt = driver.find_element("id", "receipt").text.split("receipt ")[1].rstrip(".")

    driver.get("about:blank")  # pagehide → sendBeacon with the 3 queued events

    wait_stored(stack, project["project_id"], 8)
    events = stored_events(stack, project["project_id"])
    names = [e["event_name"] for e in events]
    assert Counter(names) == {"page_view": 4, "validation_success": 1, "identify": 1,
                              "otp_success": 1, "return_filed": 1}
    assert names == ["page_view", "page_view", "validation_success", "page_view", "identify",
                     "page_view", "otp_success", "return_filed"]
    assert len({e["event_id"] for e in events}) == 8

    # One visitor, one session, from the browser's own ids.
    assert {e["anonymous_id"] for e in events} == {status["anonymousId"]}
    assert {e["session_id"] for e in events} == {status["sessionId"]}
    assert status["anonymousId"] and status["sessionId"] and status["userId"] == PIN

    # identify links the PIN with the normalised phone and email; later events carry the PIN.
    identify = events[4]
    assert identify["user_id"] == PIN
    assert identify["phone"] == "+254711111111"
    assert identify["email"] == "jane.wanjiku@example.com"
    assert identify["traits"] == {"phone": PHONE, "email": EMAIL}
    assert [e["user_id"] for e in events] == [""] * 4 + [PIN] * 4

    by_name = {e["event_name"]: e for e in events}
    assert by_name["validation_success"]["properties"] == {"obligation_type": "NIL"}
    assert by_name["otp_success"]["properties"] == {"method": "sms"}
    assert by_name["return_filed"]["properties"] == {"obligation": "NIL",
                                                     "receipt_number": receipt}
    pages = [(e["page_path"], e["page_title"]) for e in events if e["event_name"] == "page_view"]
    assert pages == [("/demo/", "Home · KRA iTax demo"),
                     ("/demo/file-nil", "File NIL return · KRA iTax demo"),
                     ("/demo/", "Home · KRA iTax demo"),
                     ("/demo/confirm", "Confirm · KRA iTax demo")]
    assert by_name["return_filed"]["page_path"] == "/demo/confirm"

    now = datetime.now(UTC)
    for e in events:
        assert e["channel"] == "web"
        assert e["library_name"] == "njia-js" and e["library_version"]
        assert "Chrome/" in e["user_agent"] and "Headless" not in e["user_agent"]
        assert e["device_type"] == "desktop" and e["is_bot"] is False
        assert e["locale"] and e["client_timezone"]
        stamped = e["timestamp"].replace(tzinfo=UTC)
        assert now - timedelta(minutes=2) < stamped <= now + timedelta(seconds=5)

    # The last three were never fetched: only the beacon can have delivered them.
    beaconed = [e["event_name"] for e in events if e["event_id"] not in fetched]
    assert beaconed == ["page_view", "otp_success", "return_filed"]
    assert len(fetched) == 5


def test_unsent_events_survive_a_reload(stack, driver, demo_origin) -> None:  # noqa: ANN001
    require_sdk_on_collector(stack)
    project = stack.project()
    key = project["write_key"]
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: every send fails
    sdk = f"{stack.collector_url}/v1/sdk.js"
    open_demo(driver, demo_url(demo_origin, key, dead, sdk=sdk, flushAt=1,
                               flushInterval=600_000))
    click(driver, "nav-file-nil")
    click(driver, "btn-validate")
    wait_for(driver, lambda d: (s := sdk_status(d)) and s["failures"] >= 1 and s["queued"] == 3,
             "a failed send with 3 events queued")
    anonymous_id = sdk_status(driver)["anonymousId"]

    # The reload's beacon goes to the dead collector too; the events stay in localStorage and
    # the next page (now pointing at the live collector) sends them.
    open_demo(driver, demo_url(demo_origin, key, stack.collector_url, flushAt=1,
                               flushInterval=600_000))
    wait_for(driver, lambda d: (s := sdk_status(d)) and s["queued"] == 0 and not s["sending"],
             "the adopted events and the new page view to be sent")
    assert driver.execute_script(f"return localStorage.getItem('njia_queue:{key}')") is None

    wait_stored(stack, project["project_id"], 4)
    events = stored_events(stack, project["project_id"])
    assert [(e["event_name"], e["page_path"]) for e in events] == [
        ("page_view", "/demo/"), ("page_view", "/demo/file-nil"),
        ("validation_success", "/demo/file-nil"), ("page_view", "/demo/")]
    assert {e["anonymous_id"] for e in events} == {anonymous_id}
    assert len({e["session_id"] for e in events}) == 1  # a reload keeps the session


class FakeCollector:
    """A scripted /v1/capture (answers the given statuses in turn, then 200) that records
    every POST, for the SDK's retry rules; CORS like the real collector. `delay` (seconds)
    holds every answer back, for a send that is still in flight a while."""

    def __init__(self, statuses: list[int], delay: float = 0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.posts: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type, X-Write-Key")

            def do_OPTIONS(self) -> None:  # noqa: N802
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(fake.delay)
                status = fake.statuses.pop(0) if fake.statuses else 200
                fake.posts.append({"status": status, "body": json.loads(raw),
                                   "headers": dict(self.headers)})
                answer = json.dumps({"accepted": 1, "rejected": []} if status == 200
                                    else {"error": "scripted"}).encode()
                self.send_response(status)
                self._cors()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self, status: int = 200) -> list[dict[str, Any]]:
        return [e for p in self.posts if p["status"] == status for e in p["body"]["batch"]]


def test_retries_sessions_and_reset(stack, driver, demo_origin) -> None:  # noqa: ANN001
    require_sdk_on_collector(stack)
    fake = FakeCollector([503, 429, 200, 400])
    try:
        open_demo(driver, demo_url(demo_origin, "wk_test", fake.url, flushAt=1,
                                   flushInterval=600_000, sdk=f"{stack.collector_url}/v1/sdk.js"))
        # 503 and 429 are retried with backoff until the 200.
        wait_for(driver, lambda d: len(fake.posts) == 3 and sdk_status(d)["queued"] == 0,
                 "the page view to be sent on the third attempt")
        first = fake.posts[:3]
        assert [p["status"] for p in first] == [503, 429, 200]
        assert len({p["body"]["batch"][0]["event_id"] for p in first}) == 1
        sent_at = [p["body"]["sent_at"] for p in first]
        assert sent_at == sorted(sent_at) and len(set(sent_at)) == 3  # stamped per attempt
        for post in first:
            assert post["headers"]["X-Write-Key"] == "wk_test"
            assert post["headers"]["Content-Type"] == "application/json"
        assert sdk_status(driver)["failures"] == 0

        # A 400 is final: that batch is dropped, not retried, and later events still go out.
        click(driver, "nav-file-nil")
        wait_for(driver, lambda d: len(fake.posts) == 4, "the 400")
        click(driver, "btn-validate")
        wait_for(driver, lambda d: len(fake.posts) == 5, "the event after the 400")
        time.sleep(1.2)  # longer than the first backoff step: a retry would have happened
        assert [p["status"] for p in fake.posts[3:]] == [400, 200]
        assert sdk_status(driver)["queued"] == 0

        # 30 minutes of inactivity start a new session; 29 do not.
        session = sdk_status(driver)["sessionId"]
        age = "sessionStorage.setItem('njia_session_last_activity', String(Date.now() - %d));"
        driver.execute_script(age % (29 * 60_000) + "analytics.track('after_29_min')")
        assert sdk_status(driver)["sessionId"] == session
        driver.execute_script(age % (31 * 60_000) + "analytics.track('after_31_min')")
        assert sdk_status(driver)["sessionId"] not in (session, None)

        # reset(): no user, a new anonymous id and a new session.
        before = sdk_status(driver)
        driver.execute_script("analytics.identify('A000000001B', {});"
                              "analytics.reset(); analytics.track('after_reset')")
        wait_for(driver, lambda d: "after_reset" in [e["event_name"] for e in fake.events()]
                 and sdk_status(d)["queued"] == 0, "the event after reset")
        events = {e["event_name"]: e for e in fake.events()}
        assert events["identify"]["user_id"] == "A000000001B"
        after = events["after_reset"]
        assert after["user_id"] is None
        assert after["anonymous_id"] not in (before["anonymousId"], None)
        assert after["session_id"] not in (before["sessionId"], None)
        assert events["after_29_min"]["session_id"] == session
    finally:
        fake.close()


def test_sdk_rotates_its_session_on_the_served_timeout(stack, driver,  # noqa: ANN001
                                                      demo_origin) -> None:
    """The project's session_timeout (10 min here), served by the collector, is the timeout the
    browser rotates its session id on (not the SDK's 30-min default); a later page has it at
    once from storage, even when the collector cannot be reached."""
    from metadata.projects import update_settings

    require_sdk_on_collector(stack)
    project = stack.project()
    key = project["write_key"]
    update_settings(project["project_id"], session_timeout="10m")
    open_demo(driver, demo_url(demo_origin, key, stack.collector_url, flushAt=1,
                               flushInterval=600_000))
    wait_for(driver, lambda d: sdk_status(d).get("sessionTimeoutSeconds") == 600,
             "the SDK to take the project's 10-min session timeout")

    session = sdk_status(driver)["sessionId"]
    age = "sessionStorage.setItem('njia_session_last_activity', String(Date.now() - %d));"
    driver.execute_script(age % (9 * 60_000) + "analytics.track('after_9_min')")
    assert sdk_status(driver)["sessionId"] == session
    driver.execute_script(age % (11 * 60_000) + "analytics.track('after_11_min')")
    rotated = sdk_status(driver)["sessionId"]
    assert rotated not in (session, None)
    wait_for(driver, lambda d: (s := sdk_status(d)) and s["queued"] == 0 and not s["sending"],
             "the events to be sent")

    # The next page knows the timeout before (and without) asking: the collector is dead here.
    dead = f"http://127.0.0.1:{free_port()}"
    open_demo(driver, demo_url(demo_origin, key, dead, sdk=f"{stack.collector_url}/v1/sdk.js",
                               flushAt=1, flushInterval=600_000))
    assert sdk_status(driver)["sessionTimeoutSeconds"] == 600

    wait_stored(stack, project["project_id"], 3)
    by_name = {e["event_name"]: e for e in stored_events(stack, project["project_id"])}
    assert by_name["after_9_min"]["session_id"] == session
    assert by_name["after_11_min"]["session_id"] == rotated


# Samples localStorage at the first turn after each send settles (nothing in flight, nothing
# queued): a timer every millisecond, so it runs before any 50 ms debounced write could.
SETTLED_WATCH = """
window.__njiaSettled = [];
var armed = false;
setInterval(function () {
  var s = analytics.status();
  if (s.sending) { armed = true; return; }
  if (armed && s.queued === 0) {
    window.__njiaSettled.push(localStorage.getItem(arguments[0]));
    armed = false;
  }
}.bind(null, %s), 1);
"""


def test_stored_queue_agrees_with_status_once_a_send_settles(stack, driver,  # noqa: ANN001
                                                             demo_origin) -> None:
    """When status() says nothing is queued or in flight, localStorage holds no unsent event.

    A send that takes a while (300 ms here; a busy machine or a slow network) lets the debounced
    write of the queue land while the batch is in flight; the write that clears it must not lag
    behind the send's end, or a tab killed in between leaves the event for a later page to send
    again, and a reader trusting status() sees a stale entry (the flake of
    test_unsent_events_survive_a_reload on a loaded machine)."""
    require_sdk_on_collector(stack)
    fake = FakeCollector([], delay=0.3)
    key = "wk_settled"
    storage_key = f"njia_queue:{key}"
    try:
        open_demo(driver, demo_url(demo_origin, key, fake.url, flushAt=1, flushInterval=600_000,
                                   sdk=f"{stack.collector_url}/v1/sdk.js"))
        wait_for(driver, lambda d: (s := sdk_status(d)) and s["queued"] == 0 and not s["sending"]
                 and d.execute_script(f"return localStorage.getItem('{storage_key}')") is None,
                 "the page view to be sent and the stored queue cleared")
        driver.execute_script(SETTLED_WATCH % json.dumps(storage_key))
        for sends, button in enumerate(("nav-file-nil", "btn-validate", "nav-home"), 1):
            click(driver, button)
            wait_for(driver, lambda d, n=sends: len(d.execute_script(
                "return window.__njiaSettled")) >= n, f"send {sends} to settle")
        assert len(fake.events()) == 4
        seen = driver.execute_script("return window.__njiaSettled")
        assert seen == [None, None, None], "a settled send left its events in localStorage"
    finally:
        fake.close()


# ---- the collector's side of the browser contract, no browser needed -------------------------
def test_cors_preflight_for_capture(stack) -> None:  # noqa: ANN001
    response = requests.options(
        f"{stack.collector_url}/v1/capture",
        headers={
            "Origin": TAX_APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-write-key",
        },
        timeout=10,
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == TAX_APP_ORIGIN
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert "POST" in methods
    allowed = {h.strip().lower()
               for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-write-key"} <= allowed


def test_beacon_shaped_request_is_accepted(stack) -> None:  # noqa: ANN001
    """What sendBeacon sends: text/plain JSON, write key in the query string, no custom header."""
    project = stack.project()
    event = make_event("page_view")
    response = requests.post(
        f"{stack.collector_url}/v1/capture",
        params={"write_key": project["write_key"]},
        data=json.dumps({"batch": [event], "sent_at": datetime.now(UTC).isoformat()}),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": TAX_APP_ORIGIN},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "rejected": []}
    assert response.headers["Access-Control-Allow-Origin"] == TAX_APP_ORIGIN
    stack.drain()
    assert stack.count(project["project_id"], "event_id = {e:UUID}", e=event["event_id"]) == 1


def test_collector_serves_sdk_and_demo(stack) -> None:  # noqa: ANN001
    require_sdk_on_collector(stack)
    sdk = requests.get(f"{stack.collector_url}/v1/sdk.js", timeout=10)
    assert sdk.headers["Content-Type"].startswith("application/javascript")
    assert sdk.content == SDK_FILE.read_bytes()
    demo = requests.get(f"{stack.collector_url}/demo/", timeout=10)
    assert demo.status_code == 200 and demo.headers["Content-Type"].startswith("text/html")


# ---- the routes on their own (no engines) -----------------------------------------------------
async def test_sdk_routes(aiohttp_client) -> None:  # noqa: ANN001
    app = web.Application()
    add_sdk_routes(app)
    client = await aiohttp_client(app)

    sdk = await client.get("/v1/sdk.js")
    assert sdk.status == 200
    assert sdk.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert re.fullmatch(r"public, max-age=\d{2,4}", sdk.headers["Cache-Control"])
    assert await sdk.read() == SDK_FILE.read_bytes()
    again = await client.get("/v1/sdk.js", headers={"If-None-Match": sdk.headers["ETag"]})
    assert again.status == 304

    for path in ("/demo/", "/demo/confirm", f"/demo/?key={uuid.uuid4().hex}"):
        page = await client.get(path)
        assert page.status == 200, path
        assert page.headers["Content-Type"].startswith("text/html")
        assert "analytics.init" in await page.text()
    moved = await client.get("/demo?key=k", allow_redirects=False)
    assert moved.status == 302 and moved.headers["Location"] == "/demo/?key=k"
    assert (await client.get("/demo/../sdk_routes.py")).status == 404
