"""The enricher interface and the default chain."""

from __future__ import annotations

from typing import Any, Protocol

from contract.record import EventRecord


class Enricher(Protocol):
    """Reads the record, writes typed columns into `row` (a dict of events columns)."""

    def enrich(self, record: EventRecord, row: dict[str, Any]) -> None: ...


def default_enrichers() -> list[Enricher]:
    from config.settings import get_settings
    from processor.enrich.geo import GeoIPEnricher, PhoneCountryEnricher
    from processor.enrich.useragent import UserAgentEnricher

    settings = get_settings()
    return [UserAgentEnricher(), GeoIPEnricher.from_settings(settings), PhoneCountryEnricher()]
