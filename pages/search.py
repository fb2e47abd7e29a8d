"""Search page: a query box, filters, one card per article with its best passage."""

import streamlit as st

from archive.errors import ArchiveError
from archive.store import Filters
from webui.resources import escape_markdown, get_archive

st.title("Search the archive")

try:
    archive = get_archive()
    stats = archive.stats()
except ArchiveError as e:
    st.error(f"The archive could not be opened: {e}")
    st.stop()

params = st.query_params
with st.sidebar:
    st.caption(f"{stats.articles} articles · {stats.chunks} passages")
    sources = st.multiselect("Source", list(stats.sources), default=[s for s in params.get_all("source") if s in stats.sources])
    k = st.slider("Results", 1, 50, int(params.get("k", 10)))

query = st.text_input("Query", value=params.get("q", ""), placeholder="e.g. How many soldiers does Russia lose each month?")
params["q"] = query
params["k"] = str(k)
if sources:
    params["source"] = sources
elif "source" in params:
    del params["source"]

if query.strip():
    try:
        hits = archive.search(query, k=k, filters=Filters(sources=tuple(sources)))
    except ArchiveError as e:
        st.error(f"Search failed: {e}")
        st.stop()
    if not hits:
        st.info("No article matches this query and these filters.")
    for hit in hits:
        a = hit.article
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(a.title)}**")
            meta = " · ".join(x for x in (a.source, a.published_at[:10], a.author) if x) or "source unknown"
            st.caption(f"{escape_markdown(meta)} · score {hit.score:.3f} · characters {hit.chunk.start}–{hit.chunk.end}")
            st.markdown(escape_markdown(hit.chunk.text))
else:
    st.caption("Type a question, a name or a phrase. Results show the best passage of each article.")
