"""`njia query` (the real command, in a subprocess): JSON or CSV, the runner's numbers, named
errors; `njia token` and `njia user` print nothing secret."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from metadata import tokens, users
from metadata.access import OPERATOR
from queries.runner import run
from queries.serialize import records
from tests.test_queries_dataset import KPIS, RANGE, dataset  # noqa: F401


def njia(*args: str, stdin: str | None = None,
         env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, env=env)


def test_query_prints_the_overview_kpis_as_json(stack, dataset):  # noqa: F811
    out = njia("query", "overview", "--project", dataset["a"], "--from", RANGE["from"],
               "--to", RANGE["to"], env=stack.env)
    assert out.returncode == 0, out.stderr
    got = {r["metric"]: r for r in json.loads(out.stdout)}
    for metric, (current, previous) in KPIS["all"].items():
        assert got[metric]["value"] == current and got[metric]["previous"] == previous
    expected = records(run("overview", {"project": dataset["a"], **RANGE}, OPERATOR))
    assert json.loads(out.stdout) == expected


def test_query_params_and_csv(stack, dataset):  # noqa: F811
    out = njia("query", "breakdown", "--project", dataset["a"], "--from", RANGE["from"],
               "--to", RANGE["to"], "--param", "by=country", "--param", "channel=web",
               "--format", "csv", env=stack.env)
    assert out.returncode == 0, out.stderr
    table = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["key"], r["sessions"]) for r in table] == [("KE", "2"), ("UG", "1")]


@pytest.mark.parametrize(("args", "named"), [
    (["--param", "channel=sms"], "channel"),
    (["--param", "colour=red"], "colour"),
    (["--to", "2026-03-01"], "to"),
])
def test_bad_parameters_are_named(stack, dataset, args, named):  # noqa: F811
    base = ["query", "overview", "--project", dataset["a"], "--from", RANGE["from"]]
    if "--to" not in args:
        base += ["--to", RANGE["to"]]
    out = njia(*base, *args, env=stack.env)
    assert out.returncode == 2
    assert f"bad parameter {named}:" in out.stderr


def test_unknown_query_and_list(stack):
    out = njia("query", "nope", env=stack.env)
    assert out.returncode == 2 and "unknown query 'nope'" in out.stderr
    listed = json.loads(njia("query", "--list", env=stack.env).stdout)
    assert {"overview", "sessions_list", "breakdown"} <= {q["name"] for q in listed}


def test_token_create_list_revoke(stack, dataset):  # noqa: F811
    made = njia("token", "create", dataset["a"], "--name", "bi", env=stack.env)
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)["token"]
    assert tokens.project_for_read_token(token) == dataset["a"]
    listed = njia("token", "list", dataset["a"], env=stack.env).stdout
    assert token not in listed and token[:10] in listed
    assert njia("token", "revoke", dataset["a"], "bi", env=stack.env).returncode == 0
    assert tokens.project_for_read_token(token) is None
    again = njia("token", "revoke", dataset["a"], "bi", env=stack.env)
    assert again.returncode == 2 and "no active token" in again.stderr


def test_user_add_prints_nothing_secret(stack, dataset):  # noqa: F811
    out = njia("user", "add", "wanjiru", "--role", "analyst", "--projects", dataset["a"],
               "--password-stdin", stdin="s3cret-enough\n", env=stack.env)
    assert out.returncode == 0, out.stderr
    assert "s3cret-enough" not in out.stdout + out.stderr
    assert "$2b$" not in out.stdout  # nor the hash
    assert json.loads(out.stdout)["projects"] == [dataset["a"]]
    assert users.verify_password("wanjiru", "s3cret-enough")
    listed = njia("user", "list", env=stack.env).stdout
    assert "wanjiru" in listed and "$2b$" not in listed
    changed = njia("user", "set-password", "wanjiru", "--password-stdin",
                   stdin="another-one\n", env=stack.env)
    assert changed.returncode == 0 and "another-one" not in changed.stdout
    assert users.verify_password("wanjiru", "another-one")
    short = njia("user", "add", "kamau", "--password-stdin", stdin="short\n", env=stack.env)
    assert short.returncode == 2 and "at least 8" in short.stderr
    unknown = njia("user", "add", "otieno", "--projects", "no-such-project", "--password-stdin",
                   stdin="long-enough\n", env=stack.env)
    assert unknown.returncode == 2 and "unknown project" in unknown.stderr


def test_users_yaml_import(stack, tmp_path, dataset):  # noqa: F811
    import bcrypt

    hashed = bcrypt.hashpw(b"from-yaml-1", bcrypt.gensalt()).decode()
    path = tmp_path / "users.yaml"
    path.write_text(
        "credentials:\n  usernames:\n"
        f"    achieng:\n      email: achieng@kra.go.ke\n      first_name: Achieng\n"
        f"      last_name: O\n      password: '{hashed}'\n      roles: [admin]\n"
        f"      projects: ['*']\n"
        f"    baraka:\n      name: Baraka\n      password: plain-text-9\n"
        f"      projects: ['{dataset['a']}']\n"
    )
    out = njia("user", "import", str(path), env=stack.env)
    assert json.loads(out.stdout) == {"created": ["achieng", "baraka"]}
    assert users.verify_password("achieng", "from-yaml-1")
    assert users.verify_password("baraka", "plain-text-9")
    assert users.require_user("baraka").role == "analyst"
    assert users.require_user("achieng").name == "Achieng O"
    assert json.loads(njia("user", "import", str(path), env=stack.env).stdout) == {"created": []}


# --- `njia sql`: the reader, read-only whatever the statement ---------------------------------


def test_sql_reads(stack):
    out = njia("sql", "SELECT 1 + 1 AS two", env=stack.env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"two": 2}]


@pytest.mark.parametrize("statement", [
    "INSERT INTO FUNCTION file('pwned.txt', 'LineAsString') SELECT 'pwned' "
    "SETTINGS engine_file_truncate_on_insert=1",
    "SELECT * FROM file('/etc/hostname', 'LineAsString')",
    "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
    "INSERT INTO FUNCTION url('http://127.0.0.1:1/', 'LineAsString') SELECT 'x'",
    "INSERT INTO events (project_id) VALUES ('x')",
    "CREATE TABLE pwned (a UInt8) ENGINE = Memory",
    "DROP TABLE events",
    "ALTER TABLE events DELETE WHERE 1",
    "SELECT 1 SETTINGS readonly = 0",
    "KILL QUERY WHERE 1",
])
def test_sql_refuses_every_write_and_file_or_url_in_one_line(stack, statement, tmp_path):
    before = stack.ch().command("SELECT count() FROM events")
    out = njia("sql", statement, env={**stack.env, "HOME": str(tmp_path)})
    assert out.returncode == 2, out.stdout
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("njia: sql: "), out.stderr
    assert "Traceback" not in out.stderr
    assert any(word in lines[0] for word in ("readonly", "not allowed", "READONLY")), lines[0]
    assert stack.ch().command("SELECT count() FROM events") == before
    assert not list(tmp_path.rglob("pwned*"))
