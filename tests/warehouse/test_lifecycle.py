"""Contract: the warehouse's life (warehouse/server/lifecycle.py): SIGTERM stops it cleanly, and
its data persists.

The test starts its own warehouse processes (tests/warehouse_fixture.py), stops one with SIGTERM
as supervisord does, and starts another on the same data.
"""

from __future__ import annotations

import time

import clickhouse_connect

from tests.warehouse_fixture import start_warehouse

# --- lifecycle ------------------------------------------------------------------------------------


def test_sigterm_stops_cleanly_and_data_persists(tmp_path) -> None:
    wh = start_warehouse(tmp_path / "wh", query_connections=1, insert_connections=1)
    try:
        c = clickhouse_connect.get_client(dsn=wh.url)
        c.command("CREATE TABLE keep (a UInt32) ENGINE = MergeTree ORDER BY a")
        c.insert("keep", [[i] for i in range(100)], column_names=["a"])
        c.close()
        started = time.monotonic()
        assert wh.stop() == 0
        assert time.monotonic() - started < 10
        assert "warehouse closed" in wh.log()
    finally:
        wh.kill()
    wh = start_warehouse(tmp_path / "wh", query_connections=1, insert_connections=1)
    try:
        c = clickhouse_connect.get_client(dsn=wh.url)
        assert c.command("SELECT count() FROM keep") == 100
        c.close()
    finally:
        wh.stop()
