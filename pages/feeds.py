"""Feeds page: subscribe by URL (a site's page finds its feed), remove, import and export OPML, each feed's
state, and "poll now". Admin only in a read-only deployment, like Add articles."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from archive.errors import ArchiveBusyError, ArchiveError
from webui.resources import forget_cached_data, get_archive, ingest_allowed, is_admin

st.title("Feeds")

if not ingest_allowed():
    st.error("This archive is read-only: its feeds are managed with the admin password.")
    st.stop()

archive = get_archive()
st.caption("The archive follows these feeds (RSS, Atom, JSON Feed, news sitemaps). `python -m ingest watch` "
           "polls them on their interval; with ARCHIVE_POLL_FEEDS set, `make run` starts it beside the app.")

with st.form("add-feed", clear_on_submit=True):
    url = st.text_input("Feed or site URL", placeholder="https://www.example.org/rss")
    if st.form_submit_button("Subscribe") and url.strip():
        try:
            with st.spinner("Looking for the feed…"):
                feed, new = archive.add_feed(url, admin=is_admin())
        except ArchiveError as e:
            st.error(f"Could not subscribe: {e}")
        else:
            named = f"{feed.url} ({feed.title})" if feed.title else feed.url
            (st.success if new else st.info)(f"{'Subscribed to' if new else 'Already subscribed to'} {named}")

feeds = archive.feeds()
left, middle, right = st.columns(3)
with left:
    if st.button("Poll now", disabled=not feeds, help="Poll every feed now, due or not, and store what is new"):
        try:
            with st.spinner("Polling the feeds…"):
                results = archive.poll_feeds(force=True)
        except ArchiveBusyError as e:
            st.info(f"{e}: it polls each feed when it is due.")
        else:
            forget_cached_data()
            added = sum(r.added for r in results)
            failed = [r for r in results if r.status == "error"]
            st.success(f"Polled {len(results)} feeds: {added} new articles" + (f", {len(failed)} errors" if failed else ""))
            feeds = archive.feeds()
with middle:
    st.download_button("Export OPML", archive.export_opml(), file_name="subscriptions.opml",
                       mime="text/x-opml", disabled=not feeds)
with right, st.popover("Import OPML"):
    upload = st.file_uploader("OPML file", type=["opml", "xml"], key="opml")
    if upload is not None and st.button("Import"):
        try:
            count = archive.import_opml(upload.getvalue(), admin=is_admin())
        except ArchiveError as e:
            st.error(f"Could not import: {e}")
        else:
            st.success(f"{count} new feeds")
            feeds = archive.feeds()

if not feeds:
    st.info("No feeds yet: subscribe to one above, or import an OPML file from your feed reader.")
    st.stop()

rows = [{**f.as_json(), "last_error": f.last_error} for f in feeds]
table = pd.DataFrame(rows, columns=["title", "url", "last_success", "last_new_entry", "entries_added", "last_error",
                                    "next_poll"])
st.dataframe(table, hide_index=True, use_container_width=True, column_config={
    "title": "Feed", "url": st.column_config.TextColumn("URL"), "last_success": "Last success",
    "last_new_entry": "Last new entry", "entries_added": "Entries added", "last_error": "Last error",
    "next_poll": "Next poll"})

with st.form("remove-feed"):
    gone = st.selectbox("Feed", [f.url for f in feeds], key="remove-url")
    if st.form_submit_button("Remove", help="Unsubscribe; the articles it brought stay"):
        try:
            archive.remove_feed(gone, admin=is_admin())
        except ArchiveError as e:
            st.error(f"Could not remove: {e}")
        else:
            st.rerun()
