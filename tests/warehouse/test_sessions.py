"""Contract: settings and HTTP sessions (warehouse/server/session_state.py, session.py): SET and
USE are kept in the session and never left on a pooled connection.

These tests run the real process (tests/warehouse_fixture.py, shared through
tests/warehouse/conftest.py) and talk to it with clickhouse-connect and with raw HTTP where the
wire format itself is the contract.
"""

from __future__ import annotations

import time
import uuid

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.warehouse_fixture import WarehouseProcess

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


# --- the session store, in-process --------------------------------------------------------------


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
