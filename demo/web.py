"""Web visits to the KRA tax app, as the Njia JS SDK records them.

`Browser` keeps what the SDK keeps (anonymous id and user id in localStorage, the session id in
sessionStorage with its 30-minute inactivity rule) and builds events field for field like the
SDK's `buildEvent()`, plus `context.ip` — the demo posts from one machine, so each event names
its visitor's public address for the processor's GeoIP lookup.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from demo import ids
from demo.clock import MINUTE, SECOND, deadline_factor, iso, local, lognormal_ms
from demo.devices import Device, Network, bot_device, bot_ip
from demo.people import Person

ORIGIN = "https://taxapp.kra.go.ke"
LIBRARY = {"name": "njia-js", "version": "1.0.0"}
SESSION_TIMEOUT_MS = 30 * MINUTE
APP = "KRA Tax App"

JOURNEYS = {  # obligation → (path segment, page title)
    "NIL": ("nil-return", "File NIL Return"),
    "TOT": ("tot-return", "Turnover Tax Return"),
    "MRI": ("mri-return", "Monthly Rental Income Return"),
}
EXTERNAL_REFERRERS = (
    ("", 40), ("https://www.google.com/", 30), ("https://www.kra.go.ke/", 18),
    ("https://itax.kra.go.ke/KRA-Portal/", 6), ("https://www.facebook.com/", 3),
    ("https://t.co/", 3),
)
# Per step: (error_type, message) an error may show, and its base rate.
ERRORS: dict[str, tuple[float, tuple[tuple[str, str], ...]]] = {
    "login": (0.04, (("ValidationError", "PIN and ID number do not match"),
                     ("ValidationError", "Invalid KRA PIN format"))),
    "otp": (0.05, (("OTPDeliveryError", "OTP not received within 120 seconds"),
                   ("OTPExpiredError", "OTP expired, request a new one"))),
    "details": (0.02, (("TypeError", "Cannot read properties of undefined (reading "
                                      "'grossTurnover')"),
                        ("NetworkError", "Failed to fetch"))),
    "confirm": (0.04, (("ITaxTimeoutError", "iTax did not respond within 30 s (504)"),
                       ("ServerError", "Return submission failed: 502 Bad Gateway"))),
    "payment": (0.05, (("PaymentGatewayError", "M-PESA STK push failed: request timed out"),
                       ("NetworkError", "Failed to fetch"))),
}
# Probability of leaving at each step of a filing journey (before any error effect).
DROP = {"intro": 0.12, "login": 0.16, "otp": 0.12, "details": 0.07, "confirm": 0.08,
        "receipt": 0.20, "payment": 0.18}


class Browser:
    """One browser profile on one device, with the SDK's storage."""

    def __init__(self, rng: random.Random, device: Device, network: Network) -> None:
        self.rng = rng
        self.device = device
        self.network = network
        self.anonymous_id = ids.uuid4(rng)
        self.user_id: str | None = None
        self.session_id: str | None = None
        self.last_activity = 0
        self.ip = network.ip(rng)

    def new_visit(self) -> None:
        """A new tab: sessionStorage (the session id) starts empty; phones change address."""
        self.session_id = None
        if self.device.kind != "desktop":
            self.ip = self.network.ip(self.rng)

    def reset(self) -> None:
        """analytics.reset() on log-out: a new anonymous visitor, no user, no session."""
        self.user_id = None
        self.anonymous_id = ids.uuid4(self.rng)
        self.session_id = None

    def touch(self, ts: int) -> bool:
        """The SDK's sessionId(now, touch=true); True when a new session starts."""
        new = self.session_id is None or ts - self.last_activity > SESSION_TIMEOUT_MS
        if new:
            self.session_id = ids.uuid4(self.rng)
        self.last_activity = ts
        return new

    def event(self, name: str, ts: int, page: dict[str, str], properties: dict[str, Any],
              traits: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "event_id": ids.uuid4(self.rng),
            "event_name": name,
            "timestamp": iso(ts),
            "anonymous_id": self.anonymous_id,
            "user_id": self.user_id,
            "session_id": self.session_id,
            "channel": "web",
            "context": {
                "page": page,
                "userAgent": self.device.user_agent,
                "library": LIBRARY,
                "locale": self.network.locale,
                "timezone": self.network.timezone,
                "ip": self.ip,
            },
            "properties": properties,
            "traits": traits or {},
        }


@dataclass
class VisitResult:
    events: list[tuple[int, dict[str, Any]]]  # (time in ms, SDK event)
    end: int
    outcome: str  # "filed", "paid", "dropped:<step>", "browsed", "checked"
    identified: bool = False


class Visit:
    """One visit of the single-page app: pushState navigation keeps document.referrer."""

    def __init__(self, browser: Browser, rng: random.Random, start: int, referrer: str) -> None:
        self.browser = browser
        self.rng = rng
        self.t = start
        self.referrer = referrer
        self.page: dict[str, str] = {}
        self.events: list[tuple[int, dict[str, Any]]] = []
        self.identified = False

    def wait(self, median_s: float, sigma: float = 0.6, high_s: float = 1800) -> None:
        self.t += lognormal_ms(self.rng, median_s, sigma, low_s=0.3, high_s=high_s)

    def _emit(self, name: str, properties: dict[str, Any],
              traits: dict[str, Any] | None = None) -> None:
        # The tax app tracks `session.start` when the SDK opens a new session (kept from the
        # previous analytics system; Njia's own sessions do not depend on it).
        if self.browser.touch(self.t):
            self.events.append((self.t, self.browser.event("session.start", self.t, self.page,
                                                           {})))
            self.t += self.rng.randrange(5, 40)
        self.events.append((self.t, self.browser.event(name, self.t, self.page, properties,
                                                       traits)))

    def view(self, path: str, title: str, query: str = "") -> None:
        self.page = {"path": path, "title": f"{title} | {APP}" if title != APP else APP,
                     "url": ORIGIN + path + query, "referrer": self.referrer}
        self._emit("page_view", {})

    def track(self, name: str, properties: dict[str, Any]) -> None:
        self.t += self.rng.randrange(50, 1500)
        self._emit(name, properties)

    def identify(self, user_id: str, traits: dict[str, Any]) -> None:
        self.t += self.rng.randrange(20, 400)
        self.browser.user_id = user_id
        self._emit("identify", {}, traits)
        self.identified = True

    def error(self, step: str) -> None:
        error_type, message = self.rng.choice(ERRORS[step][1])
        self.t += self.rng.randrange(500, 8 * SECOND)
        self._emit("app_error", {"error_type": error_type, "message": message,
                                 "path": self.page.get("path", "/")})

    def result(self, outcome: str) -> VisitResult:
        return VisitResult(self.events, self.t, outcome, self.identified)


def external_referrer(rng: random.Random) -> str:
    return rng.choices([r for r, _ in EXTERNAL_REFERRERS], [w for _, w in EXTERNAL_REFERRERS])[0]


def _amount(rng: random.Random, obligation: str) -> float:
    if obligation == "TOT":  # 1.5 % of the month's gross turnover
        return round(rng.lognormvariate(11.9, 0.8) * 0.015, 2)
    if obligation == "MRI":  # 7.5 % of the month's gross rent
        return round(rng.lognormvariate(11.0, 0.7) * 0.075, 2)
    return 0.0


def filing_visit(browser: Browser, rng: random.Random, person: Person, start: int,
                 obligation: str, *, referrer: str | None = None, query: str = "",
                 from_home: bool | None = None, drop_scale: float = 1.0,
                 fail_at: str | None = None, fail_quietly: bool = False,
                 complete: bool = False) -> VisitResult:
    """A MRI/TOT/NIL filing journey with drop-off (and errors) at every step.

    `fail_at` makes the visit end at that step (the web→WhatsApp stories), on an error unless
    `fail_quietly` (the taxpayer is just stuck: no OTP yet, unsure how to pay);
    `drop_scale` < 1 makes completion likelier (people who were sent a link, retries);
    `complete` goes all the way without errors.
    """
    forced = complete or fail_at is not None
    slug, title = JOURNEYS[obligation]
    visit = Visit(browser, rng, start, external_referrer(rng) if referrer is None else referrer)
    # iTax struggles in the filing rush: errors are likelier near the deadline.
    rush = deadline_factor(local(start).date(), obligation)
    year = local(start).year

    def leaves(step: str) -> bool:
        if fail_at == step:
            if not fail_quietly:
                visit.error(step)
            return True
        if forced:
            return False
        if rng.random() < ERRORS[step][0] * (0.7 + 0.3 * rush):
            visit.error(step)
            if rng.random() < 0.55:  # most give up after an error
                return True
            visit.wait(20)  # …some retry
        return rng.random() < DROP[step] * drop_scale

    home = rng.random() < 0.35 if from_home is None else from_home  # else a deep link
    if home:
        visit.view("/", APP)
        visit.wait(8)
    visit.view(f"/{slug}", title, query)
    visit.wait(15)
    if not forced and rng.random() < DROP["intro"] * drop_scale:
        return visit.result("dropped:intro")
    visit.view("/login", "Log in", f"?next=/{slug}")
    visit.wait(25)
    if leaves("login"):
        return visit.result("dropped:login")
    visit.track("validation_success", {"obligation_type": obligation})
    visit.view("/login/otp", "Verify OTP")
    visit.wait(35)
    if leaves("otp"):
        if rng.random() < 0.5:
            visit.track("button_click", {"label": "resend_otp", "path": "/login/otp"})
        return visit.result("dropped:otp")
    visit.track("otp_success", {"method": "whatsapp" if rng.random() < 0.3 else "sms"})
    visit.identify(person.pin, person.traits())
    visit.view(f"/{slug}/details", title)
    visit.wait(25 if obligation == "NIL" else 150, high_s=1500)
    if not forced and rng.random() < 0.03:
        visit.t += rng.randrange(35 * MINUTE, 90 * MINUTE)  # went to find papers: new session
    if leaves("details"):
        return visit.result("dropped:details")
    visit.view(f"/{slug}/confirm", f"Confirm {title}")
    visit.wait(20)
    if leaves("confirm"):
        return visit.result("dropped:confirm")
    amount = _amount(rng, obligation)
    visit.track("return_filed", {"receipt_number": ids.receipt_number(rng, year),
                                 "obligation": obligation, "amount": amount})
    visit.track("session.converted", {"conversion_event": "return_filed",
                                      "obligation": obligation})
    visit.view(f"/{slug}/receipt", "Acknowledgement Receipt")
    visit.wait(10)
    if rng.random() < 0.4:
        visit.track("button_click", {"label": "download_receipt", "path": f"/{slug}/receipt"})
    if amount <= 0:
        return visit.result("filed")
    if not forced and rng.random() < DROP["receipt"] * drop_scale:
        return visit.result("filed")
    visit.view("/payment", "Pay Tax", f"?obligation={obligation}")
    visit.wait(30)
    if leaves("payment"):
        return visit.result("dropped:payment")
    visit.track("payment_initiated", {"prn": ids.prn(rng, year), "amount": amount,
                                      "method": "mpesa" if rng.random() < 0.85 else "bank"})
    return visit.result("paid")


def status_visit(browser: Browser, rng: random.Random, person: Person,
                 start: int) -> VisitResult:
    """A returning taxpayer checks their returns or a payment and downloads a receipt."""
    visit = Visit(browser, rng, start, external_referrer(rng))
    visit.view("/", APP)
    visit.wait(6)
    visit.view("/login", "Log in")
    visit.wait(20)
    visit.track("validation_success", {"obligation_type": person.obligation})
    visit.view("/login/otp", "Verify OTP")
    visit.wait(30)
    visit.track("otp_success", {"method": "sms"})
    visit.identify(person.pin, person.traits())
    page = rng.choice((("/returns", "My Returns"), ("/payment-status", "Payment Status")))
    visit.view(*page)
    visit.wait(25)
    if rng.random() < 0.5:
        visit.track("button_click", {"label": "download_receipt", "path": page[0]})
    return visit.result("checked")


def browse_visit(browser: Browser, rng: random.Random, start: int) -> VisitResult:
    """A short look around without logging in (the bounces on the overview page)."""
    visit = Visit(browser, rng, start, external_referrer(rng))
    slug, title = JOURNEYS[rng.choice(tuple(JOURNEYS))]
    pages = rng.choice(((("/", APP),), (("/", APP), ("/help", "Help Centre")),
                        ((f"/{slug}", title),), (("/", APP), (f"/{slug}", title))))
    for path, page_title in pages:
        visit.view(path, page_title)
        visit.wait(20)
    return visit.result("browsed")


BOT_PAGES = (("/", APP), ("/nil-return", "File NIL Return"), ("/tot-return", "Turnover Tax Return"),
             ("/mri-return", "Monthly Rental Income Return"), ("/help", "Help Centre"))


def crawler_hit(rng: random.Random, start: int) -> list[tuple[int, dict[str, Any]]]:
    """A rendering crawler (Googlebot runs the SDK): stateless, one page per fetch."""
    network = Network("US", ("66.249.66",), "America/Los_Angeles", "en-US")
    browser = Browser(rng, bot_device(rng), network)
    browser.ip = bot_ip(rng)
    visit = Visit(browser, rng, start, "")
    visit.view(*rng.choice(BOT_PAGES))
    return visit.events

