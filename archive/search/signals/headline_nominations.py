"""The best headlines also nominate their articles: a headline that matches this well is evidence enough to
compete, even for an article none of whose passages is among the best chunks (it enters with its first
passage). Not with quoted phrases, which only passages that hold them may meet."""

from __future__ import annotations

from dataclasses import replace

from archive.search.fusion import Ranking, Role
from archive.search.signals import headlines
from archive.search.signals.base import Query, Signal
from archive.types import ChunkMatch


def rank(query: Query, before: list[Ranking]) -> list[ChunkMatch]:
    best_headlines = next((r.articles for r in before if r.name == headlines.SIGNAL.name), [])
    best = list(best_headlines[: query.settings.headline_candidates])
    first = query.store.first_chunks([a for a, _ in best])
    return [replace(first[a], score=score) for a, score in best if a in first]


SIGNAL = Signal("headline nominations", "headline_weight", Role.NOMINATES, rank, needs_vector=False, after=True,
                applies=lambda q: not q.parsed.phrases and q.settings.headline_candidates > 0)
