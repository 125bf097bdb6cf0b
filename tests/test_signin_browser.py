"""Sign-in and sign-out in a real browser (headless Chromium) against a real workbench server.

What a person sees on a shared computer: signing in keeps them signed in across a reload;
"Sign out" signs them out for good (a reload shows the sign-in form, and the old cookie replayed
in another browser signs no one in); the next person to sign in on that browser is who they are,
not whoever was signed in before.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from metadata import users
from tests.browser import console_log, make_driver
from tools.screenshots import sign_in, wait_until_idle, workbench_server
from workbench.auth import COOKIE_NAME

PASSWORD = "browser-horse-42"
TIMEOUT = 60.0


def wait_for(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def body(driver: Any) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def sidebar(driver: Any) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebar"]')
    return found[0].text if found else ""


def shows_sign_in_form(driver: Any) -> bool:
    return bool(driver.find_elements(By.CSS_SELECTOR, 'input[aria-label="Password"]'))


def signed_in_as(driver: Any, name: str, role: str) -> bool:
    return f"{name} · {role}" in sidebar(driver) and "Sign out" in sidebar(driver)


def cookie(driver: Any) -> dict[str, Any] | None:
    return driver.get_cookie(COOKIE_NAME)


def settle(driver: Any) -> None:
    """Until the script run is over: what shows then is what this visit gets."""
    wait_until_idle(driver, timeout=TIMEOUT)


def expect_signed_out(driver: Any) -> None:
    wait_for(lambda: shows_sign_in_form(driver), "the sign-in form")
    settle(driver)
    assert shows_sign_in_form(driver)
    assert "Sign out" not in body(driver)
    assert not sidebar(driver)  # no user, no project list, no filters
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]')


def sign_in_and_wait(driver: Any, name: str, role: str) -> dict[str, Any]:
    """Sign in through the form; the cookie the browser then holds."""
    wait_for(lambda: shows_sign_in_form(driver), "the sign-in form")
    settle(driver)  # the form is drawn and the run is over: typing now is not lost
    sign_in(driver, name, PASSWORD)
    wait_for(lambda: signed_in_as(driver, name, role), f"{name} to be signed in as {role}")
    return wait_for(lambda: cookie(driver), f"the {COOKIE_NAME} cookie to be set at sign-in")


def sign_out(driver: Any) -> None:
    settle(driver)  # the sidebar is drawn and stays: the button found is the one clicked
    button = next(b for b in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebar"] '
                                                                   'button')
                  if b.text.strip() == "Sign out")
    button.click()


@pytest.fixture
def people(stack) -> dict[str, str]:
    project = stack.project()["project_id"]
    tag = uuid.uuid4().hex[:6]
    admin, analyst = f"browser-admin-{tag}", f"browser-analyst-{tag}"
    users.add_user(admin, PASSWORD, role="admin", projects=[users.ALL_PROJECTS], name=admin)
    users.add_user(analyst, PASSWORD, role="analyst", projects=[project], name=analyst)
    return {"project": project, "admin": admin, "analyst": analyst}


@pytest.fixture
def workbench(stack) -> Iterator[str]:
    with workbench_server(stack.env) as url:
        yield url


@pytest.fixture
def browsers() -> Iterator[Callable[[], Any]]:
    """Fresh browser profiles, each quit (and its profile removed) at the end."""
    opened: list[Any] = []

    def open_one() -> Any:
        driver = make_driver()  # skips without Chromium (fails under CI=true)
        opened.append(driver)
        return driver

    try:
        yield open_one
    finally:
        for driver in opened:
            print("browser console:\n" + console_log(driver))  # shown when the test fails
            driver.quit()


def test_sign_out_signs_out_and_the_next_person_is_who_they_are(people, workbench, browsers):
    url = f"{workbench}/?project={people['project']}"
    admin, analyst = people["admin"], people["analyst"]
    shared = browsers()

    # Sign in: the cookie is set, so a reload keeps the admin signed in.
    shared.get(url)
    old_cookie = sign_in_and_wait(shared, admin, "admin")
    shared.refresh()
    wait_for(lambda: signed_in_as(shared, admin, "admin"), "the admin to stay signed in")

    # Sign out: the form shows, the cookie goes, and a reload does not sign back in.
    sign_out(shared)
    wait_for(lambda: shows_sign_in_form(shared), "the sign-in form after signing out")
    wait_for(lambda: cookie(shared) is None, f"the {COOKIE_NAME} cookie to be deleted")
    shared.refresh()
    expect_signed_out(shared)

    # The old cookie, replayed in a fresh profile (another computer), signs no one in.
    elsewhere = browsers()
    elsewhere.get(url)
    wait_for(lambda: shows_sign_in_form(elsewhere), "the sign-in form in a fresh profile")
    elsewhere.add_cookie({"name": COOKIE_NAME, "value": old_cookie["value"], "path": "/"})
    elsewhere.get(url)
    expect_signed_out(elsewhere)

    # The next person on the shared browser is an analyst, before and after a reload.
    sign_in_and_wait(shared, analyst, "analyst")
    shared.refresh()
    wait_for(lambda: signed_in_as(shared, analyst, "analyst"), "the analyst after a reload")
    settle(shared)
    assert signed_in_as(shared, analyst, "analyst")
    assert "Admin" not in sidebar(shared).splitlines()  # no Admin page in the menu
