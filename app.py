"""Streamlit entry point: `streamlit run app.py`. UI only; all logic lives in `archive/`."""

import streamlit as st

from webui.links import ADD, ASK, FEEDS, LIBRARY, LOOKUP, SEARCH, WATCHES
from webui.resources import admin_password, ingest_allowed, is_admin, unlock_admin

# An emoji icon: the browser draws it from a data: URL. A ":material/…:" page icon is fetched from
# fonts.gstatic.com, and nothing may leave the machine (the icons of pages come with Streamlit's own font).
st.set_page_config(page_title="News archive", page_icon="📰", layout="wide")

pages = [
    st.Page(SEARCH, title="Search", icon=":material/search:", default=True),
    st.Page(ASK, title="Ask", icon=":material/forum:"),
    st.Page(LOOKUP, title="Look up", icon=":material/format_quote:"),
    st.Page(LIBRARY, title="Library", icon=":material/library_books:"),
    st.Page(WATCHES, title="Watches", icon=":material/notifications:"),
]
if ingest_allowed():
    pages.append(st.Page(ADD, title="Add articles", icon=":material/upload_file:"))
    pages.append(st.Page(FEEDS, title="Feeds", icon=":material/rss_feed:"))

page = st.navigation(pages)
if admin_password() and not is_admin():
    # The admin unlocks, for this session only, the Add articles page of a read-only deployment and deleting.
    with st.sidebar.expander("Admin", icon=":material/lock:"):
        password = st.text_input("Admin password", type="password", key="admin_password_input")
        if password and unlock_admin(password):
            st.rerun()
        elif password:
            st.error("That password is not the admin password.")
page.run()
