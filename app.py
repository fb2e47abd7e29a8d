"""Streamlit entry point: `streamlit run app.py`. UI only; all logic lives in `archive/`."""

import streamlit as st

st.set_page_config(page_title="News archive", page_icon=":material/newspaper:", layout="wide")

pages = [
    st.Page("pages/search.py", title="Search", icon=":material/search:", default=True),
]
st.navigation(pages).run()
