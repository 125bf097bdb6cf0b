"""Service report (being built)."""

import streamlit as st

st.title("Service report")
