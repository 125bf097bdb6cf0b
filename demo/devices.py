"""Browsers, networks and locales of the demo's web visitors.

Shares follow what a Kenyan government web app sees: mostly Android phones (Chrome, some Opera
and Samsung Internet, on Tecno/Infinix/Samsung/itel handsets), then iPhones, desktop browsers
(office and cyber-café PCs), a few tablets and crawlers. User agents are real strings, so the
processor's user-agent parsing yields device, browser and OS exactly as for live traffic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Chrome ≥ 110 on Android sends the reduced UA ("Android 10; K"); older builds and WebViews
# still name the handset.
_ANDROID_MODELS = ("SM-A145F", "SM-A055F", "TECNO KI7", "TECNO KG5", "Infinix X6525",
                   "Infinix X6731", "itel A665L", "23021RAA2Y", "SM-A245F", "Nokia C21")
_CHROME = ("124.0.0.0", "125.0.0.0", "126.0.0.0", "127.0.0.0")


@dataclass(frozen=True)
class Device:
    kind: str  # mobile, tablet, desktop, bot (what the processor should find)
    user_agent: str


def _android_chrome(rng: random.Random) -> str:
    version = rng.choice(_CHROME)
    if rng.random() < 0.7:
        return ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                f"Chrome/{version} Mobile Safari/537.36")
    android = rng.choice(("11", "12", "13", "14"))
    return (f"Mozilla/5.0 (Linux; Android {android}; {rng.choice(_ANDROID_MODELS)}) "
            f"AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{version} Mobile Safari/537.36")


def _android_other(rng: random.Random) -> str:
    model = rng.choice(_ANDROID_MODELS)
    if rng.random() < 0.6:
        return (f"Mozilla/5.0 (Linux; Android 12; {model}) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/119.0.6045.163 Mobile Safari/537.36 OPR/80.1.4170.72")
    return (f"Mozilla/5.0 (Linux; Android 13; {model}) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36")


def _iphone(rng: random.Random) -> str:
    ios = rng.choice(("16_7", "17_4", "17_5", "17_6"))
    safari = ios.split("_")[0] + "." + ios.split("_")[1]
    return (f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/605.1.15 "
            f"(KHTML, like Gecko) Version/{safari} Mobile/15E148 Safari/604.1")


def _desktop(rng: random.Random) -> str:
    version = rng.choice(_CHROME)
    roll = rng.random()
    if roll < 0.62:
        return ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                f"Chrome/{version} Safari/537.36")
    if roll < 0.82:
        return ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                f"Chrome/{version} Safari/537.36 Edg/{version}")
    if roll < 0.92:
        return ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 "
                "Firefox/126.0")
    if roll < 0.97:
        return ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
                "(KHTML, like Gecko) Version/17.4 Safari/605.1.15")
    return ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{version} Safari/537.36")


def _tablet(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
                f"Chrome/{rng.choice(_CHROME)} Safari/537.36")
    return ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1")


BOT_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
)

# Crawlers come from their operators' networks.
BOT_IP_PREFIXES = ("66.249.66", "66.249.68", "40.77.167", "54.36.148")


def personal_device(rng: random.Random, prefer_mobile: bool = False) -> Device:
    """A taxpayer's own device; `prefer_mobile` for people arriving from a WhatsApp link."""
    roll = rng.random() * (0.8 if prefer_mobile else 1.0)
    if roll < 0.50:
        return Device("mobile", _android_chrome(rng))
    if roll < 0.58:
        return Device("mobile", _android_other(rng))
    if roll < 0.70:
        return Device("mobile", _iphone(rng))
    if roll < 0.73:
        return Device("tablet", _tablet(rng))
    return Device("desktop", _desktop(rng))


def cafe_device(rng: random.Random) -> Device:
    """A cyber-café PC: Windows, Chrome or Edge."""
    version = rng.choice(_CHROME)
    edge = f" Edg/{version}" if rng.random() < 0.3 else ""
    return Device("desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                  f"(KHTML, like Gecko) Chrome/{version} Safari/537.36{edge}")


def bot_device(rng: random.Random) -> Device:
    return Device("bot", rng.choice(BOT_AGENTS))


# --- networks -----------------------------------------------------------------------------
# Prefixes checked against the bundled GeoLite2 database: Safaricom, Airtel and fixed ISPs in
# Kenya, then neighbours and the diaspora. (country, weight, prefixes, time zone, locales)
COUNTRIES: tuple[tuple[str, float, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("KE", 0.88, ("41.90", "41.80", "41.89", "105.160", "105.161", "105.162", "105.163",
                  "197.248", "197.232", "197.237", "154.122", "154.159", "102.0"),
     "Africa/Nairobi", ("en-US", "en-US", "en-GB", "en-GB", "en-KE", "sw-KE")),
    ("UG", 0.03, ("102.85", "154.227"), "Africa/Kampala", ("en-US", "en-GB")),
    ("TZ", 0.03, ("41.59", "197.250", "156.158"), "Africa/Dar_es_Salaam", ("en-US", "sw-TZ")),
    ("US", 0.03, ("73.12", "98.217", "71.206", "68.44"), "America/New_York", ("en-US",)),
    ("GB", 0.03, ("86.10", "90.200"), "Europe/London", ("en-GB",)),
)

# Hours local time is ahead of UTC (rhythm shift for people abroad; DST ignored).
UTC_OFFSETS = {"Africa/Nairobi": 3, "Africa/Kampala": 3, "Africa/Dar_es_Salaam": 3,
               "America/New_York": -4, "Europe/London": 1}


@dataclass(frozen=True)
class Network:
    country: str
    prefixes: tuple[str, ...]
    timezone: str
    locale: str

    def ip(self, rng: random.Random) -> str:
        # Mobile carriers NAT and re-address often: a fresh address per visit.
        return f"{rng.choice(self.prefixes)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def home_network(rng: random.Random) -> Network:
    roll, acc = rng.random(), 0.0
    for country, weight, prefixes, tz, locales in COUNTRIES:
        acc += weight
        if roll < acc:
            return Network(country, prefixes, tz, rng.choice(locales))
    country, _w, prefixes, tz, locales = COUNTRIES[0]
    return Network(country, prefixes, tz, locales[0])


def bot_ip(rng: random.Random) -> str:
    return f"{rng.choice(BOT_IP_PREFIXES)}.{rng.randrange(1, 255)}"
