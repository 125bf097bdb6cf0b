"""Building blocks every page uses: a chart or table with its "SQL" expander and CSV download,
and empty states that say why there is nothing to show."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

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


def chart(df: pd.DataFrame, build: Callable[[pd.DataFrame], alt.Chart], name: str,
          params: Mapping[str, Any], *, key: str, empty: str) -> None:
    """A chart from `build(df)`, or the reason it is empty; then its SQL and CSV."""
    if df.empty:
        st.info(empty)
    else:
        st.altair_chart(build(df), width="stretch", key=f"chart_{key}")
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
