"""Contract: the HTTP front (warehouse/server/handler.py, replies.py, protocol.py) looks exactly
like a ClickHouse server's: ping, connecting, response headers, errors, latency.

These tests run the real process (tests/warehouse_fixture.py, shared through
tests/warehouse/conftest.py) and talk to it with clickhouse-connect and with raw HTTP where the
wire format itself is the contract.
"""

from __future__ import annotations

import http.client
import time
import uuid

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.warehouse.helpers import new_table, post
from tests.warehouse_fixture import WRITER, WarehouseProcess

# --- connecting -----------------------------------------------------------------------------------


def test_ping_and_root(warehouse: WarehouseProcess) -> None:
    for method, path in (("GET", "/ping"), ("GET", "/"), ("HEAD", "/ping")):
        conn = http.client.HTTPConnection("127.0.0.1", warehouse.port, timeout=5)
        conn.request(method, path)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        assert resp.status == 200
        assert body == (b"" if method == "HEAD" else b"Ok.\n")


def test_get_client_dsn_and_host_port(warehouse: WarehouseProcess, client: Client) -> None:
    assert client.server_version and client.server_version[0].isdigit()
    assert client.ping()
    db = new_table("db")
    client.command(f"CREATE DATABASE {db}")
    by_dsn = clickhouse_connect.get_client(dsn=f"{warehouse.url}/{db}")
    by_host = clickhouse_connect.get_client(host="127.0.0.1", port=warehouse.port, database=db,
                                            username=WRITER, password=warehouse.writer_password)
    assert by_dsn.query("SELECT currentDatabase()").result_rows == [(db,)]
    assert by_host.command("SELECT currentDatabase()") == db
    # The database is per request: it never stays on a pooled connection.
    for _ in range(8):
        assert client.command("SELECT currentDatabase()") == "default"
    client.command(f"DROP DATABASE {db}")


def test_response_headers(warehouse: WarehouseProcess) -> None:
    resp = post(warehouse, "SELECT 1 AS x FORMAT JSONEachRow", {"query_id": "qid-123"})
    assert resp.status == 200
    assert resp.read_body == b'{"x":1}\n'  # type: ignore[attr-defined]
    assert resp.headers["X-ClickHouse-Query-Id"] == "qid-123"
    assert resp.headers["X-ClickHouse-Format"] == "JSONEachRow"
    assert resp.headers["X-ClickHouse-Timezone"] == "UTC"
    assert resp.headers["X-ClickHouse-Server-Display-Name"]
    assert "json" in resp.headers["Content-Type"]
    summary = resp.headers["X-ClickHouse-Summary"]
    assert '"result_rows":"1"' in summary and '"elapsed_ns":"' in summary
    # No FORMAT: default_format, else TabSeparated; a generated query id.
    resp = post(warehouse, "SELECT 1", {"default_format": "CSV"})
    assert resp.headers["X-ClickHouse-Format"] == "CSV" and resp.read_body == b"1\n"  # type: ignore[attr-defined]
    assert uuid.UUID(resp.headers["X-ClickHouse-Query-Id"])
    resp = post(warehouse, "", {"query": "SELECT 2"}, method="GET")
    assert resp.headers["X-ClickHouse-Format"] == "TabSeparated" and resp.read_body == b"2\n"  # type: ignore[attr-defined]
    # The query parameter and the body are one text, as in ClickHouse.
    resp = post(warehouse, "+ 1 AS y FORMAT TSV", {"query": "SELECT 41"})
    assert resp.read_body == b"42\n"  # type: ignore[attr-defined]


# --- errors ---------------------------------------------------------------------------------------


def test_errors(warehouse: WarehouseProcess, client: Client) -> None:
    with pytest.raises(DatabaseError) as err:
        client.query("SELEC 1")
    assert err.value.code == 62 and "Syntax error" in str(err.value)
    with pytest.raises(DatabaseError) as err:
        client.query("SELECT * FROM no_such_table_xyz")
    assert err.value.code == 60 and "UNKNOWN_TABLE" in str(err.value)
    with pytest.raises(DatabaseError) as err:
        client.insert("no_such_table_xyz", [[1]], column_names=["a"], column_type_names=["UInt8"])
    assert err.value.code == 60
    raw = post(warehouse, "SELEC 1")
    assert raw.status == 400 and raw.headers["X-ClickHouse-Exception-Code"] == "62"
    assert raw.read_body.startswith(b"Code: 62. DB::Exception: Syntax error")  # type: ignore[attr-defined]
    raw = post(warehouse, "SELECT * FROM no_such_table_xyz")
    assert raw.status == 404 and raw.headers["X-ClickHouse-Exception-Code"] == "60"


# --- latency --------------------------------------------------------------------------------------


def test_tcp_nodelay_small_query_latency(client: Client) -> None:
    client.command("SELECT 1")
    start = time.perf_counter()
    for _ in range(20):
        assert client.query("SELECT 1").result_rows == [(1,)]
    elapsed = time.perf_counter() - start
    print(f"20 small queries: {elapsed * 1000:.1f} ms ({elapsed * 50:.2f} ms each)")
    assert elapsed < 0.4, f"20 small queries took {elapsed:.3f}s: Nagle/delayed-ACK stalls?"
