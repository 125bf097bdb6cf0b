"""The ClickHouse HTTP interface's request parameters and response headers.

What ClickHouse's HTTPHandler does with URL parameters: `query` is (the start of) the SQL,
`param_<name>` are query parameters, a fixed set of names are transport parameters, and *every
other parameter is a setting* for this one query. We follow that, except for the settings that
only steer ClickHouse's HTTP transport (progress headers, response compression, ...), which mean
nothing to chDB and are dropped instead of being set and reset on a connection for every request.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from warehouse.server.errors import (
    BAD_ARGUMENTS,
    NOT_IMPLEMENTED,
    UNKNOWN_FORMAT,
    UNKNOWN_SETTING,
    WarehouseError,
)
from warehouse.server.result import ChdbResult
from warehouse.server.sql import is_identifier

# Parameters ClickHouse itself does not treat as settings (HTTPHandler's reserved names).
TRANSPORT_PARAMS = frozenset(
    {
        "query",
        "database",
        "default_format",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "close_session",
        "wait_end_of_query",
        "user",
        "password",
        "quota_key",
        "stacktrace",
        "role",
        "buffer_size",
        "compress",
        "decompress",
        "client_protocol_version",
    }
)

# Real ClickHouse settings that only shape the HTTP exchange. clickhouse-connect sends several of
# them on every request; chDB has no HTTP layer for them to act on.
HTTP_ONLY_SETTINGS = frozenset(
    {
        "enable_http_compression",
        "http_zlib_compression_level",
        "http_native_compression_disable_checksumming_on_decompress",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
        "http_response_buffer_size",
        "http_wait_end_of_query",
        "add_http_cors_header",
        "http_write_exception_in_output_format",
        "log_comment",  # the warehouse uses it to find a request's query when it has to kill it
    }
)

# chDB's Python layer turns these "formats" into Python objects, not bytes.
_PYTHON_ONLY_FORMATS = frozenset({"dataframe", "arrowtable", "datastore", "debug"})

# Formats whose per-block outputs concatenate into one valid output: chDB's streaming formats
# every block on its own (with its own header, for the others), so only these can be streamed.
_CONCATENABLE_FORMATS = frozenset(
    {
        "native",
        "rowbinary",
        "tabseparated",
        "tsv",
        "tabseparatedraw",
        "tsvraw",
        "csv",
        "jsoneachrow",
        "jsonlines",
        "ndjson",
        "jsoncompacteachrow",
        "jsonstringseachrow",
        "jsoncompactstringseachrow",
        "lineasstring",
        "rawblob",
    }
)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(slots=True)
class RequestParams:
    query: str = ""
    database: str | None = None
    default_format: str | None = None
    query_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    session_id: str | None = None
    session_timeout: float | None = None
    session_check: bool = False
    close_session: bool = False
    wait_end_of_query: bool = False
    settings: dict[str, str] = field(default_factory=dict)  # raw values, as sent
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, values: Mapping[str, str] | list[tuple[str, str]]) -> RequestParams:
        items = list(values.items()) if isinstance(values, Mapping) else list(values)
        rp = cls()
        for key, value in items:
            if key == "query":
                rp.query = value
            elif key.startswith("param_"):
                rp.params[key[len("param_") :]] = value
            elif key == "query_id":
                if value:
                    rp.query_id = value
            elif key == "database":
                rp.database = value or None
            elif key == "default_format":
                rp.default_format = value or None
            elif key == "session_id":
                rp.session_id = value or None
            elif key == "session_timeout":
                try:
                    rp.session_timeout = float(value)
                except ValueError:
                    raise WarehouseError.make(
                        BAD_ARGUMENTS, f"Invalid session timeout: {value!r}"
                    ) from None
            elif key == "session_check":
                rp.session_check = _truthy(value)
            elif key == "close_session":
                rp.close_session = _truthy(value)
            elif key == "wait_end_of_query":
                rp.wait_end_of_query = _truthy(value)
            elif key in ("compress", "decompress"):
                if _truthy(value):
                    # ClickHouse's own block compression (CityHash-checksummed) is not spoken
                    # here; answering plain bytes to a client expecting it would be silent garbage.
                    raise WarehouseError.make(
                        NOT_IMPLEMENTED,
                        f"{key}=1 (ClickHouse native compression) is not supported by the "
                        "Njia warehouse; use Content-Encoding / Accept-Encoding instead",
                    )
            elif key in TRANSPORT_PARAMS or key in HTTP_ONLY_SETTINGS or not key:
                continue
            else:
                if not is_identifier(key):
                    raise WarehouseError.make(UNKNOWN_SETTING, f"Unknown setting '{key}'")
                rp.settings[key] = value
        return rp


def output_format(sql_format: str | None, default_format: str | None) -> str:
    """The SQL's FORMAT clause, else default_format, else TabSeparated (as ClickHouse)."""
    fmt = sql_format or default_format or "TabSeparated"
    if fmt.lower() in _PYTHON_ONLY_FORMATS:
        raise WarehouseError.make(UNKNOWN_FORMAT, f"Unknown output format {fmt}")
    return fmt


def concatenable(fmt: str) -> bool:
    return fmt.lower() in _CONCATENABLE_FORMATS


def content_type(fmt: str | None) -> str:
    if fmt is None:
        return "text/plain; charset=UTF-8"
    f = fmt.lower()
    if f.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if f.startswith("csv"):
        header = "present" if "withnames" in f else "absent"
        return f"text/csv; charset=UTF-8; header={header}"
    if "eachrow" in f or f in ("jsonlines", "ndjson"):
        return "application/x-ndjson; charset=UTF-8"
    if f.startswith("json"):
        return "application/json; charset=UTF-8"
    if f == "xml":
        return "application/xml; charset=UTF-8"
    if f.startswith(("pretty", "vertical", "markdown", "values", "null", "template", "custom")):
        return "text/plain; charset=UTF-8"
    return "application/octet-stream"


def summary(outcome: ChdbResult | None, elapsed: float) -> str:
    """X-ClickHouse-Summary: ClickHouse sends the counters as JSON strings."""
    o = outcome or ChdbResult()
    return json.dumps(
        {
            "read_rows": str(o.read_rows),
            "read_bytes": str(o.read_bytes),
            "written_rows": str(o.written_rows),
            "written_bytes": str(o.written_bytes),
            "total_rows_to_read": str(o.read_rows),
            "result_rows": str(o.result_rows),
            "result_bytes": str(o.result_bytes),
            "elapsed_ns": str(int(elapsed * 1e9)),
        },
        separators=(",", ":"),
    )


def exception_tag() -> str:
    return secrets.token_hex(8)


def exception_block(tag: str, text: str) -> bytes:
    """An error after the response started (ClickHouse 25.11+ framing, which clickhouse-connect
    recognises through the X-ClickHouse-Exception-Tag header)."""
    message = text.rstrip("\n")
    size = len(message.encode())
    return f"__exception__\r\n{tag}\r\n{message}\n{size} {tag}\r\n__exception__\r\n".encode()


def _leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def native_header(columns: list[list[str]]) -> bytes:
    """A Native block with 0 rows: column count, row count, then each column's name and type
    (`columns` as DESCRIBE returns them: [name, type, ...])."""
    out = bytearray(_leb128(len(columns)) + _leb128(0))
    for column in columns:
        for text in (column[0], column[1]):
            raw = text.encode()
            out += _leb128(len(raw)) + raw
    return bytes(out)
