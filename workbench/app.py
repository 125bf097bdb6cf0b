"""Workbench entry point: `streamlit run workbench/app.py` (st.navigation, pages in app_pages/).

Order matters: sign-in first (before it, only the landing page and its form render and no query
runs), then the global sidebar filters, then the pages this user's role allows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import get_settings  # noqa: E402
from workbench import auth, filters, landing  # noqa: E402

st.set_page_config(page_title="Njia", page_icon="🧭", layout="wide")

PAGES = [  # (file, title, icon, url path)
    ("app_pages/overview.py", "Overview", ":material/monitoring:", "overview"),
    ("app_pages/whatsapp.py", "WhatsApp", ":material/chat:", "whatsapp"),
    ("app_pages/ai_agent.py", "AI agent", ":material/smart_toy:", "ai_agent"),
    ("app_pages/campaigns.py", "Campaigns", ":material/campaign:", "campaigns"),
    ("app_pages/service_report.py", "Service report", ":material/summarize:",
     "service_report"),
    ("app_pages/funnels.py", "Funnels", ":material/filter_alt:", "funnels"),
    ("app_pages/paths.py", "Paths", ":material/account_tree:", "paths"),
    ("app_pages/sessions.py", "Sessions", ":material/timeline:", "sessions"),
    ("app_pages/journey.py", "Journey explorer", ":material/person_search:", "journey"),
    ("app_pages/live.py", "Live feed", ":material/bolt:", "live"),
    ("app_pages/errors.py", "Errors", ":material/bug_report:", "errors"),
    ("app_pages/retention.py", "Retention", ":material/event_repeat:", "retention"),
    ("app_pages/admin.py", "Admin", ":material/admin_panel_settings:", "admin"),
]

try:
    auth.cookie_key(get_settings())  # production: no key, no sign-in
except auth.CookieKeyMissing as exc:
    st.error(str(exc))
    st.stop()

# First, before anything can rerun or stop: a cookie write the browser has not confirmed yet.
auth.sync_cookie()
# Checked against the store on every run: a sign-in ended elsewhere (sign-out in another tab,
# user removed, new password) shows the landing from this run on.
user = auth.current_user()

if user is None:
    # Only the landing renders, whatever page was asked for: a shared link to /sessions?… shows
    # the sign-in form and, once signed in, the page it names (the URL is kept).
    def sign_in_page() -> None:
        landing.render()

    st.navigation(
        [st.Page(sign_in_page, title="Sign in", url_path="signin", default=True)]
        + [st.Page(sign_in_page, title="Sign in", url_path=path) for _, _, _, path in PAGES[1:]],
        position="hidden",
    ).run()
    st.stop()

st.sidebar.markdown(f"**{user.name}** · {user.role}")
filters.sidebar(user)
# A callback runs before the next run, so that run already draws the landing.
st.sidebar.button("Sign out", key="njia_logout", on_click=auth.sign_out)

allowed = PAGES if user.is_admin else [p for p in PAGES if p[3] != "admin"]
st.navigation([st.Page(file, title=title, icon=icon, url_path=path, default=i == 0)
               for i, (file, title, icon, path) in enumerate(allowed)]).run()
landing.footer()
