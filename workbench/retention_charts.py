"""The Retention page's tables and charts: pure functions of the `retention` query's frame
(columns cohort, cohort_size, period_offset, period_start, returning, share) — nothing here reads
state or data. Kept apart from charts.py, which other pages share.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.charts import ACCENT, HEIGHT
from workbench.formatters import count, percent

PERIOD_NOUNS = {"day": "Day", "week": "Week", "month": "Month"}


def cohort_label(cohort: object, period: str) -> str:
    """A cohort by its period: 'Tue 10 Mar 2026', 'Week of 9 Mar 2026', 'Mar 2026'."""
    day = pd.Timestamp(cohort)
    if period == "day":
        return day.strftime("%a %-d %b %Y")
    if period == "week":
        return day.strftime("Week of %-d %b %Y")
    return day.strftime("%b %Y")


def offset_label(offset: int, period: str) -> str:
    return f"{PERIOD_NOUNS[period]} {int(offset)}"


def cell_text(returning: object, share: object) -> str:
    """One cell of the table: how many came back and what share of the cohort that is."""
    return f"{count(returning)} ({percent(share)})"


def table_frame(df: pd.DataFrame, period: str) -> pd.DataFrame:
    """The cohort table: one row per cohort (its size), one column per offset ('n (p %)'),
    empty where the period has not begun yet."""
    if df.empty:
        return pd.DataFrame(columns=["Cohort", "People"])
    cells = df.assign(
        text=[cell_text(r, s) for r, s in zip(df["returning"], df["share"], strict=True)],
    )
    wide = cells.pivot(index="cohort", columns="period_offset", values="text")
    wide.columns = [offset_label(k, period) for k in wide.columns]
    sizes = df.groupby("cohort")["cohort_size"].first()
    table = wide.fillna("")
    table.insert(0, "People", sizes.loc[table.index].astype(int))
    table.insert(0, "Cohort", [cohort_label(c, period) for c in table.index])
    return table.reset_index(drop=True)


def curve_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The retention curve: per offset, the returning people of every cohort that has reached
    that period ÷ those cohorts' people (each person weighs the same, whatever the cohort)."""
    reached = df[df["cohort_size"] > 0]
    curve = (reached.groupby("period_offset", as_index=False)
             .agg(returning=("returning", "sum"), people=("cohort_size", "sum"),
                  cohorts=("cohort", "count")))
    return curve.assign(share=curve["returning"] / curve["people"])


def short_label(cohort: object, period: str) -> str:
    """A cohort on the heatmap's axis (its title says which period): '13 Apr 2026' for a day
    or a week, 'Apr 2026' for a month."""
    formats = {"day": "%a %-d %b", "week": "%-d %b %Y", "month": "%b %Y"}
    return pd.Timestamp(cohort).strftime(formats[period])


def heatmap_chart(df: pd.DataFrame, *, period: str = "week") -> alt.Chart:
    """Cohorts (rows, oldest first) × periods after (columns), coloured and labelled by the
    share that returned; counts in the tooltip. An empty cohort keeps its row, uncoloured."""
    data = df.assign(
        cohort_label=df["cohort"].map(lambda c: short_label(c, period)),
        cohort_order=df["cohort"].astype(str),
        label=df["share"].map(lambda s: "" if pd.isna(s) else f"{s * 100:.0f}%"),
    )
    order = list(dict.fromkeys(data.sort_values("cohort_order")["cohort_label"]))
    data = data[data["share"].notna()]
    noun = PERIOD_NOUNS[period]
    base = alt.Chart(data).encode(
        x=alt.X("period_offset:O", title=f"{noun}s after the cohort's {noun.lower()}",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort_label:O", title=f"Cohort ({'week of' if period == 'week' else noun})",
                sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(labelLimit=200)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("share:Q", title="Returned", scale=alt.Scale(scheme="teals",
                                                                     domain=[0, 1]),
                        legend=alt.Legend(format="%")),
        tooltip=[alt.Tooltip("cohort_label:N", title="Cohort"),
                 alt.Tooltip("cohort_size:Q", title="People", format=","),
                 alt.Tooltip("period_offset:O", title=f"{noun}s after"),
                 alt.Tooltip("returning:Q", title="Returned", format=","),
                 alt.Tooltip("share:Q", title="Share", format=".1%")],
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition(alt.datum.share > 0.5, alt.value("white"), alt.value("#1f2937")),
    )
    return (cells + text).properties(height=alt.Step(26))


def curve_chart(df: pd.DataFrame, *, period: str = "week") -> alt.Chart:
    """The share of people still returning k periods after their cohort's, all cohorts
    together (curve_frame)."""
    noun = PERIOD_NOUNS[period]
    return (
        alt.Chart(curve_frame(df))
        .mark_line(point=alt.OverlayMarkDef(color=ACCENT), color=ACCENT)
        .encode(
            x=alt.X("period_offset:Q", title=f"{noun}s after the cohort's {noun.lower()}",
                    axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("share:Q", title="Returned", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("period_offset:Q", title=f"{noun}s after"),
                     alt.Tooltip("share:Q", title="Returned", format=".1%"),
                     alt.Tooltip("returning:Q", title="People returned", format=","),
                     alt.Tooltip("people:Q", title="People in those cohorts", format=","),
                     alt.Tooltip("cohorts:Q", title="Cohorts")],
        )
        .properties(height=HEIGHT)
    )
