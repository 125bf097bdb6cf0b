"""ClickHouse, as Njia reaches it: the one client (`client.py`), the schema and its migrations,
the views, the pipeline's own reads, and `server/`, the embedded warehouse program (chDB behind
the ClickHouse HTTP interface)."""
