"""The warehouse's schema: tables are history, views are code.

Tables: versioned migrations `warehouse/schema/NNNN_name.sql`, applied once each, in order, and
never edited once landed (an installation that applied one never sees a later edit: change a
table with a new migration). A `njia_migrations` table records what ran, so `njia migrate` is
idempotent. Every statement in a migration must itself be idempotent (IF NOT EXISTS), so a crash
mid-migration is safe to re-run.

Views: `warehouse/views/<name>.sql` holds the query of view `<name>` (no CREATE line). Every
migrate — `njia migrate`, and every start of the stack — re-creates a view (`CREATE OR REPLACE
VIEW`) whose text changed since it was last applied, or that is missing, after the table
migrations; `njia_views` records the content hash applied. A view file may use a journey
template (`{{ membership: source }}`, warehouse/journey_sql.py); the hash covers the rendered text,
so a template change re-creates the views that use it. An unchanged view is left alone. Views
apply in file-name order, so a view that reads another must sort after it (`session_events`
before `sessions`). (Migration 0003 created the session views before they were code; it is
empty now, and an installation that ran it gets its views replaced on the next migrate.)
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from clickhouse_connect.driver.client import Client

from config.settings import get_settings
from warehouse.client import database_of, new_client
from warehouse.journey_sql import render_uses

log = logging.getLogger("njia.migrate")

SCHEMA_DIR = Path(__file__).parent / "schema"
VIEWS_DIR = Path(__file__).parent / "views"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_VIEW_NAME = re.compile(r"^[a-z][a-z0-9_]*\.sql$")


def migration_files() -> list[Path]:
    files = sorted(p for p in SCHEMA_DIR.iterdir() if _NAME.match(p.name))
    versions = [p.name[:4] for p in files]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {SCHEMA_DIR}: {versions}")
    return files


def view_files(views_dir: Path = VIEWS_DIR) -> list[Path]:
    """The view files, in the order they apply (file name)."""
    return sorted(p for p in views_dir.iterdir() if _VIEW_NAME.match(p.name))


def view_statement(path: Path) -> str:
    """`CREATE OR REPLACE VIEW <file stem> AS <the file's query>`."""
    query = render_uses(path.read_text()).strip().removesuffix(";").rstrip()
    return f"CREATE OR REPLACE VIEW {path.stem} AS\n{query}"


def view_hash(statement: str) -> str:
    return hashlib.sha256(statement.encode()).hexdigest()


def split_statements(sql: str) -> list[str]:
    # Migrations hold DDL only; no statement contains ';' inside a string literal.
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def migrate(url: str | None = None, views_dir: Path = VIEWS_DIR) -> list[str]:
    """Apply pending migrations, then every changed or missing view; returns what was applied
    now (migration file names, then `views/<name>.sql`)."""
    url = url or get_settings().effective_clickhouse_url
    database = database_of(url)
    bootstrap = new_client(url, database="default")
    bootstrap.command("CREATE DATABASE IF NOT EXISTS {db:Identifier}", parameters={"db": database})
    client = new_client(url)
    return apply_migrations(client) + apply_views(client, views_dir)


def apply_migrations(client: Client) -> list[str]:
    client.command(
        "CREATE TABLE IF NOT EXISTS njia_migrations (version String, name String, "
        "applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    done = set(
        client.query("SELECT version FROM njia_migrations FINAL").result_columns[0]
        if _has_rows(client, "njia_migrations")
        else []
    )
    applied = []
    for path in migration_files():
        version = path.name[:4]
        if version in done:
            continue
        for statement in split_statements(path.read_text()):
            client.command(statement)
        client.insert("njia_migrations", [[version, path.name]], column_names=["version", "name"])
        log.info("applied migration %s", path.name)
        applied.append(path.name)
    return applied


def apply_views(client: Client, views_dir: Path = VIEWS_DIR) -> list[str]:
    """(Re-)create each view whose file's hash differs from the one recorded, or that is gone;
    drop each view this module created whose file was deleted."""
    client.command(
        "CREATE TABLE IF NOT EXISTS njia_views (name String, hash String, "
        "applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = ReplacingMergeTree(applied_at) ORDER BY name"
    )
    recorded: dict[str, str] = {}
    if _has_rows(client, "njia_views"):
        rows = client.query("SELECT name, argMax(hash, applied_at) FROM njia_views GROUP BY name")
        recorded = dict(rows.result_rows)
    existing = {row[0] for row in client.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase()").result_rows}
    applied = []
    for path in view_files(views_dir):
        statement = view_statement(path)
        digest = view_hash(statement)
        if recorded.get(path.stem) == digest and path.stem in existing:
            continue
        client.command(statement)
        client.insert("njia_views", [[path.stem, digest]], column_names=["name", "hash"])
        log.info("applied view %s (%s)", path.stem, digest[:12])
        applied.append(f"views/{path.name}")
    # A view whose file was deleted is dropped (views are code: none outlives its file). Only
    # views this module created (recorded in njia_views) are candidates.
    kept = {path.stem for path in view_files(views_dir)}
    for name in sorted(set(recorded) - kept):
        if recorded[name] == "":
            continue  # dropped earlier
        client.command("DROP VIEW IF EXISTS {name:Identifier}", parameters={"name": name})
        client.insert("njia_views", [[name, ""]], column_names=["name", "hash"])
        log.info("dropped view %s (its file is gone)", name)
        applied.append(f"views/{name}.sql (dropped)")
    return applied


def _has_rows(client: Client, table: str) -> bool:
    return bool(client.command(f"SELECT count() FROM {table}"))
