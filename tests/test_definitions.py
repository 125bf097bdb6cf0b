"""Metric definitions are written once (queries/definitions/*.toml): docs/metrics.md holds the
same text, and every KPI a KPI query returns has one."""

from __future__ import annotations

import pytest

from queries.definitions import area, areas
from queries.named import SQL_DIR
from tools import metrics_doc


def test_docs_metrics_md_is_generated_from_the_definitions():
    assert metrics_doc.main(["--check"]) == 0, "run: python -m tools.metrics_doc"


def test_every_area_parses_with_labels_and_help():
    assert {"overview", "whatsapp", "ai", "campaigns", "service_report"} <= set(areas())
    for name in areas():
        found = area(name)
        assert found.metrics, name
        for d in found.metrics.values():
            assert d.label and len(d.help) > 10, (name, d.key)


@pytest.mark.parametrize("name", ["overview", "overview_conversations"])
def test_each_overview_kpi_has_a_definition(name):
    sql = (SQL_DIR / f"{name}.sql").read_text()
    listed = sql[sql.index("[", sql.index("SELECT\n        [")):sql.index("] AS metrics")]
    keys = [k.strip().strip("'") for k in listed.strip("[").split(",")]
    assert len(keys) >= 4
    assert set(keys) <= set(area("overview").metrics), set(keys) - set(area("overview").metrics)
