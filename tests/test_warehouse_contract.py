"""Contract suite: every clickhouse-connect call Njia makes, against the embedded warehouse.

The warehouse (warehouse/server/app.py) must look exactly like a ClickHouse server over HTTP.
These tests run the real process (tests/warehouse_fixture.py) and talk to it with
clickhouse-connect and with raw HTTP where the wire format itself is the contract.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import clickhouse_connect
import lz4.frame
import pandas as pd
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, StreamFailureError
from clickhouse_connect.driver.summary import QuerySummary

from tests.warehouse_fixture import WRITER, WarehouseProcess, start_warehouse, warehouse

# pytest finds the session-scoped `warehouse` fixture through this module-level name.
__all__ = ["warehouse"]


@pytest.fixture(scope="module")
def client(warehouse: WarehouseProcess) -> Iterator[Client]:
    c = clickhouse_connect.get_client(dsn=warehouse.url, autogenerate_session_id=False)
    yield c
    c.close()


def _table(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _auth_line(wh: WarehouseProcess) -> str:
    """The writer's credentials as a raw HTTP header line."""
    return "".join(f"{k}: {v}\r\n" for k, v in wh.auth_header().items())


def _post(
    wh: WarehouseProcess,
    body: bytes | str,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", wh.port, timeout=30)
    qs = urllib.parse.urlencode(params or {})
    conn.request(method, f"/?{qs}", body=body, headers={**wh.auth_header(), **(headers or {})})
    resp = conn.getresponse()
    resp.read_body = resp.read()  # type: ignore[attr-defined]
    conn.close()
    return resp


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
    db = _table("db")
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
    resp = _post(warehouse, "SELECT 1 AS x FORMAT JSONEachRow", {"query_id": "qid-123"})
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
    resp = _post(warehouse, "SELECT 1", {"default_format": "CSV"})
    assert resp.headers["X-ClickHouse-Format"] == "CSV" and resp.read_body == b"1\n"  # type: ignore[attr-defined]
    assert uuid.UUID(resp.headers["X-ClickHouse-Query-Id"])
    resp = _post(warehouse, "", {"query": "SELECT 2"}, method="GET")
    assert resp.headers["X-ClickHouse-Format"] == "TabSeparated" and resp.read_body == b"2\n"  # type: ignore[attr-defined]
    # The query parameter and the body are one text, as in ClickHouse.
    resp = _post(warehouse, "+ 1 AS y FORMAT TSV", {"query": "SELECT 41"})
    assert resp.read_body == b"42\n"  # type: ignore[attr-defined]


# --- command / query ------------------------------------------------------------------------------


def test_command(client: Client) -> None:
    table = _table("cmd")
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
    table = _table("params")
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
    table = _table("typed")
    client.command(f"CREATE TABLE {table} ({TYPED_COLUMNS}) ENGINE = MergeTree ORDER BY id")
    rows = _typed_rows(50_000)
    summary = client.insert(table, rows)
    assert summary.written_rows == 50_000
    _check_typed(client, table, rows)
    client.command(f"DROP TABLE {table}")


def test_insert_json_column(client: Client) -> None:
    table = _table("json")
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
    table = _table("df")
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
    table = _table(f"comp_{compress}")
    c.command(f"CREATE TABLE {table} ({TYPED_COLUMNS}) ENGINE = MergeTree ORDER BY id")
    rows = _typed_rows(20_000)  # several blocks, i.e. several compressed frames
    assert c.insert(table, rows).written_rows == 20_000
    _check_typed(c, table, rows)
    c.command(f"DROP TABLE {table}")
    c.close()


def test_curl_style_inserts(warehouse: WarehouseProcess, client: Client) -> None:
    table = _table("curl")
    client.command(f"CREATE TABLE {table} (a UInt32, s String) ENGINE = MergeTree ORDER BY a")
    assert _post(warehouse, f"INSERT INTO {table} VALUES (1, 'a;b'), (2, 'c')").status == 200
    assert (
        _post(warehouse, f'INSERT INTO {table} FORMAT JSONEachRow\n{{"a":3,"s":"d"}}\n').status
        == 200
    )
    r = _post(warehouse, "4\te\n5\tf\n", {"query": f"INSERT INTO {table} FORMAT TSV"})
    assert r.status == 200 and '"written_rows":"2"' in r.headers["X-ClickHouse-Summary"]
    gz = lz4.frame.compress(b"6,g\n")
    r = _post(
        warehouse, gz, {"query": f"INSERT INTO {table} FORMAT CSV"}, {"Content-Encoding": "lz4"}
    )
    assert r.status == 200
    assert (
        _post(warehouse, f"INSERT INTO {table} SELECT number + 7, 'h' FROM numbers(2)").status
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


# --- settings, sessions ---------------------------------------------------------------------------


def test_per_request_settings_are_not_left_behind(client: Client) -> None:
    default = client.command("SELECT getSetting('max_threads')")
    for _ in range(8):  # the pool hands connections round-robin: every one of them is hit
        assert client.query(
            "SELECT getSetting('max_threads')", settings={"max_threads": 1}
        ).result_rows == [(1,)]
    for _ in range(8):
        assert client.command("SELECT getSetting('max_threads')") == default
    # A setting chDB rejects is a proper ClickHouse error, and leaves nothing behind either.
    with pytest.raises(DatabaseError) as err:
        client.query("SELECT 1", settings={"no_such_setting_x": 1})
    assert err.value.code == 115
    for _ in range(8):
        assert client.command("SELECT getSetting('max_threads')") == default


def test_session_settings(warehouse: WarehouseProcess, client: Client) -> None:
    default = client.command("SELECT getSetting('max_threads')")
    session = clickhouse_connect.get_client(dsn=warehouse.url, session_id=str(uuid.uuid4()))
    session.command("SET max_threads = 3")
    session.command("SET param_who = 'me'")
    for _ in range(6):
        assert session.query("SELECT getSetting('max_threads'), {who:String}").result_rows == [
            (3, "me")
        ]
        assert client.command("SELECT getSetting('max_threads')") == default
    # readonly cannot be SET back to DEFAULT: the connection that ran it is reopened instead.
    locked = clickhouse_connect.get_client(dsn=warehouse.url, session_id=str(uuid.uuid4()))
    locked.command("SET readonly = 1")
    with pytest.raises(DatabaseError) as err:
        locked.command("CREATE TABLE never_made (a UInt8) ENGINE = Memory")
    assert err.value.code == 164
    for _ in range(8):
        assert client.command("SELECT getSetting('readonly')") == 0
    locked.close()
    # Outside a session a SET lasts for its own request only (as in ClickHouse).
    client.command("SET max_threads = 3")
    assert client.command("SELECT getSetting('max_threads')") == default
    # Multi-statements are refused, as by ClickHouse's HTTP interface.
    with pytest.raises(DatabaseError) as err:
        client.command("SET max_threads = 1; SELECT 1")
    assert err.value.code == 62
    session.close()


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
    raw = _post(warehouse, "SELEC 1")
    assert raw.status == 400 and raw.headers["X-ClickHouse-Exception-Code"] == "62"
    assert raw.read_body.startswith(b"Code: 62. DB::Exception: Syntax error")  # type: ignore[attr-defined]
    raw = _post(warehouse, "SELECT * FROM no_such_table_xyz")
    assert raw.status == 404 and raw.headers["X-ClickHouse-Exception-Code"] == "60"


# --- inserts that do not complete -----------------------------------------------------------------


def _native_rows(warehouse: WarehouseProcess, rows: int) -> bytes:
    resp = _post(
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
    table = _table("cut")
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
            f"POST /?query={query} HTTP/1.1\r\nHost: x\r\n{_auth_line(warehouse)}"
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
            f"POST /?query={query} HTTP/1.1\r\nHost: x\r\n{_auth_line(warehouse)}"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data[:cut]
        )
        _wait_spooled(warehouse, cut - 2**20)

    # 3. complete HTTP body, but the lz4 frame inside is cut off
    frame = lz4.frame.compress(data[:1_000_000])
    resp = _post(
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
    r = _post(warehouse, data, {"query": f"INSERT INTO {table} (a) FORMAT Native"})
    assert r.status == 200
    assert client.command(f"SELECT count() FROM {table}") == 8_500_000
    client.command(f"DROP TABLE {table}")


def test_rejected_insert_commits_nothing(warehouse: WarehouseProcess, client: Client) -> None:
    table = _table("rejected")
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
    resp = _post(
        warehouse, b"1\n" * 6_000_000 + b"x\n", {"query": f"INSERT INTO {table} (a) FORMAT TSV"}
    )
    assert resp.status == 400 and resp.headers["X-ClickHouse-Exception-Code"] == "27"
    assert client.command(f"SELECT count() FROM {table}") == 0
    client.insert(table, [[1, "ok"]], column_names=["a", "name"])
    assert client.command(f"SELECT count() FROM {table}") == 1
    client.command(f"DROP TABLE {table}")


# --- concurrency, latency -------------------------------------------------------------------------


HEAVY = "SELECT sum(cityHash64(toString(number))) FROM numbers(400000000)"


def test_slow_query_does_not_block_small_ones(warehouse: WarehouseProcess, client: Client) -> None:
    table = _table("conc")
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
            f"POST /?wait_end_of_query=1 HTTP/1.1\r\nHost: x\r\n{_auth_line(warehouse)}"
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


def test_tcp_nodelay_small_query_latency(client: Client) -> None:
    client.command("SELECT 1")
    start = time.perf_counter()
    for _ in range(20):
        assert client.query("SELECT 1").result_rows == [(1,)]
    elapsed = time.perf_counter() - start
    print(f"20 small queries: {elapsed * 1000:.1f} ms ({elapsed * 50:.2f} ms each)")
    assert elapsed < 0.4, f"20 small queries took {elapsed:.3f}s: Nagle/delayed-ACK stalls?"


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


# --- routing and sessions, in-process -----------------------------------------------------------


def test_insert_head_detection() -> None:
    from warehouse.server.sql import NeedMore, find_insert_head

    text = "INSERT INTO t (`format`, \"values\") SETTINGS a = 'FORMAT x' FORMAT Native\n\x01\x02"
    head = find_insert_head(text, final=False)
    assert head is not None and head.fmt == "Native"
    assert head.sql == "INSERT INTO t (`format`, \"values\") SETTINGS a = 'FORMAT x'"
    assert text[head.data_start :] == "\x01\x02"
    head = find_insert_head("insert into db.format VALUES (1, 'a;b')", final=True)
    assert head is not None and head.fmt == "Values" and head.sql == "insert into db.format"
    assert find_insert_head("INSERT INTO t SELECT 1 FORMAT CSV", final=True) is None
    assert find_insert_head("/* INSERT */ SELECT 1", final=False) is None
    with pytest.raises(NeedMore):  # the format name may go on in the next chunk
        find_insert_head("INSERT INTO t FORMAT Nat", final=False)
    with pytest.raises(NeedMore):  # inside a comment
        find_insert_head("INSERT INTO t /* FORMAT CSV", final=False)


def test_session_store_locks_and_expires() -> None:
    from warehouse.server.errors import WarehouseError
    from warehouse.server.session import SessionStore

    store = SessionStore()
    with pytest.raises(WarehouseError) as err:
        store.checkout("s1", None, check=True)
    assert err.value.code == 372  # SESSION_NOT_FOUND
    session = store.checkout("s1", 0.05, check=False)
    with pytest.raises(WarehouseError) as err:
        store.checkout("s1", None, check=False)
    assert err.value.code == 373  # SESSION_IS_LOCKED
    session.settings["max_threads"] = "1"
    store.release(session)
    assert store.checkout("s1", None, check=True).settings == {"max_threads": "1"}
    store.release(session)
    time.sleep(0.1)
    assert store.expire() == 1 and len(store) == 0


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
