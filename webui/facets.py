"""What the matching articles name, where they come from and when: clickable facets and a timeline.

Facets are buttons, most named first (ties by name), each with its count; clicking one adds it to the
search's filter (the sidebar's Names or Source box) and runs the search again, clicking it again takes it
out. The timeline is continuous: every day, week or month (by the span) from the first dated match to
the last, empty ones at 0, so a gap in coverage shows as a gap, and it says how many matches have no
date to be placed by.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from webui.counts import plural
from webui.resources import escape_markdown

NAMES_KEY, SOURCES_KEY = "names", "sources"  # the sidebar widgets the facets write to
FACET_KINDS = (("person", "People"), ("org", "Organisations"), ("place", "Places"))
SHOWN_PER_FACET = 10
DAYS_BY_DAY, DAYS_BY_WEEK = 31, 120  # spans up to these are shown per day, per week; longer per month


def parse_names(text: str) -> list[str]:
    """The Names box's comma-separated names."""
    return [n.strip() for n in text.split(",") if n.strip()]


def toggled(chosen: list[str], value: str) -> list[str]:
    """``chosen`` with ``value`` added, or taken out when it is there already (case aside)."""
    kept = [c for c in chosen if c.casefold() != value.casefold()]
    return kept if len(kept) < len(chosen) else [*chosen, value]


def ranked(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Most counted first, ties by name."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0]))


def _toggle_name(name: str) -> None:
    st.session_state[NAMES_KEY] = ", ".join(toggled(parse_names(st.session_state.get(NAMES_KEY, "")), name))


def _toggle_source(source: str) -> None:
    st.session_state[SOURCES_KEY] = toggled(list(st.session_state.get(SOURCES_KEY, [])), source)


def facet_buttons(label: str, counts: Mapping[str, int], chosen: Iterable[str], key: str, on_click) -> None:
    """One facet: a button per value, most counted first; a chosen one is highlighted and clears on a click."""
    picked = {c.casefold() for c in chosen}
    st.caption(label)
    with st.container(horizontal=True, gap="small", key=f"facet-{key}"):
        for n, (value, count) in enumerate(ranked(counts)[:SHOWN_PER_FACET]):
            on = value.casefold() in picked
            # Names and sources come from articles: shown as text, never as Markdown (a label renders it).
            st.button(f"{escape_markdown(value)} · {count}", key=f"facet-{key}-{n}", on_click=on_click,
                      args=(value,), type="primary" if on else "secondary",
                      help="Click again to clear this filter" if on else "Show only the articles with this")


def show_facets(entities: Mapping[str, Mapping[str, int]], sources: Mapping[str, int], names: list[str],
                chosen_sources: list[str]) -> None:
    """People, organisations, places and sources of the matching articles, each a row of buttons."""
    for kind, label in FACET_KINDS:
        if entities.get(kind):
            facet_buttons(label, entities[kind], names, kind, _toggle_name)
    if sources:
        facet_buttons("Sources", sources, chosen_sources, "source", _toggle_source)


def timeline_counts(dates: Iterable[str]) -> pd.Series:
    """Articles per day, week or month (by the span) from the first date to the last, gaps at 0."""
    days = sorted(date.fromisoformat(d[:10]) for d in dates if d)
    if not days:
        return pd.Series(dtype=int, name="articles")
    step = _step(days[-1] - days[0])
    counts = Counter(_bin(d, step) for d in days)
    bins, current = [], _bin(days[0], step)
    while current <= days[-1]:
        bins.append(current)
        current = _next(current, step)
    return pd.Series([counts.get(b, 0) for b in bins], index=pd.DatetimeIndex(bins, name=step), name="articles")


def _step(span: timedelta) -> str:
    if span.days <= DAYS_BY_DAY:
        return "day"
    return "week" if span.days <= DAYS_BY_WEEK else "month"


def _bin(day: date, step: str) -> date:
    if step == "day":
        return day
    if step == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday
    return day.replace(day=1)


def _next(start: date, step: str) -> date:
    if step == "day":
        return start + timedelta(days=1)
    if step == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def undated_caption(n: int) -> str:
    """'2 undated articles are not on the timeline'."""
    return f"{plural(n, 'undated article')} {'is' if n == 1 else 'are'} not on the timeline"


def show_charts(sources: Mapping[str, int], dates: list[str]) -> None:
    """Matching articles per source (most first) and over time (continuous, with the undated counted)."""
    left, right = st.columns(2)
    if sources:
        left.caption("Matching articles per source")
        frame = pd.DataFrame({"source": list(sources), "articles": list(sources.values())})
        left.bar_chart(frame, x="source", y="articles", horizontal=True, sort="-articles")
    timeline = timeline_counts(dates)
    undated = sum(1 for d in dates if not d)
    if len(timeline):
        right.caption(f"Matching articles per {timeline.index.name}")
        right.bar_chart(timeline, y_label="articles", x_label="")
    if undated:
        right.caption(undated_caption(undated))
