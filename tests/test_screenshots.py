"""A real browser (headless Chromium) signs in to a real workbench server and screenshots the
Overview — the same code path as `make screenshots`."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from metadata import users
from tests.browser import make_driver
from tests.test_queries_dataset import RANGE, dataset  # noqa: F401
from tools.screenshots import capture, workbench_server


def test_sign_in_and_screenshot_the_overview(stack, dataset, tmp_path):  # noqa: F811
    driver = make_driver(window=(1440, 1600))  # skips without Chromium (fails under CI=true)
    users.add_user("browser-analyst", "browser-pass-1", role="analyst", projects=[dataset["a"]])
    query = {"project": dataset["a"], "range": "custom", "dates": [RANGE["from"], RANGE["to"]]}
    try:
        with workbench_server(stack.env) as url:
            saved = capture(driver, url, "browser-analyst", "browser-pass-1", tmp_path, query,
                            pages=["overview"])
            values = [e.text for e in driver.find_elements(
                By.CSS_SELECTOR, '[data-testid="stMetricValue"]')]
            body = driver.find_element(By.TAG_NAME, "body").text
    finally:
        driver.quit()
    assert [p.name for p in saved] == ["signin.png", "overview.png"]
    for path in saved:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    assert "Overview" in body and "Sign out" in body
    assert values[:6] == ["4", "3", "25.0 %", "2", "1", "4 min 0 s"]
