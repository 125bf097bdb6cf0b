"""The one way project code reaches ClickHouse: clickhouse-connect over HTTP.

`CLICKHOUSE_URL` (e.g. http://user:pass@clickhouse:8123/njia) points at a server; unset, it is
the embedded warehouse on loopback. Nothing else in Njia opens ClickHouse.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from config.settings import get_settings

_local = threading.local()


def database_of(url: str) -> str:
    return urlsplit(url).path.strip("/") or "default"


def _url_with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def new_client(url: str | None = None, database: str | None = None, **kwargs: object) -> Client:
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


def get_client() -> Client:
    """A client per thread (clickhouse-connect clients are cheap but not meant to be shared)."""
    client = getattr(_local, "client", None)
    url = get_settings().effective_clickhouse_url
    if client is None or getattr(_local, "url", None) != url:
        client = new_client(url)
        _local.client, _local.url = client, url
    return client


def reset_client() -> None:
    _local.client = None
