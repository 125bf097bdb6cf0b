"""Versioned ClickHouse migrations: `warehouse/schema/NNNN_name.sql`, applied once each, in order.

A `njia_migrations` table records what ran, so `njia migrate` is idempotent. Every statement in a
migration must itself be idempotent (IF NOT EXISTS), so a crash mid-migration is safe to re-run.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from clickhouse_connect.driver.client import Client

from config.settings import get_settings
from warehouse.client import database_of, new_client

log = logging.getLogger("njia.migrate")

SCHEMA_DIR = Path(__file__).parent / "schema"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migration_files() -> list[Path]:
    files = sorted(p for p in SCHEMA_DIR.iterdir() if _NAME.match(p.name))
    versions = [p.name[:4] for p in files]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {SCHEMA_DIR}: {versions}")
    return files


def split_statements(sql: str) -> list[str]:
    # Migrations hold DDL only; no statement contains ';' inside a string literal.
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def migrate(url: str | None = None) -> list[str]:
    """Apply pending migrations; returns the names applied now."""
    url = url or get_settings().effective_clickhouse_url
    database = database_of(url)
    bootstrap = new_client(url, database="default")
    bootstrap.command("CREATE DATABASE IF NOT EXISTS {db:Identifier}", parameters={"db": database})
    client = new_client(url)
    client.command(
        "CREATE TABLE IF NOT EXISTS njia_migrations (version String, name String, "
        "applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    done = set(
        client.query("SELECT version FROM njia_migrations FINAL").result_columns[0]
        if _has_rows(client)
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


def _has_rows(client: Client) -> bool:
    return bool(client.command("SELECT count() FROM njia_migrations"))
