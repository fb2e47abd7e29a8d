"""Add articles page: upload files or give a URL, watch the progress, read the per-file report."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from archive.errors import ArchiveError
from webui.uploads import save_uploads
from webui.resources import escape_markdown, forget_cached_data, get_archive, get_settings, ingest_allowed, is_admin

log = logging.getLogger(__name__)
TYPES = ["txt", "md", "html", "htm", "json", "jsonl", "gz"]

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
    """Ingest the inputs with a progress bar; returns the IngestReport and the articles read per input."""
    bar = st.progress(0.0, text="Reading…")
    read: dict[str, int] = {}

    def on_progress(done: int, origin: str) -> None:
        current = _input_of(origin, shown)
        read[current] = read.get(current, 0) + 1
        bar.progress(min(len(read) / len(shown), 1.0), text=f"{done} article(s) read · {shown.get(current, current)}")

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


settings = get_settings()
limit_mb = settings.max_file_mb
if settings.read_only:
    st.caption("Read-only archive, unlocked for this session by the admin password.")
files = st.file_uploader(
    f"Files (txt, md, html, json, jsonl, jsonl.gz; up to {limit_mb:g} MB each)", type=TYPES,
    accept_multiple_files=True,
)
url = st.text_input("Or a web page URL", placeholder="https://example.org/story")
source = st.text_input("Publisher, for inputs that do not state one", placeholder="e.g. Reuters")

if st.button("Add to archive", type="primary", icon=":material/upload:", disabled=not (files or url.strip())):
    url = url.strip()
    if url and not re.match(r"https?://[^\s/]+", url):
        st.error(f"A URL starts with http:// or https://, got {url!r}.")
        st.stop()
    folder = Path(tempfile.mkdtemp(prefix="archive-upload-"))
    try:
        shown, too_big = save_uploads(files or [], folder, limit_mb * 1024 * 1024)
        if url:
            shown[url] = url
        for name in too_big:
            st.error(f"{escape_markdown(name)} is larger than the {limit_mb:g} MB limit (ARCHIVE_MAX_FILE_MB); not added.")
        if shown:
            report, read = ingest_with_progress(shown, source.strip())
            show_report(report, shown, read)
    except ArchiveError as e:
        st.error(f"The articles could not be added: {e}")
    except Exception as e:  # noqa: BLE001 - reach the user as a message, never a traceback
        log.exception("ingest failed")
        st.error(f"Adding the articles failed ({type(e).__name__}): {e}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
