"""Facets of a result list: how many hits (and other reports of their stories) per source and per month."""

from __future__ import annotations

from collections import Counter

from archive.types import Facets, SearchHit


def facet_counts(hits: list[SearchHit]) -> Facets:
    """Per-source and per-month counts over the hits and the other reports of their stories."""
    articles = [a for h in hits for a in (h.article, *h.also)]
    sources = Counter(a.source or "(unknown)" for a in articles)
    months = Counter(a.published_at[:7] for a in articles if a.published_at)
    return Facets(dict(sources.most_common()), dict(sorted(months.items())), len(articles))
