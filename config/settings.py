"""Njia settings: read once from the environment (and an optional `.env`), validated by pydantic.

Call `get_settings()`; never read `os.environ` elsewhere. Tests set the environment first and call
`get_settings.cache_clear()`.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The embedded warehouse's users (warehouse/server/users.py): the writer migrates and inserts,
# the reader (workbench, API, CLI) runs read-only. A ClickHouse server has its own users, named
# by CLICKHOUSE_URL and CLICKHOUSE_READER_URL.
WAREHOUSE_WRITER = "njia_writer"
WAREHOUSE_READER = "njia_reader"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Where every embedded engine keeps its files (redis/, warehouse/, metadata.db, logs/).
    data_dir: Path = Field(Path("./var"), alias="NJIA_DATA_DIR")
    # demo: generate secrets on first start and keep them under data_dir; production: refuse to
    # start without them.
    mode: Literal["demo", "production"] = Field("demo", alias="NJIA_MODE")

    # External engines. Unset → the embedded defaults (redis-server / chDB warehouse on loopback).
    redis_url: str | None = Field(None, alias="REDIS_URL")
    clickhouse_url: str | None = Field(None, alias="CLICKHOUSE_URL")
    # The read-only account for the workbench, API and CLI (one URL cannot carry two users).
    # Unset with CLICKHOUSE_URL set: the reader uses CLICKHOUSE_URL's account (a warning says so).
    clickhouse_reader_url: str | None = Field(None, alias="CLICKHOUSE_READER_URL")
    database_url: str | None = Field(None, alias="DATABASE_URL")

    collector_host: str = Field("0.0.0.0", alias="COLLECTOR_HOST")
    collector_port: int = Field(3000, alias="COLLECTOR_PORT")
    workbench_host: str = Field("127.0.0.1", alias="WORKBENCH_HOST")
    workbench_port: int = Field(8501, alias="WORKBENCH_PORT")
    api_port: int = Field(8502, alias="API_PORT")
    redis_port: int = Field(6379, alias="REDIS_PORT")
    warehouse_port: int = Field(8123, alias="WAREHOUSE_PORT")
    # Connections in the warehouse's pools: inserts and queries never wait on each other.
    warehouse_query_connections: int = Field(4, alias="WAREHOUSE_QUERY_CONNECTIONS")
    warehouse_insert_connections: int = Field(2, alias="WAREHOUSE_INSERT_CONNECTIONS")
    # The reader's own pool (workbench, API, CLI), opened read-only.
    warehouse_reader_connections: int = Field(4, alias="WAREHOUSE_READER_CONNECTIONS")
    # Passwords of the embedded warehouse's users: demo mode generates them under data_dir;
    # production sets them (and the warehouse refuses to start without them).
    warehouse_writer_password: str | None = Field(None, alias="WAREHOUSE_WRITER_PASSWORD")
    warehouse_reader_password: str | None = Field(None, alias="WAREHOUSE_READER_PASSWORD")
    # Seconds a read (page, API, `njia query`, `njia sql`) may run; migrations have no limit.
    query_max_execution_time: float = Field(60.0, alias="QUERY_MAX_EXECUTION_TIME", gt=0)
    # Queries one API read token may run at once (more get 429), so one token cannot occupy
    # every warehouse connection.
    api_max_concurrent_queries: int = Field(
        2, alias="API_MAX_CONCURRENT_QUERIES_PER_TOKEN", ge=1
    )

    geoip_db: Path | None = Field(None, alias="GEOIP_DB")

    # Fernet key that encrypts webhook secrets at rest. Demo mode generates one under data_dir.
    secret_key: str | None = Field(None, alias="NJIA_SECRET_KEY")
    # Signs the workbench's login cookie. Demo mode generates one under data_dir (so restarts
    # do not log everyone out); production refuses to start the workbench without it.
    cookie_key: str | None = Field(None, alias="NJIA_COOKIE_KEY")
    # Failed workbench sign-ins: after this many for one user name (or, higher because an
    # office shares one address, from one client address), each further try waits
    # SIGNIN_DELAY_SECONDS, doubled per further failure up to SIGNIN_MAX_DELAY_SECONDS.
    signin_max_failures: int = Field(5, alias="SIGNIN_MAX_FAILURES")
    signin_max_failures_per_address: int = Field(20, alias="SIGNIN_MAX_FAILURES_PER_ADDRESS")
    signin_delay_seconds: int = Field(30, alias="SIGNIN_DELAY_SECONDS")
    signin_max_delay_seconds: int = Field(900, alias="SIGNIN_MAX_DELAY_SECONDS")

    # Collector limits.
    max_body_bytes: int = Field(1024 * 1024, alias="MAX_BODY_BYTES")
    max_batch_events: int = Field(1000, alias="MAX_BATCH_EVENTS")
    key_cache_seconds: float = Field(5.0, alias="KEY_CACHE_SECONDS")
    trusted_proxies: list[str] = Field(default_factory=list, alias="TRUSTED_PROXIES")
    # Browser origins allowed to send events (the tax app's). Unset: any origin in demo mode,
    # none in production (where the tax app's origin must be listed).
    cors_origins: list[str] | None = Field(None, alias="CORS_ORIGINS")
    default_phone_region: str = Field("KE", alias="DEFAULT_PHONE_REGION")
    max_future_seconds: int = Field(24 * 3600, alias="MAX_FUTURE_SECONDS")
    # The collector's /demo/ page (a KRA-branded form that sends test events). Unset: served in
    # demo mode, not in production (404).
    demo_page_enabled: bool | None = Field(None, alias="DEMO_PAGE_ENABLED")
    # After `njia project rotate-secret`, the old webhook secret keeps verifying this long, so a
    # CRM can switch over without losing events (0: revoked at once).
    webhook_secret_overlap_seconds: int = Field(
        24 * 3600, alias="WEBHOOK_SECRET_OVERLAP_SECONDS", ge=0
    )

    # Processor.
    processor_numprocs: int = Field(1, alias="PROCESSOR_NUMPROCS")
    # Entries per read and per insert: a read returns what is there (up to this many) as soon
    # as anything is, so a large batch costs no freshness when the stream is quiet.
    processor_batch_size: int = Field(5000, alias="PROCESSOR_BATCH_SIZE")
    processor_block_ms: int = Field(200, alias="PROCESSOR_BLOCK_MS")
    processor_claim_idle_ms: int = Field(30_000, alias="PROCESSOR_CLAIM_IDLE_MS")
    processor_max_backoff_seconds: float = Field(30.0, alias="PROCESSOR_MAX_BACKOFF_SECONDS")
    # Exactly-once state (processor/dedup.py): per-event claims live DEDUP_CLAIM_SECONDS (the
    # retry window); older copies are caught by per-project, per-day Bloom filters sized for
    # DEDUP_BLOOM_CAPACITY events at DEDUP_BLOOM_ERROR, whose positives the warehouse confirms.
    dedup_claim_seconds: int = Field(3600, alias="DEDUP_CLAIM_SECONDS", ge=1)
    dedup_bloom_capacity: int = Field(1_000_000, alias="DEDUP_BLOOM_CAPACITY", ge=1000)
    dedup_bloom_error: float = Field(0.001, alias="DEDUP_BLOOM_ERROR", gt=0, lt=0.5)
    # Identity links are applied by walking and replaying the component they touch, in the hot
    # path: a link into a component of more identifiers than this is refused (and the component
    # marked, so later links to it are refused without a walk), and the walks of one batch stop
    # after IDENTITY_MAX_REPLAY_MS (the rest of its links refused, tried again when they recur).
    # Both are counted in /metrics (njia_processor_identity_links_refused_total).
    identity_max_component: int = Field(5000, alias="IDENTITY_MAX_COMPONENT", ge=2)
    identity_max_replay_ms: int = Field(250, alias="IDENTITY_MAX_REPLAY_MS", ge=1)
    # The journey model worker (journeys/worker.py): how often it looks for new events, how far
    # back it re-reads arrivals (an insert's rows can become visible a little after the time
    # they were stamped with), and at most how many new events one project gets per pass (so a
    # backfill into one project does not hold the others back).
    journeys_poll_seconds: float = Field(1.0, alias="JOURNEYS_POLL_SECONDS", gt=0)
    journeys_overlap_seconds: float = Field(30.0, alias="JOURNEYS_OVERLAP_SECONDS", ge=0)
    journeys_max_events_per_pass: int = Field(50_000, alias="JOURNEYS_MAX_EVENTS_PER_PASS",
                                              ge=1000)
    # Import path "module:function" of an extra validator (tests use it to make poison events).
    validation_hook: str | None = Field(None, alias="NJIA_VALIDATION_HOOK")

    stream_key: str = Field("njia:events", alias="NJIA_STREAM")
    dead_letter_stream_key: str = Field("njia:deadletters", alias="NJIA_DEADLETTER_STREAM")
    consumer_group: str = Field("processors", alias="NJIA_CONSUMER_GROUP")

    @field_validator("trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    # --- derived ---------------------------------------------------------------------------
    @property
    def allowed_origins(self) -> list[str]:
        if self.cors_origins is not None:
            return self.cors_origins
        return ["*"] if self.mode == "demo" else []

    @property
    def serve_demo_page(self) -> bool:
        if self.demo_page_enabled is not None:
            return self.demo_page_enabled
        return self.mode == "demo"

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def embedded_warehouse(self) -> bool:
        return not self.clickhouse_url

    @property
    def effective_redis_url(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"

    def warehouse_password(self, user: str) -> str:
        """The embedded warehouse's password for `user` (WAREHOUSE_WRITER or _READER)."""
        value = (self.warehouse_writer_password if user == WAREHOUSE_WRITER
                 else self.warehouse_reader_password)
        if value:
            return value
        if self.mode != "demo":
            env = "WAREHOUSE_WRITER_PASSWORD" if user == WAREHOUSE_WRITER else \
                "WAREHOUSE_READER_PASSWORD"
            raise RuntimeError(f"{env} must be set in production mode (embedded warehouse)")
        return self.demo_secret(user)

    def _embedded_url(self, user: str) -> str:
        password = quote(self.warehouse_password(user), safe="")
        return f"http://{user}:{password}@127.0.0.1:{self.warehouse_port}/default"

    @property
    def effective_clickhouse_url(self) -> str:
        """The writer's URL: migrations, the processor."""
        return self.clickhouse_url or self._embedded_url(WAREHOUSE_WRITER)

    @property
    def effective_clickhouse_reader_url(self) -> str:
        """The reader's URL: the workbench, the query API, `njia query` and `njia sql`."""
        if self.clickhouse_reader_url:
            return self.clickhouse_reader_url
        if self.clickhouse_url:
            return self.clickhouse_url
        return self._embedded_url(WAREHOUSE_READER)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'metadata.db'}"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def demo_secret(self, name: str) -> str:
        """A secret generated once and kept under data_dir (demo mode only).

        Several programs start at once and may all ask first: the value is written to a private
        temp file (mode 600 from its creation, whatever the umask) and linked into place, which
        fails if another process got there first; then everyone reads the one that won.
        """
        if self.mode != "demo":
            raise RuntimeError(f"{name} must be set in production mode")
        path = self.data_dir / "secrets" / name
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{name}.{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32))
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
