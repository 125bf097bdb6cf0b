"""Turns a population into time-stamped traffic: each person's story, campaigns and crawlers.

Stories by segment (people.SEGMENTS):
- web_only: one to four visits (filing, status checks, a look around), retries after drop-offs,
  some on a shared cyber-café PC;
- wa_chat: one to three WhatsApp conversations;
- wa_campaign: a contact who receives campaigns and sometimes answers one;
- wa_to_web: asks on WhatsApp how to file, gets a link from the AI agent, files on the web;
- web_to_wa: hits an error on the web, asks on WhatsApp, often comes back to finish.
Generation is driven by one seeded `random.Random`, so a seed (and `now`) fixes every byte.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from demo import web, whatsapp
from demo.clock import DAY, HOUR, MINUTE, SECOND, Rhythm, local, lognormal_ms
from demo.devices import UTC_OFFSETS, cafe_device, home_network
from demo.people import Person, population
from demo.web import Browser, VisitResult
from demo.whatsapp import FILING_INTENT, PLANS, Chat

Timed = tuple[int, dict[str, Any]]


@dataclass
class Dataset:
    """The demo's payloads, each list sorted by event time."""

    seed: int
    people: int
    days: int
    start_ms: int
    now_ms: int
    capture: list[Timed] = field(default_factory=list)  # SDK events for /v1/capture
    crm: list[Timed] = field(default_factory=list)  # CRM envelopes for /v1/webhooks/crm
    stats: dict[str, Counter[str]] = field(default_factory=dict)
    # Whose each payload is (an SDK event's event_id, a CRM envelope's id → the person's index):
    # the ground truth the tests check identity stitching and cross-channel funnels against.
    owners: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        by_event = Counter(e["event_name"] for _, e in self.capture)
        by_event.update(e["event"] for _, e in self.crm)
        return {"capture": len(self.capture), "crm": len(self.crm),
                "total": len(self.capture) + len(self.crm),
                "by_event": dict(sorted(by_event.items()))}


class Builder:
    def __init__(self, rng: random.Random, start_ms: int, now_ms: int, days: int) -> None:
        self.rng = rng
        self.campaign_count = max(1, round(days / 7))  # about one a week
        self.start = start_ms
        self.now = now_ms
        self.capture: list[Timed] = []
        self.chats: dict[int, Chat] = {}
        self.rhythms: dict[tuple[int, str], Rhythm] = {}
        self.cafe_visits: list[tuple[int, Person]] = []
        self.owners: dict[str, int] = {}
        self.plans = list(PLANS)  # conversation shapes every dataset shows at least once
        self.paid_covered = False
        self.campaign_people: list[Person] = []
        self.stats: dict[str, Counter[str]] = {"segments": Counter(), "visits": Counter(),
                                               "conversations": Counter(),
                                               "campaigns": Counter()}

    # --- helpers -----------------------------------------------------------------------------
    def moment(self, person: Person, journey: str | None = None) -> int:
        offset = UTC_OFFSETS.get(person.network.timezone, 3)
        key = (offset, journey or person.obligation)
        if key not in self.rhythms:
            self.rhythms[key] = Rhythm(self.start, self.now, offset, key[1])
        return self.rhythms[key].sample(self.rng)

    def moments(self, person: Person, weights: tuple[int, ...], gap_ms: int) -> list[int]:
        count = self.rng.choices(range(1, len(weights) + 1), weights)[0]
        times = sorted(self.moment(person) for _ in range(count))
        # Keep episodes apart so one does not start inside the previous one.
        for i in range(1, len(times)):
            times[i] = max(times[i], times[i - 1] + gap_ms)
        return times

    def chat(self, person: Person) -> Chat:
        if person.index not in self.chats:
            self.chats[person.index] = Chat(person, f"{3_100_000 + person.index}", self.rng)
        return self.chats[person.index]

    def add(self, result: VisitResult, kind: str, person: Person) -> VisitResult:
        self.capture.extend(result.events)
        self.owners.update((event["event_id"], person.index) for _, event in result.events)
        self.stats["visits"][f"{kind}:{result.outcome.split(':')[0]}"] += 1
        return result

    def talk(self, person: Person, start: int, intent: str, plan: str | None = None,
             send_link: bool = False) -> whatsapp.Conversation:
        conv = whatsapp.conversation(self.chat(person), start, intent, plan, send_link)
        self.stats["conversations"][conv.plan] += 1
        return conv

    def next_plan(self) -> str | None:
        return self.plans.pop(0) if self.plans else None

    # --- stories -------------------------------------------------------------------------------
    def story(self, person: Person) -> None:
        self.stats["segments"][person.segment] += 1
        getattr(self, f"_{person.segment}")(person)

    def _web_only(self, person: Person) -> None:
        rng = self.rng
        browsers = [Browser(rng, d, person.network) for d in person.devices]
        for start in self.moments(person, (58, 28, 10, 4), 2 * HOUR):
            if rng.random() < 0.04:
                self.cafe_visits.append((start, person))
                continue
            browser = browsers[0] if len(browsers) == 1 or rng.random() < 0.8 else browsers[1]
            browser.new_visit()
            kind = rng.choices(("filing", "status", "browse"), (72, 12, 16))[0]
            if kind == "status":
                self.add(web.status_visit(browser, rng, person, start), kind, person)
                continue
            if kind == "browse":
                self.add(web.browse_visit(browser, rng, start), kind, person)
                continue
            complete = not self.paid_covered and person.obligation != "NIL"
            self.paid_covered |= complete
            result = self.add(web.filing_visit(browser, rng, person, start, person.obligation,
                                               complete=complete), kind, person)
            if result.outcome.startswith("dropped") and rng.random() < 0.45:
                # Back to try again: soon (same tab, maybe the same session) or days later.
                gap = lognormal_ms(rng, 40 * 60, 1.4, low_s=120, high_s=2 * 86400)
                if gap > 30 * MINUTE:
                    browser.new_visit()
                self.add(web.filing_visit(browser, rng, person, result.end + gap,
                                          person.obligation, drop_scale=0.5), "retry", person)

    def _wa_chat(self, person: Person) -> None:
        for start in self.moments(person, (55, 30, 15), 3 * HOUR):
            self.talk(person, start, whatsapp.random_intent(self.rng), self.next_plan())

    def _wa_campaign(self, person: Person) -> None:
        # Reached through campaigns only (see campaigns()); which one is decided here. Imported
        # lists hold numbers that are not on WhatsApp (always one, so every demo shows it).
        person.extra["campaign"] = self.rng.randrange(self.campaign_count)
        person.extra["unreachable"] = self.rng.random() < 0.08 or not any(
            p.extra.get("unreachable") for p in self.campaign_people)
        self.campaign_people.append(person)

    def _wa_to_web(self, person: Person) -> None:
        rng = self.rng
        start = self.moment(person)
        conv = self.talk(person, start, FILING_INTENT[person.obligation], send_link=True)
        browser = Browser(rng, person.devices[0], person.network)
        opened = conv.link_opened or conv.end + 2 * MINUTE
        result = self.add(web.filing_visit(
            browser, rng, person, opened, person.obligation, referrer="",
            query="?utm_source=whatsapp&utm_medium=chat", from_home=False, drop_scale=0.5),
            "from_whatsapp", person)
        if not result.identified:
            # They try again later the same day and get through the login this time.
            browser.new_visit()
            self.add(web.filing_visit(browser, rng, person,
                                      result.end + rng.randrange(HOUR, 6 * HOUR),
                                      person.obligation, complete=rng.random() < 0.8),
                     "retry", person)
        if rng.random() < 0.3:  # another question later in the month
            later = max(self.moment(person), result.end + DAY)
            self.talk(person, later, whatsapp.random_intent(rng))

    def _web_to_wa(self, person: Person) -> None:
        rng = self.rng
        start = self.moment(person)
        browser = Browser(rng, person.devices[0], person.network)
        choices = ("confirm", "otp", "payment") if person.obligation != "NIL" \
            else ("confirm", "otp")
        fail = rng.choices(choices, (45, 30, 25)[:len(choices)])[0]
        result = self.add(web.filing_visit(browser, rng, person, start, person.obligation,
                                           fail_at=fail, fail_quietly=rng.random() < 0.4),
                          "to_whatsapp", person)
        asked = result.end + lognormal_ms(rng, 15 * 60, 0.8, low_s=120, high_s=3 * 3600)
        intent = {"otp": "password_reset", "payment": "payment_status"}.get(
            fail, FILING_INTENT[person.obligation])
        conv = self.talk(person, asked, intent)
        # Before the OTP nobody is identified yet: those always come back and log in.
        if fail == "otp" or rng.random() < 0.55:
            back = conv.end + lognormal_ms(rng, 30 * 60, 1.0, low_s=180, high_s=86400)
            browser.new_visit()
            if fail == "payment":
                self.add(web.status_visit(browser, rng, person, back), "back_from_whatsapp",
                         person)
            else:
                self.add(web.filing_visit(browser, rng, person, back, person.obligation,
                                          drop_scale=0.3, complete=fail == "otp"),
                         "back_from_whatsapp", person)

    # --- shared traffic ----------------------------------------------------------------------
    def cafes(self) -> None:
        """Cyber-café PCs, visited in time order: the SDK keeps the previous customer's PIN
        until the next one logs in, unless they logged out (reset)."""
        rng = self.rng
        network = home_network(random.Random(7))  # a Nairobi café's fixed line
        pcs = [Browser(rng, cafe_device(rng), network) for _ in range(3)]
        for start, person in sorted(self.cafe_visits, key=lambda v: (v[0], v[1].index)):
            pc = pcs[person.index % len(pcs)]
            pc.new_visit()
            self.add(web.filing_visit(pc, rng, person, start, person.obligation), "cafe",
                     person)
            if rng.random() < 0.6:
                pc.reset()

    def crawlers(self, count: int) -> None:
        for _ in range(count):
            start = self.rng.randrange(self.start, self.now)
            self.capture.extend(web.crawler_hit(self.rng, start))

    def campaigns(self, people: list[Person]) -> list[Timed]:
        rng = self.rng
        out: list[Timed] = []
        count = self.campaign_count
        span = self.now - self.start
        audience = [p for p in people if p.uses_whatsapp]
        for i in range(count):
            ts = self._campaign_time(self.start + (2 * i + 1) * span // (2 * count))
            campaign = whatsapp.campaign_for(i, ts)
            campaign_id = f"{campaign.campaign_id}-{local(ts).strftime('%Y%m%d')}"
            recipients = []
            for person in audience:
                chat = self.chat(person)
                if person.segment == "wa_campaign":
                    if person.extra.get("campaign") != i and rng.random() >= 0.3:
                        continue
                    # Imported from a list shortly before the send.
                    chat.contact_created(max(self.start + MINUTE,
                                             ts - rng.randrange(HOUR, 2 * DAY)), "import")
                elif rng.random() >= 0.3:
                    continue
                if chat.is_contact_at(ts):
                    recipients.append(person)
            out.append(whatsapp.campaign_sent(rng, campaign, campaign_id, ts, len(recipients)))
            self.stats["campaigns"][campaign_id] = len(recipients)
            for k, person in enumerate(recipients):
                # The CRM sends about 40 messages a second.
                sent = ts + 2 * SECOND + k * rng.randrange(15, 35)
                read = whatsapp.campaign_message(self.chat(person), campaign, campaign_id, sent)
                if read is not None and rng.random() < 0.12:
                    reply = read + lognormal_ms(rng, 600, 1.2, low_s=20, high_s=6 * 3600)
                    intent = campaign.intent if rng.random() < 0.7 \
                        else whatsapp.random_intent(rng)
                    self.talk(person, reply, intent)
        return out

    def _campaign_time(self, around: int) -> int:
        """10–11 a.m. EAT on a weekday near `around`, not in the future."""
        day = local(around)
        ts = around - (day.hour * HOUR + day.minute * MINUTE + day.second * SECOND) \
            + 10 * HOUR + self.rng.randrange(0, HOUR)  # from local midnight to 10–11 a.m.
        while local(ts).weekday() >= 5:
            ts += DAY
        # Not in the last two hours (its receipts and replies need time), nor on a weekend.
        while (ts > self.now - 2 * HOUR or local(ts).weekday() >= 5) and ts - DAY > self.start:
            ts -= DAY
        return max(ts, self.start + MINUTE)


def generate(people: int, days: int, seed: int, now_ms: int) -> Dataset:
    """Every payload of a demo of `people` taxpayers over the `days` before `now_ms`."""
    rng = random.Random(seed)
    start = now_ms - days * DAY
    builder = Builder(rng, start, now_ms, days)
    population_ = population(rng, people)
    for person in population_:
        builder.story(person)
    builder.cafes()
    campaign_events = builder.campaigns(population_)
    builder.crawlers(max(1, people * days // 120))
    crm: list[Timed] = campaign_events
    for chat in builder.chats.values():
        crm.extend(chat.out)
        builder.owners.update((envelope["id"], chat.person.index) for _, envelope in chat.out)
    # What lies after `now` has not happened yet: journeys still in progress stop here.
    capture = sorted((t for t in builder.capture if t[0] <= now_ms), key=lambda t: t[0])
    crm = sorted((t for t in crm if t[0] <= now_ms), key=lambda t: t[0])
    return Dataset(seed, people, days, start, now_ms, capture, crm, builder.stats, builder.owners)
