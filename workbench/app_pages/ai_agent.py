"""AI agent (being built)."""

import streamlit as st

st.title("AI agent")
