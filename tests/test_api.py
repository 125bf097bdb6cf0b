"""The query API as a real program (`python -m queries.api`): read tokens per project, the
runner's numbers as JSON, 400s that name the parameter, write keys that cannot read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from metadata import tokens
from metadata.access import OPERATOR
from queries.runner import run
from queries.serialize import records
from tests.engines import free_port, start_program, wait_http
from tests.test_queries_dataset import KPIS, RANGE, dataset  # noqa: F401


@pytest.fixture(scope="module")
def api(stack) -> Iterator[str]:
    port = free_port()
    program = start_program("queries.api", ["--port", str(port)], stack.env,
                            stack.dir / "api.log")
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/api/v1/health", program=program)
    try:
        yield url
    finally:
        program.stop()


@pytest.fixture(scope="module")
def token(dataset) -> str:  # noqa: F811
    return tokens.create_token(dataset["a"], "tests")["token"]


def get(api: str, name: str, token: str | None = None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{api}/api/v1/query/{name}", params=params, headers=headers, timeout=60)


def test_overview_over_http_equals_the_runner(api, token, dataset):  # noqa: F811
    r = get(api, "overview", token, project=dataset["a"], **RANGE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["query"] == "overview" and body["project"] == dataset["a"]
    assert body["rows"] == records(run("overview", {"project": dataset["a"], **RANGE}, OPERATOR))
    got = {row["metric"]: row["value"] for row in body["rows"]}
    assert got == {metric: values[0] for metric, values in KPIS["all"].items()}


def test_extra_parameters_and_the_default_project(api, token, dataset):  # noqa: F811
    r = get(api, "breakdown", token, by="country", channel="web", **RANGE)
    assert r.status_code == 200, r.text
    assert [(x["key"], x["sessions"]) for x in r.json()["rows"]] == [("KE", 2), ("UG", 1)]


@pytest.mark.parametrize(("params", "named"), [
    ({"to": "2026-03-01"}, "to"),
    ({"from": "yesterday"}, "from"),
    ({"channel": "sms"}, "channel"),
    ({"colour": "red"}, "colour"),
])
def test_bad_parameters_are_400_naming_them(api, token, dataset, params, named):  # noqa: F811
    r = get(api, "overview", token, **{"project": dataset["a"], **RANGE, **params})
    assert r.status_code == 400
    assert r.json()["param"] == named and r.json()["error"].startswith(f"{named}:")


def test_a_parameter_given_twice_is_refused(api, token):
    r = requests.get(f"{api}/api/v1/query/overview?from=2026-03-10&from=2026-03-11&to=2026-03-16",
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 400 and r.json()["param"] == "from"


def test_unknown_query_is_404(api, token):
    r = get(api, "drop_everything", token)
    assert r.status_code == 404 and "unknown query" in r.json()["error"]


def test_no_token_wrong_token_and_write_key_are_401(api, dataset):  # noqa: F811
    assert get(api, "overview", None, **RANGE).status_code == 401
    assert get(api, "overview", "nr_not-a-real-token", **RANGE).status_code == 401
    write_key = get(api, "overview", dataset["a_write_key"], **RANGE)
    assert write_key.status_code == 401
    assert "write keys cannot read" in write_key.json()["error"]
    assert write_key.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_reads_only_its_project(api, token, dataset):  # noqa: F811
    r = get(api, "overview", token, project=dataset["b"], **RANGE)
    assert r.status_code == 403 and r.json()["param"] == "project"
    b_token = tokens.create_token(dataset["b"], "b")["token"]
    rows = get(api, "sessions_list", b_token, **RANGE).json()["rows"]
    assert rows and all("b-" in (r["anonymous_id"] or "") or r["phone"] for r in rows)


def test_a_revoked_token_stops_working(api, dataset):  # noqa: F811
    made = tokens.create_token(dataset["a"], "short-lived")
    assert get(api, "dau", made["token"], **RANGE).status_code == 200
    assert tokens.revoke_token(dataset["a"], made["prefix"]) == 1
    assert get(api, "dau", made["token"], **RANGE).status_code == 401


def test_the_query_list(api, token):
    listed = requests.get(f"{api}/api/v1/queries", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}).json()
    overview = next(q for q in listed if q["name"] == "overview")
    assert {"project", "from", "to", "channel"} <= set(overview["params"])
