"""What the warehouse front refuses before chDB sees a statement, whichever user sends it.

The engine enforces read-only for the reader (its connections run with `readonly=1`). What no
setting can do is left here, because every chDB connection is the same engine user:
- for the reader, other clients' queries: `system.processes` and the query logs hold their text,
  and `KILL QUERY` would stop them (the writer, who owns the data anyway, may do both).
- for everyone, the host: table functions, engines and dictionary sources that reach files,
  programs or the network (`file`, `url`, `executable`, `remote`, …), `FROM INFILE`, `SYSTEM`
  and `BACKUP`. Njia's tables are its whole business; migrations and inserts need none of these.
A refusal is ClickHouse's ACCESS_DENIED (497, HTTP 403), as a server with grants would answer.
The check is on tokens (quotes, comments and case are the lexer's), so spelling tricks such as
`FiLe(`, `` `file`( `` or `/* */` comments do not pass.
"""

from __future__ import annotations

from warehouse.server.errors import ACCESS_DENIED, WarehouseError
from warehouse.server.sql import Token, tokens, unquote

# Statements (first keyword) that act on the server, not on Njia's tables.
REFUSED_STATEMENTS = frozenset({"SYSTEM", "BACKUP", "RESTORE"})
# ... and on other clients' queries: refused to the reader.
READER_REFUSED_STATEMENTS = frozenset({"KILL"})

# Tables that hold other clients' queries (by name: `USE system` + `processes` must not pass).
PRIVATE_TABLES = frozenset({
    "processes", "query_log", "query_thread_log", "query_views_log", "processors_profile_log",
    "text_log", "trace_log", "session_log", "part_log", "asynchronous_insert_log",
    "opentelemetry_span_log", "query_metric_log", "error_log", "blob_storage_log",
    "filesystem_cache_log", "backup_log", "s3queue_log", "zookeeper_log", "crash_log",
    "dead_letter_queue", "latency_log",
})

# Functions, engines and dictionary sources (names compared lower-case) that read or write
# outside the engine's own tables (`merge` and `loop` read other tables by name or pattern).
OUTSIDE_FUNCTIONS = frozenset({
    "file", "filecluster", "url", "urlcluster", "s3", "s3cluster", "gcs", "oss", "cosn",
    "azureblobstorage", "azureblobstoragecluster", "hdfs", "hdfscluster", "remote",
    "remotesecure", "cluster", "clusterallreplicas", "mysql", "postgresql", "sqlite", "mongodb",
    "redis", "odbc", "jdbc", "executable", "executablepool", "executable_pool", "http",
    "clickhouse", "cassandra", "iceberg", "icebergs3", "icebergazure", "iceberghdfs",
    "iceberglocal", "deltalake", "deltalakes3", "deltalakeazure", "hudi", "paimon",
    "arrowflight", "ytsaurus", "prometheus", "merge", "loop", "filelog", "kafka", "rabbitmq",
    "nats", "s3queue", "azurequeue",
})

# Keywords that name a server-side file.
FILE_KEYWORDS = frozenset({"INFILE", "OUTFILE"})


def check(sql: str, *, readonly: bool) -> None:
    """Raise ACCESS_DENIED if `sql` (one statement, or an INSERT's head) is refused here to a
    readonly (reader) or writing user."""
    toks = list(tokens(sql, final=True))
    first = toks[0].upper if toks else ""
    if first in REFUSED_STATEMENTS or (readonly and first in READER_REFUSED_STATEMENTS):
        _deny(f"{first} statements are not allowed here")
    for i, tok in enumerate(toks):
        if tok.upper in FILE_KEYWORDS:
            _deny(f"{tok.upper} is not allowed: the warehouse's files are not the client's")
        name = _name(tok)
        if name is None:
            continue
        if readonly and name in PRIVATE_TABLES:
            _deny(f"system table {name} holds other clients' queries and is not readable")
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if name in OUTSIDE_FUNCTIONS and nxt is not None and nxt.text == "(":
            _deny(f"{tok.text}() reaches outside Njia's tables and is not allowed")


def _name(tok: Token) -> str | None:
    """An identifier's name, lower-cased (a word or a quoted identifier; not a string)."""
    if tok.kind == "word":
        return tok.text.lower()
    if tok.kind == "quoted":
        return unquote(tok).lower()
    return None


def _deny(message: str) -> None:
    raise WarehouseError.make(ACCESS_DENIED, message)
