"""WhatsApp (being built)."""

import streamlit as st

st.title("WhatsApp")
