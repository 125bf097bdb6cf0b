"""Paths (docs/metrics.md "Paths") through the real stack, on hand-built sessions with
hand-worked paths; the Sankey builder on hand-built rows; the page under AppTest; the page,
`njia query paths` and the API give the same numbers.

Range 2026-05-04 … 2026-05-10, Africa/Nairobi (EAT). Times EAT. Labels: a page view is its page
path, any other event its name. Collapsed steps of each session:

  W1   web "p1" s1 05-05 09:00  /, /nil, /nil (repeat), /login, validation_success,
                                /nil/details, return_filed
                                → /, /nil, /login, validation_success, /nil/details, return_filed
                                  (converted)
  W2   web "p2" s2 05-05 10:00  /nil, /login, /nil, /login (not consecutive: all kept)
  W3a  web "p3" s3 05-06 11:00  /, /nil
  W3b  web "p3" s3 05-06 11:46  /login, return_filed — the same SDK session id, but 45 min
                                after W3a (> the 30 min timeout): a session of its own (converted)
  W4   web "p4" s4 05-07 12:00  /, /nil, /login, app_error
  W5   web "p5" s5 05-07 13:00  /, /nil, /login, validation_success
  C1   WhatsApp +254711000201 05-08 14:00  message.received, message.sent, message.delivered,
                                message.received
  Not counted: a crawler's session (05-07), a session that starts on 05-11 (after the range)
  and one that starts on 05-03 23:50 and goes on into the range.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import requests

from metadata import tokens, users
from metadata.access import OPERATOR
from metadata.projects import ProjectSettings
from queries.builders.paths import OTHER, PathsParams, build
from queries.catalog import QUERIES, placeholders
from queries.runner import QueryParamError, run, validate
from queries.serialize import records
from tests.test_api import api  # noqa: F401 - the API program, started once for this module
from tests.test_queries_dataset import BOT_UA, crm, new_project, post_crm, post_web, web
from tests.test_workbench_auth import LANDING_TITLE, PASSWORD, app, sign_in, signed_in_app
from workbench import sankey

EAT = ZoneInfo("Africa/Nairobi")
RANGE = {"from": "2026-05-04", "to": "2026-05-10"}
PHONE = "+254711000201"


def eat(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 5, day, hh, mm, ss, tzinfo=EAT)


def web_events() -> list[dict[str, Any]]:
    return [
        # W1
        web("page_view", eat(5, 9, 0), "p1", "s1", "/"),
        web("page_view", eat(5, 9, 0, 10), "p1", "s1", "/nil"),
        web("page_view", eat(5, 9, 0, 20), "p1", "s1", "/nil"),
        web("page_view", eat(5, 9, 0, 30), "p1", "s1", "/login"),
        web("validation_success", eat(5, 9, 0, 40), "p1", "s1", "/login"),
        web("page_view", eat(5, 9, 0, 50), "p1", "s1", "/nil/details"),
        web("return_filed", eat(5, 9, 1), "p1", "s1", "/nil/details"),
        # W2
        web("page_view", eat(5, 10, 0), "p2", "s2", "/nil"),
        web("page_view", eat(5, 10, 1), "p2", "s2", "/login"),
        web("page_view", eat(5, 10, 2), "p2", "s2", "/nil"),
        web("page_view", eat(5, 10, 3), "p2", "s2", "/login"),
        # W3a, then W3b 45 min later under the same SDK session id
        web("page_view", eat(6, 11, 0), "p3", "s3", "/"),
        web("page_view", eat(6, 11, 1), "p3", "s3", "/nil"),
        web("page_view", eat(6, 11, 46), "p3", "s3", "/login"),
        web("return_filed", eat(6, 11, 47), "p3", "s3", "/login"),
        # W4
        web("page_view", eat(7, 12, 0), "p4", "s4", "/"),
        web("page_view", eat(7, 12, 1), "p4", "s4", "/nil"),
        web("page_view", eat(7, 12, 2), "p4", "s4", "/login"),
        web("app_error", eat(7, 12, 3), "p4", "s4", "/login",
            props={"error_type": "ValidationError", "message": "PIN", "path": "/login"}),
        # W5
        web("page_view", eat(7, 13, 0), "p5", "s5", "/"),
        web("page_view", eat(7, 13, 1), "p5", "s5", "/nil"),
        web("page_view", eat(7, 13, 2), "p5", "s5", "/login"),
        web("validation_success", eat(7, 13, 3), "p5", "s5", "/login"),
        # Not counted: a crawler, a session after the range, one that began before it
        web("page_view", eat(7, 8, 0), "bot", "sb", "/", ua=BOT_UA),
        web("page_view", eat(7, 8, 1), "bot", "sb", "/nil", ua=BOT_UA),
        web("page_view", eat(11, 9, 0), "p6", "s6", "/"),
        web("page_view", eat(11, 9, 1), "p6", "s6", "/nil"),
        web("page_view", eat(3, 23, 50), "p7", "s7", "/"),
        web("page_view", eat(4, 0, 5), "p7", "s7", "/login"),
    ]


def whatsapp_events() -> list[dict[str, Any]]:
    return [
        crm("message.received", eat(8, 14, 0), PHONE, "pm1"),
        crm("message.sent", eat(8, 14, 1), PHONE, "pm2", agent_id="bot"),
        crm("message.delivered", eat(8, 14, 1, 30), PHONE, "pm2"),
        crm("message.received", eat(8, 14, 5), PHONE, "pm3"),
    ]


@pytest.fixture(scope="module")
def project(stack) -> str:
    created = new_project(stack)
    post_web(stack, created, web_events())
    post_crm(stack, created, whatsapp_events())
    stack.drain()
    return created["project_id"]


def paths(project: str, **params: Any) -> list[tuple[list[str], int, int]]:
    """(steps, sessions, conversions) per row, in the query's order; the other row's steps: []."""
    rows = records(run("paths", {"project": project, **RANGE, **params}, OPERATOR))
    return [(r["path"], r["sessions"], r["conversions"]) for r in rows]


# --- exact paths -----------------------------------------------------------------------------
def test_paths_from_the_session_start(stack, project):
    # Equal counts in the order of their steps (arrays compare element by element).
    assert paths(project, steps=3) == [
        (["/", "/nil", "/login"], 3, 1),                               # W1 W4 W5
        (["/", "/nil"], 1, 0),                                         # W3a: split off W3b
        (["/login", "return_filed"], 1, 1),                            # W3b
        (["/nil", "/login", "/nil"], 1, 0),                            # W2
        (["message.received", "message.sent", "message.delivered"], 1, 0),  # C1
    ]
    rows = records(run("paths", {"project": project, **RANGE, "steps": 3}, OPERATOR))
    assert rows[0] == {
        "rank": 1, "other": 0, "path": ["/", "/nil", "/login"],
        "path_text": "/ → /nil → /login", "step_count": 3, "sessions": 3, "share": 3 / 7,
        "conversions": 1, "conversion_rate": 1 / 3, "paths": 1}


def test_repeats_collapse_and_all_steps_when_deep_enough(stack, project):
    got = dict(((tuple(p), n) for p, n, _ in paths(project, steps=10, channel="web")))
    assert got == {
        ("/", "/nil", "/login", "validation_success", "/nil/details", "return_filed"): 1,  # W1
        ("/nil", "/login", "/nil", "/login"): 1,                                         # W2
        ("/", "/nil"): 1, ("/login", "return_filed"): 1,                                 # W3
        ("/", "/nil", "/login", "app_error"): 1,                                          # W4
        ("/", "/nil", "/login", "validation_success"): 1,                                 # W5
    }


def test_the_rest_is_one_other_row(stack, project):
    assert paths(project, steps=3, limit=2) == [
        (["/", "/nil", "/login"], 3, 1),
        (["/", "/nil"], 1, 0),
        ([], 3, 1),                                   # W3b, W2, C1: 3 paths, W3b converted
    ]
    other = records(run("paths", {"project": project, **RANGE, "steps": 3, "limit": 2},
                        OPERATOR))[-1]
    assert other == {"rank": 3, "other": 1, "path": [], "path_text": OTHER, "step_count": 0,
                     "sessions": 3, "share": 3 / 7, "conversions": 1,
                     "conversion_rate": 1 / 3, "paths": 3}


def test_paths_from_a_start_step(stack, project):
    # From each session's first /login (W3a and C1 never reach it).
    assert paths(project, start="/login", steps=3) == [
        (["/login", "/nil", "/login"], 1, 0),                          # W2 (its first /login)
        (["/login", "app_error"], 1, 0),                               # W4
        (["/login", "return_filed"], 1, 1),                            # W3b
        (["/login", "validation_success"], 1, 0),                      # W5
        (["/login", "validation_success", "/nil/details"], 1, 1),      # W1
    ]
    assert paths(project, start="/login", steps=2) == [
        (["/login", "validation_success"], 2, 1),                      # W1 W5
        (["/login", "/nil"], 1, 0),
        (["/login", "app_error"], 1, 0),
        (["/login", "return_filed"], 1, 1),
    ]
    assert paths(project, start="message.sent", steps=2) == [
        (["message.sent", "message.delivered"], 1, 0)]


def test_paths_up_to_an_end_step(stack, project):
    assert paths(project, end="return_filed", steps=3) == [
        (["/login", "return_filed"], 1, 1),                            # W3b: began 1 step before
        (["validation_success", "/nil/details", "return_filed"], 1, 1),  # W1
    ]
    # Up to the first /login: W1 W4 W5 from "/", W2 from its start, W3b begins there.
    assert paths(project, end="/login", steps=4) == [
        (["/", "/nil", "/login"], 3, 1),
        (["/login"], 1, 1),
        (["/nil", "/login"], 1, 0),
    ]


def test_left_out_steps_are_as_if_they_had_not_happened(stack, project):
    # Without /login: W2's /nil, /nil collapse into one step; W3b begins at return_filed.
    assert paths(project, exclude="/login", steps=3, channel="web") == [
        (["/", "/nil", "validation_success"], 2, 1),                   # W1 W5
        (["/", "/nil"], 1, 0),                                         # W3a
        (["/", "/nil", "app_error"], 1, 0),                            # W4
        (["/nil"], 1, 0),                                              # W2
        (["return_filed"], 1, 1),                                      # W3b
    ]
    # Several, as the CLI and the API give them: one comma-separated text.
    assert paths(project, exclude="/login, validation_success", start="/nil", steps=2,
                 channel="web") == [
        (["/nil"], 3, 0),                                              # W2 W3a W5
        (["/nil", "/nil/details"], 1, 1),                              # W1
        (["/nil", "app_error"], 1, 0),                                 # W4
    ]


def test_channel_and_range(stack, project):
    assert [n for _, n, _ in paths(project, steps=2, channel="whatsapp")] == [1]
    assert sum(n for _, n, _ in paths(project, steps=2, channel="web")) == 6
    # The crawler, the session after the range and the one before it are in no range here.
    assert paths(project, steps=2, **{"from": "2026-05-07", "to": "2026-05-07"}) == [
        (["/", "/nil"], 2, 0)]                                         # W4 W5, not the crawler
    assert paths(project, steps=2, **{"from": "2026-05-03", "to": "2026-05-03"}) == [
        (["/", "/login"], 1, 0)]                                       # p7's, begun on 05-03
    assert paths(project, steps=2, **{"from": "2026-05-11", "to": "2026-05-11"}) == [
        (["/", "/nil"], 1, 0)]
    assert paths(project, steps=2, **{"from": "2026-04-01", "to": "2026-04-30"}) == []


# --- parameters and SQL shapes (no warehouse) --------------------------------------------------
def _error(**raw: Any) -> QueryParamError:
    with pytest.raises(QueryParamError) as info:
        validate(QUERIES["paths"], {"project": "p", **RANGE, **raw})
    return info.value


def test_parameters_are_named_when_wrong():
    assert _error(start="/login", end="return_filed").param == "end"
    assert _error(steps=1).param == "steps" and _error(steps=11).param == "steps"
    assert _error(limit=0).param == "limit"
    assert _error(channel="ai").param == "channel"
    assert _error(start="x" * 501).param == "start"
    model = validate(QUERIES["paths"], {"project": "p", **RANGE, "exclude": " a, b ,,c"})
    assert model.exclude == ("a", "b", "c")


@pytest.mark.parametrize("anchor", [{}, {"start": "/login"}, {"end": "return_filed"},
                                    {"start": "/login", "exclude": "identify"}])
def test_every_shape_binds_every_placeholder(anchor):
    model = PathsParams.model_validate({"project": "p", **RANGE, **anchor})
    sql = build(model)
    bound = model.bind(ProjectSettings())
    assert set(placeholders(sql)) <= set(bound)
    for value in anchor.values():  # labels are bound, never in the text
        assert value not in sql


# --- the Sankey (pure) -------------------------------------------------------------------------
def rows(*paths_: tuple[list[str], int], other: int = 0) -> pd.DataFrame:
    data = [{"path": p, "sessions": n, "other": 0} for p, n in paths_]
    if other:
        data.append({"path": [], "sessions": other, "other": 1})
    return pd.DataFrame(data)


def drawn(figure) -> tuple[list[str], dict[tuple[str, str], int], list[float]]:
    """(node labels, {(source label@column, target label@column): sessions}, node x)."""
    trace = figure.data[0]
    labels = list(trace.node.label)
    columns = [round(x * 10) for x in trace.node.x]
    name = [f"{label}@{c}" for label, c in zip(labels, columns, strict=True)]
    links = {(name[s], name[t]): v for s, t, v in
             zip(trace.link.source, trace.link.target, trace.link.value, strict=True)}
    return labels, links, list(trace.node.x)


def test_sankey_nodes_are_steps_at_a_depth():
    df = rows((["/", "/nil", "/"], 3), (["/", "/nil"], 1), (["/login", "return_filed"], 1),
              other=2)
    _labels, links, _x = drawn(sankey.paths_figure(df, steps=3, min_share=0))
    # The same page at steps 1 and 3 is two nodes; shorter paths end in "(session ended)"; with
    # no anchor the other paths have no step to hang from.
    assert links == {
        ("/@0", "/nil@5"): 4, ("/nil@5", "/@10"): 3, ("/nil@5", f"{sankey.ENDED}@10"): 1,
        ("/login@0", "return_filed@5"): 1, ("return_filed@5", f"{sankey.ENDED}@10"): 1,
    }


def test_sankey_folds_rare_steps_into_other():
    df = rows((["/", "/nil", "/"], 3), (["/", "/nil"], 1), (["/login", "return_filed"], 1))
    _labels, links, _x = drawn(sankey.paths_figure(df, steps=3, min_share=0.3))  # < 1.5
    assert links == {
        ("/@0", "/nil@5"): 4, ("/nil@5", "/@10"): 3, ("/nil@5", f"{sankey.ENDED}@10"): 1,
        ("other@0", "other@5"): 1, ("other@5", f"{sankey.ENDED}@10"): 1,
    }


def test_sankey_from_a_start_and_up_to_an_end_step():
    df = rows((["/login", "/nil", "/login"], 2), (["/login"], 1), other=4)
    _labels, links, _x = drawn(sankey.paths_figure(df, steps=3, start="/login", min_share=0))
    assert links == {
        ("/login@0", "/nil@5"): 2, ("/nil@5", "/login@10"): 2,
        ("/login@0", f"{sankey.ENDED}@5"): 1, ("/login@0", f"{sankey.OTHER_PATHS}@5"): 4,
    }
    # Up to an end step: aligned on the right, so the end step is one node in the last column.
    df = rows((["/", "/nil", "return_filed"], 2), (["/login", "return_filed"], 1), other=3)
    _labels, links, x = drawn(sankey.paths_figure(df, steps=3, end="return_filed",
                                                  min_share=0))
    assert links == {
        ("/@0", "/nil@5"): 2, ("/nil@5", "return_filed@10"): 2,
        (f"{sankey.STARTED}@0", "/login@5"): 1, ("/login@5", "return_filed@10"): 1,
        (f"{sankey.OTHER_PATHS}@5", "return_filed@10"): 3,
    }
    assert max(x) == pytest.approx(0.999) and min(x) == pytest.approx(0.001)


def test_sankey_of_the_query_rows(stack, project):
    df = run("paths", {"project": project, **RANGE, "steps": 3, "limit": 2}, OPERATOR)
    _labels, links, _x = drawn(sankey.paths_figure(df, steps=3, min_share=0))
    assert links == {("/@0", "/nil@5"): 4, ("/nil@5", "/login@10"): 3,
                     ("/nil@5", f"{sankey.ENDED}@10"): 1}


# --- the page, the CLI and the API -----------------------------------------------------------
@pytest.fixture(scope="module")
def analyst(project) -> str:
    users.add_user("paths-analyst", PASSWORD, role="analyst", projects=[project])
    return "paths-analyst"


def open_page(analyst: str, project: str, dates: dict[str, str] = RANGE):
    at = signed_in_app(analyst, {"project": project, "range": "custom",
                                 "dates": [dates["from"], dates["to"]]})
    at.switch_page("app_pages/paths.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def page_rows(at) -> list[dict]:
    return next(d.value for d in at.dataframe if "path" in d.value.columns).to_dict("records")


def page_links(at) -> dict[tuple[int, int], int]:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    link = spec["data"][0]["link"]
    return dict(zip(zip(link["source"], link["target"], strict=True), link["value"],
                    strict=True))


def test_the_page_shows_the_flow_and_the_top_paths(stack, project, analyst):
    at = open_page(analyst, project)
    assert [t.value for t in at.title] == ["Paths"]
    assert {m.label: m.value for m in at.metric} == {
        "Sessions": "7", "Distinct paths": "7", "Conversion rate": "28.6 %",
        "Most common path": "14.3 %"}
    assert len(at.get("plotly_chart")) == 1
    at.slider(key="paths_steps").set_value(3).run()
    assert [(r["path"], r["sessions"], r["conversions"]) for r in page_rows(at)] == [
        ("/ → /nil → /login", 3, 1), ("/ → /nil", 1, 0), ("/login → return_filed", 1, 1),
        ("/nil → /login → /nil", 1, 0),
        ("message.received → message.sent → message.delivered", 1, 0)]
    assert {m.label: m.value for m in at.metric}["Most common path"] == "42.9 %"
    assert sum(e.label == "SQL" for e in at.expander) == 1
    assert len(at.get("download_button")) == 1


def test_the_page_needs_sign_in(stack, project, analyst):
    at = app({"project": project, "range": "custom", "dates": [RANGE["from"], RANGE["to"]]})
    at.switch_page("app_pages/paths.py").run()
    assert [t.value for t in at.title] == [LANDING_TITLE]
    assert not at.get("plotly_chart") and not at.metric
    sign_in(at, analyst)
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Paths"] and len(at.get("plotly_chart")) == 1


def test_the_page_says_why_it_is_empty(stack, project, analyst):
    at = open_page(analyst, project, {"from": "2026-04-01", "to": "2026-04-07"})
    assert any("No sessions" in i.value for i in at.info)
    assert not at.metric and not at.get("plotly_chart")


def test_page_cli_and_api_give_the_same_numbers(stack, project, analyst, api):  # noqa: F811
    at = open_page(analyst, project)
    at.radio(key="paths_mode").set_value("start").run()
    at.selectbox(key="paths_start").set_value("/login").run()
    at.slider(key="paths_steps").set_value(2).run()
    at.selectbox(key="paths_limit").set_value(10).run()
    at.multiselect(key="paths_exclude").set_value(["app_error"]).run()
    at.sidebar.radio(key="channel").set_value("web").run()
    assert not at.exception, [e.message for e in at.exception]
    params = {"channel": "web", "steps": "2", "limit": "10", "start": "/login",
              "exclude": "app_error"}
    cli = subprocess.run(
        [sys.executable, "-m", "cli", "query", "paths", "--project", project,
         "--from", RANGE["from"], "--to", RANGE["to"],
         *(arg for k, v in params.items() for arg in ("--param", f"{k}={v}"))],
        capture_output=True, text=True, env=stack.env, timeout=120, check=True)
    from_cli = json.loads(cli.stdout)
    token = tokens.create_token(project, "paths")["token"]
    http = requests.get(f"{api}/api/v1/query/paths", params={**RANGE, **params},
                        headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert http.status_code == 200, http.text
    assert http.json()["rows"] == from_cli
    # W4 without its app_error ends at /login.
    assert [(r["path"], r["sessions"], r["conversions"]) for r in from_cli] == [
        (["/login", "validation_success"], 2, 1), (["/login"], 1, 0),
        (["/login", "/nil"], 1, 0), (["/login", "return_filed"], 1, 1)]
    assert page_rows(at) == [
        {"rank": r["rank"], "path": r["path_text"], "steps": r["step_count"],
         "sessions": r["sessions"], "share": r["share"], "conversions": r["conversions"],
         "conversion_rate": r["conversion_rate"]} for r in from_cli]
    figure = sankey.paths_figure(pd.DataFrame(from_cli), steps=2, start="/login",
                                 min_share=0.01)
    trace = figure.data[0]
    assert page_links(at) == dict(zip(zip(trace.link.source, trace.link.target, strict=True),
                                      trace.link.value, strict=True))
