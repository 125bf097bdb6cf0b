"""Building blocks every page uses: a chart or table with its "SQL" expander and CSV download,
and empty states that say why there is nothing to show."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

# Streamlit's own Altair → Vega-Lite conversion (what st.altair_chart does), so a cached spec
# draws exactly as the chart would. Private: streamlit is pinned in pyproject.toml, and
# tests/test_workbench_render.py checks the two paths give the same element.
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from queries.serialize import to_csv
from workbench import reads


def cli_command(name: str, params: Mapping[str, Any]) -> str:
    """The `njia query` line that prints the same numbers."""
    parts = ["njia", "query", name]
    for key, value in params.items():
        if key == "project":
            parts += ["--project", str(value)]
        elif key in ("from", "to"):
            parts += [f"--{key}", str(value)]
        else:
            parts += ["--param", f"{key}={value}"]
    return " ".join(shlex.quote(p) for p in parts)


def _json(value: Any) -> str:
    # Bound instants are naive UTC datetimes; say so.
    return value.isoformat() + "Z" if isinstance(value, datetime) else str(value)


def query_details(name: str, params: Mapping[str, Any], df: pd.DataFrame, *, key: str) -> None:
    """The "SQL" expander (query text + bound parameters + CLI line) and a CSV download.

    Both are lazy. The expander's content is built and sent only while it is open (opening it
    reruns the page, or the fragment): a closed expander's code blocks would otherwise still be
    syntax-highlighted by the browser on every load, ~0.4 s of the Overview's ten. The CSV is
    written when the button is clicked, not on every run.
    """
    with st.expander("SQL", key=f"sql_{key}", on_change="rerun") as details:
        if details.open:
            prepared = reads.prepare(name, params)
            st.caption(f"`{name}` — {prepared.query.description}. "
                       "Values are bound server-side.")
            st.code(prepared.sql, language="sql")
            st.code(json.dumps(prepared.bound, indent=2, ensure_ascii=False, default=_json),
                    language="json")
            st.caption("The same numbers headless:")
            st.code(cli_command(name, params), language="bash")
    st.download_button("Download CSV", data=lambda: to_csv(df), file_name=f"{name}.csv",
                       mime="text/csv", key=f"csv_{key}")


Build = Callable[[pd.DataFrame], alt.Chart]


def _build_id(build: Build) -> tuple[str, ...] | None:
    """What `build` draws, as a cache key: a module-level function of charts.py, or a
    functools.partial of one with its arguments. None for anything else (a lambda may read
    globals that no key would see): such a chart is built on every run."""
    func, args, keywords = build, (), {}
    if isinstance(build, partial):
        func, args, keywords = build.func, build.args, build.keywords
    qualname = getattr(func, "__qualname__", "<lambda>")
    if "<" in qualname:  # <lambda>, <locals>
        return None
    return (func.__module__, qualname, repr(args), repr(sorted(keywords.items())))


@st.cache_data(max_entries=500, show_spinner=False)
def _cached_spec(build_id: tuple[str, ...], df: pd.DataFrame, _build: Build) -> dict[str, Any]:
    return _convert_altair_to_vega_lite_spec(_build(df))


def vega_lite_spec(build: Build, df: pd.DataFrame) -> dict[str, Any]:
    """The Vega-Lite spec (data included) of `build(df)`, built and validated once per chart and
    frame: Altair's encoding inference and JSON-schema validation cost ~10–20 ms a chart, on
    every run (the Overview's nine on each load, the Live feed's sparkline every second)."""
    build_id = _build_id(build)
    if build_id is None:
        return _convert_altair_to_vega_lite_spec(build(df))
    return _cached_spec(build_id, df, build)


def chart(df: pd.DataFrame, build: Build, name: str, params: Mapping[str, Any], *, key: str,
          empty: str) -> None:
    """A chart from `build(df)`, or the reason it is empty; then its SQL and CSV.

    `build` is a charts.py function, or a functools.partial of one (not a lambda), so that its
    spec is cached (`vega_lite_spec`)."""
    if df.empty:
        st.info(empty)
    else:
        st.vega_lite_chart(spec=vega_lite_spec(build, df), width="stretch", key=f"chart_{key}")
    query_details(name, params, df, key=key)


def table(df: pd.DataFrame, name: str, params: Mapping[str, Any], *, key: str, empty: str,
          column_config: Mapping[str, Any] | None = None) -> None:
    if df.empty:
        st.info(empty)
    else:
        st.dataframe(df, hide_index=True, width="stretch", column_config=column_config,
                     key=f"table_{key}")
    query_details(name, params, df, key=key)


def model_notice(project: str) -> None:
    """Say so when the stored sessions are not current (first start, or a rebuild after a
    timeout changed): the numbers on the page are then those of before."""
    status = reads.load("model_status", {"project": project}, live=True)
    if status.empty:
        return
    state = status["state"].iloc[0]
    if state == "starting":
        st.info("Sessions are being computed for the first time: the session numbers below "
                "fill in within a minute.")
    elif state == "rebuilding":
        st.info("Sessions are being recomputed after a settings change: the session numbers "
                "below are those of the previous settings until it finishes.")
