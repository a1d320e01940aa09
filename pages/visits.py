"""Visits page (being built)."""

import streamlit as st

from pages import _ui

st.title("Visits")
user = _ui.require_user()
st.info("This page is being built.")
