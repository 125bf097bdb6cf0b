"""The demo project and the credentials the demo sends with, taken in-process.

A project's write key and webhook secret are shown once, at creation, so the demo cannot ask
for them. It creates the project when missing; otherwise it rotates nothing: it adds a write
key of its own next to the existing ones and revokes just that key when the load is done, and
signs with the active webhook secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from demo.errors import DemoError
from metadata.projects import (
    create_project,
    get_project,
    issue_write_key,
    require_project,
    update_settings,
    webhook_secrets_for,
)

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Credentials:
    project_id: str
    created: bool
    # Never shown: kept out of repr so a log line or traceback cannot leak them.
    write_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)


def prepare(project_id: str, days: int) -> Credentials:
    """Create the project if needed, let it accept events `days` (+1) old, return credentials.

    The age limit is raised before the write key is first used: the collector caches a key's
    project (settings included) on first use, so a fresh key always sees the new limit.
    """
    project = get_project(project_id)
    created = project is None
    if created:
        made = create_project(project_id)
        write_key, secret = made["write_key"], made["webhook_secret"]
        project = require_project(project_id)
    needed = (days + 1) * DAY_SECONDS
    if project.settings.max_event_age_seconds < needed:
        update_settings(project_id, max_event_age_seconds=needed)
    if not created:
        secrets = webhook_secrets_for(project_id)
        if not secrets:
            raise DemoError(f"project {project_id!r} has no active webhook secret; create "
                               f"one with `njia project rotate-secret {project_id}`")
        secret = secrets[0]
        write_key = issue_write_key(project_id)
    return Credentials(project_id, created, write_key, secret)


def demo_is_empty(project_id: str) -> bool:
    """True when the warehouse holds no event of the project (events still queued in Redis
    are not counted)."""
    from warehouse.events_store import event_count

    return event_count(project_id) == 0
