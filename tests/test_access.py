"""Access is checked where data is read: the query layer refuses a project the principal may not
see *now* — for every named query, the SQL expander (prepare), the person search and the API —
whatever page, fragment or cache asked. Revocations between two calls take effect at once."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pandas as pd
import pytest
from aiohttp.test_utils import TestClient, TestServer

from metadata import access, tokens, users
from metadata.access import OPERATOR, AccessDenied
from queries import runner
from tests.test_queries_dataset import RANGE, dataset  # noqa: F401

PASSWORD = "correct horse battery"


def _user(projects: list[str], role: str = "analyst") -> str:
    name = f"acc-{uuid.uuid4().hex[:8]}"
    users.add_user(name, PASSWORD, role=role, projects=projects)
    return name


def test_a_user_reads_only_their_projects(stack, dataset):  # noqa: F811
    me = access.for_user(_user([dataset["a"]]))
    assert not runner.run("overview", {"project": dataset["a"], **RANGE}, me).empty
    for call in (runner.run, runner.prepare):
        with pytest.raises(AccessDenied):
            call("overview", {"project": dataset["b"], **RANGE}, me)
    # An unknown project is refused the same way: no telling which projects exist.
    with pytest.raises(AccessDenied):
        runner.prepare("overview", {"project": "no-such-project", **RANGE}, me)


def test_access_revoked_between_two_calls_is_refused_at_the_next(stack, dataset):  # noqa: F811
    name = _user([dataset["a"]])
    me = access.for_user(name)
    params = {"project": dataset["a"], **RANGE}
    runner.run("overview", params, me)
    users.set_projects(name, [dataset["b"]])  # moved to another project
    with pytest.raises(AccessDenied):
        runner.run("overview", params, me)
    with pytest.raises(AccessDenied):  # the SQL expander too
        runner.prepare("overview", params, me)
    users.set_projects(name, [dataset["a"]])
    runner.run("overview", params, me)
    users.remove_user(name)  # removed
    with pytest.raises(AccessDenied):
        runner.run("overview", params, me)


def test_the_person_search_is_refused_before_it_looks_anyone_up(stack, dataset):  # noqa: F811
    me = access.for_user(_user([dataset["a"]]))
    with pytest.raises(AccessDenied):
        runner.prepare("sessions_list", {"project": dataset["b"], **RANGE,
                                         "person": "+254700000001"}, me)


def test_a_revoked_token_reads_nothing_more(stack, dataset):  # noqa: F811
    made = tokens.create_token(dataset["a"], f"acc-{uuid.uuid4().hex[:6]}")
    principal = access.for_token(made["token"])
    assert principal is not None and principal.token_project == dataset["a"]
    params = {"project": dataset["a"], **RANGE}
    runner.run("overview", params, principal)
    with pytest.raises(AccessDenied):
        runner.run("overview", {"project": dataset["b"], **RANGE}, principal)
    tokens.revoke_token(dataset["a"], made["prefix"])
    with pytest.raises(AccessDenied):
        runner.run("overview", params, principal)
    assert access.for_token(made["token"]) is None


def test_the_operator_reads_every_project(stack, dataset):  # noqa: F811
    for project in (dataset["a"], dataset["b"]):
        assert isinstance(runner.run("overview", {"project": project, **RANGE}, OPERATOR),
                          pd.DataFrame)


def test_admin_actions_check_the_role_in_the_metadata_layer(stack, dataset):  # noqa: F811
    from metadata import admin

    analyst = access.for_user(_user([dataset["a"]]))
    limited_admin = access.for_user(_user([dataset["a"]], role="admin"))
    full_admin = access.for_user(_user([users.ALL_PROJECTS], role="admin"))
    with pytest.raises(AccessDenied):
        admin.create_token(analyst, dataset["a"], "nope")
    with pytest.raises(AccessDenied):
        admin.rotate_write_key(limited_admin, dataset["b"])  # not their project
    with pytest.raises(AccessDenied):
        admin.add_user(limited_admin, f"x{uuid.uuid4().hex[:6]}", PASSWORD)  # users: '*' only
    made = admin.create_token(limited_admin, dataset["a"], f"ok-{uuid.uuid4().hex[:6]}")
    assert made["token"].startswith("nr_")
    name = f"x{uuid.uuid4().hex[:6]}"
    admin.add_user(full_admin, name, PASSWORD)
    admin.remove_user(full_admin, name)
    assert users.get_user(name) is None
    users.set_role(full_admin.name, "analyst")  # demoted meanwhile: refused from now on
    with pytest.raises(AccessDenied):
        admin.add_user(full_admin, f"x{uuid.uuid4().hex[:6]}", PASSWORD)


# --- the API: one token cannot occupy every warehouse connection -----------------------------


def test_one_token_runs_at_most_n_queries_at_once(stack, dataset, monkeypatch):  # noqa: F811
    from config.settings import get_settings
    from queries import api

    made = tokens.create_token(dataset["a"], f"acc-{uuid.uuid4().hex[:6]}")
    other = tokens.create_token(dataset["a"], f"acc-{uuid.uuid4().hex[:6]}")
    limit = get_settings().api_max_concurrent_queries
    release = threading.Event()
    started = threading.Semaphore(0)

    def slow_run(name, raw, principal):  # the warehouse, made slow: a narrow unit test
        started.release()
        release.wait(10)
        return pd.DataFrame({"x": [1]})

    monkeypatch.setattr(api, "run", slow_run)

    async def scenario() -> list[int]:
        client = TestClient(TestServer(api.make_app()))
        await client.start_server()
        try:
            def get(token: str):
                return client.get("/api/v1/query/overview", params=RANGE,
                                  headers={"Authorization": f"Bearer {token}"})

            running = [asyncio.ensure_future(get(made["token"])) for _ in range(limit)]
            for _ in range(limit):
                await asyncio.to_thread(started.acquire, True, 10)
            refused = await get(made["token"])
            assert refused.status == 429 and refused.headers["Retry-After"] == "1"
            assert "already runs" in (await refused.json())["error"]
            others = asyncio.ensure_future(get(other["token"]))  # another token is not held up
            await asyncio.to_thread(started.acquire, True, 10)
            release.set()
            statuses = [(await r).status for r in running] + [(await others).status]
            again = await get(made["token"])  # slots are given back
            return [*statuses, again.status]
        finally:
            release.set()
            await client.close()

    assert asyncio.run(scenario()) == [200] * (limit + 2)


# --- the workbench: every page and fragment asks the query layer -----------------------------


def test_a_signed_in_page_sees_nothing_more_once_access_is_gone(stack, dataset):  # noqa: F811
    from tests.test_workbench_auth import PASSWORD as APP_PASSWORD
    from tests.test_workbench_auth import signed_in_app

    name = f"acc-{uuid.uuid4().hex[:8]}"
    users.add_user(name, APP_PASSWORD, role="analyst", projects=[dataset["a"]])
    params = {"project": dataset["a"], "range": "custom", "dates": [RANGE["from"], RANGE["to"]]}
    at = signed_in_app(name, params)
    assert not at.exception and at.metric, "the Overview shows its KPIs while allowed"
    users.remove_user(name)
    at.run()
    assert not at.exception
    assert not at.metric
    assert [t.label for t in at.text_input][:2] == ["Username", "Password"]


def test_a_refusal_in_a_fragments_own_run_reruns_the_app(monkeypatch):
    """The Live feed's tick runs its fragment alone, without the app's sign-in check: a refusal
    there reruns the whole app (whose check then shows the sign-in form). In a full run, where
    the app has checked already, it stops with the reason instead (a rerun would loop)."""
    from types import SimpleNamespace

    from workbench import reads

    class Rerun(Exception):
        pass

    def rerun(*, scope: str) -> None:
        raise Rerun(scope)

    monkeypatch.setattr(reads.st, "rerun", rerun)
    stopped: list[str] = []
    monkeypatch.setattr(reads.st, "error", stopped.append)
    monkeypatch.setattr(reads.st, "stop", lambda: (_ for _ in ()).throw(SystemExit))

    monkeypatch.setattr(reads, "get_script_run_ctx",
                        lambda: SimpleNamespace(fragment_ids_this_run=["live-feed"]))
    with pytest.raises(Rerun) as info:
        reads.refused(AccessDenied("gone"))
    assert info.value.args == ("app",)

    monkeypatch.setattr(reads, "get_script_run_ctx",
                        lambda: SimpleNamespace(fragment_ids_this_run=None))
    with pytest.raises(SystemExit):
        reads.refused(AccessDenied("gone"))
    assert stopped and "Access refused: gone" in stopped[0]
