"""The AI agent: classifications, confidence, latency, errors, intents.

`NAMED` lists this area's named queries; queries/catalog.py adds them to the catalog. Their SQL
is in queries/sql/ai*.sql (and errors_trend.sql, the Errors page's trend of app_error beside
ai.error); the KPIs' definitions in queries/definitions/ai.toml.
"""

from __future__ import annotations

from queries.ai.params import AiListParams, AiParams, example
from queries.named import NamedQuery
from queries.params import RangeParams

_Q = NamedQuery
NAMED: list[NamedQuery] = [
    _Q("ai", AiParams,
       "AI agent KPIs with the previous period, one row per metric: classifications, mean "
       "confidence, low-confidence share (below the project's threshold), latency "
       "p50/p90/p99 (ms), error rate, errors, generations"),
    _Q("ai_intents", AiListParams,
       "Top intents: classifications, share, mean confidence and low-confidence count/share "
       "per intent", example=example(limit=15)),
    _Q("ai_latency_histogram", AiParams,
       "AI answers (classifications and generations with latency_ms) per latency bucket"),
    _Q("ai_errors_by_day", AiParams,
       "ai.error events per day (project time zone) and error_type, every day × type"),
    _Q("ai_errors_by_type", AiListParams,
       "ai.error events by error_type: count, share, models, conversations, people, last seen"),
    _Q("ai_errors_summary", AiParams,
       "ai.error count, error types, affected conversations and people, AI events, error rate"),
    _Q("ai_low_confidence", AiListParams,
       "The latest classifications below the low-confidence threshold, with intent, "
       "confidence, text, conversation and person", example=example(limit=20)),
    _Q("ai_intent_escalation", AiListParams,
       "Per intent (a conversation's first classification's), the WhatsApp conversations "
       "started in the range, how many were handed to an agent, escalation rate, bot-resolved"),
    # The Errors page (under the WhatsApp channel): the web app's and the AI agent's errors.
    _Q("errors_trend", RangeParams,
       "app_error and ai.error events per day (project time zone), every day for both kinds"),
]
