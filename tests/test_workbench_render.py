"""What the workbench does to render less without showing anything else: cached chart specs
draw the element st.altair_chart would, lazy expanders, and the Live feed's second query read
again only when its result could have changed (no engines needed)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from workbench import charts, components, reads

DAY = pd.DataFrame({"day": pd.to_datetime(["2026-03-10", "2026-03-11"]), "people": [3, 5]})
RANKED = pd.DataFrame({"key": ["Chrome", "Safari"], "sessions": [7, 2], "people": [6, 2]})
HEAT = pd.DataFrame({"weekday": [1, 7], "hour": [0, 23], "sessions": [4, 1]})
BUILDS: list[tuple[components.Build, pd.DataFrame]] = [
    (charts.dau_chart, DAY),
    (partial(charts.ranked_bar_chart, category="key", value="sessions", title="Browser",
             extra_tooltip=["people:Q"]), RANKED),
    (partial(charts.donut_chart, category="key", value="sessions", title="Device"), RANKED),
    (partial(charts.heatmap_chart, tz_label="EAT"), HEAT),
]


def _both_ways(index: int) -> None:
    """A script: the chart through st.altair_chart, then through the cached spec."""
    import streamlit as st

    from tests.test_workbench_render import BUILDS
    from workbench import components

    build, df = BUILDS[index]
    st.altair_chart(build(df), width="stretch")
    st.vega_lite_chart(spec=components.vega_lite_spec(build, df), width="stretch")
    st.vega_lite_chart(spec=components.vega_lite_spec(build, df), width="stretch")  # cached


@pytest.mark.parametrize("index", range(len(BUILDS)))
def test_a_cached_spec_draws_what_altair_chart_draws(index: int) -> None:
    at = AppTest.from_function(_both_ways, args=(index,)).run()
    assert not at.exception
    direct, *cached = [e.proto for e in at.get("vega_lite_chart")]
    for proto in cached:
        assert proto.spec == direct.spec
        assert [(d.name, d.data.data) for d in proto.datasets] == \
            [(d.name, d.data.data) for d in direct.datasets]
        assert proto.theme == direct.theme


def test_only_named_charts_are_cached() -> None:
    assert components._build_id(lambda df: charts.dau_chart(df)) is None
    assert components._build_id(charts.dau_chart) is not None
    # A partial's arguments are part of what it draws.
    eat = components._build_id(partial(charts.heatmap_chart, tz_label="EAT"))
    utc = components._build_id(partial(charts.heatmap_chart, tz_label="UTC"))
    assert eat is not None and utc is not None and eat != utc


def _sql_details() -> None:
    import pandas as pd

    from workbench import components

    components.query_details("dau", {"project": "p"}, pd.DataFrame({"x": [1]}), key="k")


def test_a_closed_sql_expander_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared: list[str] = []
    monkeypatch.setattr(reads, "prepare", lambda name, params: prepared.append(name))
    at = AppTest.from_function(_sql_details).run()
    assert not at.exception
    assert [e.label for e in at.expander] == ["SQL"] and not at.code
    assert len(at.get("download_button")) == 1
    assert prepared == []  # nor checked the query: that happens when it is opened


# --- the Live feed's reads -------------------------------------------------------------------
def _live_script() -> None:
    import streamlit as st

    from workbench import reads

    per_minute, latest = reads.load_live({"project": "p", "channel": "all", "minutes": 60}, 50)
    st.write(int(per_minute["events"].sum()), len(latest))


class FakeWarehouse:
    """Stands in for reads.load: the latest events are what the test says; events per minute
    end at the current minute, as the query's WITH FILL does."""

    def __init__(self) -> None:
        self.latest = self.frame([])
        self.calls: list[str] = []

    @staticmethod
    def frame(timestamps: list[pd.Timestamp]) -> pd.DataFrame:
        return pd.DataFrame({"received_at": timestamps, "timestamp": timestamps},
                            dtype="datetime64[ms]")

    def load(self, name: str, params: dict[str, Any], *, live: bool = False) -> pd.DataFrame:
        assert live
        self.calls.append(name)
        if name == "live_events":
            return self.latest
        minute = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("min")
        return pd.DataFrame({"minute": [minute - pd.Timedelta(minutes=1), minute],
                             "events": [len(self.latest), 0]})


def _minute() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").floor("min")


@pytest.fixture
def warehouse(monkeypatch: pytest.MonkeyPatch) -> FakeWarehouse:
    fake = FakeWarehouse()
    monkeypatch.setattr(reads, "load", fake.load)
    return fake


def test_the_live_feed_reads_events_per_minute_again_only_on_a_change(
        warehouse: FakeWarehouse) -> None:
    for _attempt in range(3):  # a new minute in the middle reads again, rightly: start over
        start = _minute()
        warehouse.calls.clear()
        at = AppTest.from_function(_live_script).run()
        at.run()  # nothing arrived: the latest events only
        assert not at.exception
        first = list(warehouse.calls)
        earlier = pd.Timestamp.now(tz="UTC").tz_localize(None) - pd.Timedelta(seconds=5)
        warehouse.latest = warehouse.frame([earlier])
        at.run()  # an event arrived: both again
        at.run()  # and then nothing more
        later = pd.Timestamp.now(tz="UTC").tz_localize(None) + pd.Timedelta(minutes=5)
        warehouse.latest = warehouse.frame([later, earlier])
        at.run()  # dated ahead of the clock: counted only once its minute comes, so each tick
        at.run()  # reads again until then
        if _minute() == start:
            break
        warehouse.latest = warehouse.frame([])
    assert first == ["live_events", "events_per_minute", "live_events"]
    assert warehouse.calls == [
        "live_events", "events_per_minute", "live_events",
        "live_events", "events_per_minute", "live_events",
        "live_events", "events_per_minute", "live_events", "events_per_minute"]
