"""salesdesk: the Streamlit router, sidebar and page list."""

import streamlit as st

from models.build import current_build_id, history

st.set_page_config(page_title="Sales desk", page_icon=":bar_chart:", layout="wide")

PAGES = {
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/database:", default=True),
    ],
}


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### Sales desk")
        build_id = current_build_id()
        if build_id:
            finished = next((b.get("finished_at", "") for b in reversed(history())
                             if b.get("build_id") == build_id), "")
            st.caption(f"Warehouse build `{build_id}`  \nfinished {finished[:16].replace('T', ' ')} UTC")
        else:
            st.caption("No warehouse build yet: load data on the Data page.")


page = st.navigation(PAGES)
page.run()
sidebar()  # after the page, so a build the page just swapped in shows at once
