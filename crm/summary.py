"""What the workbench reads from the CRM when a project has an integration configured.

Every function returns None (or empty) when no integration is configured or the CRM cannot be
reached (logged): the pages then show the event-based numbers only. Answers are cached in the
process for 5 minutes (the seeds' dashboard cache) and failures for 1 minute, so a page rerun —
every widget click — does not call the CRM, and a CRM that is down costs one timeout a minute,
not one per click. Saving the integration again (new URL, paths or key) starts a fresh cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from crm.client import CrmClient, CrmConfig, CrmError, run_sync
from crm.models import CampaignReport
from metadata.integrations import CrmConnection, crm_connection
from metadata.projects import ProjectError

log = logging.getLogger("njia.crm")

OK_TTL_S = 300.0
FAILED_TTL_S = 60.0

# A page waits for these, so they are shorter than the client's defaults: 5 s a request, three
# tries, and a Retry-After beyond 10 s is not waited for (the page shows events only instead).
PAGE_LIMITS: dict[str, Any] = {"timeout_s": 5.0, "max_attempts": 3, "backoff_s": 0.5,
                               "max_retry_after_s": 10.0}

T = TypeVar("T")


@dataclass(frozen=True)
class CampaignInfo:
    campaign_id: str
    name: str
    status: str
    scheduled_at: datetime | None


@dataclass(frozen=True)
class Lookup:
    """An answer with the reason there is none: `configured` False (no integration), or
    `error` (what failed: unreachable, key refused, malformed answer)."""

    configured: bool
    value: Any = None
    error: str | None = None


_cache: dict[tuple[Any, ...], tuple[float, Lookup]] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def config_for(connection: CrmConnection, **limits: Any) -> CrmConfig:
    found = connection.integration
    return CrmConfig(found.base_url, connection.api_key, campaigns_path=found.campaigns_path,
                     campaign_report_path=found.campaign_report_path, **limits)


def _lookup(kind: str, project_id: str, call: Callable[[CrmClient], Awaitable[T]],
            *extra: Any) -> Lookup:
    try:
        connection = crm_connection(project_id)
    except ProjectError as exc:  # a key that cannot be decrypted
        log.warning("CRM of %s: %s", project_id, exc)
        return Lookup(True, error=str(exc))
    if connection is None:
        return Lookup(False)
    found = connection.integration
    key = (kind, project_id, found.updated_at, found.key_set_at, *extra)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
    try:
        result = Lookup(True, run_sync(config_for(connection, **PAGE_LIMITS), call))
        ttl = OK_TTL_S
    except CrmError as exc:
        log.warning("CRM of %s (%s): %s", project_id, kind, exc)
        result, ttl = Lookup(True, error=str(exc)), FAILED_TTL_S
    with _lock:
        _cache[key] = (time.monotonic() + ttl, result)
    return result


def total_contacts(project_id: str) -> int | None:
    """The CRM's contact count (its contact list's pagination total), or None."""
    return _lookup("contacts", project_id, lambda crm: crm.contact_total()).value


async def _campaigns(crm: CrmClient) -> dict[str, CampaignInfo]:
    return {c.campaign_id: CampaignInfo(c.campaign_id, c.name, c.status, c.scheduled_at)
            for c in await crm.all_campaigns()}


def campaign_lookup(project_id: str) -> Lookup:
    """The CRM's campaigns by campaign_id (`value`: dict[str, CampaignInfo]), with why not."""
    return _lookup("campaigns", project_id, _campaigns)


def campaigns(project_id: str) -> dict[str, CampaignInfo] | None:
    """Names and statuses of the CRM's campaigns by campaign_id, or None."""
    return campaign_lookup(project_id).value


def active_campaigns(project_id: str) -> int | None:
    """How many of the CRM's campaigns have status `active`, or None."""
    found = campaigns(project_id)
    return None if found is None else sum(c.status == "active" for c in found.values())


def report_lookup(project_id: str, campaign_id: str) -> Lookup:
    """The CRM's own report of one campaign (`value`: CampaignReport), with why not."""
    return _lookup("report", project_id, lambda crm: crm.campaign_report(campaign_id),
                   campaign_id)


def campaign_report(project_id: str, campaign_id: str) -> CampaignReport | None:
    return report_lookup(project_id, campaign_id).value
