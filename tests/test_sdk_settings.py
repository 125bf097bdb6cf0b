"""The web session timeout is a project setting the collector serves to the browser SDK.

`session_timeout_seconds` (default 30 min) is defined once, per project, on the server; the SDK
reads it from the settings document at `GET /v1/projects/{write_key}/settings` (the one
analytics.js fetches too) and rotates its session id on the same timeout. The browser side is in
tests/test_sdk_browser.py (test_sdk_rotates_its_session_on_the_served_timeout).
"""

from __future__ import annotations

import time

import requests

TAX_APP_ORIGIN = "https://itax.kra.go.ke"


def settings_document(stack, write_key: str) -> requests.Response:  # noqa: ANN001
    return requests.get(f"{stack.collector_url}/v1/projects/{write_key}/settings",
                        headers={"Origin": TAX_APP_ORIGIN}, timeout=10)


def test_settings_document_serves_the_projects_session_timeout(stack) -> None:  # noqa: ANN001
    from metadata.projects import update_settings

    default = stack.project()
    r = settings_document(stack, default["write_key"])
    assert r.status_code == 200
    assert r.json()["njia"] == {"sessionTimeoutSeconds": 30 * 60}
    # A plain GET from the tax app's page: readable there (no preflight, CORS allowed).
    assert r.headers["Access-Control-Allow-Origin"] == TAX_APP_ORIGIN
    # analytics.js's part of the document is unchanged.
    assert r.json()["integrations"]["Segment.io"]["apiKey"] == default["write_key"]

    short = stack.project()
    update_settings(short["project_id"], session_timeout="10m")
    assert settings_document(stack, short["write_key"]).json()["njia"] == {
        "sessionTimeoutSeconds": 600}


def test_a_changed_session_timeout_is_served_within_the_key_cache(stack) -> None:  # noqa: ANN001
    from metadata.projects import update_settings

    project = stack.project()
    assert settings_document(stack, project["write_key"]).json()["njia"][
        "sessionTimeoutSeconds"] == 1800
    update_settings(project["project_id"], session_timeout_seconds=45 * 60)
    deadline = time.monotonic() + 10  # KEY_CACHE_SECONDS is 1 s in the test stack
    served = None
    while time.monotonic() < deadline:
        served = settings_document(stack, project["write_key"]).json()["njia"][
            "sessionTimeoutSeconds"]
        if served == 45 * 60:
            break
        time.sleep(0.2)
    assert served == 45 * 60
