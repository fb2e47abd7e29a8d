"""The as-of date control and the notice of a query's resolved time window, shared by the pages."""

from __future__ import annotations

from datetime import date

import streamlit as st

from webui.resources import escape_markdown

AS_OF, ALL_DATES = "as_of", "all_dates"  # URL parameters


def as_of_control() -> str:
    """A sidebar date the archive is consulted as of, kept in the URL; "" means today."""
    params = st.query_params
    try:
        current = date.fromisoformat(params.get(AS_OF, ""))
    except ValueError:
        current = None
    picked = st.sidebar.date_input(
        "As of", value=current, format="YYYY-MM-DD", key="as_of_date",
        help="Search as the archive stood on this day: 'this week' or 'on Monday' mean the days before it, and "
        "articles published after it are left out. Empty: today.",
    )
    if picked:
        params[AS_OF] = picked.isoformat()
    elif AS_OF in params:
        del params[AS_OF]
    return picked.isoformat() if picked else ""


def time_words_on() -> bool:
    """False once the reader chose to search all dates (the time words are then plain words)."""
    return st.query_params.get(ALL_DATES, "") != "1"


def window_notice(timed, time_words: bool) -> None:
    """Says which publication dates a query's time words selected, with one click to search all dates."""
    params = st.query_params
    if timed.window is not None:
        w = timed.window
        left, right = st.columns([4, 1])
        left.info(f"Searching {w.label()} (“{escape_markdown(w.phrase)}”, as of {timed.as_of.isoformat()}).",
                  icon=":material/event:")
        if right.button("Search all dates", key="all_dates_button"):
            params[ALL_DATES] = "1"
            st.rerun()
    elif timed.unused is not None:
        w = timed.unused
        st.info(f"No article is dated {w.label()} (“{escape_markdown(w.phrase)}”, as of {timed.as_of.isoformat()}): "
                "searching all dates.", icon=":material/event_busy:")
    elif not time_words:
        left, right = st.columns([4, 1])
        left.caption("Time words are searched as plain words.")
        if right.button("Read them as dates", key="time_words_button"):
            del params[ALL_DATES]
            st.rerun()
