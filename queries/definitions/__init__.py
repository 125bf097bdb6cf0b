"""Metric definitions, written once: each area's KPIs (label, format, definition) in a TOML file
here. The pages take their cards' labels and tooltips from it, and docs/metrics.md holds the same
text, generated (`python -m tools.metrics_doc`; a test checks the document is current).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

HERE = Path(__file__).parent

Format = Literal["count", "percent", "ratio", "seconds", "number", "rating"]
FORMATS: tuple[str, ...] = ("count", "percent", "ratio", "seconds", "number", "rating")


@dataclass(frozen=True)
class Definition:
    key: str  # the `metric` value a KPI query returns
    label: str
    format: str
    help: str  # the definition: the tooltip, and the line in docs/metrics.md


@dataclass(frozen=True)
class Area:
    name: str
    title: str
    intro: str
    metrics: dict[str, Definition]


def areas() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.toml"))


@cache
def area(name: str) -> Area:
    path = HERE / f"{name}.toml"
    if not path.exists():
        raise KeyError(f"no metric definitions for {name!r}; known: {', '.join(areas())}")
    raw = tomllib.loads(path.read_text())
    head = raw.get("area", {})
    metrics: dict[str, Definition] = {}
    for key, item in raw.get("metrics", {}).items():
        fmt = item.get("format", "number")
        if fmt not in FORMATS:
            raise ValueError(f"{path.name}: metric {key}: format {fmt!r} is not one of {FORMATS}")
        metrics[key] = Definition(key, item["label"], fmt, " ".join(item["help"].split()))
    return Area(name, head.get("title", name), " ".join(head.get("intro", "").split()), metrics)


def definition(area_name: str, metric: str) -> Definition:
    found = area(area_name).metrics.get(metric)
    if found is None:
        raise KeyError(f"metric {metric!r} has no definition in queries/definitions/"
                       f"{area_name}.toml")
    return found


def markdown(area_name: str) -> str:
    """The area's definitions as docs/metrics.md shows them: one bullet per metric."""
    found = area(area_name)
    lines = [found.intro, ""] if found.intro else []
    lines += [f"- **{d.label}** (`{d.key}`): {d.help}" for d in found.metrics.values()]
    return "\n".join(lines)
