"""The workbench's only door to data: cached calls into the query layer."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from queries.catalog import get_query
from queries.runner import run


def load(name: str, params: dict[str, Any], live: bool = False) -> pd.DataFrame:
    if live:
        return run(name, params)
    return _cached(name, tuple(sorted(params.items())), get_query(name).ttl_seconds)


@st.cache_data(ttl=30, show_spinner=False)
def _cached(name: str, items: tuple[tuple[str, Any], ...], _ttl: int) -> pd.DataFrame:
    return run(name, dict(items))
