"""User agent → device type, browser, OS (+ versions) and bot flag, with `user-agents`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from user_agents import parse

from contract.record import EventRecord

# Monitoring and scripting clients that user-agents does not flag as bots.
_EXTRA_BOT_MARKERS = ("curl/", "wget/", "python-requests", "headlesschrome", "uptime", "monitor")


@lru_cache(maxsize=4096)
def parse_user_agent(ua: str) -> tuple[str, str, str, str, str, bool]:
    parsed = parse(ua)
    lowered = ua.lower()
    is_bot = parsed.is_bot or any(marker in lowered for marker in _EXTRA_BOT_MARKERS)
    if is_bot:
        device = "bot"
    elif parsed.is_tablet:
        device = "tablet"
    elif parsed.is_mobile:
        device = "mobile"
    else:
        device = "desktop"
    return (
        device,
        parsed.browser.family or "",
        parsed.browser.version_string or "",
        parsed.os.family or "",
        parsed.os.version_string or "",
        is_bot,
    )


class UserAgentEnricher:
    def enrich(self, record: EventRecord, row: dict[str, Any]) -> None:
        ua = record.user_agent
        if not ua:
            return
        (
            row["device_type"],
            row["browser"],
            row["browser_version"],
            row["os"],
            row["os_version"],
            row["is_bot"],
        ) = parse_user_agent(ua[:1000])
