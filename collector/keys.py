"""Write-key → project lookups, cached briefly so the collector does not hit the store per request.

A revoked key keeps working for at most `KEY_CACHE_SECONDS` (default 5 s) on each collector.
"""

from __future__ import annotations

import asyncio
import time

from metadata.projects import Project, project_for_write_key, webhook_secrets_for

# Keys we issue are `nk_` + URL-safe base64 (crypto.new_secret); anything else is not looked up.
# A header with bytes that are not UTF-8 arrives as a str with surrogates, which could not even
# be hashed (a 500 before).
MAX_KEY_LENGTH = 200


def well_formed(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


class KeyCache:
    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._projects: dict[str, tuple[float, Project | None]] = {}
        self._secrets: dict[str, tuple[float, list[str]]] = {}

    async def project(self, write_key: str) -> Project | None:
        if not well_formed(write_key):
            return None
        now = time.monotonic()
        hit = self._projects.get(write_key)
        if hit and hit[0] > now:
            return hit[1]
        project = await asyncio.to_thread(project_for_write_key, write_key)
        if len(self._projects) > 10_000:  # bound memory against key-guessing floods
            self._projects.clear()
        self._projects[write_key] = (now + self._ttl, project)
        return project

    async def webhook_secrets(self, project_id: str) -> list[str]:
        now = time.monotonic()
        hit = self._secrets.get(project_id)
        if hit and hit[0] > now:
            return hit[1]
        secrets = await asyncio.to_thread(webhook_secrets_for, project_id)
        self._secrets[project_id] = (now + self._ttl, secrets)
        return secrets
