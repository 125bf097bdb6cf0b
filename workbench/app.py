"""Workbench entry point: `streamlit run workbench/app.py` (st.navigation, pages in app_pages/).

Order matters: sign-in first (before it, only the landing page and its form render and no query
runs), then the global sidebar filters, then the pages this user's role allows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench import auth, filters, landing  # noqa: E402

st.set_page_config(page_title="Njia", page_icon="🧭", layout="wide")

try:
    authn = auth.authenticator()
except auth.CookieKeyMissing as exc:
    st.error(str(exc))
    st.stop()

if not auth.signed_in():
    authn.login(location="unrendered")  # a valid cookie signs in without the form
user = auth.current_user()

if user is None:
    st.navigation(
        [st.Page(lambda: landing.render(authn), title="Sign in", url_path="signin",
                 default=True)],
        position="hidden",
    ).run()
    st.stop()

st.sidebar.markdown(f"**{user.name}** · {user.role}")
filters.sidebar(user)
authn.logout("Sign out", location="sidebar", key="logout")
if not auth.signed_in():
    st.rerun()

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon="📊", url_path="overview",
            default=True),
    st.Page("app_pages/sessions.py", title="Sessions", icon="🧵", url_path="sessions"),
    st.Page("app_pages/live.py", title="Live feed", icon="⚡", url_path="live"),
    st.Page("app_pages/errors.py", title="Errors", icon="🐞", url_path="errors"),
]
if user.is_admin:
    pages.append(st.Page("app_pages/admin.py", title="Admin", icon="🔑", url_path="admin"))
st.navigation(pages).run()
