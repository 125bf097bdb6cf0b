"""Sign-in (streamlit-authenticator under AppTest): nothing but the landing before it, no query
either; wrong passwords; sign-out; roles; the demo admin; the cookie key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from config.metadata import users
from config.settings import get_settings
from queries import runner

APP = str(Path(__file__).resolve().parents[1] / "workbench" / "app.py")
PASSWORD = "correct-horse-9"
LANDING_TITLE = ":material/explore: Njia"


def app(query_params: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query_params or {})
    return at


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.run()
    username_box, password_box = at.text_input[0], at.text_input[1]
    assert (username_box.label, password_box.label) == ("Username", "Password")
    username_box.input(username)
    password_box.input(password)
    at.button[0].click().run()
    return at


def signed_in_app(username: str, query_params: dict[str, Any] | None = None) -> AppTest:
    at = sign_in(app(query_params), username)
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the queries executed on the warehouse (a spy on the runner, not a mock)."""
    seen: list[str] = []
    real = runner.execute

    def spy(prepared: runner.Prepared):  # noqa: ANN202
        seen.append(prepared.name)
        return real(prepared)

    monkeypatch.setattr(runner, "execute", spy)
    return seen


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the queries the pages asked the workbench's data layer for, cached or not.

    `executions` sees only what reaches the warehouse; a page that asked for data another test
    had already cached would slip past it, so "no query before sign-in" checks both."""
    from workbench import data

    seen: list[str] = []
    real = data.load

    def spy(name: str, params: Any, **kw: Any):  # noqa: ANN202
        seen.append(name)
        return real(name, params, **kw)

    monkeypatch.setattr(data, "load", spy)
    return seen


@pytest.fixture(scope="module")
def people(stack) -> dict[str, str]:
    project = stack.project()["project_id"]
    other = stack.project()["project_id"]
    users.add_user("auth-admin", PASSWORD, role="admin", projects=[users.ALL_PROJECTS])
    users.add_user("auth-analyst", PASSWORD, role="analyst", projects=[project])
    return {"project": project, "other": other}


def test_before_sign_in_only_the_landing_renders_and_no_query_runs(stack, people, executions,
                                                                   loads):
    at = app({"project": people["project"]}).run()
    assert not at.exception
    assert [t.value for t in at.title] == [LANDING_TITLE]
    assert "follows each taxpayer" in at.markdown[0].value
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.selectbox and not at.metric and not at.dataframe
    assert executions == [] and loads == []


# Each page by its URL path, as a shared link opens it: (url path, title once signed in).
PAGES = [("overview", "Overview"), ("sessions", "Sessions"), ("live", "Live feed"),
         ("errors", "Errors"), ("admin", "Admin")]


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p for p, _ in PAGES])
def test_every_page_needs_sign_in_and_runs_no_query_before_it(stack, people, executions, loads,
                                                              path, title):
    # Before the first run AppTest asks for a page by the hash of its name, which is the hash
    # st.navigation gives the page whose url_path it is: the request a browser opening
    # /<path>?project=… makes.
    # people["other"]: signed in, the pages' results are cached for a project no other test
    # here queries, so they cannot turn another test's queries into cache hits.
    at = app({"project": people["other"], "range": "7d"})
    at.switch_page(f"app_pages/{path}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == [LANDING_TITLE]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.selectbox and not at.metric and not at.dataframe
    assert not at.get("vega_lite_chart") and not at.expander
    at.run()  # a rerun (any interaction with the landing) changes nothing
    assert [t.value for t in at.title] == [LANDING_TITLE]
    assert executions == [] and loads == []
    # The same request, signed in, opens the page it names (so it did ask for that page), and
    # only then do its queries run (Admin reads the metadata store, not the warehouse).
    sign_in(at, "auth-admin")
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == [title]
    assert bool(loads) == (path != "admin"), loads


def test_wrong_password_is_refused(stack, people, executions, loads):
    at = sign_in(app(), "auth-analyst", "not-the-password")
    assert [e.value for e in at.error] == ["Username or password is incorrect."]
    assert [t.value for t in at.title] == [LANDING_TITLE]
    assert executions == [] and loads == []


def test_sign_in_shows_the_overview_and_sign_out_returns_to_the_landing(stack, people, loads):
    at = signed_in_app("auth-analyst")
    assert [t.value for t in at.title] == ["Overview"]
    assert "overview" in loads  # (`loads`, not `executions`: the result may be cached)
    at.sidebar.button(key="njia_logout").click().run()
    assert [t.value for t in at.title] == [LANDING_TITLE]
    count = len(loads)
    at.run()
    assert len(loads) == count  # signed out: no more queries


def test_an_analyst_sees_only_their_projects_and_no_admin_page(stack, people):
    at = signed_in_app("auth-analyst", {"project": people["other"]})
    assert at.sidebar.selectbox(key="project").options == [people["project"]]
    assert at.sidebar.selectbox(key="project").value == people["project"]
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page("app_pages/admin.py")


def test_an_admin_sees_every_project_and_the_admin_page(stack, people):
    at = signed_in_app("auth-admin", {"project": people["other"]})
    options = at.sidebar.selectbox(key="project").options
    assert {people["project"], people["other"]} <= set(options)
    assert at.sidebar.selectbox(key="project").value == people["other"]
    at.switch_page("app_pages/admin.py").run()
    assert [t.value for t in at.title] == ["Admin"]


def test_a_user_without_projects_is_told_so(stack, people):
    users.add_user("auth-nobody", PASSWORD, role="analyst", projects=[])
    at = signed_in_app("auth-nobody")
    assert any("no project" in w.value for w in at.sidebar.warning)
    assert not at.metric


def test_a_removed_user_is_signed_out(stack, people):
    users.add_user("auth-leaver", PASSWORD, role="analyst", projects=[people["project"]])
    at = signed_in_app("auth-leaver")
    users.remove_user("auth-leaver")
    at.run()
    assert [t.value for t in at.title] == [LANDING_TITLE]


# --- first start and the cookie key ----------------------------------------------------------
@pytest.fixture
def fresh_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings pointing at an empty data dir (its own metadata store), restored afterwards."""
    monkeypatch.setenv("NJIA_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    from config.metadata.db import migrate

    migrate()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_demo_first_start_creates_an_admin_and_prints_the_password_once(fresh_data_dir, capsys):
    from config.first_start import extra_first_start

    extra_first_start(fresh_data_dir)
    printed = capsys.readouterr().out
    line = next(x for x in printed.splitlines() if "password:" in x)
    password = line.split("password:")[1].strip()
    assert "njia user set-password admin" in printed
    assert users.verify_password("admin", password)
    assert users.require_user("admin").is_admin
    extra_first_start(fresh_data_dir)  # a restart: nothing new, nothing printed
    assert "password" not in capsys.readouterr().out


def test_demo_cookie_key_is_generated_once_and_kept(fresh_data_dir):
    from workbench.auth import cookie_key

    key = cookie_key(fresh_data_dir)
    assert len(key) >= 32 and cookie_key(get_settings()) == key
    assert (fresh_data_dir.data_dir / "secrets" / "cookie_key").read_text() == key


def test_production_refuses_to_run_without_a_cookie_key(fresh_data_dir, monkeypatch):
    monkeypatch.setenv("NJIA_MODE", "production")
    get_settings.cache_clear()
    at = app().run()
    assert any("NJIA_COOKIE_KEY is not set" in e.value for e in at.error)
    assert not at.button  # no sign-in form either
