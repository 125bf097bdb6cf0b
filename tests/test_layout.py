"""The layout is the architecture: each top-level package imports only the packages below it,
and no module imports itself round a circle — lazy (function-level) imports included, since a
circle that only works because an import is deferred is still a circle.

The layers (docs/architecture.md draws them):

    config                       settings, logging
    contract                     the event record, identifiers, stream, masking, counters
    metadata · warehouse         the metadata store · ClickHouse (client, schema, embedded server)
    collector · processor · journeys · queries    the pipeline's stages: none imports another
    crm                          the CRM's REST API (a client, with its settings in metadata)
    snapshots                    periodic snapshots of the headline metrics (on queries)
    workbench · demo             the analyst's UI (on queries) · the demo traffic (a client)
    cli · stack · tools          the command line, the stack runner, developer tools
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BASE = {"config"}
LOWER = BASE | {"contract"}
STORES = LOWER | {"metadata", "warehouse"}
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "contract": BASE,
    "metadata": LOWER,
    "warehouse": LOWER,
    "collector": LOWER | {"metadata"},
    "processor": STORES,
    "journeys": STORES,
    "queries": STORES,
    "crm": LOWER | {"metadata"},
    "snapshots": STORES | {"queries"},
    "workbench": LOWER | {"metadata", "queries", "crm"},
    "demo": STORES,
    "cli": STORES | {"collector", "processor", "journeys", "queries", "demo", "stack", "crm",
                     "snapshots"},
    "stack": STORES | {"collector", "processor", "journeys", "queries", "demo", "workbench",
                       "snapshots"},
    "tools": STORES | {"queries", "workbench", "stack"},
    "bench": STORES | {"collector", "processor", "journeys", "queries", "demo", "stack",
                       "snapshots"},
}
PACKAGES = sorted(ALLOWED)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:  # Alembic's scripts are run by Alembic, not imported
                continue
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _imports(module: str, path: Path) -> set[str]:
    """The project modules `module` imports, anywhere in its file."""
    out: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports pkg.mod; `from mod import name` imports mod.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in SOURCES else base
                     for alias in node.names]
        for name in names:
            # the longest project module the name starts with
            while name and name not in SOURCES:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


GRAPH = {module: _imports(module, path) for module, path in SOURCES.items()}


def test_every_package_is_placed() -> None:
    on_disk = {p.name for p in ROOT.iterdir()
               if p.is_dir() and (p / "__init__.py").exists() and p.name != "tests"}
    assert on_disk <= set(ALLOWED), f"place {on_disk - set(ALLOWED)} in a layer"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_imports_up_or_sideways(package: str) -> None:
    wrong = sorted(
        f"{module} → {target}"
        for module, targets in GRAPH.items() if module.split(".")[0] == package
        for target in targets
        if (top := target.split(".")[0]) != package and top not in ALLOWED[package]
    )
    assert not wrong, f"{package} may import {sorted(ALLOWED[package])} only:\n" + "\n".join(wrong)


def test_no_import_circles() -> None:
    # Tarjan's strongly connected components over the module graph.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            # A package's __init__ importing its own submodules is how packages work, not a circle.
            if len(component) > 1 and not _package_and_its_children(component):
                circles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert not circles, "import circles:\n" + "\n".join(" ↔ ".join(c) for c in circles)


def _package_and_its_children(component: list[str]) -> bool:
    shortest = min(component, key=len)
    return all(m == shortest or m.startswith(shortest + ".") for m in component) and \
        all(GRAPH[m] & set(component) <= {shortest} for m in component if m != shortest)


def test_the_checker_sees_a_forbidden_arrow(tmp_path: Path) -> None:
    """The walker itself: a relative and an absolute import are both resolved."""
    path = ROOT / "collector" / "ingest.py"
    assert "contract.record" in _imports("collector.ingest", path)
    assert ALLOWED["collector"].isdisjoint({"processor", "queries", "workbench"})
