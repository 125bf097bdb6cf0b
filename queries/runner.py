"""Run a named query: validate params → fill in the project's settings → bind → execute.

`prepare()` does everything but execute (the workbench's "SQL" expander shows its result);
`run()` returns a DataFrame. The workbench caches `run()`; the CLI and the HTTP API call it
uncached, so they are the reference the pages are checked against.

Every call names its principal (a signed-in user, an API read token, the CLI operator), and
access is checked here, where the data is read, against the metadata store as it is now:
`AccessDenied` for a project the principal may not see (any more). A cache in front of `run()`
calls `authorize()` before it looks up a result.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from clickhouse_connect.driver.exceptions import ClickHouseError
from pydantic import BaseModel, ValidationError

from contract.masking import mask, mask_text
from metadata.access import AccessDenied, Principal, check_project
from metadata.projects import get_project
from queries.catalog import NamedQuery, get_query, placeholders
from warehouse.client import get_client

log = logging.getLogger("njia.queries")


class QueryParamError(ValueError):
    """A parameter is wrong: `param` names it (the API answers 400 with both)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}" if param else message)
        self.param = param
        self.message = message


class QueryFailed(RuntimeError):
    """The warehouse refused or failed the query (logged with its name and parameters)."""


@dataclass(frozen=True)
class Prepared:
    query: NamedQuery
    params: BaseModel
    sql: str
    bound: dict[str, Any]

    @property
    def name(self) -> str:
        return self.query.name


def validate(query: NamedQuery, raw: Mapping[str, Any] | BaseModel) -> BaseModel:
    if isinstance(raw, query.params):
        return raw
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(by_alias=True)
    try:
        return query.params.model_validate(dict(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        param = ".".join(str(p) for p in err["loc"])
        raise QueryParamError(param, err["msg"].removeprefix("Value error, ")) from None


def authorize(principal: Principal, project_id: str) -> None:
    """Raise AccessDenied unless `principal` may read `project_id` now."""
    try:
        check_project(principal, project_id)
    except AccessDenied as exc:
        log.warning("refused %s on project %r: %s", principal, project_id, exc)
        raise


def prepare(name: str, raw: Mapping[str, Any] | BaseModel, principal: Principal) -> Prepared:
    query = get_query(name)
    model = validate(query, raw)
    authorize(principal, model.project)  # before anything says whether the project exists
    project = get_project(model.project)
    if project is None:
        raise QueryParamError("project", f"unknown project {model.project!r}")
    sql = query.sql_for(model)
    values = model.bind(project.settings)
    if values.get("person"):
        from queries.persons import person_ids_named_by

        values["person_ids"] = person_ids_named_by(
            project.project_id, values["person"], project.settings.phone_region)
    # A query about one person looks them up first (the journey explorer: their id,
    # identifiers and the model's chains holding them, queries/journey/person.py).
    look_up = getattr(model, "look_up", None)
    if callable(look_up):
        values.update(look_up(project))
    # Bind exactly what this SQL uses (the params models bind a superset: tz, timeout, …);
    # tests/test_queries_catalog.py checks that every placeholder has a value of its type.
    bound = {key: values[key] for key in placeholders(sql)}
    return Prepared(query, model, sql, bound)


def execute(prepared: Prepared) -> pd.DataFrame:
    client = get_client()
    try:
        df = client.query_df(prepared.sql, parameters=prepared.bound)
        if df.columns.empty:
            # clickhouse-connect builds a column-less frame from an empty result; pages and
            # clients still need the columns, so ask for them.
            df = _empty_frame(client, prepared)
    except ClickHouseError as exc:
        # Bound values may carry a person search (phone, email, PIN): masked in the log.
        shown = {k: mask(v) if k in ("person", "person_ids", "search", "person_keys", "chains")
                 else v
                 for k, v in prepared.bound.items()}
        log.error("query %s failed with %s: %s", prepared.name, shown, mask_text(exc))
        raise QueryFailed(f"query {prepared.name} failed: {exc}") from exc
    return df


_DTYPES = (("DateTime", "datetime64[ms]"), ("Float", "float64"), ("Decimal", "float64"),
           ("Int", "int64"), ("UInt", "int64"), ("Bool", "bool"))


def _empty_frame(client: Any, prepared: Prepared) -> pd.DataFrame:
    described = client.query(f"DESCRIBE (\n{prepared.sql}\n)", parameters=prepared.bound)
    columns: dict[str, pd.Series] = {}
    for name, type_, *_ in described.result_rows:
        base = type_.removeprefix("Nullable(").removeprefix("LowCardinality(")
        dtype = next((d for prefix, d in _DTYPES if base.startswith(prefix)), "object")
        columns[name] = pd.Series([], dtype=dtype)
    return pd.DataFrame(columns)


def run(name: str, raw: Mapping[str, Any] | BaseModel, principal: Principal) -> pd.DataFrame:
    """Validate, check access, bind and execute a named query; the result as a DataFrame."""
    return execute(prepare(name, raw, principal))
