"""A request's SQL text, as ClickHouse reads it: the `query` URL parameter, then the body,
decompressed chunk by chunk; read until the route is known (an INSERT's data start, or the whole
of any other statement)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader

from warehouse.server.compression import Decoder, make_decoder
from warehouse.server.errors import CANNOT_READ_ALL_DATA, SYNTAX_ERROR, WarehouseError
from warehouse.server.protocol import RequestParams
from warehouse.server.sql import NeedMore
from warehouse.server.statements import InsertHead, find_insert_head

# A query read from the body is held whole; beyond this it is refused (ClickHouse refuses at
# max_query_size = 256 KiB; inline INSERT data does not count, it is streamed).
MAX_QUERY_BYTES = 64 * 1024 * 1024


class Body:
    """The SQL text source of a request: the `query` parameter, then the decompressed body."""

    def __init__(self, prefix: bytes, content: StreamReader | None, decoder: Decoder | None):
        self._prefix = prefix
        self._content = content
        self._decoder = decoder
        self.eof = False

    @classmethod
    def of(cls, request: web.Request, rp: RequestParams) -> Body:
        prefix = (rp.query + "\n").encode() if rp.query else b""
        has_body = request.body_exists and not request.content_type.startswith("multipart/")
        return cls(
            prefix,
            request.content if has_body else None,
            make_decoder(request.headers.get("Content-Encoding")) if has_body else None,
        )

    async def read(self) -> bytes | None:
        """The next piece of text; None at the end. Raises WarehouseError if the body was cut off
        or cannot be decompressed."""
        if self._prefix:
            prefix, self._prefix = self._prefix, b""
            return prefix
        while not self.eof and self._content is not None:
            try:
                raw = await self._content.readany()
            except (ConnectionError, OSError, HttpProcessingError) as exc:
                # The client went away (aiohttp sets ConnectionResetError on the payload), or the
                # body's framing broke (truncated or malformed chunked encoding, short length).
                raise _cut_off(exc) from exc
            if not raw:
                self.eof = True
                if self._decoder is not None:
                    tail = self._decoder.finish()
                    if tail:
                        return tail
                break
            if self._decoder is None:
                return raw
            out = self._decoder.decompress(raw)
            if out:
                return out
        self.eof = True
        return None


def _cut_off(exc: BaseException) -> WarehouseError:
    return WarehouseError.make(
        CANNOT_READ_ALL_DATA, f"The request body was not received completely: {exc!r}"
    )


async def read_statement(body: Body) -> tuple[InsertHead | None, bytearray]:
    """Read until the route is known: an INSERT's data start, or the whole of any other query."""
    buf = bytearray()
    final = False
    while True:
        try:
            head = find_insert_head(buf.decode("latin-1"), final)
            break
        except NeedMore:
            chunk = await body.read()
            if chunk is None:
                final = True
            else:
                buf += chunk
                _check_size(buf)
    if head is not None:
        return head, buf
    while not final:
        chunk = await body.read()
        if chunk is None:
            break
        buf += chunk
        _check_size(buf)
    return None, buf


def _check_size(buf: bytearray) -> None:
    if len(buf) > MAX_QUERY_BYTES:
        raise WarehouseError.make(
            SYNTAX_ERROR, f"Max query size exceeded: more than {MAX_QUERY_BYTES} bytes of query"
        )
