"""The embedded warehouse's doors: users, a reader that is read-only whatever it sends, GET as
the reader, and what only the front can refuse (KILL QUERY, system.processes…).

Against the real warehouse process (tests/warehouse_fixture.py), as any client on the host."""

from __future__ import annotations

import base64
import http.client
import urllib.parse
import uuid
from typing import Any

import clickhouse_connect
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.warehouse_fixture import READER, WRITER, WarehouseProcess
from tests.warehouse_fixture import warehouse as warehouse  # noqa: F401 - session fixture

AUTHENTICATION_FAILED = 516
READONLY = 164
ACCESS_DENIED = 497


def _request(wh: WarehouseProcess, *, method: str = "POST", body: bytes | str = b"",
             params: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", wh.port, timeout=30)
    conn.request(method, f"/?{urllib.parse.urlencode(params or {})}", body=body,
                 headers=headers or {})
    resp = conn.getresponse()
    text = resp.read().decode(errors="replace")
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text


def _code(headers: dict[str, str]) -> int | None:
    raw = headers.get("x-clickhouse-exception-code")
    return int(raw) if raw else None


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def table(warehouse: WarehouseProcess) -> str:  # noqa: F811
    name = f"doors_{uuid.uuid4().hex[:8]}"
    writer = clickhouse_connect.get_client(dsn=warehouse.url)
    writer.command(f"CREATE TABLE {name} (a UInt32) ENGINE = MergeTree ORDER BY a")
    writer.command(f"INSERT INTO {name} VALUES (1), (2)")
    return name


def _as_reader(wh: WarehouseProcess, sql: str, **kw: Any) -> tuple[int, dict[str, str], str]:
    headers = {**wh.auth_header(READER), **kw.pop("headers", {})}
    return _request(wh, body=sql, headers=headers, **kw)


def _count(wh: WarehouseProcess, table: str) -> int:
    return int(clickhouse_connect.get_client(dsn=wh.url).command(f"SELECT count() FROM {table}"))


# --- users ----------------------------------------------------------------------------------------


def test_no_credentials_is_516_but_ping_answers(warehouse: WarehouseProcess) -> None:  # noqa: F811
    status, headers, text = _request(warehouse, body="SELECT 1")
    assert _code(headers) == AUTHENTICATION_FAILED and status == 403
    assert "Authentication failed" in text and "(AUTHENTICATION_FAILED)" in text
    status, headers, _ = _request(warehouse, method="GET", params={"query": "SELECT 1"})
    assert _code(headers) == AUTHENTICATION_FAILED
    for path in ("/ping", "/"):
        conn = http.client.HTTPConnection("127.0.0.1", warehouse.port, timeout=5)
        conn.request("GET", path)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"Ok.\n"
        conn.close()


@pytest.mark.parametrize("user,password", [
    (WRITER, "wrong"), (READER, "wrong"), ("default", ""), ("nobody", "not-a-password"),
    (WRITER, ""),
])
def test_wrong_credentials_are_516_whatever_the_way(warehouse: WarehouseProcess,  # noqa: F811
                                                     user: str, password: str) -> None:
    ways = [
        {"headers": _basic(user, password)},
        {"headers": {"X-ClickHouse-User": user, "X-ClickHouse-Key": password}},
        {"params": {"user": user, "password": password}},
    ]
    for way in ways:
        status, headers, text = _request(warehouse, body="SELECT 1", **way)
        assert _code(headers) == AUTHENTICATION_FAILED, (way, text)
        assert password not in text or not password


def test_right_credentials_every_way(warehouse: WarehouseProcess) -> None:  # noqa: F811
    for user, password in ((WRITER, warehouse.writer_password),
                           (READER, warehouse.reader_password)):
        for way in ({"headers": _basic(user, password)},
                    {"headers": {"X-ClickHouse-User": user, "X-ClickHouse-Key": password}},
                    {"params": {"user": user, "password": password}}):
            status, _, text = _request(warehouse, body="SELECT 1", **way)
            assert (status, text) == (200, "1\n"), (user, way)


def test_clickhouse_connect_signs_in_as_either_user(warehouse: WarehouseProcess) -> None:  # noqa: F811
    assert clickhouse_connect.get_client(dsn=warehouse.url).command("SELECT 1") == 1
    reader = clickhouse_connect.get_client(dsn=warehouse.reader_url)
    assert reader.command("SELECT currentUser() != ''") == 1
    with pytest.raises(DatabaseError) as info:
        clickhouse_connect.get_client(dsn=warehouse.bare_url)
    assert "516" in str(info.value)


# --- the reader is read-only, enforced by the engine ---------------------------------------------

WRITES = [
    "INSERT INTO {t} VALUES (9)",
    "insert into {t} format TSV\n9\n",
    "InSeRt /* hi */ INTO {t} SELECT 9",
    "-- comment\nCREATE TABLE {t}_x (a UInt8) ENGINE = Memory",
    "cReAtE TABLE {t}_y (a UInt8) ENGINE = Memory",
    "DROP TABLE {t}",
    "TRUNCATE TABLE {t}",
    "ALTER TABLE {t} DELETE WHERE 1",
    "DELETE FROM {t} WHERE 1",
    "OPTIMIZE TABLE {t} FINAL",
    "RENAME TABLE {t} TO {t}_r",
    "SELECT * FROM file('/etc/hostname', 'LineAsString')",
    "SELECT * FROM FiLe('secrets/cookie_key', 'LineAsString')",
    "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
    "INSERT INTO FUNCTION file('pwned.txt', 'LineAsString') SELECT 'x'",
    "SELECT * FROM executable('id', 'LineAsString', 'x String')",
    "SELECT 1 SETTINGS readonly = 0",
    "SET readonly = 0",
    "SET readonly = 2",
    "SET max_execution_time = 100000",
]


@pytest.mark.parametrize("sql", WRITES)
def test_reader_cannot_write_read_files_or_lower_readonly(warehouse: WarehouseProcess,  # noqa: F811
                                                          table: str, sql: str) -> None:
    status, headers, text = _as_reader(warehouse, sql.format(t=table))
    assert status >= 400 and _code(headers) in (READONLY, ACCESS_DENIED), text
    assert _count(warehouse, table) == 2


@pytest.mark.parametrize("setting", [
    {"readonly": "0"}, {"readonly": "2"}, {"max_execution_time": "100000"},
    {"allow_ddl": "0"}, {"max_result_rows": "5"},
])
def test_reader_cannot_send_settings_as_url_parameters(warehouse: WarehouseProcess,  # noqa: F811
                                                      table: str, setting: dict[str, str]) -> None:
    status, headers, text = _as_reader(warehouse, f"INSERT INTO {table} VALUES (9)",
                                       params=setting)
    assert status >= 400 and _code(headers) == READONLY, text
    status, headers, text = _as_reader(warehouse, "SELECT 1", params=setting)
    assert status >= 400 and _code(headers) == READONLY, text
    assert _count(warehouse, table) == 2


def test_reader_query_split_between_url_and_body(warehouse: WarehouseProcess,  # noqa: F811
                                                 table: str) -> None:
    status, headers, text = _as_reader(warehouse, "VALUES (9)",
                                       params={"query": f"INSERT INTO {table}"})
    assert status >= 400 and _code(headers) == READONLY, text
    status, headers, text = _as_reader(warehouse, f"TABLE {table}_split (a UInt8) ENGINE = Memory",
                                       params={"query": "CREATE"})
    assert status >= 400 and _code(headers) == READONLY, text
    assert _count(warehouse, table) == 2


def test_reader_session_cannot_keep_a_lower_readonly(warehouse: WarehouseProcess,  # noqa: F811
                                                     table: str) -> None:
    session = {"session_id": str(uuid.uuid4())}
    status, headers, _ = _as_reader(warehouse, "SET readonly = 0", params=session)
    assert _code(headers) == READONLY
    status, headers, _ = _as_reader(warehouse, f"INSERT INTO {table} VALUES (9)", params=session)
    assert _code(headers) == READONLY
    assert _count(warehouse, table) == 2


def test_reader_sessions_are_not_the_writers(warehouse: WarehouseProcess) -> None:  # noqa: F811
    session = {"session_id": str(uuid.uuid4())}
    status, _, _ = _request(warehouse, body="SET param_x = 5", params=session,
                            headers=warehouse.auth_header(WRITER))
    assert status == 200
    status, headers, text = _as_reader(warehouse, "SELECT {x:UInt8}", params=session)
    assert status >= 400, text  # another user's session: not found, not shared


def test_reader_reads_and_binds_parameters(warehouse: WarehouseProcess, table: str) -> None:  # noqa: F811
    reader = clickhouse_connect.get_client(dsn=warehouse.reader_url)
    assert reader.command(f"SELECT count() FROM {table} WHERE a >= {{m:UInt32}}",
                          parameters={"m": 2}) == 1
    df = reader.query_df(f"SELECT a FROM {table} ORDER BY a")
    assert list(df["a"]) == [1, 2]
    # The reader's queries have a time limit, set on its connections before readonly.
    assert reader.command("SELECT getSetting('max_execution_time') > 0") == 1
    assert reader.command("SELECT getSetting('readonly')") == 1


@pytest.mark.parametrize("sql", [
    "KILL QUERY WHERE 1",
    "kill query where query_id = 'x' ASYNC",
    "SELECT * FROM system.processes",
    "SELECT query FROM `system`.`processes`",
    'SELECT query FROM "system"."query_log"',
    "SELECT * FROM system.query_thread_log",
    "SELECT * FROM merge('system', '^proc')",
    "SELECT * FROM merge(REGEXP('sys'), 'proc')",
])
def test_reader_cannot_see_or_kill_other_queries(warehouse: WarehouseProcess,  # noqa: F811
                                                 sql: str) -> None:
    status, headers, text = _as_reader(warehouse, sql)
    assert status == 403 and _code(headers) == ACCESS_DENIED, text


def test_reader_in_database_system_cannot_read_processes(warehouse: WarehouseProcess) -> None:  # noqa: F811
    status, headers, text = _as_reader(warehouse, "SELECT * FROM processes",
                                       params={"database": "system"})
    assert status == 403 and _code(headers) == ACCESS_DENIED, text


# --- GET is the reader; the writer writes -------------------------------------------------------


def test_get_never_writes_even_as_the_writer(warehouse: WarehouseProcess, table: str) -> None:  # noqa: F811
    for sql in (f"INSERT INTO {table} VALUES (9)", f"CREATE TABLE {table}_g (a UInt8) "
                "ENGINE = Memory", "SELECT * FROM file('/etc/hostname', 'LineAsString')"):
        status, headers, text = _request(warehouse, method="GET", params={"query": sql},
                                         headers=warehouse.auth_header(WRITER))
        assert status >= 400 and _code(headers) in (READONLY, ACCESS_DENIED), text
    status, _, text = _request(warehouse, method="GET", params={"query": "SELECT 7"},
                               headers=warehouse.auth_header(WRITER))
    assert (status, text) == (200, "7\n")
    assert _count(warehouse, table) == 2


def test_writer_creates_and_inserts(warehouse: WarehouseProcess) -> None:  # noqa: F811
    writer = clickhouse_connect.get_client(dsn=warehouse.url)
    name = f"w_{uuid.uuid4().hex[:8]}"
    writer.command(f"CREATE TABLE {name} (a UInt32) ENGINE = MergeTree ORDER BY a")
    writer.insert(name, [[1], [2], [3]], column_names=["a"])
    status, _, _ = _request(warehouse, body=f"INSERT INTO {name} FORMAT TSV\n4\n",
                            headers=warehouse.auth_header(WRITER))
    assert status == 200
    assert writer.command(f"SELECT sum(a) FROM {name}") == 10


def test_nobody_reaches_the_hosts_files_or_network(warehouse: WarehouseProcess) -> None:  # noqa: F811
    # The writer owns Njia's tables (it may see and kill their queries), not the host.
    for sql in ("SELECT * FROM file('/etc/hostname', 'LineAsString')",
                "SELECT file('/etc/hostname')",
                "SELECT * FROM `file`('/etc/hostname', 'LineAsString')",
                "INSERT INTO FUNCTION file('x.txt', 'LineAsString') SELECT 'x'",
                "CREATE TABLE leak (s String) ENGINE = File(LineAsString, '/etc/hostname')",
                "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
                "SELECT * FROM merge('system', '^proc')",
                "CREATE TEMPORARY TABLE t0 (s String)  ENGINE = Memory AS "
                "SELECT * FROM executable('id', 'LineAsString', 's String')",
                "SYSTEM SHUTDOWN",
                "BACKUP TABLE events TO File('/tmp/b')"):
        status, headers, text = _request(warehouse, body=sql,
                                         headers=warehouse.auth_header(WRITER))
        assert status == 403 and _code(headers) == ACCESS_DENIED, (sql, text)
    status, headers, text = _request(warehouse, body="INSERT INTO t FROM INFILE '/etc/hostname'"
                                     " FORMAT LineAsString", headers=warehouse.auth_header(WRITER))
    assert status == 403 and _code(headers) == ACCESS_DENIED, text
