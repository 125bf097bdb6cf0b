"""Global filters in the sidebar, kept across pages and in the URL (shareable links).

Project (only the user's projects), dates (today / 7 d / 30 d / custom, in the project's time
zone) and channel (all / web / WhatsApp). The widgets live in the entry file, so they render on
every page and keep their values; `bind="query-params"` mirrors them into the URL under the
keys below, so a copied link opens the same view, and a link naming a project the user may not
see falls back to one they may. (No format_func on them: a bound widget writes its *label* to
the URL, and the URL should carry the same values as the API: `channel=whatsapp`, `range=7d`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import streamlit as st

from metadata.projects import get_project, list_projects
from metadata.users import User
from queries.timerange import PRESET_LABELS, preset_dates, today_in
from workbench import formatters

PROJECT_KEY, RANGE_KEY, DATES_KEY, CHANNEL_KEY = "project", "range", "dates", "channel"
STATE_KEY = "njia_filters"
CHANNEL_LABELS = {"all": "All", "web": "Web", "whatsapp": "WhatsApp", "ai": "AI agent"}


@dataclass(frozen=True)
class Filters:
    project: str
    tz: str
    preset: str
    date_from: date
    date_to: date
    channel: str

    def range(self) -> dict[str, Any]:
        return {"project": self.project, "from": self.date_from.isoformat(),
                "to": self.date_to.isoformat()}

    def with_channel(self, channel: str | None = None) -> dict[str, Any]:
        return {**self.range(), "channel": channel or self.channel}

    def range_query(self) -> dict[str, Any]:
        """URL query parameters that reopen exactly these dates (links to a session)."""
        return {PROJECT_KEY: self.project, RANGE_KEY: "custom",
                DATES_KEY: [self.date_from.isoformat(), self.date_to.isoformat()],
                CHANNEL_KEY: self.channel}

    @property
    def tz_label(self) -> str:
        return "EAT" if self.tz == "Africa/Nairobi" else self.tz

    def describe(self) -> str:
        return (f"{self.project} · {formatters.date_span(self.date_from, self.date_to)} "
                f"({self.tz_label}) · {CHANNEL_LABELS[self.channel]} channels")


def sidebar(user: User) -> Filters | None:
    """Render the filters; None when the user may see no project at all."""
    projects = user.visible(p.project_id for p in list_projects())
    if not projects:
        st.sidebar.warning("You have no project yet: ask an administrator to add you to one.")
        st.session_state.pop(STATE_KEY, None)
        return None
    project = st.sidebar.selectbox("Project", projects, key=PROJECT_KEY, bind="query-params")
    found = get_project(project)
    tz = found.settings.timezone if found else "Africa/Nairobi"
    today = today_in(tz)
    preset = st.sidebar.segmented_control(
        "Dates", list(PRESET_LABELS), default="7d", key=RANGE_KEY, bind="query-params",
        required=True,
    ) or "7d"
    if preset == "custom":
        picked = st.sidebar.date_input(
            "From – to (inclusive)", value=(today - timedelta(days=6), today),
            key=DATES_KEY, bind="query-params", format="YYYY-MM-DD",
        )
        # While a range is being picked only its first day is known.
        days = tuple(picked) if isinstance(picked, tuple | list) else (picked,)
        date_from, date_to = (days[0], days[-1]) if days else (today, today)
    else:
        date_from, date_to = preset_dates(preset, today)
    channel = st.sidebar.radio(
        "Channel", ["all", "web", "whatsapp"], key=CHANNEL_KEY, bind="query-params",
        horizontal=True,
        help="The AI agent answers on WhatsApp, so its events count with WhatsApp.",
    ) or "all"
    filters = Filters(project, tz, preset, date_from, date_to, channel)
    st.session_state[STATE_KEY] = filters
    st.sidebar.caption(f"{formatters.date_span(date_from, date_to)} · times in {tz}")
    return filters


def current() -> Filters:
    """The filters for this run; stops the page with a message when there are none."""
    filters = st.session_state.get(STATE_KEY)
    if filters is None:
        st.info("No project to show: ask an administrator to add you to one.")
        st.stop()
    return filters
