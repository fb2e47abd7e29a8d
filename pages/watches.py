"""Watches page: each saved search with "N new", its new matches first; mark one or all seen, remove."""

import streamlit as st

from archive.errors import ArchiveError
from webui.articles import origin_name
from webui.links import LIBRARY, SEARCH
from webui.resources import escape_markdown, get_archive
from webui.watching import atom_url, seen_allowed, watches_writable

st.title("Watches")

try:
    archive = get_archive()
    watches = archive.watches()
except ArchiveError as e:
    st.error(f"The watches could not be read: {e}")
    st.stop()

if not watches:
    st.info("No watches yet. Search for something, then press “Save as watch” under the query.")
    st.page_link(SEARCH, label="Go to Search", icon=":material/search:")
    st.stop()


def mark_seen(name: str | None) -> None:
    try:
        archive.mark_watch_seen(name, admin=seen_allowed())
    except ArchiveError as e:
        st.error(f"Could not mark seen: {e}")
    else:
        st.rerun()


total = sum(w.new for w in watches)
st.caption(f"{len(watches)} watches · {total} new matches since you last looked")
if total and seen_allowed() and st.button("Mark all seen", icon=":material/done_all:", key="seen-all"):
    mark_seen(None)

for watch in sorted(watches, key=lambda w: (-w.new, w.name)):
    with st.container(border=True, key=f"watch-{watch.name}"):
        st.subheader(f"{watch.name} · {watch.new} new", anchor=False)
        filters = ", ".join(f"{k} {', '.join(v) if isinstance(v, list) else v}" for k, v in watch.filters.items())
        st.caption(escape_markdown(f"“{watch.query}”" + (f" · {filters}" if filters else "")
                                   + f" · seen {watch.seen_at[:16].replace('T', ' ')} UTC"))
        for m in watch.matches[:20]:
            label = f"{'🆕 ' if m.new else ''}**{escape_markdown(m.title or origin_name(m.article_id))}**"
            # "watch" tells the links of one article in two watches apart (Streamlit ids an element by its arguments)
            st.page_link(LIBRARY, label=label, query_params={"article": m.article_id, "watch": watch.name})
            st.caption(escape_markdown(" · ".join(x for x in (m.source, m.published_at[:10]) if x) or "undated"))
        if len(watch.matches) > 20:
            st.caption(f"and {len(watch.matches) - 20} more")
        if not watch.matches:
            st.caption("No article matches yet.")
        cols = st.columns(3)
        if watch.new and seen_allowed() and cols[0].button("Mark seen", key=f"seen-{watch.name}"):
            mark_seen(watch.name)
        if watches_writable() and cols[1].button("Remove", key=f"remove-{watch.name}"):
            try:
                archive.remove_watch(watch.name)
            except ArchiveError as e:
                st.error(f"Could not remove: {e}")
            else:
                st.rerun()
        cols[2].caption(f"As Atom, with the API running: `{atom_url(watch.name)}`")
