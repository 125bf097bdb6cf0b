"""Contract: inserts (warehouse/server/inserts.py): every way Njia and curl insert, and inserts that
do not complete or are rejected commit nothing.

These tests run the real process (tests/warehouse_fixture.py, shared through
tests/warehouse/conftest.py) and talk to it with clickhouse-connect and with raw HTTP where the
wire format itself is the contract.
"""

from __future__ import annotations

import socket
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import clickhouse_connect
import lz4.frame
import pandas as pd
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.warehouse.helpers import auth_line, new_table, post
from tests.warehouse_fixture import WarehouseProcess

# --- inserts --------------------------------------------------------------------------------------


TYPED_COLUMNS = (
    "id UUID, ts DateTime64(3, 'UTC'), channel LowCardinality(String), ok Bool, "
    "tags Array(String), props Map(String, String), n Nullable(Int64), amount Decimal(18, 2)"
)


def _typed_rows(count: int) -> list[list[object]]:
    base = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    return [
        [
            uuid.UUID(int=i + 1),
            base.replace(microsecond=(i % 1000) * 1000, second=i % 60),
            ("web", "whatsapp", "agent")[i % 3],
            i % 2 == 0,
            [f"t{i % 5}", "x"] if i % 4 else [],
            {"k": str(i), "k2": "v"} if i % 3 else {},
            None if i % 7 == 0 else i * 10,
            Decimal(i) / 4,
        ]
        for i in range(count)
    ]


def _check_typed(client: Client, table: str, expected: list[list[object]]) -> None:
    got = client.query(f"SELECT * FROM {table} ORDER BY id").result_rows
    assert len(got) == len(expected)
    for row, exp in zip(got, expected, strict=True):
        assert row[0] == exp[0]
        assert row[1].replace(tzinfo=UTC) == exp[1]  # naive UTC by default
        assert list(row[2:]) == [*exp[2:7], Decimal(exp[7]).quantize(Decimal("0.01"))]


def test_insert_many_rows_and_types(client: Client) -> None:
    table = new_table("typed")
    client.command(f"CREATE TABLE {table} ({TYPED_COLUMNS}) ENGINE = MergeTree ORDER BY id")
    rows = _typed_rows(50_000)
    summary = client.insert(table, rows)
    assert summary.written_rows == 50_000
    _check_typed(client, table, rows)
    client.command(f"DROP TABLE {table}")


def test_insert_json_column(client: Client) -> None:
    table = new_table("json")
    client.command(f"CREATE TABLE {table} (id UInt32, doc JSON) ENGINE = MergeTree ORDER BY id")
    client.insert(table, [[1, {"a": 1, "b": {"c": "x"}}], [2, {"a": 2, "tags": ["p", "q"]}]])
    client.insert(table, [[3, '{"a": 3}']])  # a JSON string (not mixed with dicts in one insert)
    got = client.query(f"SELECT id, doc FROM {table} ORDER BY id").result_rows
    assert got == [
        (1, {"a": 1, "b": {"c": "x"}}),
        (2, {"a": 2, "tags": ["p", "q"]}),
        (3, {"a": 3}),
    ]
    client.command(f"DROP TABLE {table}")


def test_insert_df(client: Client) -> None:
    table = new_table("df")
    client.command(
        f"CREATE TABLE {table} (a Int64, s String, ts DateTime64(3, 'UTC'), f Float64) "
        "ENGINE = MergeTree ORDER BY a"
    )
    df = pd.DataFrame(
        {
            "a": range(5000),
            "s": [f"s{i}" for i in range(5000)],
            "ts": pd.date_range("2026-01-01", periods=5000, freq="ms"),
            "f": [i / 3 for i in range(5000)],
        }
    )
    assert client.insert_df(table, df).written_rows == 5000
    back = client.query_df(f"SELECT * FROM {table} ORDER BY a")
    pd.testing.assert_frame_equal(back[["a", "s", "f"]], df[["a", "s", "f"]], check_dtype=False)
    assert (back["ts"].dt.tz_localize(None) == df["ts"]).all()
    client.command(f"DROP TABLE {table}")


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip"])
def test_compressed_requests(warehouse: WarehouseProcess, compress: str) -> None:
    c = clickhouse_connect.get_client(dsn=warehouse.url, compress=compress)
    table = new_table(f"comp_{compress}")
    c.command(f"CREATE TABLE {table} ({TYPED_COLUMNS}) ENGINE = MergeTree ORDER BY id")
    rows = _typed_rows(20_000)  # several blocks, i.e. several compressed frames
    assert c.insert(table, rows).written_rows == 20_000
    _check_typed(c, table, rows)
    c.command(f"DROP TABLE {table}")
    c.close()


def test_curl_style_inserts(warehouse: WarehouseProcess, client: Client) -> None:
    table = new_table("curl")
    client.command(f"CREATE TABLE {table} (a UInt32, s String) ENGINE = MergeTree ORDER BY a")
    assert post(warehouse, f"INSERT INTO {table} VALUES (1, 'a;b'), (2, 'c')").status == 200
    assert (
        post(warehouse, f'INSERT INTO {table} FORMAT JSONEachRow\n{{"a":3,"s":"d"}}\n').status
        == 200
    )
    r = post(warehouse, "4\te\n5\tf\n", {"query": f"INSERT INTO {table} FORMAT TSV"})
    assert r.status == 200 and '"written_rows":"2"' in r.headers["X-ClickHouse-Summary"]
    gz = lz4.frame.compress(b"6,g\n")
    r = post(
        warehouse, gz, {"query": f"INSERT INTO {table} FORMAT CSV"}, {"Content-Encoding": "lz4"}
    )
    assert r.status == 200
    assert (
        post(warehouse, f"INSERT INTO {table} SELECT number + 7, 'h' FROM numbers(2)").status
        == 200
    )
    assert client.query(f"SELECT a, s FROM {table} ORDER BY a").result_rows == [
        (1, "a;b"),
        (2, "c"),
        (3, "d"),
        (4, "e"),
        (5, "f"),
        (6, "g"),
        (7, "h"),
        (8, "h"),
    ]
    client.command(f"DROP TABLE {table}")


# --- inserts that do not complete -----------------------------------------------------------------


def _native_rows(warehouse: WarehouseProcess, rows: int) -> bytes:
    resp = post(
        warehouse,
        f"SELECT toUInt8(number % 200) AS a FROM numbers({rows}) FORMAT Native",
        {"wait_end_of_query": "1"},
    )
    assert resp.status == 200
    return resp.read_body  # type: ignore[attr-defined]


def _wait_no_insert(client: Client, table: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = client.command(
            f"SELECT count() FROM system.processes WHERE query LIKE '%INSERT INTO {table}%' "
            "AND query NOT LIKE '%system.processes%'"
        )
        if running == 0:
            return
        time.sleep(0.05)
    raise AssertionError("insert still running")


def _wait_spooled(warehouse: WarehouseProcess, size: int, timeout: float = 10.0) -> None:
    """Wait until the warehouse has taken in `size` bytes of an insert body (it spools bodies
    to files under its data dir until they are complete)."""
    spool = warehouse.dir / "data" / "njia_spool"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sizes = [f.stat().st_size for f in spool.glob("*") if f.is_file()]
        if sizes and max(sizes) >= size:
            return
        time.sleep(0.02)
    raise AssertionError(f"the warehouse did not take in {size} bytes of the insert")


def test_cut_off_insert_commits_nothing(warehouse: WarehouseProcess, client: Client) -> None:
    table = new_table("cut")
    client.command(f"CREATE TABLE {table} (a UInt8) ENGINE = MergeTree ORDER BY a")
    # Cut at a Native block boundary (what remains is valid data), after more rows than chDB's
    # default squashing threshold (~1M rows per part): a naive streaming insert would have
    # written parts by then (chDB commits them a few blocks behind), and a naive end-of-body
    # would commit the prefix. One UInt8 column keeps the bytes small.
    first = _native_rows(warehouse, 8_000_000)
    data = first + _native_rows(warehouse, 500_000)
    cut = len(first)
    query = urllib.parse.quote(f"INSERT INTO {table} (a) FORMAT Native")

    # 1. chunked body, socket closed before the last chunk
    with socket.create_connection(("127.0.0.1", warehouse.port)) as sock:
        sock.sendall(
            f"POST /?query={query} HTTP/1.1\r\nHost: x\r\n{auth_line(warehouse)}"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        for i in range(0, cut, 256 * 1024):
            piece = data[i : min(i + 256 * 1024, cut)]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        # Let the server take in (nearly) all of it before the client dies.
        _wait_spooled(warehouse, cut - 2**20)

    # 2. Content-Length body cut short
    with socket.create_connection(("127.0.0.1", warehouse.port)) as sock:
        sock.sendall(
            f"POST /?query={query} HTTP/1.1\r\nHost: x\r\n{auth_line(warehouse)}"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data[:cut]
        )
        _wait_spooled(warehouse, cut - 2**20)

    # 3. complete HTTP body, but the lz4 frame inside is cut off
    frame = lz4.frame.compress(data[:1_000_000])
    resp = post(
        warehouse,
        frame[: len(frame) // 2],
        {"query": f"INSERT INTO {table} (a) FORMAT Native"},
        {"Content-Encoding": "lz4"},
    )
    assert resp.status == 400 and resp.headers["X-ClickHouse-Exception-Code"] == "271"

    _wait_no_insert(client, table)
    time.sleep(0.2)
    assert client.command(f"SELECT count() FROM {table}") == 0
    # The insert connections are fine afterwards, and a whole body commits whole.
    r = post(warehouse, data, {"query": f"INSERT INTO {table} (a) FORMAT Native"})
    assert r.status == 200
    assert client.command(f"SELECT count() FROM {table}") == 8_500_000
    client.command(f"DROP TABLE {table}")


def test_rejected_insert_commits_nothing(warehouse: WarehouseProcess, client: Client) -> None:
    table = new_table("rejected")
    client.command(
        f"CREATE TABLE {table} (a UInt8, name String DEFAULT 'x', "
        "checked UInt8 MATERIALIZED throwIf(name = 'poison', 'poison row'), "
        "CONSTRAINT small CHECK a < 250) ENGINE = MergeTree ORDER BY a"
    )
    # Rejected while the rows are written, not while parsed: chDB's streaming insert API
    # reports such inserts as stored (and stores nothing); the warehouse must say "error".
    with pytest.raises(DatabaseError) as err:
        client.insert(table, [[1, "ok"], [2, "poison"], [3, "ok"]], column_names=["a", "name"])
    assert err.value.code == 395 and "poison row" in str(err.value)
    with pytest.raises(DatabaseError) as err:
        client.insert(table, [[1, "ok"], [251, "ok"]], column_names=["a", "name"])
    assert err.value.code == 469  # VIOLATED_CONSTRAINT
    # A bad value after millions of good rows: without the warehouse's squashing settings chDB
    # would have committed parts of ~1M rows before reaching it.
    resp = post(
        warehouse, b"1\n" * 6_000_000 + b"x\n", {"query": f"INSERT INTO {table} (a) FORMAT TSV"}
    )
    assert resp.status == 400 and resp.headers["X-ClickHouse-Exception-Code"] == "27"
    assert client.command(f"SELECT count() FROM {table}") == 0
    client.insert(table, [[1, "ok"]], column_names=["a", "name"])
    assert client.command(f"SELECT count() FROM {table}") == 1
    client.command(f"DROP TABLE {table}")
