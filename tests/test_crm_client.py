"""The CRM client against a local fake CRM (tests/fake_crm.py) serving the seed's shapes:
pagination, search, messages, campaigns and the flat campaign report, strict parsing of
malformed answers, retries (429 + Retry-After, 5xx, connection errors) and the client-side
60 requests/minute limit (on a fake clock: no test waits a minute, or at all)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from crm.client import (
    CrmApiError,
    CrmAuthError,
    CrmClient,
    CrmConfig,
    CrmHttpError,
    CrmResponseError,
    CrmUnavailable,
    check_connection,
    field_path,
    retry_after_seconds,
    run_sync,
)
from crm.ratelimit import RateLimiter
from stack.embedded import free_port
from tests.fake_crm import FakeCrm, Reply, report

KEY = "test-crm-key"


class FakeClock:
    """A clock and an async sleep that moves it: waits are recorded, never slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCrm]:
    with FakeCrm(api_key=KEY) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeCrm) -> None:
    fake.reset()


def client(fake: FakeCrm, clock: FakeClock | None = None, **config) -> CrmClient:
    clock = clock or FakeClock()
    return CrmClient(CrmConfig(fake.base_url, config.pop("api_key", KEY), **config),
                     limiter=RateLimiter(clock=clock), sleep=clock.sleep)


# --- contacts --------------------------------------------------------------------------------
async def test_contacts_page_by_page(fake):
    async with client(fake, page_size=100) as crm:
        everyone = [c async for c in crm.iter_contacts()]
    assert len(everyone) == 250 and len({c.chat_id for c in everyone}) == 250
    assert [r["query"] for r in fake.requests] == [
        {"page": "1", "limit": "100"}, {"page": "2", "limit": "100"},
        {"page": "3", "limit": "100"}]
    assert all(r["api_key"] == KEY for r in fake.requests)
    first, third, fifth = everyone[0], everyone[2], everyone[4]
    assert (first.chat_id, first.whatsapp_number, first.email, first.name) == (
        "chat-0001", "+254700000001", "taxpayer1@example.co.ke", "Taxpayer 1")
    assert first.custom_fields == {"Segment": "SME", "VIP": "no"}
    assert third.email is None  # optional fields absent in the answer
    assert fifth.name is None and fifth.custom_fields is None


async def test_one_page_and_the_total(fake):
    async with client(fake) as crm:
        page = await crm.list_contacts(page=3, limit=40)
        total = await crm.contact_total()
    assert [c.chat_id for c in page.data][:2] == ["chat-0081", "chat-0082"]
    assert (page.pagination.total, page.pagination.page, page.pagination.limit,
            page.pagination.total_pages) == (250, 3, 40, 7)
    assert total == 250
    assert fake.requests[-1]["query"] == {"page": "1", "limit": "1"}  # one small request


async def test_an_exact_multiple_of_the_page_size_stops_at_the_total(fake):
    async with client(fake) as crm:
        got = [c async for c in crm.iter_contacts(limit=50)]
    assert len(got) == 250 and len(fake.requests) == 5  # no sixth, empty page


async def test_search_by_email_and_by_phone(fake):
    async with client(fake) as crm:
        by_email = await crm.search_contacts(email="taxpayer7@example.co.ke")
        by_phone = await crm.search_contacts(whatsapp_number="+254700000012")
        nobody = await crm.search_contacts(query="no such person")
        with pytest.raises(ValueError):
            await crm.search_contacts()
    assert [c.chat_id for c in by_email.data] == ["chat-0007"]
    assert [c.chat_id for c in by_phone.data] == ["chat-0012"]
    assert nobody.data == []
    assert fake.requests[0] == {"path": "/crm/chat/search",
                                "query": {"email": "taxpayer7@example.co.ke"}, "api_key": KEY}


# --- messages --------------------------------------------------------------------------------
async def test_a_chats_messages(fake):
    async with client(fake) as crm:
        found = await crm.get_messages("chat-0001")
        empty = await crm.get_messages("chat-0002")
        with pytest.raises(CrmHttpError) as missing:
            await crm.get_messages("chat/../9999")
    assert [(m.message_id, m.direction, m.status) for m in found.data] == [
        ("wamid.1", "inbound", "read"), ("wamid.2", "outbound", "read"),
        ("wamid.3", "inbound", "delivered")]
    assert found.data[1].timestamp == datetime(2026, 11, 20, 9, 0, 4, tzinfo=UTC)
    assert empty.data == []
    assert missing.value.status == 404
    # The id is one path segment, quoted: it cannot walk the API's paths.
    assert fake.requests[-1]["path"] == "/crm/chat/chat/../9999/messages"


# --- campaigns -------------------------------------------------------------------------------
async def test_campaigns_over_pages(fake):
    async with client(fake) as crm:
        found = await crm.all_campaigns(limit=3)
    assert [(c.campaign_id, c.status) for c in found] == [
        ("cmp-nil-deadline-20261120", "completed"), ("cmp-tcc-whatsapp-20261127", "active"),
        ("cmp-pin-update-20261204", "scheduled"), ("cmp-draft", "draft")]
    assert found[0].name == "NIL return deadline reminder"
    assert found[0].scheduled_at == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    assert found[3].scheduled_at is None
    assert [r["query"]["page"] for r in fake.requests] == ["1", "2"]


async def test_the_flat_campaign_report_and_its_percentage_string(fake):
    async with client(fake) as crm:
        nil = await crm.campaign_report("cmp-nil-deadline-20261120")
        tcc = await crm.campaign_report("cmp-tcc-whatsapp-20261127")
    assert nil.metrics.total_recipients == 1000 and nil.metrics.replied == 120
    assert (nil.delivery_rate, nil.delivery_rate_percent) == ("98%", 98.0)
    assert (tcc.delivery_rate, tcc.delivery_rate_percent) == ("97.5%", 97.5)
    assert fake.paths() == ["/crm/campaign/cmp-nil-deadline-20261120/report",
                            "/crm/campaign/cmp-tcc-whatsapp-20261127/report"]


async def test_campaign_paths_are_configurable():
    paths = {"campaigns_path": "/api/v2/campaigns",
             "campaign_report_path": "/api/v2/campaigns/{campaign_id}/stats"}
    with FakeCrm(api_key=KEY, campaigns_path=paths["campaigns_path"],
                 report_path=paths["campaign_report_path"]) as moved:
        async with client(moved, **paths) as crm:
            assert len(await crm.all_campaigns()) == 4
            report_ = await crm.campaign_report("cmp-nil-deadline-20261120")
        async with client(moved) as default_paths:  # the defaults are not there
            with pytest.raises(CrmHttpError) as info:
                await default_paths.all_campaigns()
    assert report_.delivery_rate_percent == 98.0
    assert info.value.status == 404 and "GET /crm/campaign" in str(info.value)


async def test_a_wrong_key_is_refused_clearly(fake):
    async with client(fake, api_key="wrong") as crm:
        with pytest.raises(CrmAuthError) as info:
            await crm.contact_total()
    assert info.value.status == 401 and "API key was refused" in str(info.value)
    assert "wrong" not in str(info.value)  # the key itself is never in a message
    assert "wrong" not in repr(CrmConfig("http://x", "wrong"))


# --- malformed answers -----------------------------------------------------------------------
MALFORMED = [
    # (path, body, the field the error names, words of the problem)
    ("/crm/chat", {"success": True, "data": [{"chat_id": "c1", "whatsapp_number": "+2547"},
                                             {"whatsapp_number": "+2548"}],
                   "pagination": {"total": 2}}, "data[1].chat_id", "Field required"),
    ("/crm/chat", {"success": True, "data": [], "pagination": {"total": "250"}},
     "pagination.total", "valid integer"),
    ("/crm/chat", {"success": True, "data": []}, "pagination", "Field required"),
    ("/crm/chat", {"success": True, "data": [{"chat_id": "c1", "whatsapp_number": 254700}],
                   "pagination": {"total": 1}}, "data[0].whatsapp_number", "valid string"),
    ("/crm/chat", {"success": True, "data": [{"chat_id": "c1", "whatsapp_number": "+2547",
                                              "custom_fields": {"VIP": True}}],
                   "pagination": {"total": 1}}, "data[0].custom_fields.VIP", "valid string"),
    ("/crm/campaign", {"success": True, "data": [{"campaign_id": "x", "name": "X",
                                                  "status": "paused", "scheduled_at": None}],
                       "count": 1}, "data[0].status", "'draft', 'scheduled'"),
    ("/crm/campaign", {"success": True, "data": [{"campaign_id": "x", "name": "X",
                                                  "status": "active"}], "count": 1},
     "data[0].scheduled_at", "Field required"),
    ("/crm/campaign/c1/report", report("c1", 10, 9, 5, 1, 1, "ninety-eight"),
     "delivery_rate", "percentage"),
    ("/crm/campaign/c1/report", {**report("c1", 10, 9, 5, 1, 1, "90%"), "delivery_rate": 0.9},
     "delivery_rate", "valid string"),
    # The nested design the seed warns about: {success, data: {...}} is not the live shape.
    ("/crm/campaign/c1/report", {"success": True, "data": report("c1", 10, 9, 5, 1, 1, "90%")},
     "campaign_id", "Field required"),
    ("/crm/campaign/c1/report", {**report("c1", 10, 9, 5, 1, 1, "90%"),
                                 "metrics": {"total_recipients": 10, "delivered": 9}},
     "metrics.read", "Field required"),
]


@pytest.mark.parametrize(("path", "body", "field", "words"), MALFORMED,
                         ids=[m[2] for m in MALFORMED])
async def test_a_malformed_answer_names_the_field(fake, path, body, field, words):
    fake.script(path, Reply(body=body))
    async with client(fake) as crm:
        with pytest.raises(CrmResponseError) as info:
            if path == "/crm/chat":
                await crm.list_contacts()
            elif path == "/crm/campaign":
                await crm.all_campaigns()
            else:
                await crm.campaign_report("c1")
    assert info.value.field == field
    assert words in str(info.value) and f"GET {path}" in str(info.value)


async def test_not_json_not_an_object_and_success_false(fake):
    fake.script("/crm/chat", Reply(text="<html>Bad gateway</html>"), Reply(body=[1, 2]),
                Reply(body={"success": False, "message": "team suspended"}))
    async with client(fake) as crm:
        with pytest.raises(CrmResponseError, match="not JSON"):
            await crm.contact_total()
        with pytest.raises(CrmResponseError, match="expected a JSON object, got list"):
            await crm.contact_total()
        with pytest.raises(CrmApiError, match="team suspended"):
            await crm.contact_total()


async def test_a_report_for_another_campaign_is_refused(fake):
    fake.script("/crm/campaign/c1/report", Reply(body=report("c2", 1, 1, 1, 0, 0, "100%")))
    async with client(fake) as crm:
        with pytest.raises(CrmResponseError) as info:
            await crm.campaign_report("c1")
    assert info.value.field == "campaign_id"


def test_field_paths():
    assert field_path(("data", 3, "chat_id")) == "data[3].chat_id"
    assert field_path(("metrics", "read")) == "metrics.read"
    assert field_path(()) == ""


# --- retries ---------------------------------------------------------------------------------
async def test_429_waits_for_retry_after(fake):
    fake.script("/crm/chat", Reply(429, {"success": False, "message": "Too many requests"},
                                   headers={"Retry-After": "7"}),
                Reply(429, headers={"Retry-After": "3"}, body={}))
    clock = FakeClock()
    async with client(fake, clock) as crm:
        assert await crm.contact_total() == 250
    assert clock.slept == [7.0, 3.0]
    assert len(fake.requests) == 3 and crm.requests_sent == 3


async def test_429_without_retry_after_backs_off_and_a_long_one_is_not_waited(fake):
    fake.script("/crm/chat", Reply(429, body={}), Reply(429, headers={"Retry-After": "3600"},
                                                         body={}))
    clock = FakeClock()
    async with client(fake, clock) as crm:
        with pytest.raises(CrmUnavailable, match="429.*Retry-After 3600"):
            await crm.contact_total()
    assert clock.slept == [0.5]  # backoff for the first; the hour is not waited for


async def test_5xx_is_retried_with_backoff_then_given_up(fake):
    fake.script("/crm/chat", Reply(503, body={}), Reply(502, text="bad gateway"))
    clock = FakeClock()
    async with client(fake, clock) as crm:
        assert await crm.contact_total() == 250
    assert clock.slept == [0.5, 1.0]
    fake.script("/crm/chat", *[Reply(500, text="boom")] * 4)
    clock = FakeClock()
    async with client(fake, clock) as crm:
        with pytest.raises(CrmUnavailable, match="HTTP 500 after 4 attempts: boom"):
            await crm.contact_total()
    assert clock.slept == [0.5, 1.0, 2.0]


async def test_other_4xx_are_not_retried(fake):
    fake.script("/crm/chat", Reply(400, {"success": False, "message": "bad limit"}))
    clock = FakeClock()
    async with client(fake, clock) as crm:
        with pytest.raises(CrmHttpError, match="HTTP 400.*bad limit"):
            await crm.contact_total()
    assert clock.slept == [] and len(fake.requests) == 1


async def test_connection_errors_are_retried_then_reported():
    clock = FakeClock()
    dead = CrmConfig(f"http://127.0.0.1:{free_port()}", KEY, max_attempts=3, timeout_s=2)
    async with CrmClient(dead, limiter=RateLimiter(clock=clock), sleep=clock.sleep) as crm:
        with pytest.raises(CrmUnavailable, match="cannot reach the CRM"):
            await crm.contact_total()
    assert clock.slept == [0.5, 1.0] and crm.requests_sent == 3


def test_retry_after_forms():
    now = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("12", now) == 12.0
    assert retry_after_seconds("Fri, 20 Nov 2026 09:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Fri, 20 Nov 2026 08:59:00 GMT", now) == 0.0  # in the past
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


# --- the rate limit --------------------------------------------------------------------------
def test_the_61st_request_waits_until_the_first_is_a_minute_old():
    clock = FakeClock()
    limiter = RateLimiter(60, 60.0, clock=clock)
    assert [limiter.reserve() for _ in range(60)] == [0.0] * 60
    assert limiter.reserve() == 60.0  # ≥ 1 s: a whole window, since all 60 started at once
    assert limiter.reserve() == 60.0  # the 62nd starts with the 61st (the 2nd's slot frees)
    clock.now += 30
    assert limiter.reserve() == 30.0  # booked at t0 + 60 s, like the 61st and 62nd


def test_a_steady_request_a_second_never_waits():
    clock = FakeClock()
    limiter = RateLimiter(60, 60.0, clock=clock)
    waits = []
    for _ in range(200):
        waits.append(limiter.reserve())
        clock.now += 1.0
    assert waits == [0.0] * 200


async def test_the_client_never_sends_61_in_a_minute(fake):
    clock = FakeClock()
    starts: list[float] = []
    async with client(fake, clock) as crm:
        real_reserve = crm.limiter.reserve

        def reserve() -> float:
            wait = real_reserve()
            starts.append(clock.now + wait)
            return wait

        crm.limiter.reserve = reserve  # type: ignore[method-assign]
        for _ in range(125):
            await crm.list_contacts(limit=1)
    assert clock.slept == [60.0, 60.0]  # the 61st and the 121st
    assert starts[60] - starts[59] >= 1.0
    assert all(starts[i + 60] - starts[i] >= 60.0 for i in range(len(starts) - 60))
    assert len(fake.requests) == 125


# --- synchronous use -------------------------------------------------------------------------
def test_run_sync_and_the_connection_check(fake):
    config = CrmConfig(fake.base_url, KEY)
    assert run_sync(config, lambda crm: crm.contact_total()) == 250
    good = check_connection(config)
    assert (good.ok, good.contacts, good.campaigns, good.problems) == (True, 250, 4, ())
    moved = check_connection(CrmConfig(fake.base_url, KEY, campaigns_path="/nope"))
    assert not moved.ok and moved.contacts == 250 and moved.campaigns is None
    assert "GET /nope: HTTP 404" in moved.problems[0]
    refused = check_connection(CrmConfig(fake.base_url, "wrong"))
    assert not refused.ok and len(refused.problems) == 2


async def test_run_sync_inside_a_running_loop(fake):
    # From code that already runs a loop (an aiohttp handler): the call gets a thread.
    assert run_sync(CrmConfig(fake.base_url, KEY), lambda crm: crm.contact_total()) == 250
