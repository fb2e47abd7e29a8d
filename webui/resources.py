"""Cached, shared resources for the Streamlit pages, and safe text rendering."""

from __future__ import annotations

import re

import streamlit as st

from archive import Archive, ArchiveStats, Settings

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


@st.cache_resource(show_spinner="Opening the archive and loading the embedding model…")
def get_archive() -> Archive:
    """One Archive per server process; puts the sample articles in an empty archive."""
    archive = Archive(Settings())
    archive.seed_sample()
    return archive


@st.cache_data(ttl=30, show_spinner=False)
def get_stats() -> ArchiveStats:
    """Archive size and sources: a scan of every article's metadata, so kept for 30 s, not redone per rerun."""
    return get_archive().stats()


def escape_markdown(text: str) -> str:
    """Article text shown as literal text: no Markdown, no HTML from the article is ever interpreted."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")
