"""Articles by their headline's vector (the title, or the first sentence when there is none)."""

from __future__ import annotations

from archive.search.fusion import Ranking, Role
from archive.search.signals.base import Query, Signal


def rank(query: Query, _: list[Ranking]) -> list[tuple[str, float]]:
    return query.store.query_headlines(query.vector, query.n, query.filters)


SIGNAL = Signal("headlines", "headline_weight", Role.RESCORES, rank)
