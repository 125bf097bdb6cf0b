"""Run a named query: validate params → bind → execute on the warehouse → DataFrame."""

from __future__ import annotations

from typing import Any

import pandas as pd

from queries.catalog import get_query
from queries.client import get_client


def run(name: str, params: dict[str, Any]) -> pd.DataFrame:
    query = get_query(name)
    model = query.params.model_validate(params)
    bound = model.bound() if hasattr(model, "bound") else model.model_dump()
    return get_client().query_df(query.sql, parameters=bound)
