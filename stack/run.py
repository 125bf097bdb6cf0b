"""`njia run`: the whole stack under supervisord, with a real start order; `njia down` stops it.

supervisord has no dependencies between programs, so each program starts through `njia serve
<program>`, which waits for the engines it needs and applies migrations (idempotent, under a
file lock) before it execs the real program. `njia run` itself prints what a first start
creates (the demo project's write key, later the admin password) on the terminal.

`njia down` returns only once supervisord and every program have exited and their ports are
free (or says what is still running after DOWN_TIMEOUT_SECONDS), so `make down && make up`
works: supervisord's own shutdown call answers at once and stops the programs afterwards.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from contextlib import contextmanager
from pathlib import Path

from config.logs import setup_logging
from config.settings import Settings, get_settings
from stack.banner import banner
from stack.embedded import redis_server_binary, wait_for_http, wait_for_redis

log = logging.getLogger("njia.run")

ROOT = Path(__file__).resolve().parents[1]
SUPERVISORD_CONF = ROOT / "supervisord.conf"
# Longer than supervisord's slowest orderly stop (processor 60 s, then the warehouse's 30 s, the
# others' 10 s: it kills what outlives its stopwaitsecs), so a timeout means something is wrong.
DOWN_TIMEOUT_SECONDS = 150.0


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
        elif program == "journeys":
            argv = [py, "-m", "journeys.worker"]
        elif program == "snapshots":
            argv = [py, "-m", "snapshots.worker"]
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


def _socket_path(settings: Settings) -> Path:
    return settings.data_dir.resolve() / "supervisor.sock"  # as in supervisord.conf


def _rpc(settings: Settings) -> xmlrpc.client.ServerProxy:
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, f"unix://{_socket_path(settings)}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (an exited child nobody reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not Path("/proc/self").exists():
        return True  # no /proc to tell a zombie: trust kill(0)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # gone meanwhile
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _supervised(settings: Settings) -> dict[int, str]:
    """Live processes that this stack's supervisord started, read from /proc (Linux): each
    carries SUPERVISOR_SERVER_URL=unix://<data dir>/supervisor.sock in its environment, and so
    do their children. Found also when supervisord is gone (an orphan) or shutting down (its
    RPC answers nothing then). redis-server writes its title over its environment, so it is
    not found here, only in supervisord's list and by its port."""
    marker = f"SUPERVISOR_SERVER_URL=unix://{_socket_path(settings)}".encode()
    found: dict[int, str] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ and _alive(int(entry.name)):
            names = dict(v.split(b"=", 1) for v in environ if v.startswith(b"SUPERVISOR_"))
            group = names.get(b"SUPERVISOR_GROUP_NAME", b"").decode(errors="replace")
            name = names.get(b"SUPERVISOR_PROCESS_NAME", b"?").decode(errors="replace")
            found[int(entry.name)] = f"{group}:{name}" if group and group != name else name
    return found


def _supervisord_pid(settings: Settings) -> int | None:
    """supervisord's pid from its pid file, when that process is alive and is supervisord."""
    try:
        pid = int((settings.data_dir / "supervisord.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid if _socket_path(settings).exists() else None  # no /proc to ask
    return pid if b"supervisord" in cmdline else None  # not a pid reused by another program


def _running(settings: Settings) -> tuple[int | None, dict[int, str]]:
    """(supervisord's pid, {pid: program}) of this data dir's stack; (None, {}) when down."""
    programs: dict[int, str] = {}
    pid = None
    try:
        rpc = _rpc(settings)
        pid = int(rpc.supervisor.getPID())
        for info in rpc.supervisor.getAllProcessInfo():
            if info["pid"]:
                name = info["name"]
                programs[info["pid"]] = (name if info["group"] == name
                                         else f"{info['group']}:{name}")
    except (OSError, xmlrpc.client.Error):
        pass  # no socket, or shutting down already (SHUTDOWN_STATE): the pid file and /proc
    pid = pid or _supervisord_pid(settings)
    programs.update(_supervised(settings))
    return pid, {p: n for p, n in programs.items() if p != pid and _alive(p)}


def _ports(settings: Settings) -> dict[str, int]:
    ports = {"collector": settings.collector_port, "workbench": settings.workbench_port,
             "api": settings.api_port}
    if settings.embedded_redis:
        ports["redis"] = settings.redis_port
    if settings.embedded_warehouse:
        ports["warehouse"] = settings.warehouse_port
    return ports


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition, deadline: float) -> bool:  # noqa: ANN001
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def down(timeout: float = DOWN_TIMEOUT_SECONDS) -> int:
    """Stop the stack and return once supervisord and every program have exited and their
    ports are free; after `timeout` seconds, say what is still running and return 1."""
    settings = get_settings()
    where = settings.data_dir.resolve()
    deadline = time.monotonic() + timeout
    supervisord, programs = _running(settings)
    if supervisord is None and not programs:
        print(f"Njia is not running on {where}.", flush=True)
        return 0
    started = time.monotonic()
    print(f"Stopping Njia on {where} …", flush=True)
    if supervisord is not None:
        try:
            _rpc(settings).supervisor.shutdown()  # answers at once; the stopping follows
        except xmlrpc.client.Fault:
            pass  # SHUTDOWN_STATE: an earlier `njia down` (or a signal) is stopping it already
        except OSError:
            os.kill(supervisord, signal.SIGTERM)  # its socket is gone: TERM is its shutdown too
        if not _wait(lambda: not _alive(supervisord), deadline):
            left = {**{p: n for p, n in programs.items() if _alive(p)}, **_running(settings)[1]}
            return _still_running(where, timeout, {supervisord: "supervisord", **left}, {})
    # supervisord stops its programs before it exits (killing what outlives stopwaitsecs), so
    # what is left now has lost it: a program's child, or a stack whose supervisord was killed.
    # Only processes that carry this stack's mark now are signalled (a pid listed earlier may
    # have been reused since); the others are only waited for.
    orphans = _supervised(settings)
    for pid, name in orphans.items():
        log.warning("%s (pid %d) outlived supervisord: sending it SIGTERM", name, pid)
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    orphans.update({p: n for p, n in programs.items() if _alive(p)})
    _wait(lambda: not any(_alive(p) for p in orphans), deadline)
    ports = _ports(settings)
    _wait(lambda: not any(_listening(port) for port in ports.values()), deadline)
    left = {p: n for p, n in orphans.items() if _alive(p)}
    busy = {name: port for name, port in ports.items() if _listening(port)}
    if left or busy:
        return _still_running(where, timeout, left, busy)
    print(f"Njia is down ({time.monotonic() - started:.1f} s).", flush=True)
    return 0


def _still_running(where: Path, timeout: float, left: dict[int, str],
                   busy: dict[str, int]) -> int:
    lines = [f"Njia on {where} is not down after {timeout:g} s:"]
    lines += [f"  still running: {name} (pid {pid})" for pid, name in left.items()]
    lines += [f"  port {port} ({name}) still accepts connections" for name, port in busy.items()]
    print("\n".join(lines), file=sys.stderr, flush=True)
    return 1


def status() -> int:
    return _supervisorctl(get_settings(), "status")
