"""Real engines for tests: a redis-server and the embedded warehouse, on free ports in temp dirs."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from stack.embedded import free_port, redis_server_binary

ROOT = Path(__file__).resolve().parents[1]



@dataclass
class RedisServer:
    port: int
    proc: subprocess.Popen
    dir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_redis(directory: Path, port: int | None = None) -> RedisServer:
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    proc = subprocess.Popen(
        [redis_server_binary(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory),
         "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no"],
        stdout=open(directory / "redis.log", "wb"), stderr=subprocess.STDOUT,
    )
    server = RedisServer(port, proc, directory)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            server.client().ping()
            return server
        except redis.RedisError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"redis-server did not start: {(directory / 'redis.log').read_text()}")


@dataclass
class Program:
    """A project program (collector, processor…) running as a real subprocess."""

    proc: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_program(module: str, args: list[str], env: dict[str, str], log: Path) -> Program:
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env,
        stdout=open(log, "ab"), stderr=subprocess.STDOUT,
    )
    return Program(proc, log)


def wait_http(url: str, timeout: float = 30.0, program: Program | None = None) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if program and program.proc.poll() is not None:
            raise RuntimeError(f"program exited: {program.output()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.1)
    raise TimeoutError(f"{url} not up after {timeout} s" + (f": {program.output()[-3000:]}"
                                                           if program else ""))
