"""Search page: a query box, filters in the sidebar, one card per story with its best passage.

Above the cards, how many of the articles found contain the query's words (webui/counts.py), apart
from how many are shown, and how many undated articles a date filter left out; then the matching
articles per source and over time, and their people, organisations, places and sources as buttons that
filter the search (webui/facets.py).
"""

from dataclasses import replace
from datetime import date

import streamlit as st

from archive.errors import ArchiveError
from archive.types import Filters
from webui import export
from webui.articles import meta_line
from webui.asof import ALL_DATES, AS_OF, as_of_control, time_words_on, window_notice
from webui.counts import (
    Counts,
    count_line,
    matching_ids,
    plural,
    query_terms,
    undated_notice,
)
from webui.facets import NAMES_KEY, SOURCES_KEY, parse_names, show_charts, show_facets
from webui.links import LIBRARY, article_href, article_params
from webui.marked import marked_html
from webui.resources import (
    escape_markdown,
    get_archive,
    get_catalog,
    get_stats,
    result_title_style,
)
from webui.watching import save_watch_form

FACET_DEPTH = 100  # facets count over this many best matches

st.title("Search the archive")
result_title_style()

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
    # The facets below write to these two boxes (webui/facets.py); the URL fills them on a page's first run.
    if SOURCES_KEY not in st.session_state:
        st.session_state[SOURCES_KEY] = [s for s in params.get_all("source") if s in stats.sources]
    sources = st.multiselect("Source", list(stats.sources), key=SOURCES_KEY)
    since = st.date_input("Published from", value=_date_param("since"), format="YYYY-MM-DD")
    until = st.date_input("Published until", value=_date_param("until"), format="YYYY-MM-DD")
    if NAMES_KEY not in st.session_state:
        st.session_state[NAMES_KEY] = ", ".join(params.get_all("entity"))
    entity_text = st.text_input(
        "Names", key=NAMES_KEY,
        help="People, organisations or places the articles must name, separated by commas (all must match; "
        "a surname matches the full name). Clicking a name under the results adds it here.",
    )
    entities = parse_names(entity_text)
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


def undated_left_out(filters: Filters) -> int:
    """Undated articles the date range leaves out, of those the source, story and name filters allow."""
    if not (filters.date_from or filters.date_to):
        return 0
    allowed = None
    if filters.story:
        allowed = set(archive.story_members(filters.story))
    if filters.entities:
        naming = archive.articles_naming(filters.entities)
        allowed = naming if allowed is None else allowed & naming
    return sum(1 for row in get_catalog() if not row["published_at"]
               and (not filters.sources or row["source"] in filters.sources) and (allowed is None or row["id"] in allowed))


def matching_hits(matches: list, matching: set[str]) -> list:
    """The hits cut down to their matching articles (a story whose shown report does not match keeps the one that does)."""
    kept = []
    for hit in matches:
        articles = [a for a in (hit.article, *hit.also) if a.id in matching]
        if articles:
            kept.append(replace(hit, article=articles[0], also=tuple(articles[1:])))
    return kept


def show_overview(matches: list, matching: set[str]) -> None:
    """Charts and clickable facets over the matching articles only, in the open above the results."""
    kept = matching_hits(matches, matching)
    facets = archive.facets_of(kept)
    if not facets.articles:
        return
    st.caption(f"{plural(facets.articles, 'matching article')} by source, date and name; click a name or a "
               "source to show only the articles naming it, click it again to clear.")
    show_charts(facets.sources, [a.published_at or "" for h in kept for a in (h.article, *h.also)])
    show_facets(facets.entities, facets.sources, entities, sources)


def show_hit(hit, n: int, only_meaning: bool) -> None:
    """One result card: the title (opening the article at the passage), what is known of it, the passage."""
    a = hit.article
    with st.container(border=True, key=f"result-{n}"):
        start, end = hit.highlights[0] if hit.highlights else (hit.chunk.start, hit.chunk.end)
        st.page_link(LIBRARY, label=f"**{escape_markdown(a.title)}**", query_params=article_params(a.id, start, end))
        st.caption(escape_markdown(meta_line(a)) + (" · close in meaning only" if only_meaning else ""))
        # Article text is made inert before the <mark> tags are added: no article HTML or Markdown is ever rendered.
        st.markdown(marked_html(hit.chunk.text, hit.highlights, offset=hit.chunk.start), unsafe_allow_html=True)
        if hit.also:
            others = ", ".join(f"[{escape_markdown(o.source or o.title)}]({article_href(o.id)})" for o in hit.also)
            st.caption(f"Also reported by: {others}")


def show_downloads(query: str, hits: list) -> None:
    """The shown results as Markdown, CSV and JSON, each row with its span and a link to it."""
    rows = export.result_rows(hits, export.app_base(st.context.url))
    files = (("Markdown", export.results_markdown(query, rows), "md", "text/markdown"),
             ("CSV", export.to_csv(rows, export.RESULT_FIELDS), "csv", "text/csv"),
             ("JSON", export.to_json("search", query, rows), "json", "application/json"))
    for column, (label, data, ext, mime) in zip(st.columns(len(files)), files):
        column.download_button(f"Results as {label}", data, file_name=f"search-results.{ext}", mime=mime,
                               key=f"export-{ext}", icon=":material/download:", on_click="ignore")


if query.strip():
    try:
        filters = Filters(tuple(sources), state["since"], state["until"], story=story, entities=tuple(entities))
        timed = archive.interpret(query, filters, as_of, time_words)
        matches = archive.search(query, k=max(k, FACET_DEPTH), filters=filters, as_of=as_of, time_words=time_words)
    except ArchiveError as e:
        st.error(f"Search failed: {e}")
        st.stop()
    window_notice(timed, time_words)
    hits, terms = matches[:k], query_terms(timed.text)
    found = [a for h in matches for a in (h.article, *h.also)]
    matching = matching_ids(terms, archive.articles_by_id([a.id for a in found]).values())
    shown = [a for h in hits for a in (h.article, *h.also)]
    if hits:
        counts = Counts(len(found), len(matching), len(shown), sum(a.id in matching for a in shown))
        st.caption(escape_markdown(count_line(counts, terms)))  # the terms are the query's, which a link can set
    left_out = undated_left_out(filters)
    if left_out:
        st.info(undated_notice(left_out), icon=":material/event_busy:")
    show_overview(matches, matching)
    if not hits:
        st.info("No article matches this query and these filters.")
    has_terms = bool(terms.words or terms.phrases)
    for n, hit in enumerate(hits):
        show_hit(hit, n, has_terms and hit.article.id not in matching)
    if hits:
        show_downloads(query, hits)
    watch_filters = {"sources": list(sources), "since": state["since"], "until": state["until"], "entities": entities}
    save_watch_form(archive, query, {key: value for key, value in watch_filters.items() if value})
else:
    st.caption("Type a question, a name or a phrase; quote a phrase to match it exactly.")
