"""Outages and poison: nothing accepted is lost, nothing bad blocks its neighbours."""

from __future__ import annotations

import threading
import time

import requests

from tests.conftest import make_event
from tests.engines import free_port, start_program, wait_http
from tests.warehouse_fixture import start_warehouse


def test_redis_down_gives_503_with_retry_after(stack, tmp_path):
    env = dict(stack.env, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
               COLLECTOR_PORT=str(free_port()))
    p = stack.project()
    port = env["COLLECTOR_PORT"]
    collector = start_program("collector.app", ["--host", "127.0.0.1", "--port", port], env,
                              tmp_path / "collector.log")
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                health = requests.get(f"{url}/v1/health", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health.status_code == 503
        assert health.json()["redis"].startswith("down")
        r = requests.post(f"{url}/v1/capture", json=make_event(),
                          headers={"X-Write-Key": p["write_key"]}, timeout=10)
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "5"
    finally:
        collector.stop()


def test_warehouse_down_collector_stays_in_service(stack, tmp_path):
    env = dict(stack.env, CLICKHOUSE_URL=f"http://127.0.0.1:{free_port()}/njia",
               COLLECTOR_PORT=str(free_port()))
    port = env["COLLECTOR_PORT"]
    collector = start_program("collector.app", ["--host", "127.0.0.1", "--port", port], env,
                              tmp_path / "collector.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/health", program=collector)
        r = requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=10)
        assert r.status_code == 200
        assert r.json()["status"] == "degraded"
        assert r.json()["warehouse"].startswith("down")
    finally:
        collector.stop()


def test_processor_backs_off_during_outage_then_catches_up(stack, tmp_path, monkeypatch):
    """A second warehouse is stopped while events wait; the processor retries, never
    dead-letters, and stores everything once the warehouse is back."""
    from config.settings import get_settings
    from warehouse.migrate import migrate

    wh = start_warehouse(tmp_path / "wh")
    url = f"{wh.url}/njia"
    migrate(url)
    p = stack.project()
    for _ in range(3):
        stack.post("/v1/capture", {"batch": [make_event() for _ in range(20)]}, p["write_key"])
    wh.stop()
    monkeypatch.setenv("CLICKHOUSE_URL", url)
    monkeypatch.setenv("PROCESSOR_MAX_BACKOFF_SECONDS", "1")
    get_settings.cache_clear()
    try:
        processor = stack.processor(consumer="outage")
        processor.ensure_group()
        done = threading.Event()

        def work():
            processor.run_once(block_ms=100)
            done.set()

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        time.sleep(2.5)  # several failed attempts
        assert not done.is_set()
        r = stack.redis.client()
        assert r.hget("njia:metrics:processor", "outage_retries") is not None
        wh2 = start_warehouse(tmp_path / "wh", port=wh.port,
                              passwords=(wh.writer_password, wh.reader_password))
        try:
            assert done.wait(30)
            from warehouse.client import new_client

            n = new_client(url).command(
                "SELECT count() FROM events WHERE project_id = {p:String}",
                parameters={"p": p["project_id"]})
            assert int(n) == 60
        finally:
            wh2.stop()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_poison_rejected_by_the_warehouse_is_dead_lettered_and_replayable(stack):
    from config.settings import get_settings
    from processor.deadletter import list_dead_letters, replay

    s = get_settings()
    r = stack.redis.client()
    r.delete(s.dead_letter_stream_key)
    p = stack.project()
    ch = stack.ch()
    # A real rejection by the warehouse, evaluated per row at insert time.
    ch.command("ALTER TABLE events ADD COLUMN poison_check UInt8 MATERIALIZED "
               "throwIf(event_name = 'poison.test', 'poison row')")
    try:
        batch = [make_event() for _ in range(5)] + [make_event("poison.test")] + \
            [make_event() for _ in range(4)]
        stack.post("/v1/capture", {"batch": batch}, p["write_key"])
        stack.drain()
        assert stack.count(p["project_id"]) == 9
        letters = list_dead_letters(r)
        assert len(letters) == 1
        assert letters[0]["payload"]["event_name"] == "poison.test"
        assert "poison row" in letters[0]["reason"]
        assert letters[0]["stage"] == "warehouse"
    finally:
        ch.command("ALTER TABLE events DROP COLUMN poison_check")
    # Fixed (check gone): replay stores it exactly once.
    assert replay(r) == 1
    stack.drain()
    assert stack.count(p["project_id"]) == 10
    assert r.xlen(s.dead_letter_stream_key) == 0


def test_validation_hook_poison_and_cli_replay(stack, monkeypatch, capsys):
    import json

    from cli.main import main as njia
    from config.settings import get_settings

    s = get_settings()
    stack.redis.client().delete(s.dead_letter_stream_key)
    p = stack.project()
    batch = [make_event(), make_event(properties={"poison": True}), make_event()]
    stack.post("/v1/capture", {"batch": batch}, p["write_key"])
    monkeypatch.setenv("NJIA_VALIDATION_HOOK", "tests.hooks:reject_poison")
    get_settings.cache_clear()
    try:
        stack.drain()
    finally:
        monkeypatch.delenv("NJIA_VALIDATION_HOOK")
        get_settings.cache_clear()
    assert stack.count(p["project_id"]) == 2
    capsys.readouterr()
    assert njia(["deadletters", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 1
    assert "marked as poison" in listed[0]["reason"]
    assert listed[0]["stage"] == "validation"
    assert njia(["deadletters", "replay"]) == 0
    stack.drain()
    assert stack.count(p["project_id"]) == 3


def test_metrics_reflect_counters(stack):
    p = stack.project()
    stack.post("/v1/capture", {"batch": [make_event(), make_event(event_id="bad")]},
               p["write_key"])
    stack.drain()
    text = requests.get(f"{stack.collector_url}/metrics", timeout=10).text
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    assert values['njia_collector_events_accepted_total{source="capture"}'] >= 1
    assert values['njia_collector_events_rejected_total{reason="validation"}'] >= 1
    assert values["njia_collector_events_enqueued_total"] >= 1
    assert values["njia_processor_inserted_total"] >= 1
    assert values["njia_stream_lag"] == 0
    assert values["njia_stream_pending"] == 0
    assert "njia_processor_dead_lettered_total" in values
    assert "njia_deadletters" in values


def test_health_says_down_without_internal_errors(stack, tmp_path):
    """Health is public: it says up/down, never exception text, hosts, ports or credentials;
    the collector's log has the reason."""
    redis_port, warehouse_port = free_port(), free_port()
    env = dict(stack.env, REDIS_URL=f"redis://:hunter2@127.0.0.1:{redis_port}/0",
               CLICKHOUSE_URL=f"http://njia:hunter2@127.0.0.1:{warehouse_port}/njia",
               COLLECTOR_PORT=str(free_port()))
    port = env["COLLECTOR_PORT"]
    collector = start_program("collector.app", ["--host", "127.0.0.1", "--port", port], env,
                              tmp_path / "collector.log")
    try:
        url = f"http://127.0.0.1:{port}/v1/health"
        deadline = time.monotonic() + 20
        while True:
            try:
                health = requests.get(url, timeout=10)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, collector.output()[-2000:]
                time.sleep(0.1)
        assert health.status_code == 503
        assert health.json() == {"status": "down", "redis": "down", "warehouse": "down"}
        for secret in (str(redis_port), str(warehouse_port), "127.0.0.1", "hunter2", "Error"):
            assert secret not in health.text
        logged = collector.output()
        assert "health: redis is down" in logged and "health: warehouse is down" in logged
        assert "hunter2" not in logged  # the reason, not the credentials
    finally:
        collector.stop()
