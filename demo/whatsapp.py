"""WhatsApp conversations, the AI agent and campaigns, as the CRM's signed webhooks carry them.

Envelopes are `{"id", "event", "timestamp", "data"}` (collector/webhooks.py). Every delivery has
its own CRM id; a message and its receipts share the `message_id`; `chat_id` names the
contact's chat across conversations. Whether a conversation ends resolved, handed off or
dropped comes from what happens in it — a hand-off at night waits for the morning shift, and
a reply after the 30-minute timeout no longer saves the chat — not from a label.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from demo import ids
from demo.clock import (
    HOUR,
    MINUTE,
    SECOND,
    business_hours,
    iso,
    local,
    lognormal_ms,
    next_opening,
)
from demo.people import Person

BOT = "bot"
AGENTS = ("agent-wanjiku", "agent-otieno", "agent-kamau", "agent-achieng", "agent-mwangi",
          "agent-njeri", "agent-kiprop", "agent-mutua")
AGENT_WEIGHTS = (16, 15, 14, 13, 12, 12, 10, 8)
CONVERSATION_TIMEOUT_MS = 30 * MINUTE
CLASSIFIER = "kra-intent-v3"
GENERATOR = "kra-assist-llm-v2"

# intent → (service_name, weight, probability the bot hands the chat to an agent)
INTENTS: dict[str, tuple[str, float, float]] = {
    "file_nil_return": ("Returns Filing", 22, 0.12),
    "tot_filing": ("Returns Filing", 8, 0.25),
    "mri_filing": ("Returns Filing", 7, 0.25),
    "pin_registration": ("PIN Registration", 12, 0.35),
    "pin_retrieval": ("PIN Registration", 8, 0.20),
    "payment_status": ("Payments", 10, 0.45),
    "tcc_application": ("Tax Compliance Certificate", 8, 0.40),
    "password_reset": ("iTax Access", 10, 0.30),
    "penalty_waiver": ("Penalties & Waivers", 4, 0.70),
    "agent_request": ("General Enquiry", 4, 1.00),
    "greeting": ("General Enquiry", 5, 0.05),
    "other": ("General Enquiry", 2, 0.50),
}
FILING_INTENT = {"NIL": "file_nil_return", "TOT": "tot_filing", "MRI": "mri_filing"}
AI_ERRORS = ("timeout", "rate_limited", "upstream_5xx", "content_filter")
CONTENT_TYPES = (("text", 85), ("image", 5), ("document", 3), ("button", 4), ("audio", 3))
CSAT_RATINGS = ((1, 4), (2, 5), (3, 11), (4, 30), (5, 50))

# Plans the first conversations of a dataset cycle through, so even a tiny demo has each.
PLANS = ("bot_resolved", "handoff_resolved", "handoff_late", "no_reply", "bot_open",
         "ai_error_handoff", "reassigned")


def random_intent(rng: random.Random) -> str:
    names = tuple(INTENTS)
    return rng.choices(names, [INTENTS[n][1] for n in names])[0]


@dataclass
class Chat:
    """One contact's chat in the CRM."""

    person: Person
    chat_id: str
    rng: random.Random
    out: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    created_at: int | None = None  # when contact.created was sent (None: not in the demo)

    def send(self, event: str, ts: int, **data: Any) -> None:
        body = {"chat_id": self.chat_id, "whatsapp_number": self.person.crm_number(self.rng)}
        body.update({k: v for k, v in data.items() if v is not None})
        self.out.append((ts, {"id": ids.crm_event_id(self.rng), "event": event,
                              "timestamp": iso(ts), "data": body}))

    def is_contact_at(self, ts: int) -> bool:
        """Whether the CRM knows this contact at `ts` (campaigns go to contacts only)."""
        if not self.person.new_contact:
            return True  # a contact from before the demo window
        return self.created_at is not None and self.created_at < ts

    def contact_created(self, ts: int, source: str) -> None:
        if self.created_at is not None or not self.person.new_contact:
            return
        self.created_at = ts
        p = self.person
        # The CRM has the email when the contact gave it (always for those linked by email).
        email = p.email if p.email and (p.link_by == "email" or self.rng.random() < 0.2) else None
        name = p.first if self.rng.random() < 0.5 else p.name  # WhatsApp profile name
        self.send("contact.created", ts, source=source, name=name, email=email)

    def inbound(self, ts: int) -> str:
        message_id = ids.wamid(self.rng)
        kinds = [k for k, _ in CONTENT_TYPES]
        content = self.rng.choices(kinds, [w for _, w in CONTENT_TYPES])[0]
        self.send("message.received", ts, message_id=message_id, direction="inbound",
                  content_type=content, has_media=content in ("image", "document", "audio"))
        return message_id

    def outbound(self, ts: int, agent_id: str | None, *, template_id: str | None = None,
                 campaign_id: str | None = None, read_p: float = 0.9,
                 read_median_s: float = 25, fails: bool = False) -> int | None:
        """message.sent and its receipts; returns when it was read (None if never).

        `fails`: the number cannot get WhatsApp messages (a bad entry in an imported list)."""
        message_id = ids.wamid(self.rng)
        self.send("message.sent", ts, message_id=message_id, direction="outbound",
                  agent_id=agent_id, content_type="template" if template_id else "text",
                  template_id=template_id, campaign_id=campaign_id, has_media=False)
        rng = self.rng
        if fails or rng.random() < 0.015:
            self.send("message.failed", ts + rng.randrange(SECOND, 30 * SECOND),
                      message_id=message_id,
                      error_type="not_on_whatsapp" if fails
                      else rng.choice(("undeliverable", "expired")))
            return None
        offline = rng.random() < 0.04  # phone off: delivered hours later
        delivered = ts + (rng.randrange(10 * MINUTE, 6 * HOUR) if offline
                          else rng.randrange(400, 6 * SECOND))
        self.send("message.delivered", delivered, message_id=message_id)
        if rng.random() >= read_p:
            return None
        read = delivered + lognormal_ms(rng, read_median_s, 1.0, low_s=1)
        self.send("message.read", read, message_id=message_id)
        return read


@dataclass
class Conversation:
    """What one conversation produced: its end, and when a link the bot sent was opened."""

    end: int
    link_opened: int | None = None
    resolved: bool = False
    plan: str = ""


def _agent(rng: random.Random) -> str:
    return rng.choices(AGENTS, AGENT_WEIGHTS)[0]


def _queue_wait(rng: random.Random, ts: int, late: bool | None) -> int:
    """How long a handed-off chat waits for an agent: minutes in staffed hours, until the
    morning shift at night. `late` forces a wait past (True) or within (False) the timeout."""
    if late is False:
        return lognormal_ms(rng, 150, 0.8, low_s=15, high_s=25 * 60)
    if late:
        return max(35 * MINUTE, next_opening(ts + 35 * MINUTE) - ts
                   + lognormal_ms(rng, 600, 0.8, high_s=3600))
    at = local(ts)
    if business_hours(ts):
        return lognormal_ms(rng, 150, 0.9, low_s=15, high_s=2 * 3600)
    if at.weekday() < 6 and 17 <= at.hour < 21:  # the evening shift is thin
        return lognormal_ms(rng, 900, 0.7, low_s=60, high_s=3 * 3600)
    return next_opening(ts) - ts + lognormal_ms(rng, 900, 0.8, high_s=2 * 3600)


HANDOFF_PLANS = frozenset({"handoff", "handoff_resolved", "handoff_late", "reassigned",
                           "ai_error_handoff"})


def _natural_plan(rng: random.Random, intent: str, send_link: bool) -> str:
    if send_link:
        return "bot_link"
    if rng.random() < 0.05:  # the LLM fails: sometimes nobody picks the chat up at all
        return "no_reply" if rng.random() < 0.5 else "ai_error_handoff"
    if rng.random() < INTENTS[intent][2]:
        return "handoff"
    return "bot_open" if rng.random() < 0.35 else "bot_resolved"


def _classify(chat: Chat, t: int, intent: str) -> int:
    rng = chat.rng
    vague = intent in ("other", "agent_request")
    confidence = rng.betavariate(3, 3) if vague else rng.betavariate(8, 1.6)
    t += rng.randrange(300, 1500)
    chat.send("ai.classification", t, intent=intent, confidence=round(confidence, 3),
              model=CLASSIFIER)
    return t


def conversation(chat: Chat, start: int, intent: str, plan: str | None = None,
                 send_link: bool = False, first_source: str = "whatsapp_inbound"
                 ) -> Conversation:
    """One conversation opened by an inbound message at `start`.

    Without `plan` the intent and the time of day decide its course: the AI agent classifies
    and answers, hands hard cases to an agent, who answers when one is free. A forced `plan`
    (one of PLANS) gives tiny datasets every shape.
    """
    rng = chat.rng
    service = INTENTS[intent][0]
    forced = plan is not None
    plan = plan or _natural_plan(rng, intent, send_link)
    chat.contact_created(start, first_source)
    chat.inbound(start)
    messages = 1
    t = _classify(chat, start, intent)
    if plan in ("no_reply", "ai_error_handoff"):
        t += lognormal_ms(rng, 8, 0.5, high_s=30)
        chat.send("ai.error", t, error_type=rng.choice(AI_ERRORS), model=GENERATOR)
        if plan == "no_reply":
            if rng.random() < 0.6:  # "hello??" — still nobody: a dropped chat
                chat.inbound(t + rng.randrange(2 * MINUTE, 12 * MINUTE))
            return Conversation(t, plan="no_reply")
        bot_turns = 0
    elif plan in HANDOFF_PLANS:
        bot_turns = 0 if rng.random() < 0.4 else 1  # some ask for an agent straight away
    elif plan == "bot_link":
        bot_turns = rng.choices((1, 2), (70, 30))[0]
    else:
        bot_turns = rng.choices((1, 2, 3), (55, 30, 15))[0]
    read: int | None = None
    for turn in range(bot_turns):
        if turn:  # the taxpayer follows up after reading the answer
            t = (read or t) + lognormal_ms(rng, 50, 0.8, low_s=5, high_s=600)
            chat.inbound(t)
            messages += 1
            t = _classify(chat, t, intent)
            if not forced and rng.random() < 0.06:
                # The follow-up (a voice note, a photo of an error) gets no answer: dropped.
                t += lognormal_ms(rng, 8, 0.5, high_s=30)
                chat.send("ai.error", t, error_type=rng.choice(AI_ERRORS), model=GENERATOR)
                return Conversation(t, plan="no_reply")
        latency = lognormal_ms(rng, 1.8, 0.5, low_s=0.3, high_s=15)
        t += latency
        chat.send("ai.generation", t, intent=intent, latency_ms=latency, model=GENERATOR,
                  tokens=rng.randrange(40, 320))
        t += rng.randrange(100, 900)
        is_link = plan == "bot_link" and turn == bot_turns - 1
        read = chat.outbound(t, BOT, template_id="filing_link" if is_link else None,
                             read_p=0.97 if is_link else 0.9, read_median_s=15)
        messages += 1
    if plan == "bot_link":
        opened = (read or t + 20 * SECOND) + lognormal_ms(rng, 40, 0.8, low_s=3)
        resolved = rng.random() < 0.7
        if resolved:  # the bot closes the chat once the link is out
            t += rng.randrange(MINUTE, 5 * MINUTE)
            _resolve(chat, t, start, BOT, service, messages, "redirected_to_web", csat_p=0.0)
        return Conversation(t, link_opened=opened, resolved=resolved, plan="bot_link")
    if plan == "bot_open":
        return Conversation(t, plan="bot_open")  # the taxpayer just stops replying
    if plan == "bot_resolved":
        t += rng.randrange(MINUTE, 10 * MINUTE)
        _resolve(chat, t, start, BOT, service, messages, "resolved_by_bot", csat_p=0.45)
        return Conversation(t, resolved=True, plan="bot_resolved")
    t += rng.randrange(500, 3 * SECOND)
    chat.outbound(t, BOT, read_median_s=10)  # "an agent will take over"
    return _handoff(chat, start, t, intent, service, messages + 1, plan, forced)


def _handoff(chat: Chat, start: int, t: int, intent: str, service: str, messages: int,
             plan: str, forced: bool) -> Conversation:
    rng = chat.rng
    agent = _agent(rng)
    t += rng.randrange(200, 2 * SECOND)
    chat.send("agent.handoff", t, agent_id=agent, previous_agent_id=BOT,
              reason="low_confidence" if intent in ("other", "agent_request") else "complex_case")
    late = True if plan == "handoff_late" else (False if forced else None)
    wait = _queue_wait(rng, t, late)
    last_message = t
    if wait > 20 * MINUTE and (late or rng.random() < 0.85):
        # Waiting, the taxpayer asks whether anyone is there.
        last_message = t + min(wait - MINUTE, lognormal_ms(rng, 300, 0.7, low_s=30,
                                                           high_s=25 * 60))
        chat.inbound(last_message)
        messages += 1
        if late:
            wait = max(wait, last_message - t + CONVERSATION_TIMEOUT_MS
                       + rng.randrange(MINUTE, 20 * MINUTE))
    reply_late = t + wait - last_message > CONVERSATION_TIMEOUT_MS
    # A chat nobody can take now is parked with the on-call agent straight away; otherwise
    # the agent who picks it up is assigned then.
    assigned = t + rng.randrange(2 * SECOND, 20 * SECOND) if reply_late \
        else t + max(SECOND, wait - rng.randrange(0, 60 * SECOND))
    chat.send("chat.assigned", assigned, agent_id=agent, previous_agent_id=BOT)
    t += wait
    chat.outbound(t, agent, read_median_s=60)
    messages += 1
    if reply_late:
        # The reply came after the timeout: outbound-only, so it does not save the chat.
        if rng.random() < 0.35:
            # The taxpayer answers the late reply: a new conversation, which the agent closes.
            t += lognormal_ms(rng, 600, 1.0, low_s=30, high_s=3 * 3600)
            chat.inbound(t)
            t += lognormal_ms(rng, 90, 0.6, high_s=600)
            chat.outbound(t, agent)
            t += rng.randrange(MINUTE, 8 * MINUTE)
            _resolve(chat, t, t, agent, service, 2, "resolved_by_agent", csat_p=0.4)
        return Conversation(t, plan="handoff_late")
    turns = rng.choices((1, 2, 3, 4), (30, 35, 25, 10))[0]
    for turn in range(turns):
        t += lognormal_ms(rng, 70, 0.8, low_s=5, high_s=900)  # the taxpayer answers
        chat.inbound(t)
        messages += 1
        if (plan == "reassigned" and turn == 0) or (not forced and rng.random() < 0.05):
            new_agent = _agent(rng)
            while new_agent == agent:
                new_agent = _agent(rng)
            t += rng.randrange(20 * SECOND, 3 * MINUTE)
            chat.send("chat.assigned", t, agent_id=new_agent, previous_agent_id=agent)
            agent = new_agent
        t += lognormal_ms(rng, 80, 0.7, low_s=10, high_s=20 * 60)  # the agent answers
        chat.outbound(t, agent)
        messages += 1
    t += rng.randrange(MINUTE, 6 * MINUTE)
    _resolve(chat, t, start, agent, service, messages, "resolved_by_agent", csat_p=0.4)
    return Conversation(t, resolved=True, plan="reassigned" if plan == "reassigned"
                        else "handoff_resolved")


def _resolve(chat: Chat, t: int, start: int, agent: str, service: str, messages: int,
             outcome: str, csat_p: float) -> None:
    # resolution_time in seconds and duration_minutes, both from the first inbound message.
    chat.send("chat.resolved", t, outcome=outcome, agent_id=agent, service_name=service,
              resolution_time=(t - start) // SECOND,
              duration_minutes=round((t - start) / MINUTE, 1), message_count=messages)
    if csat_p:
        _csat(chat, t, agent, csat_p)


def _csat(chat: Chat, t: int, agent: str, p: float) -> None:
    """The CSAT survey (a template message) and, when answered, the rating."""
    rng = chat.rng
    if rng.random() >= p + 0.2:
        return
    t += rng.randrange(2 * SECOND, 20 * SECOND)
    read = chat.outbound(t, BOT, template_id="csat_survey", read_p=0.8, read_median_s=40)
    if read is None or rng.random() >= p / (p + 0.2):
        return
    ratings = [r for r, _ in CSAT_RATINGS]
    rating = rng.choices(ratings, [w - (8 if r == 5 and agent == BOT else 0)
                                   for r, w in CSAT_RATINGS])[0]
    chat.send("csat.submitted", read + lognormal_ms(rng, 15, 0.6, low_s=2), rating=rating,
              agent_id=agent)


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    template_id: str
    intent: str


# Deadline reminders go out in the week before the 20th; the others any other week.
DEADLINE_CAMPAIGNS = (
    Campaign("cmp-nil-deadline", "NIL return deadline reminder", "nil_deadline_reminder",
             "file_nil_return"),
    Campaign("cmp-tot-deadline", "TOT filing reminder", "tot_deadline_reminder", "tot_filing"),
    Campaign("cmp-mri-deadline", "MRI filing reminder", "mri_deadline_reminder", "mri_filing"),
)
OTHER_CAMPAIGNS = (
    Campaign("cmp-tcc-whatsapp", "Apply for your TCC on WhatsApp", "tcc_on_whatsapp",
             "tcc_application"),
    Campaign("cmp-itax-maintenance", "iTax scheduled maintenance", "itax_maintenance", "other"),
    Campaign("cmp-pin-update", "Update your PIN details", "pin_update_drive",
             "pin_registration"),
)


def campaign_for(index: int, ts: int) -> Campaign:
    pool = DEADLINE_CAMPAIGNS if 13 <= local(ts).day <= 19 else OTHER_CAMPAIGNS
    return pool[index % len(pool)]


def campaign_sent(rng: random.Random, campaign: Campaign, campaign_id: str, ts: int,
                  recipients: int) -> tuple[int, dict[str, Any]]:
    """The campaign's own event (no contact: it goes to many)."""
    return (ts, {"id": ids.crm_event_id(rng), "event": "campaign.sent", "timestamp": iso(ts),
                 "data": {"campaign_id": campaign_id, "name": campaign.name,
                          "template_id": campaign.template_id,
                          "recipient_count": recipients}})


def campaign_message(chat: Chat, campaign: Campaign, campaign_id: str, ts: int
                     ) -> int | None:
    """One recipient's templated message; returns when it was read (None if never)."""
    return chat.outbound(ts, None, template_id=campaign.template_id, campaign_id=campaign_id,
                         read_p=0.7, read_median_s=40 * 60,
                         fails=bool(chat.person.extra.get("unreachable")))
