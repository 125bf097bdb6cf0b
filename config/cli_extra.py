"""Registration point for commands that live with their feature (person, demo, query, …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def registrations() -> list[Callable[[Any], None]]:
    from processor.cli import register as person

    return [person]
