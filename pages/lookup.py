"""Look-up page: a phrase or figure in, every article that says it out, with the sentence, who said it and
a link that opens the article at the exact words."""

from __future__ import annotations

import streamlit as st

from archive.errors import ArchiveError
from webui.articles import meta_line
from webui.asof import as_of_control
from webui.counts import plural
from webui.links import LIBRARY, article_params
from webui.marked import marked_html
from webui.resources import escape_markdown, get_archive, result_title_style

st.title("Look up a quote or figure")
result_title_style()

try:
    archive = get_archive()
except ArchiveError as e:
    st.error(f"The archive could not be opened: {e}")
    st.stop()

params = st.query_params
as_of = as_of_control()
with st.sidebar:
    k = st.slider("Places", 1, 50, int(params.get("k", 20)) if params.get("k", "20").isdigit() else 20)
    close = st.toggle("Also close wordings", value=params.get("exact", "") != "1",
                      help="Besides the exact words, sentences that say nearly the same (a misremembered quote).")
phrase = st.text_input("Phrase or figure", value=params.get("phrase", ""),
                       placeholder="e.g. 20,000 soldiers  or  coalition of the willing")
params.from_dict({key: value for key, value in
                  {"phrase": phrase, "k": str(k), "exact": "" if close else "1", "as_of": as_of}.items() if value})


def show_place(hit, n: int) -> None:
    """One place an article says it: the title (opening the article at the words), who said it, the sentence."""
    a = hit.article
    with st.container(border=True, key=f"result-{n}"):
        st.page_link(LIBRARY, label=f"**{escape_markdown(a.title)}**", query_params=article_params(a.id, hit.start, hit.end),
                     help="Open the article at these words")
        said = f"said by {hit.said_by}" if hit.speaker else "no speaker named"
        how = "word for word" if hit.exact else f"close wording ({hit.score:.0f}% alike)"
        st.caption(escape_markdown(" · ".join((meta_line(a), said, how))))
        # Escaped before the <mark> is added: no article text becomes markup.
        st.markdown(marked_html(hit.sentence, ((hit.start, hit.end),), offset=hit.sentence_start), unsafe_allow_html=True)


if phrase.strip():
    try:
        hits = archive.lookup(phrase, k=k, approximate=close, as_of=as_of)
    except ArchiveError as e:
        st.error(f"Look-up failed: {e}")
        st.stop()
    exact = [h for h in hits if h.exact]
    if not hits:
        st.info("No article says this, word for word" + (" or nearly." if close else "."))
    else:
        articles = len({h.article.id for h in exact})
        line = f"{plural(len(exact), 'place')} in {plural(articles, 'article')} word for word"
        if close:
            line += f" · {plural(len(hits) - len(exact), 'close wording')}"
        st.caption(line)
    for n, hit in enumerate(hits):
        show_place(hit, n)
else:
    st.caption("Type a quote, a phrase or a figure: every article that says it is listed with who said it.")
