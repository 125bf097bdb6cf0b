"""What the workbench reads from the CRM when a project has an integration configured.

Every function returns None (or empty) when no integration is configured or the CRM cannot be
reached: the pages then show the event-based numbers only.
"""

from __future__ import annotations


def total_contacts(project_id: str) -> int | None:
    """The CRM's contact count (its contact list's pagination total), or None."""
    return None
