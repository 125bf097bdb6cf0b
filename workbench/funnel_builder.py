"""The Funnels page's definition: where it comes from (a journey preset, a saved funnel, the
URL), the step editor's table ↔ the funnel's steps, and the `funnel` query's parameters.

A definition is the funnel's parameters but project and dates — what is saved, and what the
URL carries (`?funnel=<json>`, or `?journey=nil`, `?saved=<id>`), so any funnel built on the
page can be shared by its link.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from queries.catalog import get_query
from queries.funnel.params import COLUMNS, Step, window_label
from queries.funnel.presets import presets
from queries.runner import QueryParamError, validate

EDITOR_COLUMNS = ["event", "filter_key", "op", "value", "label"]
OPS = ["equals", "not_equals", "contains", "in"]
DEFAULTS: dict[str, Any] = {"window": 86400, "order": "ordered", "count_by": "person",
                            "breakdown": "", "exclusion": None}


def preset_definition(journey_id: str) -> dict[str, Any]:
    _name, steps = presets()[journey_id]
    return {**DEFAULTS, "steps": [s.model_dump(exclude_defaults=True) for s in steps]}


def parse_definition(text: str) -> dict[str, Any]:
    """A definition from the URL; a ValueError saying what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the funnel in the link is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ValueError("the funnel in the link has no steps")
    return {**DEFAULTS, **{k: v for k, v in data.items() if k in (*DEFAULTS, "steps")}}


def steps_frame(steps: list[dict[str, Any]]) -> pd.DataFrame:
    """The editor's rows: one per step, its first filter (more are kept in `extra`)."""
    rows = []
    for s in steps:
        filters = s.get("filters") or []
        f = filters[0] if filters else {}
        value = f.get("value", "")
        rows.append({"event": s.get("event", ""), "filter_key": f.get("key", ""),
                     "op": f.get("op", "equals") if f else "equals",
                     "value": ", ".join(value) if isinstance(value, list) else value,
                     "label": s.get("label", "")})
    return pd.DataFrame(rows, columns=EDITOR_COLUMNS)


def frame_steps(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The editor's rows back as steps (blank rows skipped)."""
    steps = []
    for r in df.fillna("").to_dict("records"):
        event = str(r["event"]).strip()
        if not event:
            continue
        step: dict[str, Any] = {"event": event}
        key = str(r["filter_key"]).strip()
        if key:
            op = str(r["op"] or "equals")
            value = str(r["value"])
            step["filters"] = [{"key": key, "op": op,
                                "value": [v.strip() for v in value.split(",")]
                                if op == "in" else value}]
        if str(r["label"]).strip():
            step["label"] = str(r["label"]).strip()
        steps.append(step)
    return steps


def query_params(range_params: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """The `funnel` query's parameters (strings, as the URL, the CLI and the API take them)."""
    params = {**range_params, "steps": json.dumps(definition["steps"], ensure_ascii=False),
              "window": window_label(int(definition["window"])),
              "order": definition["order"], "count_by": definition["count_by"]}
    if definition.get("breakdown"):
        params["breakdown"] = definition["breakdown"]
    if definition.get("exclusion"):
        params["exclusion"] = json.dumps(definition["exclusion"], ensure_ascii=False)
    return params


def check(range_params: dict[str, Any], definition: dict[str, Any]) -> str | None:
    """What is wrong with the definition, in a sentence; None when the query would take it."""
    try:  # the runner's own validation, so the page says what `njia query` would
        validate(get_query("funnel"), query_params(range_params, definition))
    except QueryParamError as exc:
        return str(exc)
    return None


def describe_step(step: dict[str, Any]) -> str:
    return Step.model_validate(step).describe()


def filter_keys(property_keys: list[str]) -> list[str]:
    """Keys a step may filter on: the event columns, then the properties seen."""
    return [*COLUMNS, *[k for k in property_keys if k not in COLUMNS]]
