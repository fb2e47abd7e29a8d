"""Whole articles by their mean chunk vector: what an article is about, where a passage says what one part is."""

from __future__ import annotations

from archive.search.fusion import Ranking, Role
from archive.search.signals.base import Query, Signal


def rank(query: Query, _: list[Ranking]) -> list[tuple[str, float]]:
    return query.store.query_articles(query.vector, query.n, query.filters)


SIGNAL = Signal("article vectors", "article_weight", Role.RESCORES, rank)
