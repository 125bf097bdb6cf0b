"""Phones, PINs, emails and search text never reach a log line in clear: one masking function
(contract.masking.mask) and every log call that can carry them uses it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import make_event

PIN_A, PIN_B = "A001234567Z", "B009876543Y"
PHONE, PHONE_E164 = "0711 222 892", "+254711222892"
EMAIL = "Jane.Wanjiku@Example.com"
CLEAR = (PIN_A, PIN_B, PHONE, PHONE_E164, "711222892", EMAIL, EMAIL.lower(), "wanjiku")


# ---- the function -----------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "masked"), [
    ("+254712345892", "+254 7•• ••• 892"),
    ("0712 345 892", "+254 7•• ••• 892"),  # any format of a number masks the same
    ("254712345892", "+254 7•• ••• 892"),
    ("+14155550123", "+1 4 ••• ••• 123"),
    ("jane@example.com", "j•••@e•••.com"),
    ("Jane.Wanjiku@Example.co.ke", "j•••@e•••.ke"),
    ("A001234567Z", "A00•••••7Z"),
    ("a001234567z", "a00•••••7z"),
    ("user:A001234567Z", "user:A00•••••7Z"),  # identity-graph identifiers keep their kind
    ("phone:+254712345892", "phone:+254 7•• ••• 892"),
    ("email:jane@example.com", "email:j•••@e•••.com"),
    ("anon:3f2a9c1e-77b0-4b1e", "anon:3f2•••••1e"),
    ("jane wanjiku", "jan•••••ku"),  # person-search text
    ("abcd", "a•••"),
    ("ab", "•••"),
    ("", ""),
    (None, ""),
])
def test_mask(value, masked):  # noqa: ANN001
    from contract.masking import mask

    assert mask(value) == masked


def test_mask_never_shows_more_than_its_head_and_tail() -> None:
    from contract.masking import mask

    for secret in ("A001234567Z", "0711222892", "someone@kra.go.ke", "x" * 10_000,
                   "\ud800\udc00weird", "+", "@", "@@", "phone:", 12345678901):
        masked = mask(secret)
        assert isinstance(masked, str) and len(masked) < 30
        assert str(secret) not in masked or len(str(secret)) < 2


def test_mask_text_masks_identifiers_inside_messages() -> None:
    from contract.masking import mask_text

    text = (f'invalid event: {{"phone": "{PHONE_E164}", "email": "{EMAIL}", '
            f'"user_id": "{PIN_A}", "event_id": "6f1c9f1e-2a51-4e0b-9a7c-2b8e0d6f4a10", '
            f'"timestamp": "2026-11-25T09:00:00Z"}}, call 0711 222 892')
    masked = mask_text(text)
    for clear in CLEAR:
        assert clear not in masked
    assert "+254 7•• ••• 892" in masked and "j•••@e•••.com" in masked and "A00•••••7Z" in masked
    # What is not an identifier stays readable.
    assert "6f1c9f1e-2a51-4e0b-9a7c-2b8e0d6f4a10" in masked
    assert "2026-11-25T09:00:00Z" in masked


# ---- the log calls ----------------------------------------------------------------------------
def assert_no_clear_values(caplog: pytest.LogCaptureFixture) -> str:
    text = "\n".join(r.getMessage() for r in caplog.records)
    for clear in CLEAR:
        assert clear not in text, f"{clear!r} in the log:\n{text}"
    return text


def test_identity_conflicts_are_logged_masked(stack, caplog):  # noqa: ANN001
    """Two PINs claim one browser, one phone and one email: each refused link is logged, with
    every identifier masked."""
    p = stack.project()
    now = datetime.now(UTC)
    first = make_event("identify", anonymous_id="cafe-browser", user_id=PIN_A,
                       traits={"phone": PHONE, "email": EMAIL},
                       timestamp=(now - timedelta(hours=3)).isoformat())
    second = make_event("identify", anonymous_id="cafe-browser", user_id=PIN_B,
                        traits={"phone": PHONE, "email": EMAIL},
                        timestamp=(now - timedelta(hours=1)).isoformat())
    stack.post("/v1/capture", {"batch": [first]}, p["write_key"])
    stack.drain()
    stack.post("/v1/capture", {"batch": [second]}, p["write_key"])
    with caplog.at_level(logging.INFO, logger="njia"):
        stack.drain()
    text = assert_no_clear_values(caplog)
    assert "identity conflict" in text
    assert "user:B00•••••3Y" in text and "phone:+254 7•• ••• 892" in text


def test_dead_lettered_events_are_logged_masked(stack, caplog):  # noqa: ANN001
    """An entry the processor cannot read (its reason quotes the payload) and a row the
    warehouse refuses (its error quotes the values) are logged without the identifiers."""
    from config.settings import get_settings
    from contract.stream import FIELD

    settings = get_settings()
    p = stack.project()
    # pydantic quotes the input of each invalid field: a number for a phone, a list for an
    # email, an unknown field holding a PIN.
    unreadable = {"project_id": p["project_id"], "event_id": "not-a-uuid", "event_name": "x",
                  "timestamp": datetime.now(UTC).isoformat(), "phone": int(PHONE_E164[1:]),
                  "email": [EMAIL], "pin": PIN_A}
    stack.redis.client().xadd(settings.stream_key, {FIELD: json.dumps(unreadable)})

    ch = stack.ch()
    # ClickHouse names the column values of a violated constraint in its error.
    ch.command("ALTER TABLE events ADD CONSTRAINT pii_check CHECK event_name != 'poison.pii' "
               "OR (phone = '-' AND email = '-' AND user_id = '-')")
    try:
        poison = make_event("poison.pii", user_id=PIN_A, traits={"phone": PHONE, "email": EMAIL})
        stack.post("/v1/capture", {"batch": [poison, make_event()]}, p["write_key"])
        with caplog.at_level(logging.INFO, logger="njia"):
            stack.drain()
    finally:
        ch.command("ALTER TABLE events DROP CONSTRAINT pii_check")
    text = assert_no_clear_values(caplog)
    assert text.count("dead-lettering entry") == 2
    assert "A00•••••7Z" in text  # masked, not dropped: the operator still sees which person


async def test_unhandled_collector_errors_are_logged_masked(aiohttp_client, caplog,
                                                            tmp_path):  # noqa: ANN001
    """A bug's exception may quote a value; the log keeps the traceback's frames and the
    message masked, and names the route, not the raw path (which may hold a write key)."""
    from aiohttp import web

    from collector.app import build_app
    from config.settings import Settings

    app = build_app(Settings(NJIA_DATA_DIR=tmp_path, REDIS_URL="redis://127.0.0.1:1/0",
                             CLICKHOUSE_URL="http://127.0.0.1:1/njia"))

    async def buggy(request: web.Request) -> web.Response:
        raise KeyError(f"no person for {PHONE_E164} / {EMAIL} / {PIN_A}")

    app.router.add_post("/v1/bug/{write_key}", buggy)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.INFO, logger="njia"):
        r = await client.post("/v1/bug/nk_secretwritekey123")
    assert r.status == 500
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for clear in (*CLEAR, "nk_secretwritekey123"):
        assert clear not in text, f"{clear!r} in the log:\n{text}"
    assert "/v1/bug/{write_key}" in text and "KeyError" in text and "buggy" in text


def test_the_warehouse_logs_a_refused_rows_values_masked(stack):
    """A constraint error quotes the row's values; the warehouse's own log masks them."""
    import uuid

    table = f"pii_{uuid.uuid4().hex[:8]}"
    ch = stack.ch()
    ch.command(f"CREATE TABLE {table} (phone String, email String, pin String, "
               "CONSTRAINT no_pii CHECK phone = '') ENGINE = MergeTree ORDER BY tuple()")
    with pytest.raises(Exception):  # noqa: B017 - the warehouse refuses the row
        ch.command(f"INSERT INTO {table} VALUES ('{PHONE_E164}', '{EMAIL}', '{PIN_A}')")
    log = stack.warehouse.log()
    assert "no_pii" in log
    for clear in CLEAR:
        assert clear not in log, f"{clear!r} in the warehouse log"


def test_a_failed_named_query_logs_the_person_search_masked(stack, caplog, monkeypatch):
    from clickhouse_connect.driver.exceptions import DatabaseError

    from metadata.access import OPERATOR
    from queries import runner

    p = stack.project()

    def refuse(*args, **kwargs):  # the warehouse failing the query: a narrow unit test
        raise DatabaseError(f"Code: 241. DB::Exception: memory limit with {PHONE_E164}")

    from warehouse import client as client_module

    monkeypatch.setattr(client_module.get_client(), "query_df", refuse)
    day = datetime.now(UTC).date().isoformat()
    with caplog.at_level(logging.INFO, logger="njia"), pytest.raises(runner.QueryFailed):
        runner.run("sessions_list", {"project": p["project_id"], "from": day, "to": day,
                                     "person": EMAIL}, OPERATOR)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "sessions_list" in text
    for clear in (PHONE_E164, EMAIL):
        assert clear not in text, f"{clear!r} in the log:\n{text}"
