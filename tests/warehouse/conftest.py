"""The contract tests share one warehouse process (the auth tests start their own) and use a
clickhouse-connect client per module."""

from __future__ import annotations

from collections.abc import Iterator

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from tests.warehouse_fixture import WarehouseProcess, warehouse

# pytest finds the session-scoped `warehouse` fixture through this module-level name.
__all__ = ["warehouse"]


@pytest.fixture(scope="module")
def client(warehouse: WarehouseProcess) -> Iterator[Client]:
    c = clickhouse_connect.get_client(dsn=warehouse.url, autogenerate_session_id=False)
    yield c
    c.close()
