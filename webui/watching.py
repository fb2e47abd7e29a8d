"""What the Search and Watches pages share about watches: who may change them, a name for a new one."""

from __future__ import annotations

import re

import streamlit as st

from webui.resources import get_settings, is_admin


def watches_writable() -> bool:
    """Adding and removing watches is a write: refused in a read-only archive (the facade refuses it too)."""
    return not get_settings().read_only


def seen_allowed() -> bool:
    """Marking seen writes per-archive state: in a read-only archive only an admin may."""
    return not get_settings().read_only or is_admin()


def suggested_name(query: str) -> str:
    """A watch name from a query: its words joined by '-', at most 64 characters ('rutte-russia')."""
    return re.sub(r"[^A-Za-z0-9]+", "-", query).strip("-").lower()[:64] or "watch"


def atom_url(name: str) -> str:
    """Where the HTTP API (python -m archive serve, with the default host and port) serves the watch as Atom."""
    settings = get_settings()
    return f"http://{settings.api_host}:{settings.api_port}/api/watches/{name}.atom"


def save_watch_form(archive, query: str, filters: dict) -> None:
    """The search page's "Save as watch": a name (suggested from the query) and the button."""
    if not watches_writable():
        st.caption("This archive is read-only: watches cannot be saved here.")
        return
    with st.form("save-watch", clear_on_submit=False, border=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        name = left.text_input("Watch name", value=suggested_name(query), max_chars=64,
                               help="Save this search and its filters: the Watches page then says what is new.")
        saved = right.form_submit_button("Save as watch", icon=":material/notifications:")
    if saved:
        from archive.errors import ArchiveError

        try:
            watch = archive.add_watch(name.strip(), query, filters)
        except ArchiveError as e:
            st.error(f"The watch was not saved: {e}")
        else:
            st.success(f"Saved the watch “{watch.name}”: {len(watch.matches)} articles match now; the Watches "
                       "page shows what arrives after this.")
