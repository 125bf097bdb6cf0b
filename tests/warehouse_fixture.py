"""Start the real warehouse process (chDB behind the ClickHouse HTTP interface) for tests.

    from tests.warehouse_fixture import start_warehouse

    with start_warehouse(tmp_path) as wh:
        client = clickhouse_connect.get_client(dsn=wh.url)

or use the session-scoped `warehouse` pytest fixture (import it into a test module or conftest).
The process runs `python -m warehouse.server.app` on a free loopback port with its data in a
temp dir; its log goes to `<dir>/warehouse.log` and is shown if it fails to start.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from stack.embedded import free_port

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0



WRITER = "njia_writer"
READER = "njia_reader"


@dataclass
class WarehouseProcess:
    port: int
    dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    writer_password: str
    reader_password: str
    _log_file: IO[bytes] | None = None

    @property
    def bare_url(self) -> str:
        """No credentials: only /ping answers."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """As the writer (migrations, the processor)."""
        return f"http://{WRITER}:{self.writer_password}@127.0.0.1:{self.port}"

    @property
    def reader_url(self) -> str:
        """As the reader (workbench, API, CLI): read-only whatever it sends."""
        return f"http://{READER}:{self.reader_password}@127.0.0.1:{self.port}"

    def auth_header(self, user: str = WRITER) -> dict[str, str]:
        import base64

        password = self.writer_password if user == WRITER else self.reader_password
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (as supervisord does) and wait; SIGKILL if it does not stop in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close_log()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> WarehouseProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_ping(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"warehouse exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as resp:  # no credentials
                if resp.status == 200 and resp.read() == b"Ok.\n":
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise TimeoutError(f"warehouse at {url} did not answer /ping within {timeout:.0f}s")


def start_warehouse(
    directory: Path,
    port: int | None = None,
    query_connections: int = 4,
    insert_connections: int = 2,
    extra_args: list[str] | None = None,
    passwords: tuple[str, str] | None = None,
) -> WarehouseProcess:
    """Start the warehouse with its data under `directory` and wait until it answers /ping.
    `passwords` (writer, reader) keep a restarted warehouse's users; new ones by default."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = directory / "warehouse.log"
    log_file = open(log_path, "ab")  # noqa: SIM115 - lives as long as the process
    cmd = [
        sys.executable,
        "-m",
        "warehouse.server.app",
        "--data-dir",
        str(directory / "data"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--query-connections",
        str(query_connections),
        "--insert-connections",
        str(insert_connections),
        *(extra_args or []),
    ]
    writer_password, reader_password = passwords or (secrets.token_urlsafe(16),
                                                     secrets.token_urlsafe(16))
    env = dict(os.environ)
    env["WAREHOUSE_WRITER_PASSWORD"] = writer_password
    env["WAREHOUSE_READER_PASSWORD"] = reader_password
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    wh = WarehouseProcess(port, directory, proc, log_path, writer_password, reader_password,
                          log_file)
    try:
        wait_ping(wh.bare_url, START_TIMEOUT, proc)
    except Exception as exc:
        wh.kill()
        raise RuntimeError(f"warehouse did not start ({exc}); its log:\n{wh.log()}") from exc
    return wh


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseProcess]:
    wh = start_warehouse(tmp_path_factory.mktemp("warehouse"))
    try:
        yield wh
    finally:
        wh.stop()
