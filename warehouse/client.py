"""The one way project code reaches ClickHouse: clickhouse-connect over HTTP.

Two accounts, as the warehouse has them (README, "Warehouse users"):
- the writer (`CLICKHOUSE_URL`): migrations and the processor — `new_client()`;
- the reader (`CLICKHOUSE_READER_URL`): the workbench, the query API, `njia query` and `njia sql`
  — `get_client()`, read-only whatever it sends, with a time limit on every query.
Unset, both are the embedded warehouse on loopback with the demo's generated passwords. Nothing
else in Njia opens ClickHouse.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from config.settings import get_settings

_shared_lock = threading.Lock()
_shared: tuple[str, Client] | None = None


def database_of(url: str) -> str:
    return urlsplit(url).path.strip("/") or "default"


def _url_with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def new_client(url: str | None = None, database: str | None = None, **kwargs: object) -> Client:
    """A client of its own, as the writer unless `url` names another account."""
    url = url or get_settings().effective_clickhouse_url
    if database is not None:
        url = _url_with_database(url, database)
    # No auto session: pooled HTTP requests from several threads must not share a session.
    return clickhouse_connect.get_client(
        dsn=url,
        autogenerate_session_id=False,
        connect_timeout=5,
        send_receive_timeout=300,
        **kwargs,
    )


def reader_settings() -> dict[str, int]:
    """What every read runs with: a time limit, then read-only. The embedded warehouse's reader
    connections carry both already (clickhouse-connect then sends nothing); a ClickHouse server
    gets them with each query unless the reader's profile fixes them, so even a reader URL
    that names a writing account reads only (the time limit comes first: readonly forbids
    changing settings after it)."""
    return {"max_execution_time": int(get_settings().query_max_execution_time), "readonly": 1}


def get_client() -> Client:
    """The reader's client, one per process, shared by its threads (the workbench's sessions,
    a page's concurrent queries, the API's handlers): a client without an HTTP session is
    thread-safe, and making one costs a round trip for the server's metadata and settings.
    Re-made when the reader URL changes (tests switch warehouses)."""
    global _shared
    url = get_settings().effective_clickhouse_reader_url
    current = _shared
    if current is not None and current[0] == url:
        return current[1]
    with _shared_lock:
        if _shared is None or _shared[0] != url:
            _shared = (url, new_client(url, settings=reader_settings()))
        return _shared[1]


def reset_client() -> None:
    global _shared
    with _shared_lock:
        _shared = None


def error_line(exc: BaseException) -> str:
    """One line for a refused or failed query: ClickHouse's message without the client's
    wrapping, version trailer or URL."""
    import re

    text = str(exc)
    match = re.search(r"Code: (\d+)\. DB::Exception: (.*?)(?: \(version [^)]*\))?(?: \(for url|$)",
                      text, re.S)
    if match is None:
        return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{match.group(2).strip()} (code {match.group(1)})".replace("\n", " ")
