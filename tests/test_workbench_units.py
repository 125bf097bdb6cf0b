"""Pure pieces of the workbench and the query layer's output: formatters, chart builders,
serialisation (no engines needed)."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from queries.serialize import records, to_csv
from workbench import charts, formatters
from workbench.components import cli_command


@pytest.mark.parametrize(("value", "kind", "shown"), [
    ("phone:+254711000001", None, "+254 711 000001"),
    ("+254711000001", "phone", "+254 711 000001"),
    ("email:Wanjiru@Example.COM", None, "wanjiru@example.com"),
    ("user:A001234567Z", None, "A001234567Z"),
    ("anon:0f8c2b7e-1111-2222", None, "anonymous 0f8c2b7e-111"),
    ("", None, ""),
    (None, "phone", ""),
])
def test_identifier(value, kind, shown):
    assert formatters.identifier(value, kind) == shown


def test_identifier_masking_is_one_switch(monkeypatch):
    monkeypatch.setattr(formatters, "MASK_IDENTIFIERS", True)
    assert formatters.identifier("phone:+254711000001") == "+25•••01"
    assert formatters.identifier("email:wanjiru@example.com") == "w•••@example.com"
    assert formatters.identifier("user:A001234567Z") == "A00•••7Z"
    assert formatters.person("user:A001234567Z") == "PIN A00•••7Z"


def test_person_and_best_key():
    assert formatters.person("user:A001") == "PIN A001"
    assert formatters.person("", "abc123") == "person abc123"
    assert formatters.best_key(["anon:x", "phone:+254711000001", "user:A001"]) == "user:A001"
    assert formatters.best_key(["anon:x", "email:a@b.c"]) == "email:a@b.c"
    assert formatters.best_key([]) == ""


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0 s"), (12.5, "12.5 s"), (59, "59 s"), (240, "4 min 0 s"), (305.4, "5 min 5 s"),
    (3725, "1 h 2 min"), (None, "—"), (float("nan"), "—"),
])
def test_duration(seconds, shown):
    assert formatters.duration(seconds) == shown


def test_kpi_values_and_changes():
    assert formatters.kpi("sessions", 9440.0) == "9,440"
    assert formatters.kpi("conversion_rate", 0.25) == "25.0 %"
    assert formatters.kpi("conversion_rate", float("nan")) == "—"
    assert formatters.kpi("avg_duration_s", 240.0) == "4 min 0 s"
    assert formatters.kpi_change("sessions", 1.0, 2.0) == "+100.0 %"
    assert formatters.kpi_change("conversion_rate", -0.5, -0.25) == "-25.0 pp"
    assert formatters.kpi_change("people", float("nan"), 3.0) is None


def test_local_time_is_the_projects_zone():
    assert formatters.local_time(datetime(2026, 3, 16, 22, 0), "Africa/Nairobi") == \
        "2026-03-17 01:00:00"
    wall = formatters.wall_clock(pd.Series(pd.to_datetime(["2026-03-16 22:00"])),
                                 "Africa/Nairobi")
    assert str(wall[0]) == "2026-03-17 01:00:00"


def test_serialisation_of_query_results():
    df = pd.DataFrame({
        "day": pd.Series(pd.to_datetime(["2026-03-10", "2026-03-11"])).astype("datetime64[s]"),
        "at": pd.Series(pd.to_datetime(["2026-03-10 06:00:00.5", "2026-03-11 00:00:00.0"])).astype(
            "datetime64[ms]"),
        "n": np.array([1, 2], dtype="uint64"),
        "rate": [0.25, math.nan],
        "name": pd.Series(["a", None], dtype="string"),
        "types": [np.array(["x", "y"]), np.array([])],
    })
    assert records(df) == [
        {"day": "2026-03-10", "at": "2026-03-10T06:00:00.500Z", "n": 1, "rate": 0.25,
         "name": "a", "types": ["x", "y"]},
        {"day": "2026-03-11", "at": "2026-03-11T00:00:00.000Z", "n": 2, "rate": None,
         "name": None, "types": []},
    ]
    assert to_csv(df[["day", "n"]]).splitlines() == ["day,n", "2026-03-10,1", "2026-03-11,2"]
    assert records(pd.DataFrame()) == []


def test_cli_command_reproduces_the_parameters():
    assert cli_command("breakdown", {"project": "kra-demo", "from": "2026-03-10",
                                     "to": "2026-03-16", "by": "os"}) == (
        "njia query breakdown --project kra-demo --from 2026-03-10 --to 2026-03-16 "
        "--param by=os")


# --- charts are pure functions of their frame ------------------------------------------------
def test_channel_colours_are_fixed():
    chart = charts.events_by_day_chart(pd.DataFrame(
        {"day": ["2026-03-10"], "channel": ["whatsapp"], "events": [3]})).to_dict()
    scale = chart["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == charts.CHANNEL_COLORS


@pytest.mark.parametrize(("build", "frame"), [
    (charts.dau_chart, pd.DataFrame({"day": pd.to_datetime(["2026-03-10"]), "people": [1]})),
    (lambda df: charts.heatmap_chart(df), pd.DataFrame(
        {"weekday": [1, 7], "hour": [0, 23], "sessions": [2, 5]})),
    (charts.histogram_chart, pd.DataFrame({"duration": ["0 s", "< 10 s"], "sessions": [1, 0]})),
    (lambda df: charts.donut_chart(df, "key", "sessions"), pd.DataFrame(
        {"key": ["desktop", "mobile"], "sessions": [2, 1]})),
    (lambda df: charts.ranked_bar_chart(df, "key", "sessions"), pd.DataFrame(
        {"key": ["KE"], "sessions": [3]})),
    (charts.sparkline_chart, pd.DataFrame({"minute": pd.to_datetime(["2026-03-10 10:00"]),
                                           "events": [4]})),
    (charts.errors_trend_chart, pd.DataFrame({"day": pd.to_datetime(["2026-03-10"]),
                                              "errors": [2]})),
    (charts.timeline_chart, pd.DataFrame({"seconds": [0.0, 60.0], "event_name": ["a", "b"],
                                          "channel": ["web", "ai"], "page_path": ["/", ""]})),
])
def test_every_chart_builds_a_vega_lite_spec(build, frame):
    spec = build(frame).to_dict()
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert spec["mark"]


def test_heatmap_days_start_on_monday():
    spec = charts.heatmap_chart(pd.DataFrame({"weekday": [1], "hour": [9],
                                              "sessions": [1]})).to_dict()
    assert spec["encoding"]["y"]["scale"]["domain"] == charts.WEEKDAYS
    assert spec["encoding"]["x"]["scale"]["domain"] == list(range(24))


def test_histogram_keeps_the_bucket_order():
    order = ["0 s", "< 10 s", "10-30 s"]
    spec = charts.histogram_chart(pd.DataFrame({"duration": order, "sessions": [1, 2, 3]}))
    assert spec.to_dict()["encoding"]["x"]["sort"] == order
