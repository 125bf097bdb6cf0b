"""Queries the pipeline itself runs (not analytics): what a project has stored."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from clickhouse_connect.driver.client import Client

from warehouse.client import get_client

SQL = Path(__file__).parent / "pipeline"


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text()


def stored_event_ids(client: Client, project: str, ids: Sequence[str]) -> set[str]:
    rows = client.query(_sql("stored_event_ids"),
                        parameters={"project": project, "ids": list(ids)}).result_rows
    return {r[0] for r in rows}


def event_count(project: str, client: Client | None = None) -> int:
    return int((client or get_client()).query(
        _sql("event_count"), parameters={"project": project}).result_rows[0][0])
