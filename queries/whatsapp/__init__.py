"""WhatsApp: messages, conversations, response and resolution times, agents, contacts.

`NAMED` lists this area's named queries; queries/catalog.py adds them to the catalog. The SQL
is in queries/sql/whatsapp*.sql over the stored model's views stored_conversations,
stored_wa_responses and stored_wa_open (warehouse/views/); definitions in
queries/definitions/whatsapp.toml.
"""

from __future__ import annotations

from queries.named import LIVE_TTL, NamedQuery
from queries.params import example_range
from queries.whatsapp.params import (
    WhatsAppKpiParams,
    WhatsAppListParams,
    WhatsAppLiveParams,
    WhatsAppParams,
)

_Q = NamedQuery
NAMED: list[NamedQuery] = [
    _Q("whatsapp", WhatsAppKpiParams,
       "WhatsApp KPIs with the previous period, one row per metric: messages received, sent, "
       "delivered, read, failed and their rates, reply rate, response times, first and agent "
       "first response, resolution time, contacts, conversations, open now, resolved, "
       "bot-resolved, dropped, escalation rate, CSAT"),
    _Q("whatsapp_open", WhatsAppLiveParams,
       "WhatsApp conversations open now (last message within the conversation timeout, not "
       "resolved — Njia's definition, which may differ from the CRM's inbox)", LIVE_TTL,
       example={"project": "kra-demo", "limit": 200}),
    _Q("whatsapp_workload", WhatsAppLiveParams,
       "Agent workload now: open conversations per assigned agent (Njia's definition)",
       LIVE_TTL, example={"project": "kra-demo"}),
    _Q("whatsapp_volume", WhatsAppParams,
       "Inbound and outbound messages per hour (per day for ranges over 31 days), project "
       "time zone"),
    _Q("whatsapp_heatmap", WhatsAppParams,
       "Messages per weekday × hour (project time zone), inbound and outbound"),
    _Q("whatsapp_response_histogram", WhatsAppParams,
       "Response times per bucket (< 1 min, 1–5, 5–15, 15–60, > 60 min) with the median"),
    _Q("whatsapp_funnel", WhatsAppParams,
       "Message funnel: sent → delivered → read → replied (messages sent in the range)"),
    _Q("whatsapp_countries", WhatsAppParams,
       "Conversations and people by country (the number's country code)"),
    _Q("whatsapp_agents", WhatsAppParams,
       "Agent leaderboard: conversations assigned, resolved, median first response, median "
       "resolution time, CSAT"),
    _Q("whatsapp_lengths", WhatsAppParams,
       "Conversations by length (messages; the CRM's messageCount when it sent one)"),
    _Q("whatsapp_dropped", WhatsAppListParams,
       "Dropped conversations (latest first), with the person for the journey explorer",
       example=example_range(limit=100)),
]
