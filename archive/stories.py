"""Stories: the same event rewritten by several outlets, found at ingest and shown as one result.

Whole-document embeddings alone do not separate "the same story" from "the same topic" (on the
sample, 000-001 are one story at cosine 0.93 while 000-002 are two at 0.91), but shared word
3-shingles do (000-001 Jaccard 0.088, every other pair <= 0.011). So the vector index proposes the
nearest articles and the shingle overlap decides.

A story is also an event in time: on the RealTime QA pool, articles with shared boilerplate but a
year apart (two seasons' awards, two studies on walking) were merged until candidates had to be
published within ``story_max_days`` of each other (when both dates are known).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from archive.types import Article

_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = 3) -> set[int]:
    """Hashes of the text's word n-grams (lower-cased), the unit of lexical overlap."""
    words = _WORD.findall(text.lower())
    return {hash(tuple(words[i : i + size])) for i in range(max(len(words) - size + 1, 0))}


def jaccard(a: set[int], b: set[int]) -> float:
    """Share of shingles two texts have in common."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def days_apart(a: Article, b: Article) -> float | None:
    """Days between two articles' publication dates, or None when either is unknown."""
    from datetime import date

    try:
        return abs((date.fromisoformat(a.published_at[:10]) - date.fromisoformat(b.published_at[:10])).days)
    except ValueError:
        return None


def story_of(
    article: Article, candidates: Iterable[tuple[Article, float]], min_jaccard: float, max_days: float = 0
) -> str:
    """The story id ``article`` joins: that of the first near candidate sharing enough shingles (and,
    when ``max_days`` is set and both dates are known, published within that many days), else its own."""
    own = shingles(article.text)
    for other, _similarity in candidates:
        if other.id == article.id:
            continue
        apart = days_apart(article, other) if max_days else None
        if apart is not None and apart > max_days:
            continue
        if jaccard(own, shingles(other.text)) >= min_jaccard:
            return other.story_id or other.id
    return article.id


def assign_stories(store, articles: list[tuple[Article, np.ndarray]], settings) -> list[str]:
    """Story ids for articles about to be written: compared with stored articles and with each other."""
    stories: list[str] = []
    for i, (article, vector) in enumerate(articles):
        near = store.similar_articles(vector, settings.story_candidates, settings.story_min_similarity)
        for j in range(i):  # earlier articles of the same batch are not stored yet
            similarity = float(np.dot(vector, articles[j][1]))
            if similarity >= settings.story_min_similarity:
                near.append((replace(articles[j][0], story_id=stories[j]), similarity))
        near.sort(key=lambda pair: -pair[1])
        stories.append(story_of(article, near, settings.story_min_jaccard, settings.story_max_days))
    return stories
