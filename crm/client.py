"""A typed client for the CRM's REST API (../shared/seeds/crm-system-master-context.md).

    config = CrmConfig("https://crm.chatnation.co.ke", api_key)
    async with CrmClient(config) as crm:
        page = await crm.list_contacts(page=1, limit=50)     # ContactListResponse
        total = page.pagination.total
        report = await crm.campaign_report("cmp-1")           # CampaignReport ("98%" → 98.0)

    total = run_sync(config, lambda crm: crm.contact_total())  # from synchronous code

Every request carries the `API-KEY` header, waits its turn under the 60 requests/minute limit
(crm.ratelimit, shared by all clients of one account in the process) and is retried on 429
(after its Retry-After), 5xx and connection errors, with exponential backoff. Responses are
parsed strictly (crm.models): a malformed body is a CrmResponseError naming the endpoint and the
field, never a KeyError somewhere later.

Paths. The seed gives the contact and message paths; it gives the campaign entities and
`listCampaigns` / `getCampaignReport` but not their paths, so those are settings with defaults
in the same style (`/crm/campaign`, `/crm/campaign/{campaign_id}/report`). Paging uses
`page` and `limit` query parameters; search sends `query`, `email` and/or `whatsapp_number`
(the seed says "find by email/phone" without the parameter names).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel, ValidationError

from crm import ratelimit
from crm.models import (
    Campaign,
    CampaignListResponse,
    CampaignReport,
    Contact,
    ContactListResponse,
    ContactSearchResponse,
    MessageListResponse,
)

log = logging.getLogger("njia.crm")

CONTACTS_PATH = "/crm/chat"
CONTACT_SEARCH_PATH = "/crm/chat/search"
MESSAGES_PATH = "/crm/chat/{chat_id}/messages"
DEFAULT_CAMPAIGNS_PATH = "/crm/campaign"
DEFAULT_CAMPAIGN_REPORT_PATH = "/crm/campaign/{campaign_id}/report"
MAX_PAGES = 1000  # a guard against a CRM whose paging never ends

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class CrmError(Exception):
    """Anything that kept an answer from the CRM; the message says what and where."""


class CrmUnavailable(CrmError):
    """Not reachable, or still failing (5xx, 429, connection) after the retries."""


class CrmHttpError(CrmError):
    def __init__(self, endpoint: str, status: int, detail: str) -> None:
        super().__init__(f"{endpoint}: HTTP {status}: {detail}")
        self.endpoint = endpoint
        self.status = status


class CrmAuthError(CrmHttpError):
    """401/403: the API key is wrong or lacks the right."""


class CrmApiError(CrmError):
    """The CRM answered `success: false`."""


class CrmResponseError(CrmError):
    """The body is not the seed's shape: `field` names the first wrong field (`data[3].chat_id`)."""

    def __init__(self, endpoint: str, field: str, problem: str) -> None:
        where = f" field {field}" if field else ""
        super().__init__(f"{endpoint}: unexpected response:{where}: {problem}")
        self.endpoint = endpoint
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class CrmConfig:
    base_url: str
    api_key: str = field(repr=False)  # never in logs or reprs
    campaigns_path: str = DEFAULT_CAMPAIGNS_PATH
    campaign_report_path: str = DEFAULT_CAMPAIGN_REPORT_PATH
    timeout_s: float = 10.0
    max_attempts: int = 4  # the first try and three retries
    backoff_s: float = 0.5  # 0.5, 1, 2 s … between retries of 5xx / connection errors
    max_backoff_s: float = 8.0
    # A Retry-After longer than this is not waited for: the call fails (a page must not hang).
    max_retry_after_s: float = 60.0
    rate_limit: int = ratelimit.LIMIT
    rate_period_s: float = ratelimit.PERIOD_S
    page_size: int = 100

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


def field_path(loc: tuple[Any, ...]) -> str:
    """pydantic's error location as a path: ('data', 3, 'chat_id') → data[3].chat_id."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(model: type[M], raw: bytes, endpoint: str) -> M:
    """`raw` as `model`, strictly; any problem as a CrmResponseError naming the field."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CrmResponseError(endpoint, "", f"not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise CrmResponseError(endpoint, "", f"expected a JSON object, got "
                                             f"{type(body).__name__}")
    if body.get("success") is False:
        detail = body.get("message") or body.get("error") or "no reason given"
        raise CrmApiError(f"{endpoint}: the CRM answered success=false: {detail}")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise CrmResponseError(endpoint, field_path(tuple(err["loc"])),
                               err["msg"] + more) from None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class CrmClient:
    """One CRM account. Use as `async with CrmClient(config) as crm: …`."""

    def __init__(self, config: CrmConfig, *, limiter: ratelimit.RateLimiter | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.config = config
        self.limiter = limiter or ratelimit.shared(config.base_url, config.api_key,
                                                   config.rate_limit, config.rate_period_s)
        self.sleep = sleep
        self.requests_sent = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> CrmClient:
        self._session = aiohttp.ClientSession(
            headers={"API-KEY": self.config.api_key, "Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=self.config.timeout_s))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- transport ------------------------------------------------------------------------
    async def _get(self, model: type[M], path: str, params: dict[str, Any] | None = None) -> M:
        if self._session is None:
            raise RuntimeError("use `async with CrmClient(config) as crm`")
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        endpoint = f"GET {path}"
        url = self.config.url(path)
        cfg = self.config
        for attempt in range(1, cfg.max_attempts + 1):
            last = attempt == cfg.max_attempts
            wait = self.limiter.reserve()
            if wait > 0:
                log.info("CRM rate limit: waiting %.1f s before %s", wait, endpoint)
                await self.sleep(wait)
            self.requests_sent += 1
            try:
                async with self._session.get(url, params=query) as response:
                    status = response.status
                    raw = await response.read()
                    retry_after = response.headers.get("Retry-After")
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if last:
                    raise CrmUnavailable(f"{endpoint}: cannot reach the CRM at "
                                         f"{cfg.base_url} ({problem})") from None
                delay = self._backoff(attempt)
                log.warning("CRM %s: %s; retry %d in %.1f s", endpoint, problem, attempt, delay)
                await self.sleep(delay)
                continue
            if status == 200:
                return parse(model, raw, endpoint)
            detail = _excerpt(raw)
            if status == 429:
                delay = retry_after_seconds(retry_after)
                delay = self._backoff(attempt) if delay is None else delay
                if last or delay > cfg.max_retry_after_s:
                    raise CrmUnavailable(f"{endpoint}: the CRM's rate limit (HTTP 429, "
                                         f"Retry-After {retry_after or '-'}): {detail}")
                log.warning("CRM %s: HTTP 429; retry %d after %.1f s", endpoint, attempt, delay)
                await self.sleep(delay)
                continue
            if status >= 500:
                if last:
                    raise CrmUnavailable(f"{endpoint}: HTTP {status} after {attempt} "
                                         f"attempts: {detail}")
                delay = self._backoff(attempt)
                log.warning("CRM %s: HTTP %d; retry %d in %.1f s", endpoint, status, attempt,
                            delay)
                await self.sleep(delay)
                continue
            if status in (401, 403):
                raise CrmAuthError(endpoint, status, "the API key was refused")
            raise CrmHttpError(endpoint, status, detail)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _backoff(self, attempt: int) -> float:
        return min(self.config.max_backoff_s, self.config.backoff_s * 2 ** (attempt - 1))

    # --- contacts ---------------------------------------------------------------------------
    async def list_contacts(self, page: int = 1, limit: int | None = None
                            ) -> ContactListResponse:
        """One page of contacts (`GET /crm/chat?page=&limit=`)."""
        return await self._get(ContactListResponse, CONTACTS_PATH,
                               {"page": page, "limit": limit or self.config.page_size})

    async def contact_total(self) -> int:
        """The number of contacts: the contact list's pagination total (one small request)."""
        return (await self.list_contacts(page=1, limit=1)).pagination.total

    async def iter_contacts(self, limit: int | None = None) -> AsyncIterator[Contact]:
        """Every contact, page after page, until the pagination total is reached (or a page
        comes back short or empty)."""
        size = limit or self.config.page_size
        seen = 0
        for page_no in range(1, MAX_PAGES + 1):
            page = await self.list_contacts(page=page_no, limit=size)
            for contact in page.data:
                yield contact
            seen += len(page.data)
            if not page.data or len(page.data) < size or seen >= page.pagination.total:
                return
        log.warning("CRM contact list: stopped after %d pages", MAX_PAGES)

    async def search_contacts(self, *, query: str | None = None, email: str | None = None,
                              whatsapp_number: str | None = None, page: int | None = None,
                              limit: int | None = None) -> ContactSearchResponse:
        """Contacts by email or phone (`GET /crm/chat/search`)."""
        if not any((query, email, whatsapp_number)):
            raise ValueError("search needs a query, an email or a whatsapp_number")
        return await self._get(ContactSearchResponse, CONTACT_SEARCH_PATH, {
            "query": query, "email": email, "whatsapp_number": whatsapp_number, "page": page,
            "limit": limit})

    # --- messages ---------------------------------------------------------------------------
    async def get_messages(self, chat_id: str, page: int | None = None,
                           limit: int | None = None) -> MessageListResponse:
        """A chat's messages (`GET /crm/chat/:id/messages`)."""
        path = MESSAGES_PATH.format(chat_id=quote(str(chat_id), safe=""))
        return await self._get(MessageListResponse, path, {"page": page, "limit": limit})

    # --- campaigns --------------------------------------------------------------------------
    async def list_campaigns(self, page: int = 1, limit: int | None = None
                             ) -> CampaignListResponse:
        return await self._get(CampaignListResponse, self.config.campaigns_path,
                               {"page": page, "limit": limit or self.config.page_size})

    async def all_campaigns(self, limit: int | None = None) -> list[Campaign]:
        """Every campaign. `count` is read as the total when it exceeds a page's length (the
        seed does not say whether it counts the page or all); a short or empty page ends."""
        size = limit or self.config.page_size
        out: list[Campaign] = []
        for page_no in range(1, MAX_PAGES + 1):
            page = await self.list_campaigns(page=page_no, limit=size)
            out.extend(page.data)
            if not page.data or len(page.data) < size:
                return out
            if page.count > len(page.data) and len(out) >= page.count:
                return out
        log.warning("CRM campaign list: stopped after %d pages", MAX_PAGES)
        return out

    async def campaign_report(self, campaign_id: str) -> CampaignReport:
        path = self.config.campaign_report_path.format(
            campaign_id=quote(str(campaign_id), safe=""))
        report = await self._get(CampaignReport, path)
        if report.campaign_id != str(campaign_id):
            raise CrmResponseError(f"GET {path}", "campaign_id",
                                   f"is {report.campaign_id!r}, asked for {campaign_id!r}")
        return report


def _excerpt(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", "replace").strip().replace("\n", " ")
    return (text[:limit] + "…") if len(text) > limit else (text or "(empty body)")


def run_sync(config: CrmConfig, call: Callable[[CrmClient], Awaitable[T]]) -> T:
    """`call(client)` from synchronous code (the workbench, the CLI): a loop of its own, in a
    worker thread when this thread already runs one."""

    async def main() -> T:
        async with CrmClient(config) as client:
            return await call(client)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    contacts: int | None = None
    campaigns: int | None = None
    problems: tuple[str, ...] = ()


def check_connection(config: CrmConfig) -> ConnectionCheck:
    """What the Admin page's "Test connection" shows: the contact total and the number of
    campaigns, or what failed (each endpoint on its own: a wrong campaign path is told apart
    from a wrong key)."""

    async def both(crm: CrmClient) -> ConnectionCheck:
        problems: list[str] = []
        contacts = campaigns = None
        try:
            contacts = await crm.contact_total()
        except CrmError as exc:
            problems.append(str(exc))
        try:
            campaigns = len(await crm.all_campaigns())
        except CrmError as exc:
            problems.append(str(exc))
        return ConnectionCheck(not problems, contacts, campaigns, tuple(problems))

    return run_sync(config, both)
