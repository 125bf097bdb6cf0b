"""Funnel charts: pure functions (the `funnel` query's frame) → alt.Chart.

The bars are the people (or sessions) who reached each step; the drop-off before a step is the
red part that completes it to the previous step's bar, so where people leave stands out.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.charts import ACCENT, ERROR

DROPPED = "#fca5a5"  # a light ERROR: the lost part of a bar


def step_label(df: pd.DataFrame) -> pd.Series:
    return df["step"].astype(str) + ". " + df["event"].astype(str)


def funnel_chart(df: pd.DataFrame) -> alt.Chart:
    """One horizontal bar per step: reached (solid) + dropped before it (red)."""
    rows = []
    for r, label in zip(df.itertuples(), step_label(df), strict=True):
        rows.append({"step": r.step, "label": label, "part": "reached", "n": int(r.count),
                     "share": float(r.pct_of_first)})
        if r.step > 1 and r.dropped:
            rows.append({"step": r.step, "label": label, "part": "dropped before this step",
                         "n": int(r.dropped), "share": float(r.pct_of_first)})
    data = pd.DataFrame(rows)
    order = list(dict.fromkeys(data["label"]))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("sum(n):Q", title="Reached", stack="zero"),
            color=alt.Color("part:N", title=None,
                            scale=alt.Scale(domain=["reached", "dropped before this step"],
                                            range=[ACCENT, DROPPED]),
                            legend=alt.Legend(orient="bottom")),
            order=alt.Order("part:N", sort="descending"),
            tooltip=["label:N", "part:N", alt.Tooltip("n:Q", title="count"),
                     alt.Tooltip("share:Q", format=".1%", title="of step 1")],
        )
    )
    text = (
        alt.Chart(data[data["part"] == "reached"])
        .mark_text(align="left", dx=4, color="#111827")
        .encode(y=alt.Y("label:N", sort=order), x=alt.X("n:Q"),
                text=alt.Text("share:Q", format=".1%"))
    )
    return (bars + text).properties(height=alt.Step(34))


def breakdown_chart(df: pd.DataFrame, top: int = 8) -> alt.Chart:
    """Grouped bars: per step, one bar per breakdown value (the `top` largest at step 1)."""
    first = df[df["step"] == 1].sort_values("count", ascending=False)
    keep = list(first["breakdown"].head(top))
    data = df[df["breakdown"].isin(keep)].assign(label=step_label)
    order = list(dict.fromkeys(data.sort_values("step")["label"]))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-20,
                                                                      labelLimit=200)),
            xOffset=alt.XOffset("breakdown:N", sort=keep),
            y=alt.Y("count:Q", title="Reached"),
            color=alt.Color("breakdown:N", sort=keep, title="Breakdown"),
            tooltip=["breakdown:N", "label:N", "count:Q",
                     alt.Tooltip("pct_of_first:Q", format=".1%", title="of step 1")],
        )
        .properties(height=300)
    )


def next_events_chart(df: pd.DataFrame) -> alt.Chart:
    """What those who dropped did next: units per event, largest first."""
    return (
        alt.Chart(df.head(15))
        .mark_bar(color=ERROR)
        .encode(
            y=alt.Y("event:N", sort="-x", title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X("units:Q", title="Who did it"),
            tooltip=["event:N", "units:Q", "events:Q",
                     alt.Tooltip("first_for:Q", title="their first next event")],
        )
        .properties(height=alt.Step(20))
    )
