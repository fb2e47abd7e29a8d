"""The passages nearest the query's vector (with quoted phrases: only passages that hold them)."""

from __future__ import annotations

from archive.search.fusion import Ranking, Role
from archive.search.signals.base import Query, Signal
from archive.text.query import contains_phrase
from archive.types import ChunkMatch


def rank(query: Query, _: list[Ranking]) -> list[ChunkMatch]:
    dense = query.store.query_chunks(query.vector, query.n, query.filters)
    if query.parsed.phrases:
        dense = [m for m in dense if all(contains_phrase(m.chunk.text, p) for p in query.parsed.phrases)]
    return dense


SIGNAL = Signal("passage vectors", "dense_weight", Role.PASSAGES, rank)
