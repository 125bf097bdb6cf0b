"""A named query: its name, params model, description, cache lifetime and SQL (a file in
`queries/sql/` named after it, or a builder when the shape varies).

Its own module so each area's package (queries/whatsapp/, queries/ai/, …) can declare its
queries without importing the catalog, which imports them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from queries.params import example_range

SQL_DIR = Path(__file__).parent / "sql"

LIVE_TTL = 30  # seconds: live numbers (the seeds' real-time cache)
HISTORY_TTL = 300  # seconds: history (the seeds' dashboard cache)

PLACEHOLDER = re.compile(r"\{(\w+):([^{}]+?)\}")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    params: type[BaseModel]
    description: str
    ttl_seconds: int = HISTORY_TTL
    # Queries whose shape varies build their SQL from the validated params (structure only).
    builder: Callable[[Any], str] | None = None
    example: dict[str, Any] = field(default_factory=example_range)

    def sql_for(self, model: BaseModel) -> str:
        if self.builder is not None:
            return self.builder(model)
        return (SQL_DIR / f"{self.name}.sql").read_text()


def placeholders(sql: str) -> dict[str, str]:
    """`{name:Type}` placeholders of a SQL text → {name: Type} (the same name has one type)."""
    found: dict[str, str] = {}
    for name, type_ in PLACEHOLDER.findall(sql):
        if found.setdefault(name, type_.strip()) != type_.strip():
            raise ValueError(f"placeholder {name} has two types: {found[name]}, {type_}")
    return found
