"""A query's DataFrame as JSON-ready records (CLI, HTTP API) or CSV (CLI, workbench downloads).

One conversion for every output, so `njia query`, the API and a page's CSV agree to the digit:
NaN/NA → null, instants → ISO 8601 UTC with "Z", ClickHouse `Date` columns (which pandas holds
as midnight datetimes with second precision) → "YYYY-MM-DD", numpy scalars → Python numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def _scalar(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.ndarray | list | tuple):
        return [_scalar(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat(timespec="milliseconds") + "Z"
    return value


def _is_date_column(series: pd.Series) -> bool:
    if series.dtype != "datetime64[s]":
        return False
    values = series.dropna()
    return bool((values == values.dt.normalize()).all())


def column_values(series: pd.Series) -> list[Any]:
    if pd.api.types.is_datetime64_any_dtype(series):
        if _is_date_column(series):
            return [None if pd.isna(v) else v.date().isoformat() for v in series]
        return [None if pd.isna(v) else _scalar(v) for v in series]
    return [_scalar(v) for v in series.astype(object)]


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    columns = {name: column_values(df[name]) for name in df.columns}
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def to_csv(df: pd.DataFrame) -> str:
    rows = records(df)
    frame = pd.DataFrame(rows, columns=list(df.columns))
    return frame.to_csv(index=False)
