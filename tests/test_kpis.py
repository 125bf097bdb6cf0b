"""Overview KPIs on a hand-built dataset (tests/test_queries_dataset.py) with hand-computed
answers: each KPI, each channel filter, the previous period and the change, exactly."""

from __future__ import annotations

import pytest

from metadata.access import OPERATOR
from queries.runner import run
from tests.test_queries_dataset import DAU, DAU_WEB, KPIS, RANGE, dataset  # noqa: F401

METRICS = list(KPIS["all"])


def overview(project: str, channel: str = "all", **dates: str) -> dict[str, dict]:
    df = run("overview", {"project": project, **(dates or RANGE), "channel": channel}, OPERATOR)
    return {r["metric"]: r for r in df.to_dict("records")}


@pytest.fixture(scope="module")
def kpis(dataset):  # noqa: F811
    return {channel: overview(dataset["a"], channel) for channel in KPIS}


def _same(value, expected) -> bool:
    if expected is None:
        return value is None or value != value  # NULL comes back as NaN
    return value == expected


@pytest.mark.parametrize("channel", list(KPIS))
@pytest.mark.parametrize("metric", METRICS)
def test_kpi_value_and_previous_are_exact(kpis, metric, channel):
    row = kpis[channel][metric]
    current, previous = KPIS[channel][metric]
    assert _same(row["value"], current), (metric, channel, row)
    assert _same(row["previous"], previous), (metric, channel, row)


@pytest.mark.parametrize("metric", METRICS)
def test_change_vs_previous_period(kpis, metric):
    row = kpis["all"][metric]
    current, previous = KPIS["all"][metric]
    assert row["change"] == current - previous
    assert row["change_ratio"] == (current - previous) / previous


def test_no_previous_data_means_no_change_ratio(kpis):
    row = kpis["whatsapp"]["sessions"]
    assert row["previous"] == 0 and row["change"] == 1
    assert row["change_ratio"] != row["change_ratio"]  # NULL → NaN


def test_a_session_belongs_to_the_range_its_start_falls_in(dataset):  # noqa: F811
    # S5 starts on 03-09 23:50 EAT and ends on 03-10: counted on the 9th, not on the 10th.
    tenth = overview(dataset["a"], **{"from": "2026-03-10", "to": "2026-03-10"})
    ninth = overview(dataset["a"], **{"from": "2026-03-09", "to": "2026-03-09"})
    assert tenth["sessions"]["value"] == 1  # S1 only
    assert ninth["sessions"]["value"] == 1  # S5
    assert ninth["avg_duration_s"]["value"] == 1200.0


def test_days_are_the_projects_days_not_utc(dataset):  # noqa: F811
    # a4's session starts 03-17 01:00 EAT = 03-16 22:00 UTC: the 17th for the project.
    seventeenth = overview(dataset["a"], **{"from": "2026-03-17", "to": "2026-03-17"})
    assert seventeenth["sessions"]["value"] == 1
    assert seventeenth["anonymous_people"]["value"] == 1


def test_an_empty_range_has_zero_counts_and_no_rates(dataset):  # noqa: F811
    empty = overview(dataset["a"], **{"from": "2025-01-01", "to": "2025-01-07"})
    assert empty["sessions"]["value"] == 0 and empty["people"]["value"] == 0
    for metric in ("conversion_rate", "avg_duration_s"):
        assert empty[metric]["value"] != empty[metric]["value"]  # NULL: nothing to average


def test_daily_active_people(dataset):  # noqa: F811
    df = run("dau", {"project": dataset["a"], **RANGE}, OPERATOR)
    assert [d.strftime("%Y-%m-%d") for d in df["day"]] == [
        f"2026-03-{d}" for d in range(10, 17)]
    assert list(df["people"]) == DAU
    web = run("dau", {"project": dataset["a"], **RANGE, "channel": "web"}, OPERATOR)
    assert list(web["people"]) == DAU_WEB
