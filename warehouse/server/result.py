"""What a chDB call gives back: the data and the counters X-ClickHouse-Summary reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class ChdbResult:
    """A result (or a chunk of a streamed one) and its counters, for X-ClickHouse-Summary."""

    data: bytes = b""
    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    elapsed: float = 0.0

    @classmethod
    def of(cls, result: Any) -> ChdbResult:
        # chDB: rows_read/bytes_read count the result, storage_* what was read from tables.
        return cls(
            data=result.bytes() or b"",
            read_rows=result.storage_rows_read(),
            read_bytes=result.storage_bytes_read(),
            written_rows=result.rows_written(),
            written_bytes=result.bytes_written(),
            result_rows=result.rows_read(),
            result_bytes=result.bytes_read(),
            elapsed=result.elapsed(),
        )
