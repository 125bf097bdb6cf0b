"""The bench's own engines: a redis-server, the warehouse and (for the page) a workbench, each a
subprocess under the bench's data dir, plus peak-RSS sampling through /proc.

Kept separate from tests/engines.py and tests/warehouse_fixture.py (the layout lets bench import
neither tests nor tools); the start commands are the same.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from stack.embedded import free_port, redis_server_binary

ROOT = Path(__file__).resolve().parents[1]



@dataclass
class Proc:
    name: str
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def stop(self, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _spawn(name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None) -> Proc:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or dict(os.environ), stdout=out,
                                stderr=subprocess.STDOUT)
    return Proc(name, proc, log)


def _wait(check, what: str, proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {proc.tail()}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    proc.stop()
    raise TimeoutError(f"{what} did not start in {timeout} s: {proc.tail()}")


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return resp.status == 200


def start_redis(directory: Path, aof: bool = False) -> tuple[Proc, str]:
    """A redis-server on a free port; `aof` as production runs it (appendfsync everysec)."""
    import redis

    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = _spawn("redis", [redis_server_binary(), "--bind", "127.0.0.1", "--port", str(port),
                            "--dir", str(directory), "--appendonly", "yes" if aof else "no",
                            "--appendfsync", "everysec", "--save", "", "--daemonize", "no"],
                  directory / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    _wait(lambda: redis.Redis.from_url(url).ping(), "redis-server", proc, 20)
    return proc, url


@dataclass
class Warehouse:
    proc: Proc
    port: int
    writer_password: str
    reader_password: str

    @property
    def url(self) -> str:
        return f"http://njia_writer:{self.writer_password}@127.0.0.1:{self.port}/njia"

    @property
    def reader_url(self) -> str:
        return f"http://njia_reader:{self.reader_password}@127.0.0.1:{self.port}/njia"


def start_warehouse(directory: Path, query_connections: int = 4) -> Warehouse:
    """The warehouse on a free port with its data (kept between runs) under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    pw_file = directory / "passwords.json"
    if pw_file.exists():
        pw = json.loads(pw_file.read_text())
    else:
        pw = {"writer": secrets.token_urlsafe(16), "reader": secrets.token_urlsafe(16)}
        pw_file.write_text(json.dumps(pw))
        pw_file.chmod(0o600)
    port = free_port()
    env = dict(os.environ)
    env["WAREHOUSE_WRITER_PASSWORD"] = pw["writer"]
    env["WAREHOUSE_READER_PASSWORD"] = pw["reader"]
    proc = _spawn("warehouse", [sys.executable, "-m", "warehouse.server.app", "--data-dir",
                                str(directory / "data"), "--host", "127.0.0.1", "--port",
                                str(port), "--query-connections", str(query_connections),
                                "--insert-connections", "2"],
                  directory / "warehouse.log", env)
    _wait(lambda: _http_ok(f"http://127.0.0.1:{port}/ping"), "warehouse", proc, 60)
    return Warehouse(proc, port, pw["writer"], pw["reader"])


def start_workbench(env: dict[str, str], log: Path) -> tuple[Proc, str]:
    port = free_port()
    proc = _spawn("workbench", [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "workbench" / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer"], log, env)
    url = f"http://127.0.0.1:{port}"
    _wait(lambda: _http_ok(f"{url}/_stcore/health"), "workbench", proc, 90)
    return proc, url


# --- RSS ------------------------------------------------------------------------------------

def rss_bytes(pid: int) -> int:
    """Resident set of a process and its children (KiB fields of /proc/<pid>/status)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids = (task / "children").read_text().split()
            for k in kids:
                out.append(int(k))
                out.extend(_children(int(k)))
    except OSError:
        pass
    return out


@dataclass
class RssSampler:
    """Samples the RSS of named processes every `interval` s; `phase()` labels what follows."""

    pids: dict[str, int]
    interval: float = 0.1
    peaks: dict[tuple[str, str], int] = field(default_factory=dict)
    _phase: str = "idle"
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def phase(self, name: str) -> None:
        self._phase = name
        self.sample()

    def sample(self) -> None:
        for name, pid in list(self.pids.items()):
            key = (name, self._phase)
            self.peaks[key] = max(self.peaks.get(key, 0), rss_bytes(pid))

    def __enter__(self) -> RssSampler:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.sample()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(2)


@dataclass
class Stack:
    """Redis + warehouse for one dataset size, with this process's environment pointing at them
    (settings, metadata store under `directory / "data"`) and both migrated."""

    directory: Path
    redis: Proc
    redis_url: str
    warehouse: Warehouse
    env: dict[str, str]

    def stop(self) -> None:
        self.warehouse.proc.stop()
        self.redis.stop()


def open_stack(directory: Path) -> Stack:
    from config.settings import get_settings

    # Uncached queries at 10 M take minutes today: let them finish (the warehouse reads it too).
    os.environ["QUERY_MAX_EXECUTION_TIME"] = "900"
    redis_proc, redis_url = start_redis(directory / "redis")
    try:
        wh = start_warehouse(directory / "warehouse")
    except Exception:
        redis_proc.stop()
        raise
    env = dict(os.environ)
    env.update({
        "NJIA_DATA_DIR": str(directory / "data"),
        "NJIA_MODE": "demo",
        "REDIS_URL": redis_url,
        "CLICKHOUSE_URL": wh.url,
        "CLICKHOUSE_READER_URL": wh.reader_url,
    })
    os.environ.update(env)
    get_settings.cache_clear()
    from metadata.db import migrate as migrate_metadata
    from warehouse.client import reset_client
    from warehouse.migrate import migrate as migrate_warehouse

    reset_client()
    migrate_metadata()
    migrate_warehouse()
    return Stack(directory, redis_proc, redis_url, wh, env)
