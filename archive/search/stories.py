"""Stories: the same event rewritten by several outlets, found at ingest and shown as one result.

Whole-document embeddings alone do not separate "the same story" from "the same topic" (on the
sample, 000-001 are one story at cosine 0.93 while 000-002 are two at 0.91), but shared word
3-shingles do (000-001 Jaccard 0.088, every other pair <= 0.011). So the vector index proposes the
nearest articles and the shingle overlap decides.

A story is also an event in time: on the RealTime QA pool, articles with shared boilerplate but a
year apart (two seasons' awards, two studies on walking) were merged until candidates had to be
published within ``story_max_days`` of each other (when both dates are known).

And a story is one event told by several outlets: an outlet's own articles on an event (a follow-up,
a live blog's next day, a daily newsletter sharing its template) are separate results. On the pool,
680 of the 773 same-story pairs were two articles of one outlet, most of them follow-ups sharing
background paragraphs (one CNN "5 things to know" issue with another); the cross-outlet pairs were
the same event (Tom Brady's retirement at CNN and USA Today). So an article never joins a story in
which its own outlet already has an article (when both sources are known).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
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


_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "news"}


def outlet(article: Article) -> str:
    """The article's outlet as compared between articles ('' when unknown): a domain folds to the
    name it was registered under (e.newsletters.cnn.com and www.cnn.com are both cnn.com; bbc.co.uk
    keeps its country part); a name that is not a domain is compared as written, case folded."""
    source = (article.source or "").strip().lower().rstrip(".")
    labels = source.split(".")
    if " " in source or len(labels) < 3:
        return source[4:] if source.startswith("www.") else source
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def story_of(
    article: Article,
    candidates: Iterable[tuple[Article, float]],
    min_jaccard: float,
    max_days: float = 0,
    shingles_of: Callable[[Article], set[int]] | None = None,
) -> str:
    """The story id ``article`` joins: that of the first near candidate sharing enough shingles (and,
    when ``max_days`` is set and both dates are known, published within that many days) whose story
    holds no other article of the same outlet; else its own."""
    shingles_of = shingles_of or (lambda a: shingles(a.text))
    candidates = [(other, sim) for other, sim in candidates if other.id != article.id]
    own_outlet = outlet(article)
    taken = {other.story_id or other.id for other, _ in candidates if own_outlet and outlet(other) == own_outlet}
    own = shingles_of(article)
    for other, _similarity in candidates:
        story = other.story_id or other.id
        if story in taken:
            continue
        apart = days_apart(article, other) if max_days else None
        if apart is not None and apart > max_days:
            continue
        if jaccard(own, shingles_of(other)) >= min_jaccard:
            return story
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


def reassign_stories(store, settings, progress: Callable[[int, int], None] | None = None) -> int:
    """Decide every article's story again, as if the archive were ingested in publication order
    (after the story settings or rules change); returns how many articles changed story.

    Each article is compared with the ``story_candidates`` most similar articles published before it
    (by mean chunk vector, at least ``story_min_similarity``), exactly as ingest compares a new article
    with the stored ones. Exact similarities are computed in memory: about a second per thousand
    articles at 10k articles, quadratic beyond.
    """
    articles = sorted(store.iter_articles(), key=lambda a: (a.published_at or "9999", a.ingested_at, a.id))
    if not articles:
        return 0
    vectors_by_id = store.article_vectors([a.id for a in articles])
    articles = [a for a in articles if a.id in vectors_by_id]
    vectors = np.stack([vectors_by_id[a.id] for a in articles]).astype(np.float32)
    cache: dict[str, set[int]] = {}  # shingles, not texts, are what is kept
    for start in range(0, len(articles), 500):
        for aid, full in store.get_articles([a.id for a in articles[start : start + 500]]).items():
            cache[aid] = shingles(full.text)

    def shingles_of(article: Article) -> set[int]:
        return cache.get(article.id, set())

    stories: list[str] = []
    for i, article in enumerate(articles):
        near: list[tuple[Article, float]] = []
        if i:
            similarity = vectors[:i] @ vectors[i]
            best = np.argsort(-similarity)[: settings.story_candidates]
            near = [
                (replace(articles[j], story_id=stories[j]), float(similarity[j]))
                for j in best
                if similarity[j] >= settings.story_min_similarity
            ]
        stories.append(story_of(article, near, settings.story_min_jaccard, settings.story_max_days, shingles_of))
        if progress is not None:
            progress(i + 1, len(articles))
    changed = {a.id: story for a, story in zip(articles, stories) if (a.story_id or a.id) != story}
    store.set_story_ids(changed)
    return len(changed)
