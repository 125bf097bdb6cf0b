"""Contract: queries (warehouse/server/queries.py): commands, typed parameters, DataFrames and
Arrow, streaming, concurrency on the pools, and a gone client's query killed.

These tests run the real process (tests/warehouse_fixture.py, shared through
tests/warehouse/conftest.py) and talk to it with clickhouse-connect and with raw HTTP where the
wire format itself is the contract.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import datetime

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, StreamFailureError
from clickhouse_connect.driver.summary import QuerySummary

from tests.warehouse.helpers import auth_line, new_table
from tests.warehouse_fixture import WarehouseProcess

# --- command / query ------------------------------------------------------------------------------


def test_command(client: Client) -> None:
    table = new_table("cmd")
    summary = client.command(
        f"CREATE TABLE {table} (a UInt32, s String) ENGINE = MergeTree ORDER BY a"
    )
    assert isinstance(summary, QuerySummary)
    ins = client.command(f"INSERT INTO {table} VALUES (1, 'x'), (2, 'y')")
    assert isinstance(ins, QuerySummary) and ins.written_rows == 2
    assert client.command(f"SELECT count() FROM {table}") == 2
    assert client.command("SELECT 'hello'") == "hello"
    assert client.command("SELECT 1, 'two'") == ["1", "two"]
    assert client.command(f"SELECT s FROM {table} WHERE a > 5") == ""  # empty result
    assert isinstance(client.command("SET max_threads = 1"), QuerySummary)
    client.command(f"DROP TABLE {table}")


def test_query_typed_parameters(client: Client) -> None:
    table = new_table("params")
    client.command(f"CREATE TABLE {table} (a String) ENGINE = Memory")
    client.command(f"INSERT INTO {table} VALUES ('a'), ('b'), ('c')")
    u = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f")
    result = client.query(
        "SELECT {p:String}, {d:DateTime64(3)}, {a:Array(String)}, {u:UUID}, "
        "(SELECT count() FROM {t:Identifier} WHERE has({a:Array(String)}, a))",
        parameters={
            "p": 'it\'s \\ "quoted"',
            "d": datetime(2026, 1, 2, 3, 4, 5, 678000),
            "a": ["a", "c", "x'y"],
            "u": u,
            "t": table,
        },
    )
    assert result.result_rows == [
        ('it\'s \\ "quoted"', datetime(2026, 1, 2, 3, 4, 5, 678000), ["a", "c", "x'y"], u, 2)
    ]
    # Large parameters make clickhouse-connect switch to multipart/form-data.
    many = [f"id-{i}" for i in range(3000)]
    assert client.query("SELECT length({a:Array(String)})", parameters={"a": many}).result_rows == [
        (3000,)
    ]
    client.command(f"DROP TABLE {table}")


def test_query_df_and_arrow(client: Client) -> None:
    df = client.query_df("SELECT number AS n, toString(number) AS s FROM numbers(1000)")
    assert list(df.columns) == ["n", "s"] and len(df) == 1000
    assert df["n"].sum() == sum(range(1000)) and df["s"].iloc[7] == "7"
    table = client.query_arrow("SELECT number AS n, 'x' AS s FROM numbers(500)")
    assert table.num_rows == 500 and table.column_names == ["n", "s"]
    assert table.column("n").to_pylist()[-1] == 499


def test_streaming_query_and_mid_stream_error(client: Client) -> None:
    with client.query_rows_stream("SELECT number, toString(number) FROM numbers(300000)") as rows:
        total = sum(r[0] for r in rows)
    assert total == sum(range(300000))
    with pytest.raises((StreamFailureError, DatabaseError)) as err:  # noqa: PT012
        with client.query_rows_stream("SELECT throwIf(number = 200000) FROM numbers(300000)") as st:
            for _ in st:
                pass
    assert "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO" in str(err.value)
    assert client.command("SELECT 1") == 1  # the connection pool is fine afterwards


# --- concurrency ----------------------------------------------------------------------------------


HEAVY = "SELECT sum(cityHash64(toString(number))) FROM numbers(400000000)"


def test_slow_query_does_not_block_small_ones(warehouse: WarehouseProcess, client: Client) -> None:
    table = new_table("conc")
    client.command(f"CREATE TABLE {table} (a UInt32) ENGINE = MergeTree ORDER BY a")
    finished: dict[str, float] = {}

    def heavy() -> None:
        c = clickhouse_connect.get_client(dsn=warehouse.url, autogenerate_session_id=False)
        c.query(HEAVY)
        finished["heavy"] = time.monotonic()

    thread = threading.Thread(target=heavy)
    start = time.monotonic()
    thread.start()
    time.sleep(0.3)  # the heavy query is running on one query connection
    assert client.command("SELECT 1") == 1
    finished["small"] = time.monotonic()
    client.insert(table, [[1], [2], [3]], column_names=["a"])
    assert client.command(f"SELECT count() FROM {table}") == 3
    finished["insert"] = time.monotonic()
    thread.join(60)
    assert "heavy" in finished, "heavy query did not finish"
    assert finished["small"] < finished["heavy"] and finished["insert"] < finished["heavy"]
    print(
        f"small query {finished['small'] - start - 0.3:.3f}s, insert+count "
        f"{finished['insert'] - finished['small']:.3f}s, heavy {finished['heavy'] - start:.3f}s"
    )
    client.command(f"DROP TABLE {table}")


def test_disconnected_client_query_is_killed(warehouse: WarehouseProcess, client: Client) -> None:
    marker = uuid.uuid4().hex
    sql = f"SELECT count() FROM system.numbers WHERE NOT ignore('{marker}', number)"
    body = sql.encode()
    probe = (
        f"SELECT count() FROM system.processes WHERE query LIKE '%{marker}%' "
        "AND query NOT LIKE '%processes%'"
    )
    with socket.create_connection(("127.0.0.1", warehouse.port)) as sock:
        sock.sendall(
            f"POST /?wait_end_of_query=1 HTTP/1.1\r\nHost: x\r\n{auth_line(warehouse)}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        deadline = time.monotonic() + 5
        while client.command(probe) == 0:
            assert time.monotonic() < deadline, "query did not start"
            time.sleep(0.05)
    deadline = time.monotonic() + 5
    while client.command(probe) != 0:
        assert time.monotonic() < deadline, "query of a gone client still running"
        time.sleep(0.05)


def test_empty_result_still_names_its_columns(client) -> None:
    # ClickHouse sends a 0-row header block; clients learn the columns from it.
    result = client.query(
        "SELECT number AS n, toString(number) AS s FROM numbers(10) WHERE n > {m:UInt64}",
        parameters={"m": 100},
    )
    assert result.column_names == ("n", "s")
    assert result.result_rows == []
    # Streamed too (query_df reads blocks as they come); clickhouse-connect itself builds a
    # column-less DataFrame from 0 rows, as it does with ClickHouse.
    with client.query_column_block_stream("SELECT number AS n FROM numbers(3) WHERE n > 5") as s:
        assert s.source.column_names == ("n",)
        assert all(len(column) == 0 for block in s for column in block)


def test_error_quoting_binary_data_keeps_its_clickhouse_code(client: Client) -> None:
    """A message chDB cannot decode (it quotes a binary value) is still ClickHouse's error, with
    its code and a 4xx, not an internal error."""
    table = new_table("bin")
    client.command(f"CREATE TABLE {table} (h UInt128) ENGINE = MergeTree ORDER BY h")
    with pytest.raises(DatabaseError) as caught:
        client.command(f"INSERT INTO {table} SELECT sipHash128('x')")
    assert "Code: 6." in str(caught.value) and "Cannot parse string" in str(caught.value)
    assert "Internal warehouse error" not in str(caught.value)
