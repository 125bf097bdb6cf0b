"""Inserting rows into the warehouse, telling an outage from a poison event.

An outage (warehouse unreachable, out of disk or memory, schema missing) is retried with back-off
and never dead-letters anything. An error caused by the rows is narrowed down by splitting the
batch until the bad event is alone; its neighbours are stored. An error that does not single out
an event (every single row fails) counts as an outage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from contract.masking import mask_text

log = logging.getLogger("njia.processor.sink")

# ClickHouse error codes that say "the server cannot take anything now", not "this row is bad".
OUTAGE_CODES = frozenset(
    {
        3,
        16,
        60,
        74,
        76,
        81,
        159,
        160,
        164,
        192,
        202,
        203,
        209,
        210,
        236,
        241,
        242,
        243,
        252,
        394,
        425,
        497,
        516,
        999,
        1000,
    }
)


class Outage(Exception):
    """The warehouse cannot take inserts now; retry the same batch later."""


def is_outage(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | ConnectionError | TimeoutError | OSError):
        return True
    if isinstance(exc, DatabaseError):
        code = getattr(exc, "code", None)
        return code is None or int(code) in OUTAGE_CODES
    return False


@dataclass
class InsertResult:
    stored: list[int] = field(default_factory=list)
    poison: list[tuple[int, str]] = field(default_factory=list)


def insert_isolating_poison(
    insert: Callable[[Sequence[Sequence[Any]]], None], rows: Sequence[Sequence[Any]]
) -> InsertResult:
    """Insert `rows`; returns indices stored and (index, reason) for rows rejected on content.

    Raises Outage when the warehouse is out, or when the failure does not single out rows.
    """
    result = InsertResult()
    if not rows:
        return result
    _insert_range(insert, rows, list(range(len(rows))), result)
    if result.poison and not result.stored and len(rows) > 1:
        # Nothing at all went in: the cause is not in the rows.
        raise Outage(f"every row failed: {result.poison[0][1]}")
    return result


def _insert_range(
    insert: Callable[[Sequence[Sequence[Any]]], None],
    rows: Sequence[Sequence[Any]],
    indices: list[int],
    result: InsertResult,
) -> None:
    try:
        insert([rows[i] for i in indices])
    except Exception as exc:
        if is_outage(exc):
            raise Outage(str(exc)) from exc
        if len(indices) == 1:
            # The warehouse's error may quote the row's values (a constraint lists them).
            log.warning("row %d rejected by the warehouse: %s", indices[0], mask_text(exc))
            result.poison.append((indices[0], f"{exc.__class__.__name__}: {exc}"[:2000]))
            return
        mid = len(indices) // 2
        _insert_range(insert, rows, indices[:mid], result)
        _insert_range(insert, rows, indices[mid:], result)
        return
    result.stored.extend(indices)
