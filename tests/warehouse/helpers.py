"""Raw HTTP to the warehouse, for the tests where the wire format itself is the contract."""

from __future__ import annotations

import http.client
import urllib.parse
import uuid

from tests.warehouse_fixture import WarehouseProcess


def new_table(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def auth_line(wh: WarehouseProcess) -> str:
    """The writer's credentials as a raw HTTP header line."""
    return "".join(f"{k}: {v}\r\n" for k, v in wh.auth_header().items())


def post(
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
