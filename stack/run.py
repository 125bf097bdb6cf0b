"""`njia run`: the whole stack under supervisord, with a real start order.

supervisord has no dependencies between programs, so each program starts through `njia serve
<program>`, which waits for the engines it needs and applies migrations (idempotent, under a
file lock) before it execs the real program. `njia run` itself prints what a first start
creates (the demo project's write key, later the admin password) on the terminal.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from config.logs import setup_logging
from config.settings import Settings, get_settings
from stack.banner import banner
from stack.embedded import redis_server_binary, wait_for_http, wait_for_redis

log = logging.getLogger("njia.run")

ROOT = Path(__file__).resolve().parents[1]
SUPERVISORD_CONF = ROOT / "supervisord.conf"


def _env(settings: Settings) -> dict[str, str]:
    data_dir = settings.data_dir.resolve()
    env = dict(os.environ)
    env.update(
        {
            "NJIA_DATA_DIR": str(data_dir),
            "NJIA_ROOT": str(ROOT),
            "NJIA_PYTHON": sys.executable,
            "NJIA_BIN": str(Path(sys.executable).parent),
            "NJIA_REDIS_AUTOSTART": "true" if settings.embedded_redis else "false",
            "NJIA_WAREHOUSE_AUTOSTART": "true" if settings.embedded_warehouse else "false",
            "PROCESSOR_NUMPROCS": str(settings.processor_numprocs),
            "REDIS_PORT": str(settings.redis_port),
            "WAREHOUSE_PORT": str(settings.warehouse_port),
            "COLLECTOR_PORT": str(settings.collector_port),
            "WORKBENCH_PORT": str(settings.workbench_port),
            "API_PORT": str(settings.api_port),
        }
    )
    return env


def _supervisorctl(settings: Settings, *args: str) -> int:
    return subprocess.call(
        [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(SUPERVISORD_CONF), *args],
        env=_env(settings),
    )


@contextmanager
def migration_lock(settings: Settings):  # noqa: ANN201
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / ".migrate.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate_all(settings: Settings, warehouse: bool = True) -> None:
    from metadata.db import migrate as migrate_metadata
    from warehouse.migrate import migrate as migrate_warehouse

    with migration_lock(settings):
        migrate_metadata()
        if warehouse:
            migrate_warehouse()


def _warehouse_ping(settings: Settings) -> str:
    from collector.app import warehouse_ping_url

    return warehouse_ping_url(settings.effective_clickhouse_url)


def serve(program: str, rest: list[str]) -> int:
    """Wait for what `program` needs, migrate, then exec it (so supervisord signals reach it)."""
    settings = get_settings()
    setup_logging(f"serve-{program}")
    data_dir = str(settings.data_dir.resolve())
    py = sys.executable
    if program == "redis":
        settings.redis_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(settings.redis_port),
            "--dir",
            str(settings.redis_dir.resolve()),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--maxmemory-policy",
            "noeviction",
            "--protected-mode",
            "yes",
        ]
    elif program == "warehouse":
        argv = [
            py,
            "-m",
            "warehouse.server.app",
            "--data-dir",
            str(settings.warehouse_dir.resolve()),
            "--port",
            str(settings.warehouse_port),
        ]
    else:
        wait_for_redis(settings.effective_redis_url, timeout=300)
        needs_warehouse = program != "collector"
        if needs_warehouse:
            wait_for_http(_warehouse_ping(settings), timeout=300)
        migrate_all(settings, warehouse=needs_warehouse)
        if program == "collector":
            argv = [py, "-m", "collector.app"]
        elif program == "processor":
            argv = [py, "-m", "processor.worker"]
        elif program == "workbench":
            from workbench.auth import cookie_key

            cookie_key(settings)  # production without NJIA_COOKIE_KEY: refuse to start
            argv = [
                py,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "workbench" / "app.py"),
                "--client.toolbarMode",
                "viewer",
                "--server.port",
                str(settings.workbench_port),
                "--server.address",
                settings.workbench_host,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ]
        elif program == "api":
            argv = [py, "-m", "queries.api"]
        else:
            print(f"njia serve: unknown program {program!r}", file=sys.stderr)
            return 2
    log.info("starting %s (data dir %s)", program, data_dir)
    os.execvpe(argv[0], argv + rest, os.environ)
    return 0  # not reached


def first_start(settings: Settings) -> None:
    """What a first start creates: the demo project (and its key, printed once)."""
    from metadata import projects

    if projects.get_project("kra-demo") is None:
        created = projects.create_project("kra-demo")
        banner(
            "Created project kra-demo",
            f"write key:      {created['write_key']}",
            f"webhook secret: {created['webhook_secret']}",
            "Keep them: they are shown only now (rotate with `njia project rotate-key kra-demo`).",
        )
    from stack.first_start import extra_first_start

    extra_first_start(settings)


def run(detach: bool = False) -> int:
    settings = get_settings()
    setup_logging("njia-run")
    for path in (settings.data_dir, settings.logs_dir, settings.redis_dir):
        path.mkdir(parents=True, exist_ok=True)
    env = _env(settings)
    if _already_running(settings):
        print(f"Njia is already running on {settings.data_dir.resolve()} "
              "(`make status` shows it, `make down` stops it).", flush=True)
        return 0 if detach else 1
    supervisord = str(Path(sys.executable).parent / "supervisord")
    cmd = [supervisord, "-c", str(SUPERVISORD_CONF)] + ([] if detach else ["-n"])
    proc = subprocess.Popen(cmd, env=env)
    stopping = False

    def _forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    if not detach:
        signal.signal(signal.SIGINT, _forward)
        signal.signal(signal.SIGTERM, _forward)
    try:
        wait_for_redis(settings.effective_redis_url, timeout=120)
        wait_for_http(_warehouse_ping(settings), timeout=180)
        migrate_all(settings)
        first_start(settings)
        wait_for_http(f"http://127.0.0.1:{settings.collector_port}/v1/health", timeout=120)
        banner(
            "Njia is up",
            f"collector  http://localhost:{settings.collector_port}/v1/health",
            f"workbench  http://localhost:{settings.workbench_port}",
            f"query API  http://localhost:{settings.api_port}/api/v1/query/<name>",
            f"logs       {settings.logs_dir.resolve()}",
            "Ctrl-C stops everything." if not detach else "`make down` stops everything.",
        )
        from stack.first_start import after_start

        after_start(settings)
    except Exception as exc:
        if not stopping:
            log.error("start-up failed: %s (see %s)", exc, settings.logs_dir.resolve())
            if proc.poll() is None and not detach:
                proc.send_signal(signal.SIGTERM)
                proc.wait()
            return 1
    if detach:
        proc.wait()
        return 0
    while proc.poll() is None:
        time.sleep(0.5)
    return 0 if stopping else (proc.returncode or 0)


def _already_running(settings: Settings) -> bool:
    socket_path = settings.data_dir / "supervisor.sock"
    if not socket_path.exists():
        return False
    probe = subprocess.run(
        [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(SUPERVISORD_CONF), "pid"],
        env=_env(settings), capture_output=True, text=True,
    )
    return probe.returncode == 0 and probe.stdout.strip().isdigit()


def down() -> int:
    return _supervisorctl(get_settings(), "shutdown")


def status() -> int:
    return _supervisorctl(get_settings(), "status")
