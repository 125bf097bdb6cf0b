"""Every workbench page under AppTest, signed in, on the hand-built dataset: it renders with
data, filters change the numbers, an empty range shows why, and the Overview's KPIs are the
numbers `njia query` and the HTTP API give for the same parameters."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from metadata import tokens, users
from metadata.access import OPERATOR
from tests.conftest import make_event
from tests.test_api import api  # noqa: F401 - the API program, started once for this module
from tests.test_queries_dataset import KPIS, RANGE, crm, dataset, post_crm, post_web  # noqa: F401
from tests.test_workbench_auth import PASSWORD, signed_in_app
from workbench import formatters

LABELS = {"sessions": "Sessions", "people": "People (distinct persons)",
          "identified_people": "Identified people", "anonymous_people": "Anonymous people",
          "conversion_rate": "Conversion rate", "avg_duration_s": "Avg session duration"}
EMPTY = {"from": "2025-01-01", "to": "2025-01-07"}


@pytest.fixture(scope="module")
def analyst(dataset) -> str:  # noqa: F811
    users.add_user("pages-analyst", PASSWORD, role="analyst", projects=[dataset["a"]])
    return "pages-analyst"


def url_params(project: str, dates: dict[str, str] = RANGE, **extra: str) -> dict:
    return {"project": project, "range": "custom", "dates": [dates["from"], dates["to"]],
            **extra}


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame(at, column: str):
    """The first table on the page that has `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def no_exceptions(at) -> None:
    assert not at.exception, [e.message for e in at.exception]


# --- Overview --------------------------------------------------------------------------------
def test_overview_shows_the_kpis_and_charts(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"]))
    no_exceptions(at)
    shown = metrics(at)
    for metric, (current, _previous) in KPIS["all"].items():
        assert shown[LABELS[metric]] == formatters.kpi(metric, current)
    assert shown["Sessions"] == "4" and shown["Conversion rate"] == "25.0 %"
    assert shown["Avg session duration"] == "4 min 0 s"
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["Sessions"] == "+100.0 %" and deltas["Conversion rate"] == "-25.0 pp"
    subheaders = [s.value for s in at.subheader]
    for title in ("Daily active people", "Traffic by journey", "Top pages",
                  "Session duration", "Top countries"):
        assert title in subheaders
    # Each chart has its SQL and a CSV download (the KPIs' two queries — overview and
    # overview_conversations — 9 charts and the snapshot trends).
    assert sum(e.label == "SQL" for e in at.expander) == 12
    assert len(at.get("download_button")) == 12
    # Every chart has data; the dataset's weeks have no snapshots yet, which the trends say.
    assert [i.value for i in at.info if "snapshots" not in i.value] == []
    assert len(at.get("vega_lite_chart")) == 9


def test_overview_kpis_equal_njia_query_and_the_api(stack, dataset, analyst, api):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"], channel="web"))
    shown = metrics(at)
    cli = subprocess.run(
        [sys.executable, "-m", "cli", "query", "overview", "--project", dataset["a"],
         "--from", RANGE["from"], "--to", RANGE["to"], "--param", "channel=web"],
        capture_output=True, text=True, env=stack.env, timeout=120, check=True)
    from_cli = {r["metric"]: r for r in json.loads(cli.stdout)}
    token = tokens.create_token(dataset["a"], "pages")["token"]
    http = requests.get(f"{api}/api/v1/query/overview", timeout=60,
                        params={**RANGE, "channel": "web"},
                        headers={"Authorization": f"Bearer {token}"})
    from_api = {r["metric"]: r for r in http.json()["rows"]}
    assert from_cli == from_api
    for metric, label in LABELS.items():
        assert shown[label] == formatters.kpi(metric, from_cli[metric]["value"]), metric
        assert from_cli[metric]["value"] == KPIS["web"][metric][0]



# The pages of issue 12: `njia query NAME` and the API print what the runner gives the page
# (each page's AppTest — tests/test_whatsapp.py, test_ai_agent.py, test_campaigns.py,
# test_service_report.py — checks the page shows the runner's numbers).
@pytest.mark.parametrize("name", ["whatsapp", "ai", "campaigns", "service-report"])
def test_issue_12_queries_equal_njia_query_and_the_api(stack, dataset, api, name):  # noqa: F811
    from queries.runner import run
    from queries.serialize import records

    cli = subprocess.run(
        [sys.executable, "-m", "cli", "query", name, "--project", dataset["a"],
         "--from", RANGE["from"], "--to", RANGE["to"]],
        capture_output=True, text=True, env=stack.env, timeout=120, check=True)
    from_cli = json.loads(cli.stdout)
    token = tokens.create_token(dataset["a"], f"pages-{name}")["token"]
    http = requests.get(f"{api}/api/v1/query/{name}", timeout=60, params=RANGE,
                        headers={"Authorization": f"Bearer {token}"})
    assert http.status_code == 200, http.text
    from_runner = json.loads(json.dumps(records(run(
        name, {"project": dataset["a"], **RANGE}, OPERATOR)), default=str))
    assert from_cli == http.json()["rows"] == from_runner
    if name != "campaigns":  # the shared dataset sends none (tests/test_campaigns.py does)
        assert from_cli, f"{name} printed no rows"
    if name in ("whatsapp", "ai"):  # KPIs one row per metric, as overview prints them
        assert {"metric", "value", "previous", "change"} <= set(from_cli[0])


def test_the_channel_filter_changes_the_numbers(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"]))
    assert metrics(at)["Sessions"] == "4"
    at.sidebar.radio(key="channel").set_value("whatsapp").run()
    no_exceptions(at)
    shown = metrics(at)
    # Under WhatsApp the cards are the conversations' (no conversion rate: issue 12).
    assert shown["Conversations"] == "1" and "Conversion rate" not in shown
    # One conversation: in 12:00, out 12:01 (the first response: 60 s), in 12:10; unresolved,
    # no rating.
    assert shown["Resolution rate"] == "0.00 %" and shown["Median first response"] == "1 min 0 s"
    assert shown["CSAT"] == "—"
    # Journeys, pages, devices… are web things: hidden, said once.
    assert sum("web app" in i.value for i in at.info) == 1


def test_the_date_filter_changes_the_numbers(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"], {"from": "2026-03-10",
                                                          "to": "2026-03-11"}))
    assert metrics(at)["Sessions"] == "2"  # S1 and S2


def test_an_empty_range_says_why(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"], EMPTY))
    no_exceptions(at)
    assert metrics(at)["Sessions"] == "0"
    assert any("no data in this range" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_a_refused_parameter_is_said_not_thrown(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"], {"from": "2020-01-01",
                                                          "to": "2026-03-16"}))
    no_exceptions(at)
    assert [e.value for e in at.error] == [
        "Cannot show overview: to: makes the range longer than 731 days"]


# --- Sessions --------------------------------------------------------------------------------
def test_sessions_list_filters_and_timeline(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"]))
    at.switch_page("app_pages/sessions.py").run()
    no_exceptions(at)
    assert "**4** sessions" in [m.value for m in at.markdown]
    at.selectbox(key="sessions_converted").set_value("yes").run()
    assert "**1** sessions" in [m.value for m in at.markdown]
    at.selectbox(key="sessions_pick").select_index(0).run()
    no_exceptions(at)
    headers = [s.value for s in at.subheader]
    assert any(h.startswith("Session timeline · PIN A001") for h in headers), headers
    steps = frame(at, "when")
    assert list(steps["when"]) == ["+0 s", "+2 min 0 s", "+3 min 0 s", "+5 min 0 s"]
    assert list(steps["event"]) == ["page_view", "page_view", "app_error", "return_filed"]
    assert at.text_input(key="session").value  # the open session is in the URL


def test_a_shared_session_link_opens_its_timeline(stack, dataset, analyst):  # noqa: F811
    from queries.runner import run

    conv = run("sessions_list", {"project": dataset["a"], **RANGE, "channel": "whatsapp"}, OPERATOR)
    sid = conv["session_id"][0]
    at = signed_in_app(analyst, url_params(dataset["a"], session=sid))
    at.switch_page("app_pages/sessions.py").run()
    no_exceptions(at)
    assert any("+254 711 000001" in s.value for s in at.subheader)
    assert list(frame(at, "when")["direction"]) == [
        "inbound", "outbound", "", "inbound"]


def test_person_search_and_empty_filters(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"], person="anonymous-nobody"))
    at.switch_page("app_pages/sessions.py").run()
    no_exceptions(at)
    assert any("No session matches" in i.value for i in at.info)
    at.text_input(key="person").set_value("a2").run()
    assert "**2** sessions" in [m.value for m in at.markdown]


def test_sessions_empty_range_says_why(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"], EMPTY))
    at.switch_page("app_pages/sessions.py").run()
    no_exceptions(at)
    assert "**0** sessions" in [m.value for m in at.markdown]
    infos = [i.value for i in at.info]
    assert any(i.startswith("No session matches these filters in this range") for i in infos)
    assert infos.count("No web sessions in this range.") == 2  # entry and exit pages
    assert not at.dataframe and not at.get("vega_lite_chart")  # no list, tables or charts
    assert "sessions_pick" not in [s.key for s in at.selectbox]


# --- Errors ----------------------------------------------------------------------------------
def test_errors_page(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"]))
    at.switch_page("app_pages/errors.py").run()
    no_exceptions(at)
    shown = metrics(at)
    assert shown == {"Errors": "2", "Affected sessions": "2", "Affected people": "2",
                     "Sessions with an error": "66.7 %"}
    links = at.get("page_link")
    assert len(links) == 4  # per affected session: its timeline and the person's journey


def test_the_date_filter_changes_the_error_numbers(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"]))
    at.switch_page("app_pages/errors.py").run()
    assert metrics(at)["Errors"] == "2"
    dates = at.sidebar.date_input(key="dates")
    # 03-10 … 03-11: S1's ValidationError; web sessions S1 and S2.
    dates.set_value((date(2026, 3, 10), date(2026, 3, 11))).run()
    no_exceptions(at)
    assert metrics(at) == {"Errors": "1", "Affected sessions": "1", "Affected people": "1",
                           "Sessions with an error": "50.0 %"}
    assert list(frame(at, "error_type")["error_type"]) == ["ValidationError"]
    assert [link.label for link in at.get("page_link")][1] == "Journey of PIN A001"
    assert [link.label.startswith("Timeline of PIN A001") for link in at.get("page_link")] == [
        True, False]
    # 03-12 … 03-16: S3's TypeError; S3 is the only web session (C1 is WhatsApp, Sb a bot).
    at.sidebar.date_input(key="dates").set_value((date(2026, 3, 12), date(2026, 3, 16))).run()
    no_exceptions(at)
    assert metrics(at) == {"Errors": "1", "Affected sessions": "1", "Affected people": "1",
                           "Sessions with an error": "100.0 %"}
    assert list(frame(at, "error_type")["error_type"]) == ["TypeError"]
    assert len(at.get("page_link")) == 2


def test_errors_page_empty_state(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"], EMPTY))
    at.switch_page("app_pages/errors.py").run()
    no_exceptions(at)
    assert any("No `app_error` events" in i.value for i in at.info)
    assert not at.metric


# --- Live feed -------------------------------------------------------------------------------
def test_live_feed_shows_new_events(stack, dataset, analyst):  # noqa: F811
    at = signed_in_app(analyst, url_params(dataset["a"]))
    at.switch_page("app_pages/live.py").run()
    no_exceptions(at)
    event = make_event("page_view", timestamp=datetime.now(UTC).isoformat(),
                       anonymous_id="live-feed", context={"page": {"path": "/live-now"}})
    post_web(stack, {"write_key": dataset["a_write_key"]}, [event])
    stack.drain()
    at.run()  # the fragment reads uncached: the new event is there at once
    table = frame(at, "received")
    assert "/live-now" in list(table["page"])
    at.segmented_control(key="live_channel").set_value("whatsapp").run()
    assert any("No events" in i.value for i in at.info)


@pytest.fixture(scope="module")
def live(stack) -> dict[str, str]:
    """A project with events of every channel in the last hour, and one with none at all; an
    analyst who sees both. (The dataset's events are from March: outside any live window.)"""
    busy, empty = stack.project(), stack.project()
    now = datetime.now(UTC)

    def ago(minutes: float) -> str:
        return (now - timedelta(minutes=minutes)).isoformat()

    post_web(stack, busy, [  # web: 3 in the last hour, 2 in the last 15 min
        make_event("page_view", timestamp=ago(30), context={"page": {"path": "/live-30"}}),
        make_event("page_view", timestamp=ago(3), context={"page": {"path": "/live-3"}}),
        make_event("page_view", timestamp=ago(2), context={"page": {"path": "/live-2"}}),
    ])
    phone = "+254733000003"
    post_crm(stack, busy, [  # WhatsApp: 2 messages and 1 AI agent event, all recent
        {**crm("message.received", now, phone, "lm1"), "timestamp": ago(4)},
        {**crm("message.sent", now, phone, "lm2"), "timestamp": ago(3)},
        {**crm("ai.generation", now, phone, "lm3"), "timestamp": ago(3)},
    ])
    stack.drain()
    users.add_user("pages-live", PASSWORD, role="analyst",
                   projects=[busy["project_id"], empty["project_id"]])
    return {"busy": busy["project_id"], "empty": empty["project_id"], "user": "pages-live"}


def live_rows(at) -> dict[str, int]:
    """Rows of the live table by channel, and the caption's event count."""
    table = frame(at, "received")
    caption = next(c.value for c in at.caption if "events in the window" in c.value)
    return {**table["channel"].value_counts().to_dict(), "caption": caption.split(" ")[0]}


def test_the_live_channel_and_window_change_the_rows(stack, live):
    at = signed_in_app(live["user"], url_params(live["busy"]))
    at.switch_page("app_pages/live.py").run()
    no_exceptions(at)
    assert live_rows(at) == {"web": 3, "whatsapp": 2, "ai": 1, "caption": "6"}
    expected = {"web": {"web": 3, "caption": "3"},
                "whatsapp": {"whatsapp": 2, "ai": 1, "caption": "3"},  # AI answers on WhatsApp
                "ai": {"ai": 1, "caption": "1"}}
    for channel, rows in expected.items():
        at.segmented_control(key="live_channel").set_value(channel).run()
        no_exceptions(at)
        assert live_rows(at) == rows, channel
    assert set(frame(at, "received")["event"]) == {"ai.generation"}
    at.segmented_control(key="live_channel").set_value("web").run()
    at.selectbox(key="live_minutes").set_value(15).run()
    no_exceptions(at)
    assert live_rows(at) == {"web": 2, "caption": "2"}  # the event 30 min ago has left
    assert sorted(frame(at, "received")["page"]) == ["/live-2", "/live-3"]


def test_live_feed_of_a_project_without_events_says_why(stack, live):
    at = signed_in_app(live["user"], url_params(live["empty"]))
    at.switch_page("app_pages/live.py").run()
    no_exceptions(at)
    assert [t.value for t in at.title] == ["Live feed"]
    infos = [i.value for i in at.info]
    assert any(i.startswith(f"No events in {live['empty']} in the 60 minutes") for i in infos)
    assert any(c.value.startswith("0 events in the window") for c in at.caption)
    assert len(at.get("vega_lite_chart")) == 1  # the sparkline, flat at 0 events a minute
    assert not any("received" in d.value.columns for d in at.dataframe)


# --- Admin -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def admin(stack) -> str:
    users.add_user("pages-admin", PASSWORD, role="admin", projects=[users.ALL_PROJECTS])
    return "pages-admin"


def test_admin_of_a_project_without_tokens(stack, live):
    """An admin limited to one project that has no read token yet: the Read tokens tab says so
    over an empty table, nothing to revoke, and the form to create one; the other tabs show that
    project only, and users (which span projects) are not theirs to manage."""
    project = live["empty"]
    users.add_user("pages-admin-one", PASSWORD, role="admin", projects=[project])
    at = signed_in_app("pages-admin-one", url_params(project))
    at.switch_page("app_pages/admin.py").run()
    no_exceptions(at)
    assert [t.value for t in at.title] == ["Admin"]
    listed = frame(at, "prefix")
    assert listed.empty and list(listed.columns) == [
        "project_id", "name", "prefix", "created_at", "revoked_at"]
    assert "Revoke" not in [s.label for s in at.selectbox]
    assert "Revoke token" not in [b.label for b in at.button]
    assert "Create token" in [b.label for b in at.button]
    assert list(frame(at, "write key")["project"]) == [project]
    assert at.selectbox(key="admin_settings_project").options == [project]
    infos = [i.value for i in at.info]
    assert any("No read token yet" in v for v in infos)
    assert any("Only an administrator of all projects" in v for v in infos)
    assert "Add user" not in [b.label for b in at.button]


def test_admin_creates_a_project_and_shows_its_key_once(stack, dataset, admin):  # noqa: F811
    at = signed_in_app(admin, url_params(dataset["a"]))
    at.switch_page("app_pages/admin.py").run()
    no_exceptions(at)
    name = f"adm{datetime.now(UTC).strftime('%H%M%S%f')}"
    new_project = next(t for t in at.text_input if t.label == "Project id")
    new_project.input(name)
    next(b for b in at.button if b.label == "Create project").click().run()
    no_exceptions(at)
    shown = [c.value for c in at.code]
    assert any(v.startswith("nk_") for v in shown) and any(v.startswith("whsec_") for v in shown)
    key = next(v for v in shown if v.startswith("nk_"))
    at.run()
    assert key not in [c.value for c in at.code]  # shown once
    table = frame(at, "write key")
    row = table[table["project"] == name].iloc[0]
    assert row["write key"] == key[:7] + "…"


def test_admin_tokens_settings_and_users(stack, dataset, admin):  # noqa: F811
    from metadata.projects import require_project

    fresh = stack.project()["project_id"]
    at = signed_in_app(admin, url_params(dataset["a"]))
    at.switch_page("app_pages/admin.py").run()
    # A read token, shown once, for the project chosen in the form.
    next(s for s in at.selectbox if s.label == "Project" and s.key is None).set_value(fresh)
    next(t for t in at.text_input if t.label == "Used by").input("bi-tool")
    next(b for b in at.button if b.label == "Create token").click().run()
    no_exceptions(at)
    token = next(c.value for c in at.code if c.value.startswith("nr_"))
    assert tokens.project_for_read_token(token) == fresh
    # Per-project settings.
    at.selectbox(key="admin_settings_project").set_value(fresh).run()
    next(n for n in at.number_input if n.label.startswith("WhatsApp conversation")).set_value(45)
    next(n for n in at.number_input if n.label.startswith("Campaign reply")).set_value(48)
    next(n for n in at.number_input if n.label.startswith("AI low-confidence")).set_value(0.7)
    next(t for t in at.text_input if t.label.startswith("Conversion events")).input(
        "return_filed, payment_initiated")
    next(b for b in at.button if b.label == "Save settings").click().run()
    no_exceptions(at)
    settings = require_project(fresh).settings
    assert settings.conversation_timeout_seconds == 45 * 60
    assert settings.campaign_attribution_seconds == 48 * 3600
    assert settings.low_confidence_threshold == 0.7
    assert settings.conversion_events == ["return_filed", "payment_initiated"]
    # A new analyst limited to that project.
    next(t for t in at.text_input if t.label == "Username").input("pages-new")
    next(t for t in at.text_input if t.label == "Initial password").input("new-analyst-1")
    next(m for m in at.multiselect if m.label.startswith("Projects")).set_value([fresh])
    next(b for b in at.button if b.label == "Add user").click().run()
    no_exceptions(at)
    added = users.require_user("pages-new")
    assert (added.role, added.projects) == ("analyst", (fresh,))
    assert users.verify_password("pages-new", "new-analyst-1")
