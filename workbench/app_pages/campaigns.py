"""Campaigns (being built)."""

import streamlit as st

st.title("Campaigns")
