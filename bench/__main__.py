"""`make bench`: build (once) the bench datasets, time every named query and the Overview page,
measure freshness and the queries under 1 000 events/s, run the ingestion benchmarks, and write
docs/benchmarks.md.

    python -m bench

Knobs (environment):
  BENCH_SIZES         sizes to run, comma-separated (default "1M,10M"; e.g. "1M")
  BENCH_RUNS          timed runs per query (default 20)
  BENCH_QUERY_BUDGET  seconds after which a query stops early, after >= 3 runs (default 120)
  BENCH_WARMUP        0 skips each query's untimed first run (a quick pass at 10 M)
  BENCH_PAGE          0 skips the Overview in Chromium (default 1)
  BENCH_INGEST        0 skips the collector/processor benchmarks (default 1)
  BENCH_FRESHNESS     0 skips freshness and queries under load (bench/freshness.py; default 1)
  BENCH_FRESHNESS_SECONDS  seconds of that load (default 60)
  BENCH_FRESHNESS_RATE     its events/s (default 1000)
  BENCH_FRESHNESS_QUERIES  0 leaves the named queries out of it (default 1)
  BENCH_FRESHNESS_MODEL    0 runs it without the journey model worker (ingestion's cost alone)
  BENCH_DOC           where to write (default docs/benchmarks.md)
  BENCH_BUILD_ONLY    1 builds the datasets (when not cached yet) and measures nothing
  BENCH_REPORT_ONLY   1 measures nothing and rewrites the document from the kept results
The data lives under $NJIA_DATA_DIR/bench (default var/bench), one directory per size; each
size's last results are kept there too, so the document covers every size measured so far.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import dataset, engines, freshness, page, queries_bench, report

ROOT = Path(__file__).resolve().parents[1]


def log(*args: Any) -> None:
    print(*args, flush=True)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def data_root() -> Path:
    base = os.environ.get("NJIA_DATA_DIR")
    return (Path(base) if base else ROOT / "var") / "bench"


def machine_info(sizes: list[str], runs: int, budget: float) -> dict[str, Any]:
    from importlib.metadata import version

    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal:"))
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
            "cpu": cpu, "mem_gib": mem / 2**20, "python": platform.python_version(),
            "chdb": version("chdb-core"), "clickhouse_connect": version("clickhouse-connect"),
            "load_start": _load(), "sizes": ",".join(sizes),
            "runs": runs, "budget": budget}


def run_size(label: str, root: Path, runs: int, budget: float, with_page: bool,
             machine: dict[str, Any]) -> dict[str, Any]:
    from config.settings import get_settings
    from warehouse.client import reset_client

    directory = root / label
    saved = dict(os.environ)
    meta = dataset.read_meta(directory)
    try:
        if meta is None:
            log(f"[{label}] building the dataset (once; cached in {directory})")
            dataset.wipe(directory)
            stack = engines.open_stack(directory)
            try:
                meta = dataset.build(directory, dataset.parse_size(label), log)
                meta["size_label"] = label
                dataset.rebuild_model(meta, stack.env, log)
                dataset.write_meta(directory, meta)
            finally:
                stack.stop()
            log(f"[{label}] built {meta['events']:,} events in {meta['build_seconds']:.0f} s")
        else:
            log(f"[{label}] cached dataset: {meta['events']:,} events "
                f"(built {meta['built_at']} in {meta['build_seconds']:.0f} s)")
        if os.environ.get("BENCH_BUILD_ONLY") == "1":
            return {"meta": meta}
        stack = engines.open_stack(directory)
        try:
            if not dataset.model_current(meta):
                dataset.rebuild_model(meta, stack.env, log)
                dataset.write_meta(directory, meta)
            machine.setdefault("clickhouse", _ch_version())
            result: dict[str, Any] = {"meta": meta, "run": {
                "runs": runs, "budget": budget, "load_start": _load(),
                "warmup": os.environ.get("BENCH_WARMUP", "1") != "0"}}
            sampler = engines.RssSampler({"warehouse": stack.warehouse.proc.pid})
            with sampler:
                time.sleep(2)
                sampler.phase("idle")
                time.sleep(1)
                sampler.phase("queries")
                log(f"[{label}] named queries ({runs} runs each, budget {budget:.0f} s)")
                warmup = os.environ.get("BENCH_WARMUP", "1") != "0"
                result["queries"] = queries_bench.run_all(dataset.PROJECT, meta["now_ms"], runs,
                                                          budget, log, warmup)
                sampler.phase("after queries (idle)")
                time.sleep(1)
                if with_page and page.chromium_available():
                    log(f"[{label}] the Overview in Chromium")
                    rng = result["queries"]["range"]
                    try:
                        result["page"] = page.run(stack.env, directory, dataset.PROJECT,
                                                  rng["from"], rng["to"], sampler=sampler,
                                                  log=log)
                    except Exception as exc:  # the page part is the fragile one: keep the rest
                        traceback.print_exc()
                        result["page"] = {"skipped": f"failed: {type(exc).__name__}: {exc}"[:300]}
                elif with_page:
                    result["page"] = {"skipped": "Chromium is not installed (`make browser`)"}
                else:
                    result["page"] = {"skipped": "BENCH_PAGE=0"}
                sampler.sample()
            result["rss"] = {f"{k[0]}|{k[1]}": v for k, v in sampler.peaks.items()}
            if os.environ.get("BENCH_FRESHNESS", "1") != "0":
                log(f"[{label}] freshness and the named queries under load")
                try:
                    fresh = freshness.run(stack, directory, meta["now_ms"],
                                          result["queries"].get("session_id"), log)
                    result["freshness"] = fresh
                    for phase in fresh.get("phases", []):
                        for prog, peak in phase["rss"].items():
                            result["rss"][f"{prog}|freshness: {phase['name']}"] = peak
                except Exception as exc:  # keep the rest of the size's figures
                    traceback.print_exc()
                    result["freshness"] = {
                        "skipped": f"failed: {type(exc).__name__}: {exc}"[:500]}
            else:
                result["freshness"] = {"skipped": "BENCH_FRESHNESS=0"}
            result["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            result["run"]["load_end"] = _load()
            (directory / "results.json").write_text(json.dumps(result, indent=1, default=str))
            return result
        finally:
            stack.stop()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        reset_client()


def _ch_version() -> str:
    from warehouse.client import get_client

    try:
        return str(get_client().command("SELECT version()"))
    except Exception:
        return "?"


def ingestion() -> dict[str, Any]:
    """The collector and processor benchmarks (bench/collector_throughput.py and
    bench/processor_throughput.py), when present; each `main()` returns its figures."""
    from config.settings import get_settings

    out: dict[str, Any] = {}
    for module, title in (("bench.collector_throughput", "Collector throughput"),
                          ("bench.processor_throughput", "Processor throughput")):
        saved = dict(os.environ)
        saved_argv = sys.argv
        try:
            mod = importlib.import_module(module)
            log(f"[ingestion] {module}")
            params = inspect.signature(mod.main).parameters
            sys.argv = [module]
            if "argv" in params:
                out[title] = mod.main([])
            elif "quiet" in params:
                out[title] = mod.main(quiet=True)
            else:
                out[title] = mod.main()
        except ModuleNotFoundError as exc:
            out[title] = {"error": f"{module} is not there ({exc})"}
        except BaseException as exc:  # noqa: BLE001 - someone else's benchmark; report it
            traceback.print_exc()
            out[title] = {"error": f"{module} failed: {type(exc).__name__}: {exc}"[:500]}
        finally:
            sys.argv = saved_argv
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
    return out


def main() -> int:
    sizes = [s.strip().upper() for s in os.environ.get("BENCH_SIZES", "1M,10M").split(",")
             if s.strip()]
    runs = _env_int("BENCH_RUNS", 20)
    budget = float(os.environ.get("BENCH_QUERY_BUDGET", 120))
    with_page = os.environ.get("BENCH_PAGE", "1") != "0"
    doc = Path(os.environ.get("BENCH_DOC", ROOT / "docs" / "benchmarks.md"))
    root = data_root()
    root.mkdir(parents=True, exist_ok=True)
    machine = machine_info(sizes, runs, budget)
    log(f"bench: sizes {sizes}, {runs} runs per query, data in {root}; "
        f"load {machine['load_start']}")
    notes: list[str] = []
    report_only = os.environ.get("BENCH_REPORT_ONLY") == "1"
    if report_only:
        sizes = []
        notes.append("document re-rendered from the results kept under the data dir "
                     "(BENCH_REPORT_ONLY=1)")
    for label in sizes:
        try:
            run_size(label, root, runs, budget, with_page, machine)
        except Exception as exc:
            traceback.print_exc()
            notes.append(f"{label}: the run failed ({type(exc).__name__}: {exc})"[:400])
    if os.environ.get("BENCH_BUILD_ONLY") == "1":
        log("datasets built (BENCH_BUILD_ONLY=1): nothing measured, the document is unchanged")
        return 0
    run_file = root / "last_run.json"
    if report_only and run_file.exists():
        machine = {**json.loads(run_file.read_text()), "rendered": machine["date"]}
    kept = root / "ingestion.json"
    if not report_only and os.environ.get("BENCH_INGEST", "1") != "0":
        ingest = ingestion()
        kept.write_text(json.dumps({"measured_at": machine["date"], "figures": ingest},
                                   default=str))
    elif kept.exists():
        earlier = json.loads(kept.read_text())
        ingest = earlier["figures"]
        if earlier["measured_at"] < machine["date"]:
            notes.append(f"ingestion: figures from an earlier run ({earlier['measured_at']})")
    else:
        ingest = {}
    if not report_only:
        machine["load_end"] = _load()
    load1 = max(float(machine["load_start"].split()[0]),
                float(machine.get("load_end", "0").split()[0]))
    if load1 > 0.5 * (os.cpu_count() or 1):
        machine["shared_note"] = ("The machine was shared with other work during the run "
                                  "(see the load averages), so figures are noisier and slower "
                                  "than on an idle machine.")
    if not report_only:
        run_file.write_text(json.dumps(machine))
    # Every size measured so far (this run's, and earlier runs' kept under the data dir).
    results: dict[str, dict[str, Any]] = {}
    for label in sorted({*sizes, *(p.parent.name for p in root.glob("*/results.json"))},
                        key=dataset.parse_size):
        path = root / label / "results.json"
        if path.exists():
            results[label] = json.loads(path.read_text())
            if label not in sizes and results[label]["measured_at"] < machine["date"]:
                when = results[label]["measured_at"]
                notes.append(f"{label}: figures from an earlier run ({when})")
    for label in dataset.SIZES:
        if label not in results:
            built = dataset.read_meta(root / label)
            done = (f"dataset built ({built['events']:,} events in {built['build_seconds']:.0f} s:"
                    f" base rows {built['base']['rows_s']:.0f} s, replication "
                    f"{built['replicate_seconds']:.0f} s, OPTIMIZE FINAL "
                    f"{built.get('optimize_seconds', 0):.0f} s; {built['built_at']}) but "
                    if built else "")
            notes.append(f"{label}: {done}not measured yet (`BENCH_SIZES={label} make bench`)")
    doc.write_text(report.render(machine, results, ingest, notes))
    log(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
