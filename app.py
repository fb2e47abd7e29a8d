"""Streamlit entry point: `streamlit run app.py`. UI only; all logic lives in `archive/`."""

import streamlit as st

from webui.links import ADD, ASK, LIBRARY, SEARCH
from webui.resources import admin_password, get_settings, ingest_allowed, is_admin, unlock_admin

st.set_page_config(page_title="News archive", page_icon=":material/newspaper:", layout="wide")

pages = [
    st.Page(SEARCH, title="Search", icon=":material/search:", default=True),
    st.Page(ASK, title="Ask", icon=":material/forum:"),
    st.Page(LIBRARY, title="Library", icon=":material/library_books:"),
]
if ingest_allowed():
    pages.append(st.Page(ADD, title="Add articles", icon=":material/upload_file:"))

page = st.navigation(pages)
if get_settings().read_only and admin_password() and not is_admin():
    # Read-only deployments: the admin unlocks the Add articles page for this session only.
    with st.sidebar.expander("Admin", icon=":material/lock:"):
        password = st.text_input("Admin password", type="password", key="admin_password_input")
        if password and unlock_admin(password):
            st.rerun()
        elif password:
            st.error("That password is not the admin password.")
page.run()
