"""The HTTP responses a ClickHouse server gives: a result or a summary, or an error, each with
the X-ClickHouse-* headers clients read."""

from __future__ import annotations

import re
import socket
import time

from aiohttp import web

from warehouse.server import protocol
from warehouse.server.errors import WarehouseError
from warehouse.server.protocol import RequestParams
from warehouse.server.result import ChdbResult

_VERSION_TRAILER = re.compile(r"\(version [^()]*(\([^()]*\))?[^()]*\)$")


class Replies:
    """Builds responses; `version` is the engine's, set once it has started."""

    def __init__(self) -> None:
        self.version = "unknown"
        self.display_name = socket.gethostname()

    def headers(self, query_id: str) -> dict[str, str]:
        return {
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": "UTC",
            "X-ClickHouse-Server-Display-Name": self.display_name,
        }

    def error(self, err: WarehouseError, query_id: str, started: float) -> web.Response:
        headers = self.headers(query_id)
        headers["X-ClickHouse-Exception-Code"] = str(err.code)
        headers["X-ClickHouse-Summary"] = protocol.summary(None, time.monotonic() - started)
        text = err.text.rstrip()
        if not _VERSION_TRAILER.search(text):
            text = f"{text} (version {self.version})"  # as ClickHouse ends its messages
        body = text + "\n"
        return web.Response(
            status=err.http_status,
            body=body.encode(),
            headers=headers,
            content_type="text/plain",
            charset="utf-8",
        )

    def ok(
        self,
        rp: RequestParams,
        outcome: ChdbResult,
        fmt: str | None,
        data: bytes,
        started: float,
    ) -> web.Response:
        headers = self.headers(rp.query_id)
        headers["X-ClickHouse-Summary"] = protocol.summary(outcome, time.monotonic() - started)
        if fmt is not None:
            # Only statements with a result name a format; clickhouse-connect's command() tells
            # "empty result" from "no result" (a QuerySummary) by this header.
            headers["X-ClickHouse-Format"] = fmt
        headers["Content-Type"] = protocol.content_type(fmt)
        return web.Response(body=data, headers=headers)

    def done(self, rp: RequestParams, started: float) -> web.Response:
        """A statement with no result and nothing to count (SET, USE)."""
        return self.ok(rp, ChdbResult(), None, b"", started)
