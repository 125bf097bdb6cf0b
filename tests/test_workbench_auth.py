"""Sign-in under AppTest: nothing but the landing before it, no query either; wrong passwords;
sign-out; roles; the demo admin; the cookie key. Sign-in sessions: sign-out, removal and a new
password end them on the server; the throttle on failed sign-ins."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from config.settings import get_settings
from metadata import access, signins, users
from queries import runner
from workbench import auth

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
    from workbench import reads

    seen: list[str] = []
    real = reads.load

    def spy(name: str, params: Any, **kw: Any):  # noqa: ANN202
        seen.append(name)
        return real(name, params, **kw)

    monkeypatch.setattr(reads, "load", spy)
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
         ("errors", "Errors"), ("admin", "Admin"), ("whatsapp", "WhatsApp"),
         ("ai_agent", "AI agent"), ("campaigns", "Campaigns"),
         ("service_report", "KRA service report")]


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
    from metadata.db import migrate

    migrate()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_demo_first_start_creates_an_admin_and_prints_the_password_once(fresh_data_dir, capsys):
    from stack.first_start import extra_first_start

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


# --- sign-in sessions: sign-out ends the session on the server (issue 8 §4) ------------------
LIFETIME = timedelta(days=7)


def test_each_sign_in_is_a_session_record_that_revoking_ends(stack):
    users.add_user("sess-one", PASSWORD, role="analyst")
    token_1, first = signins.create("sess-one", LIFETIME)
    token_2, second = signins.create("sess-one", LIFETIME)
    assert first.session_id == signins.session_id_for(token_1) != second.session_id
    assert token_1 not in first.session_id  # the store keeps a hash of the cookie's secret
    assert signins.active(first.session_id, "sess-one")
    assert signins.active(second.session_id, "sess-one")
    assert not signins.active(first.session_id, "auth-admin")  # a session names one user
    assert not signins.active("", "sess-one") and not signins.active("0" * 64, "sess-one")
    assert signins.revoke(first.session_id)
    assert not signins.active(first.session_id, "sess-one")
    # One record per sign-in: signing out on one device leaves the other signed in.
    assert signins.active(second.session_id, "sess-one")
    assert [s.session_id for s in signins.list_active("sess-one")] == [second.session_id]


def test_a_session_ends_when_it_expires(stack):
    users.add_user("sess-short", PASSWORD, role="analyst")
    long_ago = datetime.now(UTC) - timedelta(days=8)
    _, old = signins.create("sess-short", LIFETIME, now=long_ago)
    assert not signins.active(old.session_id, "sess-short")
    assert signins.list_active("sess-short") == []


@pytest.mark.parametrize("change", ["removed", "new-password"])
def test_removing_a_user_or_a_new_password_ends_their_sessions(stack, change):
    name, bystander = f"sess-{change}", f"sess-{change}-other"
    users.add_user(name, PASSWORD, role="analyst")
    users.add_user(bystander, PASSWORD, role="analyst")
    mine = [signins.create(name, LIFETIME)[1] for _ in range(2)]
    _, theirs = signins.create(bystander, LIFETIME)
    if change == "removed":
        users.remove_user(name)
    else:
        users.set_password(name, "another-horse-7")
    assert not any(signins.active(s.session_id, name) for s in mine)
    assert signins.list_active(name) == []
    assert signins.active(theirs.session_id, bystander)


def test_the_cookie_names_the_session_and_a_revoked_one_no_longer_signs_in(stack, people):
    session, cookie = auth.issue("auth-analyst")
    assert auth.from_cookie(cookie) == access.for_user("auth-analyst",
                                                       session=session.session_id)
    tampered = cookie[:-3] + ("xyz" if not cookie.endswith("xyz") else "abc")
    assert auth.from_cookie(tampered) is None
    assert auth.from_cookie("") is None and auth.from_cookie(None) is None
    # What streamlit-authenticator's cookie held (a JWT of the user name and expiry, signed with
    # the same key) names no session: it no longer signs anyone in.
    legacy = _hs256_jwt({"username": "auth-admin", "exp_date": time.time() + 86400},
                        auth.cookie_key(get_settings()))
    assert auth.from_cookie(legacy) is None
    signins.revoke(session.session_id)
    assert auth.from_cookie(cookie) is None  # replayed from anywhere: signed out


def _hs256_jwt(claims: dict[str, Any], key: str) -> str:
    """A JWT as streamlit-authenticator signed its cookie (HS256), built with the stdlib."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def test_sign_out_ends_the_session_on_the_server(stack, people):
    users.add_user("auth-signout", PASSWORD, role="analyst", projects=[people["project"]])
    at = signed_in_app("auth-signout")
    [session] = signins.list_active("auth-signout")
    at.sidebar.button(key="njia_logout").click().run()
    assert [t.value for t in at.title] == [LANDING_TITLE]
    assert not signins.active(session.session_id, "auth-signout")
    assert signins.list_active("auth-signout") == []


def test_a_session_ended_elsewhere_signs_this_tab_out(stack, people):
    users.add_user("auth-twotabs", PASSWORD, role="analyst", projects=[people["project"]])
    at = signed_in_app("auth-twotabs")
    assert [t.value for t in at.title] == ["Overview"]
    signins.revoke_user("auth-twotabs")  # signed out in another tab, or a new password
    at.run()
    assert [t.value for t in at.title] == [LANDING_TITLE]


# --- failed sign-ins are throttled per user name and per address -----------------------------
THROTTLED = re.compile(r"^Too many failed attempts; try again in \d+ s\.$")


def test_failed_sign_ins_are_throttled_per_user_name(stack):
    settings = get_settings()
    name, now = f"throttle-{uuid.uuid4().hex[:8]}", datetime.now(UTC)
    for i in range(settings.signin_max_failures - 1):  # each from another address
        assert signins.record_failure(name, f"198.51.100.{i}", now=now) == 0
        assert signins.wait_seconds(name, "203.0.113.1", now=now) == 0
    first = signins.record_failure(name, "198.51.100.99", now=now)
    assert first == settings.signin_delay_seconds
    # From any address, the name waits; other names from the same addresses do not.
    assert signins.wait_seconds(name, "203.0.113.1", now=now + timedelta(seconds=10)) \
        == first - 10
    assert signins.wait_seconds(f"{name}-other", "198.51.100.99", now=now) == 0
    later = now + timedelta(seconds=first)
    assert signins.wait_seconds(name, "203.0.113.1", now=later) == 0
    assert signins.record_failure(name, "198.51.100.98", now=later) == 2 * first  # growing
    for _ in range(20):
        capped = signins.record_failure(name, "198.51.100.97", now=later)
    assert capped == settings.signin_max_delay_seconds
    signins.record_success(name)  # the right password, once allowed, starts afresh
    assert signins.wait_seconds(name, "203.0.113.1", now=later) == 0


def test_failed_sign_ins_are_throttled_per_address(stack):
    settings = get_settings()
    address, now = f"192.0.2.{uuid.uuid4().int % 250}", datetime.now(UTC)
    signins.forget_failures(address=address)
    names = [f"spray-{uuid.uuid4().hex[:8]}"
             for _ in range(settings.signin_max_failures_per_address)]
    for name in names[:-1]:  # one try per name: the per-name limit never trips
        assert signins.record_failure(name, address, now=now) == 0
    wait = signins.record_failure(names[-1], address, now=now)
    assert wait == settings.signin_delay_seconds
    assert signins.wait_seconds("a-name-never-tried", address, now=now) == wait
    assert signins.wait_seconds("a-name-never-tried", "192.0.2.251", now=now) == 0
    signins.record_success(names[0])  # one good password does not clear the address
    assert signins.wait_seconds("a-name-never-tried", address, now=now) == wait
    signins.forget_failures(address=address)


@pytest.fixture
def local_failures_forgotten() -> Iterator[None]:
    """AppTest has no client address (as a browser on loopback): its failures count against
    127.0.0.1, which the other tests here sign in from too; forget them afterwards."""
    yield
    signins.forget_failures(address="127.0.0.1")


def test_the_sign_in_page_says_when_attempts_are_throttled(stack, people,
                                                           local_failures_forgotten):
    users.add_user("auth-throttled", PASSWORD, role="analyst", projects=[people["project"]])
    at = app()
    for _ in range(get_settings().signin_max_failures - 1):
        sign_in(at, "auth-throttled", "not-the-password")
        assert [e.value for e in at.error] == ["Username or password is incorrect."]
    sign_in(at, "auth-throttled", "not-the-password")
    assert [THROTTLED.match(e.value) is not None for e in at.error] == [True], at.error
    # While the delay runs even the right password is refused, unchecked: no oracle.
    sign_in(at, "auth-throttled", PASSWORD)
    assert [THROTTLED.match(e.value) is not None for e in at.error] == [True], at.error
    assert [t.value for t in at.title] == [LANDING_TITLE]
    signins.forget_failures(username="auth-throttled")
    sign_in(at, "auth-throttled", PASSWORD)
    assert [t.value for t in at.title] == ["Overview"]
