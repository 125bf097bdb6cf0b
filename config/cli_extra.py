"""Registration point for commands that live with their feature (person, demo, query, …).

Each entry is a function taking argparse's subparsers object and adding one command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def registrations() -> list[Callable[[Any], None]]:
    from collector.demo.cli import register as register_demo
    from config.tokens_cli import register as register_token
    from config.users_cli import register as register_user
    from processor.cli import register as register_person
    from queries.cli import register as register_query

    return [register_query, register_token, register_user, register_person, register_demo]
