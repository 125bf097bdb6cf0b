"""Journey explorer: one person, found by any identifier — their card and their merged timeline
across web, WhatsApp and the AI agent, grouped by session or conversation.

The search lives in the URL (`?person=…`): Sessions, Errors and funnel drill-downs link here
with the person's best identifier (workbench/journey_view.py `person_link`). The timeline is the
person's whole history unless "Only the sidebar's dates" is ticked.
"""

from __future__ import annotations

import json

import streamlit as st

from queries.journey.params import PAGE_SIZE
from workbench import components, filters, formatters, journey_view
from workbench.reads import load, prefetch

PERSON_KEY, PAGE_KEY = journey_view.PERSON_PARAM, "journey_page"


def first_page() -> None:
    # A callback: the pager may only be changed through session_state, before it renders.
    st.session_state[PAGE_KEY] = 1


f = filters.current()
st.title("Journey explorer")
st.caption(f"{f.project} · one person across web, WhatsApp and the AI agent · times in "
           f"{f.tz_label}")
components.model_notice(f.project)

search_col, range_col, order_col = st.columns([3, 1.3, 1])
search = search_col.text_input(
    "Person — phone, email, KRA PIN, anonymous id, session or conversation id",
    key=PERSON_KEY, bind="query-params", on_change=first_page,
    placeholder="e.g. 0712 345 678, A001234567Z, name@example.com",
).strip()
in_range = range_col.checkbox(
    "Only the sidebar's dates", key="journey_in_range", on_change=first_page,
    help="Only sessions and conversations that started "
         f"{formatters.date_span(f.date_from, f.date_to)}; otherwise the whole history.")
order = order_col.segmented_control("Order", ["newest", "oldest"], default="newest",
                                    key="journey_order", on_change=first_page,
                                    required=True) or "newest"
if not search:
    st.info("Search for a person by any identifier: a phone number in any format, an email, a "
            "KRA PIN or user id, an anonymous id, or a session or conversation id (from the "
            "Sessions page). Other pages link here with the person filled in.")
    st.stop()

profile_params = {"project": f.project, "person": search}
page_no = int(st.session_state.get(PAGE_KEY, 1))
timeline_params = {"project": f.project, "person": search, "order": order, "limit": PAGE_SIZE,
                   **({"from": f.date_from.isoformat(), "to": f.date_to.isoformat()}
                      if in_range else {})}
# The card and the first page at once (the loads below then find them cached).
prefetch([("journey_profile", profile_params),
          ("journey", {**timeline_params, "offset": (page_no - 1) * PAGE_SIZE})])
profile = load("journey_profile", profile_params)
if profile.empty:
    st.info(f"Nobody found for “{search}” in {f.project}: no identifier, session or "
            "conversation of this project matches it. Check the number or PIN, or search by "
            "another of the person's identifiers.")
    components.query_details("journey_profile", profile_params, profile, key="journey_profile")
    st.stop()

# --- the card ------------------------------------------------------------------------------
card = profile.iloc[0]
names = journey_view.identifiers(card["identifiers"])
st.subheader(names[0] if names else f"person {card['person_id']}")
st.caption(" · ".join(names[1:] + [f"person id {card['person_id']}"]))
seen, channels_col, where = st.columns([2, 1.2, 1.3])
seen.markdown(
    f"**First seen** {formatters.local_time(card['first_seen'], f.tz, '%a %d %b %Y %H:%M')} "
    f"({journey_view.ago(card['first_seen'])})  \n"
    f"**Last seen** {formatters.local_time(card['last_seen'], f.tz, '%a %d %b %Y %H:%M')} "
    f"({journey_view.ago(card['last_seen'])})")
channels_col.markdown("**Channels** " + " ".join(journey_view.channel_text(c)
                                                 for c in card["channels"]))
where.markdown(f"**Country** {card['country'] or '—'}  \n**Devices** "
               + (", ".join(card["devices"]) or "—"))
m = st.columns(6)
m[0].metric("Events", formatters.count(card["events"]), border=True)
m[1].metric("Web sessions", formatters.count(card["web_sessions"]), border=True)
m[2].metric("Conversations", formatters.count(card["conversations"]), border=True)
m[3].metric("Conversions", formatters.count(card["conversions"]), border=True,
            help="Web sessions with one of the project's conversion events.")
m[4].metric("Messages in / out",
            f"{formatters.count(card['messages_received'])} / "
            f"{formatters.count(card['messages_sent'])}", border=True)
m[5].metric("CSAT given", formatters.count(card["csat_given"]), border=True,
            help="Ratings given after WhatsApp conversations (1–5).")
st.caption(f"Their whole history · page views {formatters.count(card['page_views'])} · "
           f"AI agent events {formatters.count(card['ai_events'])} · "
           f"app errors {formatters.count(card['errors'])}")
if card["last_conversation"]:
    conv_day = formatters.local_time(card["last_conversation_start"], f.tz, "%Y-%m-%d")
    left, right = st.columns([3, 1])
    left.markdown(
        "**Last WhatsApp conversation** "
        f"{formatters.local_time(card['last_conversation_start'], f.tz, '%a %d %b %Y %H:%M')} "
        f"({journey_view.ago(card['last_conversation_start'])}) · "
        + journey_view.status_text(card["last_conversation_status"])
        + (f" · last CSAT {formatters.count(card['last_csat'])}, average "
           f"{card['avg_csat']:.2f}" if card["csat_given"] else ""))
    with right:
        st.page_link("app_pages/sessions.py", label="Open it in Sessions",
                     icon=":material/timeline:",
                     query_params={**f.range_query(), "dates": [conv_day, conv_day],
                                   "session": card["last_conversation"]})
else:
    st.markdown("**Last WhatsApp conversation** none")
components.query_details("journey_profile", profile_params, profile, key="journey_profile")

# --- the timeline --------------------------------------------------------------------------
st.divider()
timeline = load("journey", {**timeline_params, "offset": (page_no - 1) * PAGE_SIZE})
total = int(timeline["total"].iloc[0]) if not timeline.empty else 0
pages = max(1, -(-total // PAGE_SIZE))
if page_no > pages:  # the search or range changed under us: back to the first page
    st.session_state[PAGE_KEY] = page_no = 1
    timeline = load("journey", {**timeline_params, "offset": 0})
shown_params = {**timeline_params, "offset": (page_no - 1) * PAGE_SIZE}
st.subheader("Timeline")
scope = (f"in sessions that started {formatters.date_span(f.date_from, f.date_to)}"
         if in_range else "in their whole history")
st.markdown(f"**{formatters.count(total)}** events {scope} · page {page_no} of {pages}")
if timeline.empty:
    st.info("No events of this person in the sidebar's dates: untick “Only the sidebar's "
            "dates” to see their whole history.")
else:
    st.vega_lite_chart(spec=components.vega_lite_spec(
        journey_view.timeline_chart, journey_view.chart_frame(timeline, f.tz)),
        width="stretch", key="journey_chart")
    for i, rows in enumerate(journey_view.groups(timeline)):
        st.markdown(journey_view.group_header(rows, f.tz))
        st.dataframe(journey_view.channel_style(journey_view.steps(rows, f.tz)),
                     hide_index=True, width="stretch", key=f"journey_group_{i}")
    st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key=PAGE_KEY)
components.query_details("journey", shown_params, timeline, key="journey")

# --- the property inspector ----------------------------------------------------------------
if not timeline.empty:
    st.markdown("**Properties inspector**")
    index = st.selectbox(
        "Event", list(range(len(timeline))), key="journey_event",
        format_func=lambda i: (f"{formatters.local_time(timeline['timestamp'].iloc[i], f.tz)}"
                               f" · {timeline['label'].iloc[i]}"))
    event = timeline.iloc[int(index or 0)]
    event_params = {"project": f.project, "event": event["event_id"]}
    detail = load("journey_event", event_params)
    found = detail.iloc[0] if not detail.empty else None
    left, right = st.columns(2)
    with left:
        st.caption("Properties")
        st.json(json.loads(found["properties"]) if found is not None else {})
        if found is not None and json.loads(found["traits"] or "{}"):
            st.caption("Traits")
            st.json(json.loads(found["traits"]))
    with right:
        st.caption("Event")
        context = {k: event[k] for k in (
            "event_name", "channel", "session_id", "page_path", "page_title", "direction",
            "agent_id", "message_id", "chat_id", "device_type", "browser", "os", "country",
            "city") if event[k] not in ("", None)}
        st.json({"time": f"{formatters.local_time(event['timestamp'], f.tz)} ({f.tz})",
                 **context, "person": formatters.identifier(event["event_key"]),
                 "event_id": event["event_id"]})
    components.query_details("journey_event", event_params, detail, key="journey_event")
