"""A local fake of the CRM's REST API (aiohttp), serving fixtures in exactly the shapes of
../shared/seeds/crm-system-master-context.md, for the client's tests and the pages' tests.

    with FakeCrm(api_key="k") as fake:             # a server on a free loopback port
        fake.base_url                              # http://127.0.0.1:<port>
        fake.script("/crm/chat", Reply(429, headers={"Retry-After": "2"}))  # next answer(s)
        fake.requests                              # what was asked, in order

Shapes (the seed's note: the live API is FLAT):
  GET /crm/chat?page=&limit=        {success, data: Contact[], pagination: {page, limit, total,
                                     totalPages}}
  GET /crm/chat/search?query=|email=|whatsapp_number=   {success, data: Contact[]}
  GET /crm/chat/:id/messages        {success, data: Message[]}
  GET /crm/campaign?page=&limit=    {success, data: Campaign[], count}   (count = all of them)
  GET /crm/campaign/:id/report      {success, campaign_id, metrics: {...}, delivery_rate: "98%"}
The campaign paths are the client's defaults; `campaigns_path` / `report_path` move them (a
test of the configurable paths). A wrong or missing API-KEY is a 401.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from stack.embedded import free_port


@dataclass
class Reply:
    """A scripted answer: a status, a JSON body (or raw text), headers."""

    status: int = 200
    body: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def contact(i: int) -> dict[str, Any]:
    """Contact i: every third without email, every fifth without name or custom fields (the
    seed's optional fields absent, not null)."""
    out: dict[str, Any] = {"chat_id": f"chat-{i:04d}", "whatsapp_number": f"+2547{i:08d}"}
    if i % 3:
        out["email"] = f"taxpayer{i}@example.co.ke"
    if i % 5:
        out["name"] = f"Taxpayer {i}"
        out["custom_fields"] = {"Segment": "SME" if i % 2 else "Individual",
                                "VIP": "yes" if i % 7 == 0 else "no"}
    return out


def campaign(campaign_id: str, name: str, status: str = "completed",
             scheduled_at: str | None = "2026-11-20T07:00:00.000Z") -> dict[str, Any]:
    return {"campaign_id": campaign_id, "name": name, "status": status,
            "scheduled_at": scheduled_at}


def report(campaign_id: str, recipients: int, delivered: int, read: int, replied: int,
           failed: int, delivery_rate: str) -> dict[str, Any]:
    return {"success": True, "campaign_id": campaign_id,
            "metrics": {"total_recipients": recipients, "delivered": delivered, "read": read,
                        "replied": replied, "failed": failed},
            "delivery_rate": delivery_rate}


def message(message_id: str, content: str, direction: str, status: str,
            timestamp: str) -> dict[str, Any]:
    return {"message_id": message_id, "content": content, "direction": direction,
            "status": status, "timestamp": timestamp}


DEFAULT_CAMPAIGNS = [
    campaign("cmp-nil-deadline-20261120", "NIL return deadline reminder", "completed"),
    campaign("cmp-tcc-whatsapp-20261127", "Apply for your TCC on WhatsApp", "active",
             "2026-11-27T07:00:00.000Z"),
    campaign("cmp-pin-update-20261204", "Update your PIN details", "scheduled",
             "2026-12-04T07:00:00.000Z"),
    campaign("cmp-draft", "Draft: iTax maintenance", "draft", None),
]


class FakeCrm:
    def __init__(self, api_key: str = "test-crm-key", contacts: int = 250,
                 campaigns: list[dict[str, Any]] | None = None,
                 campaigns_path: str = "/crm/campaign",
                 report_path: str = "/crm/campaign/{campaign_id}/report") -> None:
        self.api_key = api_key
        self.contacts = [contact(i) for i in range(1, contacts + 1)]
        self.campaigns = list(DEFAULT_CAMPAIGNS if campaigns is None else campaigns)
        self.reports: dict[str, dict[str, Any]] = {
            "cmp-nil-deadline-20261120": report("cmp-nil-deadline-20261120", 1000, 980, 700,
                                                120, 20, "98%"),
            "cmp-tcc-whatsapp-20261127": report("cmp-tcc-whatsapp-20261127", 400, 390, 250, 31,
                                                10, "97.5%"),
        }
        self.messages: dict[str, list[dict[str, Any]]] = {
            "chat-0001": [
                message("wamid.1", "Habari, I need my PIN", "inbound", "read",
                        "2026-11-20T09:00:00.000Z"),
                message("wamid.2", "Sure — what is your ID number?", "outbound", "read",
                        "2026-11-20T09:00:04.000Z"),
                message("wamid.3", "12345678", "inbound", "delivered",
                        "2026-11-20T09:01:10.000Z"),
            ],
        }
        self.campaigns_path = campaigns_path
        self.report_path = report_path
        self.requests: list[dict[str, Any]] = []
        self._scripted: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- control from the tests --------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, path: str, *replies: Reply) -> None:
        """The next answers to `path` (before the fixtures answer again)."""
        with self._lock:
            self._scripted[path].extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._scripted.clear()
            self.requests.clear()

    def paths(self) -> list[str]:
        with self._lock:
            return [r["path"] for r in self.requests]

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeCrm:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.port = free_port()
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            app = web.Application()
            app.router.add_get("/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-crm", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake CRM did not start")

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = self._thread = None

    # --- the API ---------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path
        with self._lock:
            self.requests.append({"path": path, "query": dict(request.query),
                                  "api_key": request.headers.get("API-KEY")})
            scripted = self._scripted[path].popleft() if self._scripted[path] else None
        if request.headers.get("API-KEY") != self.api_key:
            return web.json_response({"success": False, "message": "Invalid API key"},
                                     status=401)
        if scripted is not None:
            if scripted.text is not None:
                return web.Response(status=scripted.status, text=scripted.text,
                                    headers=scripted.headers, content_type="application/json")
            return web.json_response(scripted.body, status=scripted.status,
                                     headers=scripted.headers)
        return self._fixture(path, request.query)

    def _fixture(self, path: str, query: Any) -> web.Response:
        page = int(query.get("page", 1))
        limit = int(query.get("limit", 20))
        if path == "/crm/chat":
            chunk = self.contacts[(page - 1) * limit: page * limit]
            total = len(self.contacts)
            return web.json_response({"success": True, "data": chunk, "pagination": {
                "page": page, "limit": limit, "total": total,
                "totalPages": (total + limit - 1) // limit}})
        if path == "/crm/chat/search":
            found = [c for c in self.contacts
                     if (query.get("email") and c.get("email") == query["email"])
                     or (query.get("whatsapp_number")
                         and c["whatsapp_number"] == query["whatsapp_number"])
                     or (query.get("query") and query["query"].lower()
                         in " ".join(str(v) for k, v in c.items()
                                     if k != "custom_fields").lower())]
            return web.json_response({"success": True, "data": found})
        if path.startswith("/crm/chat/") and path.endswith("/messages"):
            chat_id = path.removeprefix("/crm/chat/").removesuffix("/messages")
            if not any(c["chat_id"] == chat_id for c in self.contacts):
                return web.json_response({"success": False, "message": "Chat not found"},
                                         status=404)
            return web.json_response({"success": True, "data": self.messages.get(chat_id, [])})
        if path == self.campaigns_path:
            chunk = self.campaigns[(page - 1) * limit: page * limit]
            return web.json_response({"success": True, "data": chunk,
                                      "count": len(self.campaigns)})
        head, _, tail = self.report_path.partition("{campaign_id}")
        if path.startswith(head) and path.endswith(tail) and len(path) > len(head + tail):
            campaign_id = path[len(head): len(path) - len(tail)]
            found = self.reports.get(campaign_id)
            if found is None:
                return web.json_response({"success": False, "message": "Campaign not found"},
                                         status=404)
            return web.json_response(found)
        return web.json_response({"success": False, "message": f"no route {path}"},
                                 status=404)
