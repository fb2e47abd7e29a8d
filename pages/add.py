"""Add articles page: upload files, give a URL or paste an article; the report links to what was added.
In admin mode it also deletes an article."""

from __future__ import annotations

import logging
import re
import time

import pandas as pd
import streamlit as st

from archive.errors import ArchiveError
from ingest.progress import eta_text, expected_articles
from webui.links import LIBRARY, article_params
from webui.resources import (
    delete_allowed,
    escape_markdown,
    forget_cached_data,
    get_archive,
    get_catalog,
    get_settings,
    ingest_allowed,
    is_admin,
)
from webui.uploads import (
    forget_uploads,
    origin_file,
    save_pasted,
    save_uploads,
    uploads_dir,
)
from webui.urls import url_refusal

log = logging.getLogger(__name__)
TYPES = ["txt", "md", "html", "htm", "json", "jsonl", "gz"]
DELETE = "delete"  # URL parameter: the article the delete box starts at (the Library links here)

st.title("Add articles")

if not ingest_allowed():
    st.error("This archive is read-only: adding articles needs the admin password.")
    st.stop()


def _within(origin: str, path: str) -> bool:
    """A record's origin ("file#id" or "file:line") belongs to the uploaded file ``path``."""
    return origin == path or (origin.startswith(path) and origin[len(path)] in "#:")


def _input_of(origin: str, shown: dict[str, str]) -> str:
    return origin if origin in shown else next((p for p in shown if _within(origin, p)), origin)


def ingest_with_progress(shown: dict[str, str], source: str):
    """Ingest the inputs with a progress bar (articles/s and time left); returns the IngestReport and the
    articles read per input."""
    bar = st.progress(0.0, text="Reading…")
    read: dict[str, int] = {}
    total, start = expected_articles(list(shown)), time.monotonic()

    def on_progress(done: int, origin: str) -> None:
        current = _input_of(origin, shown)
        read[current] = read.get(current, 0) + 1
        fraction = done / total if total else len(read) / len(shown)
        text = f"{eta_text(done, total, time.monotonic() - start)} · {shown.get(current, current)}"
        bar.progress(min(fraction, 1.0), text=text)

    report = get_archive().ingest(list(shown), source=source, on_progress=on_progress, admin=is_admin())
    bar.progress(1.0, text="Done")
    forget_cached_data()
    return report, read


def show_report(report, shown: dict[str, str], read: dict[str, int]) -> None:
    """Counts, then one row per input: articles read, duplicates, failures with their reasons."""
    def clean(reason: str) -> str:
        for p, label in shown.items():
            reason = reason.replace(p, label)
        return reason

    counts = st.columns(6)
    for col, key in zip(counts, ("added", "updated", "unchanged", "duplicate", "skipped", "chunks_embedded")):
        col.metric(key.replace("_", " "), getattr(report, key))
    if report.refurnished:
        st.caption(f"{report.refurnished} stored article(s) embedded again: a paragraph they share with other "
                   "articles became site furniture (or stopped being it), so it is now left out of (or back in) "
                   "what their passages embed.")
    rows = {p: {"input": label, "result": "read", "articles": read.get(p, 0), "detail": []} for p, label in shown.items()}
    for origin, article_id in report.duplicates:
        row = rows.get(_input_of(origin, shown))
        if row:
            row["detail"].append(f"same content as article {article_id}")
            row["result"] = "duplicate" if row["articles"] <= len(row["detail"]) else "read"
    for failure in report.failed:
        key = _input_of(failure.path, shown)
        row = rows.get(key)
        if row:
            where = failure.path[len(key):].lstrip(":#")  # the record of a JSON Lines file
            row["detail"].append(f"record {where}: {clean(failure.reason)}" if where else clean(failure.reason))
            row["result"] = "failed" if not row["articles"] else "partly failed"
    table = [{**row, "detail": "; ".join(row["detail"])} for row in rows.values()]
    st.dataframe(pd.DataFrame(table), hide_index=True)
    if report.failed:
        st.error(f"{len(report.failed)} input(s) could not be added; the table gives each reason.")
    elif report.added or report.updated:
        st.success(f"{report.added} article(s) added, {report.updated} updated.")
    else:
        st.info("Nothing new: the archive already held these articles.")


def show_links(report, shown: dict[str, str]) -> None:
    """A link to every article the inputs now stand for (added, updated, unchanged or the one they repeat)."""
    ids = [row["id"] for row in get_catalog() if any(_input_of(o, shown) in shown for o in row["origins"])]
    ids += [article_id for _, article_id in report.duplicates]
    titles = {row["id"]: row["title"] for row in get_catalog()}
    ids = [i for i in dict.fromkeys(ids) if i in titles]
    if ids:
        st.markdown("**In the archive now**")
        for article_id in ids:
            st.page_link(LIBRARY, label=escape_markdown(titles[article_id]), query_params=article_params(article_id),
                         icon=":material/article:")


def add(shown: dict[str, str], source: str = "") -> None:
    """Ingest, report and link; errors reach the page as messages."""
    try:
        report, read = ingest_with_progress(shown, source)
        show_report(report, shown, read)
        show_links(report, shown)
    except ArchiveError as e:
        st.error(f"The articles could not be added: {e}")
    except Exception as e:  # noqa: BLE001 - reach the user as a message, never a traceback
        log.exception("ingest failed")
        st.error(f"Adding the articles failed ({type(e).__name__}): {e}")


def checked_url(url: str) -> str:
    """The URL when the app may fetch it; else '' after saying why not."""
    if not re.match(r"https?://[^\s/]+", url):
        st.error(f"A URL starts with http:// or https://, got {escape_markdown(repr(url))}.")
        return ""
    reason = "" if settings.allow_private_urls else url_refusal(url, settings.url_timeout_s)
    if reason:
        st.error(f"Not fetched: {escape_markdown(reason)}. The app fetches public addresses only "
                 "(ARCHIVE_ALLOW_PRIVATE_URLS lets it fetch others).")
        return ""
    return url


def delete_box() -> None:
    """Admin mode: delete one article with its passages, index rows and (when nothing else uses it) its upload."""
    rows = {row["id"]: row for row in get_catalog()}
    with st.expander("Delete an article", icon=":material/delete:", expanded=bool(st.query_params.get(DELETE))):
        wanted = st.query_params.get(DELETE, "")
        ids = list(rows)
        chosen = st.selectbox("Article", ids, index=ids.index(wanted) if wanted in rows else None, key="delete_id",
                              format_func=lambda i: f"{rows[i]['title']} · {i}", placeholder="Choose an article")
        sure = st.checkbox("Delete it, with its passages and index entries", key="delete_sure")
        if st.button("Delete article", icon=":material/delete_forever:", disabled=not (chosen and sure)):
            try:
                get_archive().delete_articles([chosen], admin=is_admin())
            except ArchiveError as e:
                st.error(f"The article could not be deleted: {e}")
                return
            forget_cached_data()
            used = {origin_file(o) for row in get_catalog() for o in row["origins"]}
            forget_uploads(uploads_dir(settings.dir), rows[chosen]["origins"], used)
            st.query_params.pop(DELETE, None)
            st.success(f"Deleted “{escape_markdown(rows[chosen]['title'])}” ({escape_markdown(chosen)}).")


settings = get_settings()
limit_mb = settings.max_file_mb
if settings.read_only:
    st.caption("Read-only archive, unlocked for this session by the admin password.")
files_tab, paste_tab = st.tabs(["Files or a URL", "Paste an article"])
with files_tab:
    files = st.file_uploader(
        f"Files (txt, md, html, json, jsonl, jsonl.gz; up to {limit_mb:g} MB each)", type=TYPES,
        accept_multiple_files=True,
    )
    url = st.text_input("Or a web page URL", placeholder="https://example.org/story").strip()
    source = st.text_input("Publisher, for inputs that do not state one", placeholder="e.g. Reuters")
    if st.button("Add to archive", type="primary", icon=":material/upload:", disabled=not (files or url)):
        shown, too_big = save_uploads(files or [], uploads_dir(settings.dir), limit_mb * 1024 * 1024)
        for name in too_big:
            st.error(f"{escape_markdown(name)} is larger than the {limit_mb:g} MB limit (ARCHIVE_MAX_FILE_MB); not added.")
        if url and checked_url(url):
            shown[url] = url
        if shown:
            add(shown, source.strip())
with paste_tab:
    title = st.text_input("Title", key="paste_title")
    left, right = st.columns(2)
    paste_source = left.text_input("Source", key="paste_source", placeholder="e.g. Harbour Gazette")
    published = right.date_input("Published", value=None, format="YYYY-MM-DD", key="paste_date")
    text = st.text_area("Text", key="paste_text", height=240)
    if st.button("Add pasted article", type="primary", icon=":material/content_paste:", disabled=not text.strip()):
        path = save_pasted(uploads_dir(settings.dir), title, text, paste_source,
                           published.isoformat() if published else "")
        add({str(path): title.strip() or "pasted article"})
if delete_allowed():
    delete_box()
