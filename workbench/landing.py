"""The public landing: what Njia shows, a few screenshots, and the sign-in form.

Static content only: nothing here touches the warehouse (a test checks that no query runs
before sign-in).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.auth import login_form

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SHOWCASE = [("overview.png", "Overview: sessions, people, conversion and when people come"),
            ("sessions.png", "Sessions: any journey, event by event"),
            ("live.png", "Live feed: events as they arrive")]

ABOUT = (
    "**Njia** follows each taxpayer across KRA's web tax app, WhatsApp and the AI agent as one "
    "journey. It shows how many sessions and people come, through which channel, how many file "
    "their return, where filing journeys stall or break with errors, and — for any single "
    "session — every step in order, as it happens."
)


def render() -> None:
    st.title(":material/explore: Njia")
    st.caption("Cross-channel journey analytics for the Kenya Revenue Authority")
    about, form = st.columns([3, 2], gap="large")
    with about:
        st.markdown(ABOUT)
    with form:
        login_form()
    shots = [(SCREENSHOTS / name, caption) for name, caption in SHOWCASE
             if (SCREENSHOTS / name).exists()]
    if shots:
        st.divider()
        for column, (path, caption) in zip(st.columns(len(shots)), shots, strict=True):
            column.image(str(path), caption=caption)


GEO_ATTRIBUTION = (
    "Locations by IP: GeoLite2 data created by MaxMind, available from "
    "[maxmind.com](https://www.maxmind.com), CC BY-SA 4.0. The bundled copy dates from "
    "December 2019 unless `GEOIP_DB` points at a current file. WhatsApp countries come from "
    "the number's prefix."
)


def footer() -> None:
    """Shown under every page: the data sources the numbers rely on."""
    st.divider()
    st.caption(GEO_ATTRIBUTION)
