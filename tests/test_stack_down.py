"""`njia down` returns only once every program has exited, so `make down && make up` works.

A real stack (`njia run --detach`: supervisord, the embedded redis and warehouse, collector,
processor, workbench, query API) in a temp data dir on free ports, stopped with `njia down`,
then started again at once and stopped again. The demo data is not loaded: the marker that a
first start leaves after loading it is laid beforehand (stack/first_start.py).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config.settings import Settings
from tests.engines import ROOT, free_port

NJIA = str(Path(sys.executable).parent / "njia")
PROGRAMS = {"redis", "warehouse", "collector", "processor:processor_00", "workbench", "api"}


def stack_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Nothing from the test session's own stack (REDIS_URL, CLICKHOUSE_URL, ports…) leaks in.
    for field in Settings.model_fields.values():
        env.pop(field.alias or "", None)
    ports = {name: str(free_port()) for name in
             ("WAREHOUSE_PORT", "REDIS_PORT", "COLLECTOR_PORT", "WORKBENCH_PORT", "API_PORT")}
    env.update(ports, NJIA_DATA_DIR=str(data_dir), NJIA_MODE="demo", PROCESSOR_NUMPROCS="1")
    # Programs import this checkout, also when the tests run from another one.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def njia(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([NJIA, *args], env=env, cwd=env["NJIA_DATA_DIR"], timeout=timeout,
                          capture_output=True, text=True)


def processes_of(env: dict[str, str]) -> dict[int, str]:
    """Every live process (not a zombie) that names the data dir in its environment or command
    line, or is the redis-server on this stack's port (redis writes its process title over its
    environment): supervisord and each program, whatever started them. Independent of
    stack/run.py."""
    needle = env["NJIA_DATA_DIR"].encode()
    redis = f"redis-server 127.0.0.1:{env['REDIS_PORT']}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes()
            if needle in cmdline or redis in cmdline or needle in (entry / "environ").read_bytes():
                found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue  # gone meanwhile, or not ours to read
    return found


def listening(port: str) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", int(port))) == 0


def status(env: dict[str, str]) -> dict[str, str]:
    out = njia(env, "status", timeout=30).stdout
    return dict(re.findall(r"^(\S+)\s+([A-Z]+)", out, flags=re.M))


def wait_all_running(env: dict[str, str], timeout: float = 120) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = status(env)
        if set(states) >= PROGRAMS and all(states[p] == "RUNNING" for p in PROGRAMS):
            return states
        time.sleep(0.5)
    raise AssertionError(f"not every program is running after {timeout} s: {states}")


def assert_all_gone(env: dict[str, str], data_dir: Path) -> None:
    left = processes_of(env)
    assert not left, f"still running after `njia down` returned: {left}"
    ports = {k: v for k, v in env.items() if k.endswith("_PORT") and listening(v)}
    assert not ports, f"ports still accepting connections after `njia down`: {ports}"
    assert not (data_dir / "supervisor.sock").exists()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_down_returns_once_every_program_has_exited(tmp_path: Path) -> None:
    data_dir = (tmp_path / "data").resolve()
    (data_dir / "demo").mkdir(parents=True)
    (data_dir / "demo" / "kra-demo.loaded").write_text("{}")  # no demo load on first start
    env = stack_env(data_dir)
    try:
        for round_ in (1, 2):
            started = njia(env, "run", "--detach")
            assert started.returncode == 0, (round_, started.stdout, started.stderr)
            assert "Njia is up" in started.stdout + started.stderr, round_
            wait_all_running(env)
            supervisord = int((data_dir / "supervisord.pid").read_text())
            programs = processes_of(env)
            assert supervisord in programs and len(programs) >= 1 + len(PROGRAMS), programs

            t0 = time.monotonic()
            stopped = njia(env, "down")
            took = time.monotonic() - t0
            assert stopped.returncode == 0, (round_, stopped.stdout, stopped.stderr)
            assert_all_gone(env, data_dir)
            print(f"round {round_}: `njia down` took {took:.1f} s")  # shown with -s
        # Nothing running: down says so and succeeds (make down twice is harmless).
        again = njia(env, "down", timeout=60)
        assert again.returncode == 0 and "not running" in again.stdout, again
    finally:
        for pid in processes_of(env):  # leave nothing behind when an assertion failed
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
