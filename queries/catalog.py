"""Named queries: one `.sql` file each, with the params model that validates its inputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from queries.params import ProjectRange

SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    params: type[BaseModel]
    description: str
    ttl_seconds: int = 300  # history: 5 min; live numbers: 30 s

    @property
    def sql(self) -> str:
        return (SQL_DIR / f"{self.name}.sql").read_text()


QUERIES: dict[str, NamedQuery] = {
    q.name: q
    for q in [
        NamedQuery("events_by_day", ProjectRange, "Events per day and channel", 30),
        NamedQuery("events_by_name", ProjectRange, "Events by name and channel", 30),
    ]
}


def get_query(name: str) -> NamedQuery:
    try:
        return QUERIES[name]
    except KeyError:
        raise KeyError(f"unknown query {name!r}; known: {', '.join(sorted(QUERIES))}") from None
