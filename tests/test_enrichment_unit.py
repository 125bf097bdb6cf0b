"""Enrichers on known inputs (the bundled GeoLite2-City answers 41.90.64.10 → KE, Nairobi)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from contract.record import EventRecord
from processor.enrich.geo import GeoIPEnricher, PhoneCountryEnricher, bundled_geolite2
from processor.enrich.useragent import UserAgentEnricher
from processor.rows import base_row

ANDROID = ("Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Mobile Safari/537.36")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.0 Mobile/15E148 Safari/604.1")
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def record(**kw) -> EventRecord:
    now = datetime.now(UTC)
    return EventRecord(project_id="p", event_id=uuid.uuid4(), event_name="e", timestamp=now,
                       received_at=now, **kw)


def enrich(enricher, rec):
    row = base_row(rec)
    enricher.enrich(rec, row)
    return row


def test_user_agent_fields():
    row = enrich(UserAgentEnricher(), record(context={"userAgent": ANDROID}))
    assert (row["device_type"], row["browser"], row["os"], row["os_version"], row["is_bot"]) == (
        "mobile", "Chrome Mobile", "Android", "13", False)
    assert enrich(UserAgentEnricher(), record(context={"userAgent": IPAD}))["device_type"] == \
        "tablet"
    bot = enrich(UserAgentEnricher(), record(context={"userAgent": BOT}))
    assert (bot["device_type"], bot["is_bot"]) == ("bot", True)


def test_geoip_on_the_end_users_ip():
    geo = GeoIPEnricher(bundled_geolite2())
    row = enrich(geo, record(ip="41.90.64.10"))
    assert (row["country"], row["city"], row["geo_timezone"]) == ("KE", "Nairobi",
                                                                 "Africa/Nairobi")
    assert enrich(geo, record(ip="10.1.2.3"))["country"] == ""  # private: unknown


def test_never_geolocates_a_crm_webhook():
    geo = GeoIPEnricher(bundled_geolite2())
    row = enrich(geo, record(ip="41.90.64.10", source="crm", channel="whatsapp"))
    assert row["country"] == ""
    row = enrich(PhoneCountryEnricher(), record(source="crm", channel="whatsapp",
                                                phone="+256772123456"))
    assert row["country"] == "UG"


def test_missing_database_skips_with_one_warning(caplog, tmp_path):
    with caplog.at_level(logging.WARNING, logger="njia.processor.geo"):
        geo = GeoIPEnricher(tmp_path / "missing.mmdb")
        row = enrich(geo, record(ip="41.90.64.10"))
        enrich(geo, record(ip="41.90.64.11"))
    assert row["country"] == ""
    assert len([r for r in caplog.records if "GeoIP" in r.message]) == 1
