"""The query layer's contracts, without a warehouse: every `.sql` placeholder has a value of its
type from its params model and every parameter a caller can set changes the query; the
workbench holds no SQL and never imports clickhouse-connect; bad parameters are named."""

from __future__ import annotations

import ast
import re
import typing
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from metadata.projects import ProjectSettings
from queries.builders.breakdown import DIMENSIONS
from queries.catalog import QUERIES, SQL_DIR, placeholders
from queries.funnel.params import Exclusion, Step
from queries.params import BreakdownParams
from queries.runner import QueryParamError, validate

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ProjectSettings(conversion_events=["return_filed", "payment_initiated"])

# ClickHouse placeholder type → the Python type clickhouse-connect binds to it.
PY_TYPES: list[tuple[str, type | tuple[type, ...]]] = [
    ("Array(String)", list),
    ("Array(Array(String))", list),
    ("DateTime64", datetime),
    ("String", str),
    ("UInt", int),
    ("Int", int),
    ("Float", float),
]


def _python_type(ch_type: str) -> type | tuple[type, ...]:
    return next(py for prefix, py in PY_TYPES if ch_type.startswith(prefix))


def _models(name: str) -> list[BaseModel]:
    query = QUERIES[name]
    model = query.params.model_validate(query.example)
    if query.params is BreakdownParams:  # one SQL shape per dimension
        return [model.model_copy(update={"by": by}) for by in DIMENSIONS]
    return [model]


CASES = [(name, model) for name in QUERIES for model in _models(name)]


@pytest.mark.parametrize(("name", "model"), CASES,
                         ids=[f"{n}-{getattr(m, 'by', '')}" for n, m in CASES])
def test_every_placeholder_is_bound_with_a_value_of_its_type(name, model):
    sql = QUERIES[name].sql_for(model)
    bound = model.bind(SETTINGS)
    wanted = placeholders(sql)
    assert wanted, f"{name}: a query without parameters cannot be scoped to a project"
    assert "project" in wanted, f"{name} is not scoped to one project"
    missing = set(wanted) - set(bound)
    assert not missing, f"{name}: placeholders {missing} have no value in {type(model).__name__}"
    for key, ch_type in wanted.items():
        assert isinstance(bound[key], _python_type(ch_type)), (
            f"{name}: {{{key}:{ch_type}}} gets {bound[key]!r}")
    for key in (k for k, t in wanted.items() if t == "Array(String)"):
        assert all(isinstance(v, str) for v in bound[key])
    for key in (k for k, t in wanted.items() if t == "Array(Array(String))"):
        assert all(isinstance(v, list) and all(isinstance(x, str) for x in v)
                   for v in bound[key])


def _other_value(model: BaseModel, field: str) -> Any:
    """A different valid value for one field (to see whether it changes the query)."""
    value = getattr(model, field)
    annotation = type(model).model_fields[field].annotation
    if typing.get_origin(annotation) is typing.Literal:
        return next(v for v in typing.get_args(annotation) if v != value)
    if isinstance(value, date):
        return value - timedelta(days=1) if field == "date_from" else value + timedelta(days=1)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1 if field != "limit" else value - 1
    if isinstance(value, float):
        return value + 1.5
    if isinstance(value, tuple):  # funnel steps: one more
        return value + value[-1:]
    if value is None and field == "exclusion":
        return Exclusion(step=Step(event="app_error"))
    if field == "breakdown":
        return "prop:obligation" if value != "prop:obligation" else "device"
    return "x" + str(value)


@pytest.mark.parametrize("name", list(QUERIES))
def test_every_parameter_a_caller_sets_changes_the_query(name):
    """A model field the SQL ignores would be a filter that silently does nothing."""
    query = QUERIES[name]
    model = query.params.model_validate(query.example)
    sql = query.sql_for(model)
    used = placeholders(sql)
    before = {k: v for k, v in model.bind(SETTINGS).items() if k in used}
    for field in type(model).model_fields:
        if field == "journey":  # a funnel preset: validation turns it into `steps` (tested)
            continue
        changed = model.model_copy(update={field: _other_value(model, field)})
        new_sql = query.sql_for(changed)
        after = {k: v for k, v in changed.bind(SETTINGS).items() if k in placeholders(new_sql)}
        assert new_sql != sql or after != before, f"{name}: parameter {field!r} has no effect"


def test_every_sql_file_is_a_named_query():
    files = {p.stem for p in SQL_DIR.glob("*.sql")}
    fixed = {n for n, q in QUERIES.items() if q.builder is None}
    assert files == fixed


def test_a_placeholder_with_two_types_is_refused():
    with pytest.raises(ValueError, match="two types"):
        placeholders("SELECT {a:String}, {a:UInt32}")


# --- the workbench holds no SQL --------------------------------------------------------------
SQL_TEXT = re.compile(
    r"\bselect\s+(\*|distinct\b|count\s*\(|[\w.]+\s*(,|\bas\b))"
    r"|\binsert\s+into\b|\b(alter|create|drop|truncate)\s+table\b|\bdelete\s+from\b"
    r"|\bgroup\s+by\b|\border\s+by\s+\w+|\bfrom\s+(events|sessions|session_events|person_map)\b"
    r"|\{\w+:(String|U?Int\d+|Float\d+|Date|DateTime64|Array|Identifier)",
    re.IGNORECASE,
)
WORKBENCH_FILES = sorted((ROOT / "workbench").rglob("*.py"))


@pytest.mark.parametrize("path", WORKBENCH_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_workbench_has_no_sql_and_no_clickhouse_client(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for module in names:
            assert not module.startswith("clickhouse_connect"), f"{path} imports {module}"
            assert module not in ("warehouse.client", "warehouse.server"), \
                f"{path} imports {module}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not SQL_TEXT.search(node.value), f"{path} contains SQL: {node.value[:80]!r}"


def test_the_sql_detector_detects_sql():
    assert SQL_TEXT.search("select count() from events")
    assert SQL_TEXT.search("SELECT day, count() AS n FROM y")
    assert SQL_TEXT.search("WHERE project_id = {project:String}")
    assert SQL_TEXT.search("x FROM session_events(project = 'a')")
    assert not SQL_TEXT.search("Select a session from the list")  # UI text is not SQL…
    assert not SQL_TEXT.search("Sessions that started in the range")


# --- parameters are validated at the edge and named when wrong ------------------------------
def _error(name: str, **raw: Any) -> QueryParamError:
    with pytest.raises(QueryParamError) as info:
        validate(QUERIES[name], {"project": "p", "from": "2026-03-10", "to": "2026-03-16", **raw})
    return info.value


def test_a_range_that_ends_before_it_starts_names_to():
    err = _error("overview", to="2026-03-09")
    assert err.param == "to" and "before from" in err.message


def test_an_unknown_parameter_is_named():
    assert _error("overview", colour="red").param == "colour"


def test_a_bad_date_is_named():
    assert _error("dau", **{"from": "10/03/2026"}).param == "from"


def test_a_bad_channel_is_named_and_ai_is_event_level_only():
    assert _error("overview", channel="ai").param == "channel"
    validate(QUERIES["dau"], {"project": "p", "from": "2026-03-10", "to": "2026-03-16",
                              "channel": "ai"})


def test_a_project_id_must_look_like_one():
    with pytest.raises(QueryParamError) as info:
        validate(QUERIES["dau"], {"project": "x'; DROP TABLE events", "from": "2026-03-10",
                                  "to": "2026-03-10"})
    assert info.value.param == "project"


def test_breakdown_dimensions_come_from_a_whitelist():
    with pytest.raises(QueryParamError) as info:
        validate(QUERIES["breakdown"], {"project": "p", "from": "2026-03-10",
                                        "to": "2026-03-16", "by": "country; DROP TABLE x"})
    assert info.value.param == "by"
    assert set(typing.get_args(BreakdownParams.model_fields["by"].annotation)) == set(DIMENSIONS)


def test_limits_are_bounded():
    assert _error("sessions_list", limit="100000").param == "limit"
