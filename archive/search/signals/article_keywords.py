"""Whole articles by BM25 over their title and full text."""

from __future__ import annotations

from archive.search.fusion import Ranking, Role
from archive.search.signals.base import Query, Signal


def rank(query: Query, _: list[Ranking]) -> list[tuple[str, float]]:
    return query.store.keyword_articles(query.parsed, query.n, query.filters)


SIGNAL = Signal("article keywords", "article_keyword_weight", Role.RESCORES, rank, needs_vector=False)
