"""Search page: a query box, filters in the sidebar, one card per story with its best passage."""

from datetime import date

import pandas as pd
import streamlit as st

from archive.errors import ArchiveError
from archive.highlight import marked_html
from archive.types import Filters
from webui.asof import ALL_DATES, AS_OF, as_of_control, time_words_on, window_notice
from webui.links import LIBRARY, article_href, article_params
from webui.resources import escape_markdown, get_archive, get_stats

FACET_DEPTH = 100  # facets count over this many best matches

st.title("Search the archive")

try:
    archive = get_archive()
    stats = get_stats()
except ArchiveError as e:
    st.error(f"The archive could not be opened: {e}")
    st.stop()

params = st.query_params


def _date_param(name: str) -> date | None:
    try:
        return date.fromisoformat(params.get(name, ""))
    except ValueError:
        return None


with st.sidebar:
    st.caption(f"{stats.articles} articles · {stats.chunks} passages")
    sources = st.multiselect(
        "Source", list(stats.sources), default=[s for s in params.get_all("source") if s in stats.sources]
    )
    since = st.date_input("Published from", value=_date_param("since"), format="YYYY-MM-DD")
    until = st.date_input("Published until", value=_date_param("until"), format="YYYY-MM-DD")
    entity_text = st.text_input(
        "Names", value=", ".join(params.get_all("entity")), key="names",
        help="People, organisations or places the articles must name, separated by commas (all must match; "
        "a surname matches the full name).",
    )
    entities = [e.strip() for e in entity_text.split(",") if e.strip()]
    k = st.slider("Results", 1, 50, int(params.get("k", 10)) if params.get("k", "10").isdigit() else 10)
as_of = as_of_control()
time_words = time_words_on()

query = st.text_input(
    "Query", value=params.get("q", ""), placeholder='e.g. How many soldiers does Russia lose each month?  or  "NATO remains here"'
)
story = params.get("story", "")
state = {"q": query, "k": str(k), "source": sources, "since": since.isoformat() if since else "",
         "until": until.isoformat() if until else "", "story": story, "entity": entities, AS_OF: as_of,
         ALL_DATES: "" if time_words else "1"}
params.from_dict({key: value for key, value in state.items() if value})

if story:
    st.info("Showing one story only.")
    if st.button("Show all stories"):
        del params["story"]
        st.rerun()

if query.strip():
    try:
        filters = Filters(tuple(sources), state["since"], state["until"], story=story, entities=tuple(entities))
        timed = archive.interpret(query, filters, as_of, time_words)
        matches = archive.search(query, k=max(k, FACET_DEPTH), filters=filters, as_of=as_of, time_words=time_words)
    except ArchiveError as e:
        st.error(f"Search failed: {e}")
        st.stop()
    window_notice(timed, time_words)
    hits, facets = matches[:k], archive.facets_of(matches)
    named = facets.entities
    if facets.articles:
        with st.expander(f"{facets.articles} matching articles by source, month and name"):
            left, right = st.columns(2)
            left.bar_chart(pd.DataFrame({"articles": facets.sources}), horizontal=True)
            if facets.months:
                right.bar_chart(pd.DataFrame({"articles": facets.months}))
            columns = st.columns(3)
            for column, (kind, label) in zip(columns, (("person", "People"), ("org", "Organisations"),
                                                          ("place", "Places"))):
                top = dict(list(named.get(kind, {}).items())[:10])
                if top:
                    column.caption(label)
                    column.bar_chart(pd.DataFrame({"articles": top}), horizontal=True)
    if not hits:
        st.info("No article matches this query and these filters.")
    for hit in hits:
        a = hit.article
        with st.container(border=True):
            start, end = hit.highlights[0] if hit.highlights else (hit.chunk.start, hit.chunk.end)
            st.page_link(LIBRARY, label=f"**{escape_markdown(a.title)}**", query_params=article_params(a.id, start, end))
            meta = " · ".join(x for x in (a.source, a.published_at[:10], a.author) if x) or "source unknown"
            st.caption(f"{escape_markdown(meta)} · characters {hit.chunk.start}–{hit.chunk.end}")
            # Article text is escaped before the <mark> tags are added: no article HTML is ever rendered.
            st.markdown(marked_html(hit.chunk.text, hit.highlights, offset=hit.chunk.start), unsafe_allow_html=True)
            if hit.also:
                others = ", ".join(f"[{escape_markdown(o.source or o.title)}]({article_href(o.id)})" for o in hit.also)
                st.caption(f"Also reported by: {others}")
else:
    st.caption("Type a question, a name or a phrase; quote a phrase to match it exactly.")
