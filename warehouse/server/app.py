"""The warehouse process: one chDB engine behind the ClickHouse HTTP interface.

    python -m warehouse.server.app --data-dir DIR --port PORT [--host 127.0.0.1]
        [--query-connections 4] [--insert-connections 2]

chDB locks its data directory to one process, so this process is the only one that opens it, and
every other Njia process (collector, processor, workbench, a developer's curl) talks to it exactly
as to a ClickHouse server, with clickhouse-connect or any ClickHouse HTTP client.

Every request but /ping names a user (warehouse/server/users.py): the reader's requests, and any
request over GET, run on the reader pool, whose connections are `readonly=1`; the front refuses
what no setting can (warehouse/server/guard.py) for everyone.

A request's way through the modules of warehouse/server/:
- handler.py: the HTTP front (parameters, user, HTTP session, errors); replies.py builds the
  responses, protocol.py reads ClickHouse's parameters and writes its formats and headers.
- body.py: the SQL is the `query` URL parameter followed by the body (decompressed,
  compression.py), read until its head decides the route (statements.py, on the lexer sql.py).
- routing.py: the guard's checks, then the route:
  - inserts.py: `INSERT ... FORMAT X` / `INSERT ... VALUES`: the body is spooled to a file and,
    once it has arrived whole, inserted with `INSERT ... FROM INFILE`;
  - session_state.py: `SET` / `USE`, checked on a connection and kept in the HTTP session
    (session.py), never left on the connection;
  - queries.py: anything else, on a query- or reader-pool connection, streamed block by block
    when the client does not ask to wait for the end of the query and the format allows it.
- engine.py: the pools (pool.py) of chDB connections (connection.py), and KILL QUERY.
- lifecycle.py: the parts put together; start, drain and close on SIGTERM/SIGINT.
- this module: the command line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from warehouse.server.lifecycle import ServeConfig, serve
from warehouse.server.users import Users

log = logging.getLogger("njia.warehouse")


def main(argv: Sequence[str] | None = None) -> int:
    from config.settings import WAREHOUSE_READER, WAREHOUSE_WRITER, get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.server.app",
        description="Serve the chDB warehouse over the ClickHouse HTTP interface. The users' "
        "passwords come from WAREHOUSE_WRITER_PASSWORD / WAREHOUSE_READER_PASSWORD (demo mode: "
        "generated under NJIA_DATA_DIR/secrets).",
    )
    parser.add_argument("--data-dir", type=Path, default=settings.warehouse_dir)
    # Loopback only: other hosts reach Njia's data through the workbench and the API.
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.warehouse_port)
    parser.add_argument(
        "--query-connections", type=int, default=settings.warehouse_query_connections
    )
    parser.add_argument(
        "--insert-connections", type=int, default=settings.warehouse_insert_connections
    )
    parser.add_argument(
        "--reader-connections", type=int, default=settings.warehouse_reader_connections
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        users = Users.njia(
            settings.warehouse_password(WAREHOUSE_WRITER),
            settings.warehouse_password(WAREHOUSE_READER),
        )
        serve(ServeConfig(
            Path(args.data_dir), args.host, args.port, users, args.query_connections,
            args.insert_connections, args.reader_connections, settings.query_max_execution_time,
        ))
    except Exception:
        log.exception("warehouse failed")
        return 1
    stuck = [t.name for t in threading.enumerate() if t.is_alive() and not t.daemon]
    stuck = [name for name in stuck if name != threading.main_thread().name]
    if stuck:
        # A chDB call that could not be killed would keep the interpreter from exiting
        # (it joins executor threads); supervisord would then SIGKILL us anyway.
        log.warning("exiting with chDB calls still running on %s", ", ".join(stuck))
        logging.shutdown()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
