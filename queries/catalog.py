"""Named queries: one `.sql` file each (or a builder when the shape varies) + its params model.

The catalog is what the workbench, `njia query` and the HTTP API share: the same name, the same
validation, the same SQL, so a number on a page can always be re-run headless.
"""

from __future__ import annotations

from queries import ai, campaigns, service, snapshots, whatsapp
from queries.builders import breakdown, retention
from queries.builders import paths as paths_query
from queries.builders.retention import RetentionParams
from queries.funnel import engine as funnel
from queries.funnel.params import FunnelParams, FunnelStepParams
from queries.funnel.params import example as funnel_example
from queries.journey.params import JourneyEventParams, JourneyParams, JourneyProfileParams
from queries.named import (  # noqa: F401 - the catalog is where callers find them
    HISTORY_TTL,
    LIVE_TTL,
    SQL_DIR,
    NamedQuery,
    placeholders,
)
from queries.params import (
    BreakdownParams,
    EventPropertiesParams,
    EventRangeParams,
    ListParams,
    LiveParams,
    LiveWindowParams,
    OverviewParams,
    PeriodParams,
    QueryParams,
    RangeParams,
    SessionListParams,
    SessionRangeParams,
    SessionTimelineParams,
    example_range,
)

_Q = NamedQuery
QUERIES: dict[str, NamedQuery] = {
    q.name: q
    for q in [
        # Overview
        _Q("overview", OverviewParams,
           "KPIs with the previous period: sessions, people, identified/anonymous people, "
           "conversion rate, average session duration"),
        _Q("overview_conversations", PeriodParams,
           "The Overview's WhatsApp cards with the previous period: conversations, resolution "
           "rate, median first response, CSAT"),
        _Q("dau", EventRangeParams, "Daily active people"),
        _Q("traffic_by_journey", SessionRangeParams,
           "Web sessions by journey (first segment of the entry page)"),
        _Q("top_pages", ListParams, "Page views, sessions and people per page"),
        _Q("activity_heatmap", SessionRangeParams,
           "Sessions started per weekday × hour (project time zone)"),
        _Q("breakdown", BreakdownParams,
           "Sessions by device, browser, OS, country, entry/exit page or channel",
           builder=breakdown.build, example=example_range(by="device_type")),
        _Q("duration_histogram", SessionRangeParams, "Sessions per duration bucket"),
        # Sessions
        _Q("sessions_list", SessionListParams, "Filterable, paginated session list"),
        _Q("session_timeline", SessionTimelineParams, "One session's events in order",
           example=example_range(session="w-0123456789abcdef0123")),
        # Errors
        _Q("errors_summary", RangeParams, "app_error count, affected sessions/people, share"),
        _Q("errors_by_day", RangeParams, "app_error events per day"),
        _Q("errors_by_type", ListParams, "app_error events by type and message"),
        _Q("errors_by_page", ListParams, "app_error events by page"),
        _Q("error_sessions", ListParams, "Sessions with app_error events"),
        # Funnels (queries/funnel/)
        _Q("event_properties", EventPropertiesParams,
           "Property keys seen on one event name, with counts and common values",
           builder=funnel.build_event_properties, example=example_range(event="return_filed")),
        _Q("funnel", FunnelParams,
           "Funnel: per step the people (or sessions) who reached it, conversion, drop-off "
           "and time from the previous step; steps may span channels",
           builder=funnel.build, example=funnel_example()),
        _Q("funnel_dropped", FunnelStepParams,
           "Funnel drill-down: who reached the step before `step` but not `step`",
           builder=funnel.build_dropped, example={**funnel_example(), "step": 2}),
        _Q("funnel_next", FunnelStepParams,
           "Funnel drill-down: what those who dropped before `step` did next (any channel, "
           "within the window)",
           builder=funnel.build_next, example={**funnel_example(), "step": 2}),
        # Retention (queries/builders/retention.py)
        _Q("retention", RetentionParams,
           "Retention: cohorts by the day/week/month of each person's first event (or first "
           "cohort_event), and how many returned (any event or return_event) in each later "
           "period, or in it or after (mode)",
           builder=retention.build),
        # Paths (queries/builders/paths.py)
        _Q("paths", paths_query.PathsParams,
           "Paths: the most common sequences of steps (page paths, event names) in sessions, "
           "from the session's start, from a `start` step or up to an `end` step, `steps` deep, "
           "with sessions and conversions; the top `limit` and one row for the rest",
           builder=paths_query.build, example=paths_query.example()),
        # Journey explorer (queries/journey/): one person, by any identifier
        _Q("journey_profile", JourneyProfileParams,
           "One person's card: identifiers, first/last seen, channels, devices, countries, "
           "counts, conversions, last WhatsApp conversation and its status, CSAT given",
           example={"project": "kra-demo", "person": "+254722000002"}),
        _Q("journey", JourneyParams,
           "One person's merged timeline (web, WhatsApp, AI) grouped by session or "
           "conversation, with readable labels and properties; paginated, whole history "
           "unless from/to are given",
           example={"project": "kra-demo", "person": "+254722000002",
                    "from": "2026-06-01", "to": "2026-06-30"}),
        _Q("journey_event", JourneyEventParams,
           "One event's properties, context and traits (the explorer's inspector)",
           example={"project": "kra-demo", "event": "00000000-0000-4000-8000-000000000000"}),
        # Live
        _Q("live_events", LiveParams, "Latest events across channels", LIVE_TTL,
           example={"project": "kra-demo", "minutes": 60, "limit": 50}),
        _Q("events_per_minute", LiveWindowParams, "Events per minute, last N minutes", LIVE_TTL,
           example={"project": "kra-demo", "minutes": 60}),
        # Events
        _Q("events_by_day", EventRangeParams, "Events per day and channel", LIVE_TTL),
        _Q("events_by_name", EventRangeParams, "Events by name and channel", LIVE_TTL),
        # The journey model itself
        _Q("model_status", QueryParams,
           "Whether the stored sessions are current: state, watermark, events not yet in it",
           LIVE_TTL, example={"project": "kra-demo"}),
    ]
    # Each area's own package declares its queries.
    + whatsapp.NAMED + ai.NAMED + campaigns.NAMED + service.NAMED + snapshots.NAMED
}


class UnknownQuery(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def get_query(name: str) -> NamedQuery:
    try:
        # `njia query service-report` and /api/v1/query/service-report: a name may be spelled
        # with hyphens.
        return QUERIES[name.replace("-", "_")]
    except KeyError:
        raise UnknownQuery(
            f"unknown query {name!r}; known: {', '.join(sorted(QUERIES))}"
        ) from None
