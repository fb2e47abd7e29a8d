"""Library page: every article in a table, a timeline and sources; ?article=ID opens one article."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from archive.errors import ArchiveError
from webui.articles import meta_line
from webui.links import ADD, LIBRARY, article_params
from webui.marked import marked_html
from webui.resources import delete_allowed, escape_markdown, get_archive, get_catalog

MARK_ID = "cited-passage"
# Our own constant script (no article content): scroll the highlighted passage into view once it exists.
SCROLL_SCRIPT = f"""<script>
let tries = 0;
const timer = setInterval(() => {{
  const mark = window.parent.document.getElementById("{MARK_ID}");
  if (mark || ++tries > 50) {{
    clearInterval(timer);
    if (mark) mark.scrollIntoView({{block: "center"}});
  }}
}}, 100);
</script>"""

params = st.query_params


def _int_param(name: str) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isdigit() else None


def show_article(archive, article_id: str) -> None:
    """Metadata, full text with the requested span highlighted and scrolled to, and the same story's other reports."""
    st.page_link(LIBRARY, label="All articles", icon=":material/arrow_back:")
    article = archive.article(article_id)
    if article is None:
        # The id comes from the link: anything but a plain id is escaped, so a crafted link shows no markup.
        shown = article_id if re.fullmatch(r"[\w-]+", article_id) else escape_markdown(article_id)
        st.error(f"There is no article with id '{shown}' in the archive.")
        return
    st.header(escape_markdown(article.title), anchor=False)
    st.caption(escape_markdown(meta_line(article)))
    start, end = _int_param("start"), _int_param("end")
    span = (start, end) if start is not None and end is not None and start < end <= len(article.text) else None
    others = [o for o in archive.story_members(article.story_id) if o != article.id] if article.story_id else []
    body, side = st.columns([3, 1])
    with side:
        with st.container(border=True):
            st.markdown(f"**Id** {escape_markdown(article.id)}")
            if article.url:  # text to copy, never a link: the page opens nothing the article names
                st.markdown(f"**URL** {escape_markdown(article.url)}")
            st.markdown("**Origins**  \n" + "  \n".join(escape_markdown(o) for o in (article.origins or (article.origin,))))
            st.caption(f"{len(article.text):,} characters · ingested {escape_markdown(article.ingested_at[:19])}")
            if delete_allowed():
                st.page_link(ADD, label="Delete this article", query_params={"delete": article.id}, icon=":material/delete:")
        if others:
            st.markdown("**Same story**")
            for other in archive.articles_by_id(others, with_text=False).values():
                st.page_link(LIBRARY, label=f"{escape_markdown(other.title)} ({escape_markdown(meta_line(other))})",
                             query_params=article_params(other.id))
    with body:
        if span:
            st.caption(f"Highlighted: characters {span[0]}–{span[1]}")
        # Article text is made inert by marked_html; the only markup is our <mark>, which gets an id to scroll to.
        text = marked_html(article.text, (span,) if span else ())
        st.markdown(text.replace("<mark>", f'<mark id="{MARK_ID}">', 1), unsafe_allow_html=True)
    if span:
        st.iframe(SCROLL_SCRIPT, height=1, alt="Scrolls the highlighted passage into view")


def show_catalog(rows: list[dict]) -> None:
    """The table of all articles (sortable, filterable), a timeline and a breakdown by source."""
    if not rows:
        st.info("The archive holds no articles yet.")
        return
    df = pd.DataFrame(rows)
    df["published"] = pd.to_datetime(df["published_at"].str[:10], errors="coerce")
    df["date"] = df["published_at"].str[:10]  # text: an undated article shows an empty cell, not "None"
    timeline, sources = st.columns(2)
    with timeline:
        per = st.segmented_control("Articles per", ["day", "month"], default="month")
        dated = df.dropna(subset=["published"])
        if dated.empty:
            st.caption("No article states its publication date.")
        else:
            period = dated["published"].dt.strftime("%Y-%m-%d" if per == "day" else "%Y-%m")
            st.bar_chart(period.value_counts().sort_index().rename("articles"), height=200)
    with sources:
        st.markdown("**By source**")
        st.bar_chart(df["source"].replace("", "(unknown)").value_counts().rename("articles"), horizontal=True,
                     height=200)
    left, right = st.columns([2, 1])
    words = left.text_input("Filter by title or id", placeholder="e.g. NATO")
    chosen = right.multiselect("Source", sorted(df["source"].fillna("").unique()))
    if words:
        df = df[df["title"].str.contains(words, case=False, regex=False) | df["id"].str.contains(words, case=False, regex=False)]
    if chosen:
        df = df[df["source"].isin(chosen)]
    st.caption(f"{len(df)} of {len(rows)} articles · select a row to open it; click a column header to sort")
    table = (df.sort_values("published", ascending=False)[["title", "source", "date", "author", "id"]]
             .rename(columns={"date": "published"}))
    event = st.dataframe(
        table, hide_index=True, on_select="rerun", selection_mode="single-row", key="catalog",
        column_config={"title": st.column_config.TextColumn("title", width="large"),
                       "source": st.column_config.TextColumn("source", width="medium"),
                       "published": st.column_config.TextColumn("published", width=100),
                       "author": st.column_config.TextColumn("author", width="medium"),
                       "id": st.column_config.TextColumn("id", width=300)},
    )
    picked = event.selection.rows if event else []
    if picked:
        params.from_dict(article_params(table.iloc[picked[0]]["id"]))
        st.rerun()


try:
    archive = get_archive()
    if params.get("article"):
        show_article(archive, params["article"])
    else:
        st.title("Library")
        show_catalog(get_catalog())
except ArchiveError as e:
    st.error(f"The library could not be shown: {e}")
