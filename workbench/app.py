"""Workbench entry point: `streamlit run workbench/app.py` (st.navigation, pages in app_pages/)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

st.set_page_config(page_title="Njia", page_icon="🧭", layout="wide")
pages = [st.Page("app_pages/overview.py", title="Overview", icon="📊", default=True)]
st.navigation(pages).run()
