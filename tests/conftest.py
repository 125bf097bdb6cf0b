"""Shared fixtures: real engines (redis-server, embedded warehouse) and the real programs.

`stack` (session-scoped) starts redis-server and the warehouse in a temp dir on free ports, points
the settings at them, migrates, creates a project and starts the collector over HTTP. Tests run
the processor in-process (`stack.drain()`) or as a subprocess when they need to kill it.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.engines import (
    Program,
    RedisServer,
    free_port,
    start_program,
    start_redis,
    wait_http,
)
from tests.warehouse_fixture import start_warehouse


@dataclass
class Stack:
    dir: Path
    redis: RedisServer
    warehouse: Any
    env: dict[str, str]
    collector: Program | None = None
    collector_url: str = ""
    projects: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def clickhouse_url(self) -> str:
        return self.env["CLICKHOUSE_URL"]

    def project(self, name: str | None = None) -> dict[str, str]:
        """A fresh project (its id, write key, webhook secret)."""
        from metadata.projects import create_project

        name = name or f"p{uuid.uuid4().hex[:10]}"
        created = create_project(name)
        self.projects[name] = created
        return created

    def post(self, path: str, body: Any, key: str | None = None, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        if key:
            headers["X-Write-Key"] = key
        return requests.post(f"{self.collector_url}{path}", json=body, headers=headers,
                             timeout=30, **kw)

    def ch(self):
        from warehouse.client import new_client

        return new_client(self.clickhouse_url)

    def processor(self, **kw: Any):
        from processor.worker import Processor

        return Processor(consumer=kw.pop("consumer", "test-consumer"), **kw)

    def drain(self, processor: Any = None, timeout: float = 30.0) -> None:
        """Run a processor in-process until the stream has nothing left to store, then bring
        the journey model up to date (as the stack's model worker would)."""

        processor = processor or self.processor()
        processor.ensure_group()
        r = self.redis.client()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            handled = processor.run_once(block_ms=50)
            if handled == 0 and not any(r.xlen(s) for s in processor.streams()):
                self.update_model()
                return
        raise TimeoutError("stream not drained")

    def update_model(self) -> None:
        """One pass of the journey model worker over every project (in-process)."""
        from journeys.worker import Worker

        while Worker().run_once():
            pass

    def count(self, project_id: str, where: str = "1", **params: Any) -> int:
        return int(self.ch().command(
            f"SELECT count() FROM events WHERE project_id = {{p:String}} AND {where}",
            parameters={"p": project_id, **params},
        ))


def make_event(name: str = "page_view", **overrides: Any) -> dict[str, Any]:
    body = {
        "event_id": str(uuid.uuid4()),
        "event_name": name,
        "timestamp": datetime.now(UTC).isoformat(),
        "anonymous_id": "anon-" + uuid.uuid4().hex[:8],
        "context": {"page": {"path": "/"}, "userAgent": "Mozilla/5.0 (X11; Linux x86_64) "
                    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"},
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("stack")
    redis_server = start_redis(base / "redis")
    warehouse = start_warehouse(base / "warehouse")
    env = dict(os.environ)
    env.update({
        "NJIA_DATA_DIR": str(base / "data"),
        "NJIA_MODE": "demo",
        "REDIS_URL": redis_server.url,
        "CLICKHOUSE_URL": f"{warehouse.url}/njia",
        "CLICKHOUSE_READER_URL": f"{warehouse.reader_url}/njia",
        "COLLECTOR_PORT": str(free_port()),
        "PROCESSOR_BLOCK_MS": "50",
        # drain() updates the model after every insert has finished: no straggling inserts.
        "JOURNEYS_OVERLAP_SECONDS": "0",
        "KEY_CACHE_SECONDS": "1",
        "NJIA_SECRET_KEY": "test-secret-key",
    })
    saved = dict(os.environ)
    os.environ.update(env)
    from config.settings import get_settings

    get_settings.cache_clear()
    from metadata.db import migrate as migrate_metadata
    from warehouse.migrate import migrate as migrate_warehouse

    migrate_metadata()
    migrate_warehouse()
    s = Stack(base, redis_server, warehouse, env)
    port = env["COLLECTOR_PORT"]
    s.collector = start_program("collector.app", ["--host", "127.0.0.1", "--port", port], env,
                                base / "collector.log")
    s.collector_url = f"http://127.0.0.1:{port}"
    wait_http(f"{s.collector_url}/v1/health", program=s.collector)
    try:
        yield s
    finally:
        s.collector.stop()
        warehouse.stop()
        redis_server.stop()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
