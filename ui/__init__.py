"""The page kit: what every Streamlit page shares (``ui.kit``), outside ``pages/`` so that
Streamlit does not list it as a page. It may import streamlit; ``models`` never imports it."""
