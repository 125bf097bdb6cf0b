"""The Paths page's Sankey: a pure function from the `paths` query's rows to a Plotly figure.

Vega-Lite (and so Altair) has no Sankey, so this one chart is Plotly's `go.Sankey`. Each path
row (`path`: its steps, `sessions`) flows through one node per step; a node is a (column,
label) pair, so the same page at step 2 and at step 4 are two nodes. Columns count from the
left (paths from the session's start or from a `start` step), or are aligned on the right
(paths up to an `end` step), so the anchor is always one column. Nodes that fewer than
`min_share` of the sessions pass through are folded into one "other" node of their column (the
tail of rare transitions). The query's own tail — the paths after its top `limit`, one row
without steps — flows from the start step, or into the end step, as "(other paths)"; with no
anchor it has no step in common to hang from and is left to the table. A path shorter than
`steps` is a session that ended there (or, up to an end step, began there): it flows on into
"(session ended)" (or from "(session started)"), which shows where sessions drop off and
draws one-step paths too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

OTHER_STEP = "other"
OTHER_PATHS = "(other paths)"
ENDED = "(session ended)"
STARTED = "(session started)"
SYNTHETIC = {OTHER_STEP, OTHER_PATHS, ENDED, STARTED}

PAGE, WHATSAPP, AI, EVENT, GREY = "#2563eb", "#16a34a", "#9333ea", "#0f766e", "#94a3b8"
LINK = "rgba(100, 116, 139, 0.28)"
TEXT = "#111827"
HEIGHT = 520
MARGIN = {"l": 8, "r": 8, "t": 8, "b": 8}
PAD = 14  # px between nodes of a column


@dataclass(frozen=True)
class Flow:
    """One row to draw: its steps (already aligned: column of its first step) and sessions."""

    steps: tuple[str, ...]
    first_column: int
    sessions: int


def node_color(label: str) -> str:
    if label in SYNTHETIC:
        return GREY
    if label.startswith("/"):
        return PAGE
    if label.startswith(("message.", "chat.", "agent.", "csat.", "contact.", "campaign.")):
        return WHATSAPP
    if label.startswith("ai."):
        return AI
    return EVENT


def _steps(value: object) -> tuple[str, ...]:
    # clickhouse-connect gives arrays as lists or numpy arrays; JSON gives lists.
    return tuple(str(v) for v in value) if value is not None else ()  # type: ignore[union-attr]


def flows(df: pd.DataFrame, *, steps: int, start: str = "", end: str = "") -> list[Flow]:
    """The rows as aligned flows (see the module docstring)."""
    out: list[Flow] = []
    for value, sessions, other in zip(df["path"], df["sessions"], df["other"], strict=True):
        path = _steps(value)
        if other:
            if start:
                path = (start, OTHER_PATHS)
            elif end:
                path = (OTHER_PATHS, end)
            else:
                continue
        elif not path:
            continue
        elif len(path) < steps:
            # Fewer steps than asked: the session ended (or, before an end step, began) there.
            path = (STARTED, *path) if end else (*path, ENDED)
        out.append(Flow(path, max(steps - len(path), 0) if end else 0, int(sessions)))
    return out


def _fold_rare(all_flows: Iterable[Flow], min_share: float,
               keep: set[str]) -> list[tuple[tuple[int, str], ...]]:
    """Each flow's nodes, with the rare ones (by the sessions through them) made "other"."""
    all_flows = list(all_flows)
    through: dict[tuple[int, str], int] = defaultdict(int)
    for flow in all_flows:
        for i, label in enumerate(flow.steps):
            through[(flow.first_column + i, label)] += flow.sessions
    total = sum(f.sessions for f in all_flows)
    floor = min_share * total
    nodes = []
    for flow in all_flows:
        path = []
        for i, label in enumerate(flow.steps):
            column = flow.first_column + i
            rare = through[(column, label)] < floor and label not in keep
            path.append((column, OTHER_STEP if rare else label))
        nodes.append(tuple(path))
    return nodes


def paths_figure(df: pd.DataFrame, *, steps: int, start: str = "", end: str = "",
                 min_share: float = 0.01, height: int = HEIGHT) -> go.Figure:
    """A Sankey of the `paths` rows, asked `steps` deep from `start`, up to `end` or neither."""
    all_flows = flows(df, steps=steps, start=start, end=end)
    keep = SYNTHETIC | {label for label in (start, end) if label}
    routed = _fold_rare(all_flows, min_share, keep)

    index: dict[tuple[int, str], int] = {}
    weight: dict[tuple[int, str], int] = defaultdict(int)
    links: dict[tuple[int, int], int] = defaultdict(int)
    for flow, path in zip(all_flows, routed, strict=True):
        for node in path:
            index.setdefault(node, len(index))
            weight[node] += flow.sessions
        for a, b in zip(path, path[1:], strict=False):
            links[(index[a], index[b])] += flow.sessions

    nodes = list(index)
    columns = max((c for c, _ in nodes), default=0) + 1
    x, y = _positions(nodes, weight, columns, height - MARGIN["t"] - MARGIN["b"])
    figure = go.Figure(go.Sankey(
        arrangement="snap",
        valueformat=",d",
        valuesuffix=" sessions",
        # Dark labels: the theme's light text is hard to read over the grey flows.
        textfont={"color": TEXT, "size": 12},
        node={
            "label": [label for _, label in nodes],
            "customdata": [_column_name(c, columns, bool(end)) for c, _ in nodes],
            "hovertemplate": "%{label}<br>%{customdata}<br>%{value}<extra></extra>",
            "color": [node_color(label) for _, label in nodes],
            "pad": PAD,
            "thickness": 14,
            "x": x,
            "y": y,
        },
        link={
            "source": [a for a, _ in links],
            "target": [b for _, b in links],
            "value": list(links.values()),
            "color": LINK,
            "hovertemplate": "%{source.label} → %{target.label}<br>%{value}<extra></extra>",
        },
    ))
    figure.update_layout(height=height, margin=MARGIN)
    return figure


def _positions(nodes: list[tuple[int, str]], weight: dict[tuple[int, str], int], columns: int,
               plot_height: float) -> tuple[list[float], list[float]]:
    """Fixed places (Plotly puts a node without inflow in the first column, where a path up to
    an end step that began later does not belong): columns evenly apart; in each, nodes stacked
    by size, "other" and the synthetic nodes last. Plotly sizes nodes by one scale for all
    columns — the fullest column, with its gaps, fills the height — and reads y as a node's
    centre, so the same scale places them without overlap or overflow."""
    stacks = [sorted((n for n in nodes if n[0] == column),
                     key=lambda n: (n[1] in SYNTHETIC, -weight[n], n[1]))
              for column in range(columns)]
    scale = min((plot_height - (len(s) - 1) * PAD) / sum(weight[n] for n in s)
                for s in stacks if s)
    x: dict[tuple[int, str], float] = {}
    y: dict[tuple[int, str], float] = {}
    for column, stack in enumerate(stacks):
        top = 0.0
        for node in stack:
            size = weight[node] * scale
            x[node] = _clamp(column / (columns - 1) if columns > 1 else 0.5)
            y[node] = _clamp((top + size / 2) / plot_height)
            top += size + PAD
    return [x[n] for n in nodes], [y[n] for n in nodes]


def _column_name(column: int, columns: int, to_end: bool) -> str:
    if not to_end:
        return f"step {column + 1}"
    before = columns - 1 - column
    return "the end step" if before == 0 else f"{before} step{'s' * (before > 1)} before the end"


def _clamp(value: float) -> float:
    # Plotly ignores a node placed exactly on the figure's edge.
    return min(max(value, 0.001), 0.999)
