"""The workbench's only door to data: cached calls into the query layer.

History is cached for 5 minutes and live numbers for 30 s (the seeds' cache TTLs); the Live
feed asks for `live=True` and bypasses the cache. Widget values reach the cached functions as
arguments (never read inside them), so the cache key is exactly the query and its parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from queries import runner
from queries.catalog import HISTORY_TTL, LIVE_TTL, get_query

Frozen = tuple[tuple[str, str], ...]


def _freeze(params: Mapping[str, Any]) -> Frozen:
    # Strings: dates and numbers hash the same whatever type the page used.
    return tuple(sorted((k, str(v)) for k, v in params.items()))


@st.cache_data(ttl=LIVE_TTL, show_spinner=False, max_entries=500)
def _cached_live(name: str, params: Frozen) -> pd.DataFrame:
    return runner.run(name, dict(params))


@st.cache_data(ttl=HISTORY_TTL, show_spinner=False, max_entries=500)
def _cached_history(name: str, params: Frozen) -> pd.DataFrame:
    return runner.run(name, dict(params))


def load(name: str, params: Mapping[str, Any], *, live: bool = False) -> pd.DataFrame:
    """Run a named query for a page: cached by its TTL, or straight through when `live`.

    A refused parameter or a failed query stops the page with the reason (the runner has
    logged it with the query's name and parameters) instead of a traceback.
    """
    try:
        with st.spinner(f"Loading {name.replace('_', ' ')}…"):
            if live:
                return runner.run(name, dict(params))
            ttl = get_query(name).ttl_seconds
            cached = _cached_live if ttl <= LIVE_TTL else _cached_history
            return cached(name, _freeze(params))
    except runner.QueryParamError as exc:
        st.error(f"Cannot show {name}: {exc}")
    except runner.QueryFailed as exc:
        st.error(f"{exc}. The workbench log has the details.")
    st.stop()


def clear() -> None:
    """Forget cached results (after an admin changes a project's settings)."""
    _cached_live.clear()
    _cached_history.clear()
