"""The passages BM25 ranks best for the query's words (with quoted phrases: the passages that hold them)."""

from __future__ import annotations

from archive.search.fusion import Ranking, Role
from archive.search.signals.base import Query, Signal
from archive.types import ChunkMatch

MIN_KEYWORD_SCORE = 1e-3  # FTS5 floors the BM25 of words found everywhere near zero: no evidence


def rank(query: Query, _: list[Ranking]) -> list[ChunkMatch]:
    matches = query.phrase_matches
    if matches is None:
        matches = query.store.keyword_chunks(query.parsed, query.n, query.filters)
    return [m for m in matches if m.score > MIN_KEYWORD_SCORE]


SIGNAL = Signal("passage keywords", "keyword_weight", Role.PASSAGES, rank, needs_vector=False)
