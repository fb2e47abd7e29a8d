"""Fusion: typed rankings combined into one article-level ranking, by one function.

Every signal search uses (passage vectors, passage keywords, whole-article vectors and keywords, headlines,
recency, a reranker's second opinion) arrives as a ``Ranking``: a name, a weight, what it ranks and the
role it plays. ``fuse`` adds them up, by one of two methods:

- ``score`` (the default): each ranking's scores scaled to [0, 1] over its candidates, times its weight.
  On the RealTime QA dev questions this found more gold articles than reciprocal ranks (Recall@5 0.798 vs
  0.748, MRR@10 0.631 vs 0.595): reciprocal ranks flatten the gap between a vector ranking that is sure of
  its first article and a keyword ranking that is not.
- ``rrf``: weight / (k + rank + 1), the rank being the position in the ranking.

Fusion is at the article level: an article's score is what each ranking gives its best passage (``score``)
or its first place among articles (``rrf``), so an article that one ranking puts first does not lose to
one whose several passages each collect a little. Each article's passage is its best fused passage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from archive.types import Chunk, ChunkMatch

FUSIONS = ("score", "rrf")


class Role(Enum):
    """What a ranking may do to the candidates. Rankings are applied in this order."""

    PASSAGES = 1  # scores passages and their articles, and brings the articles in
    ARTICLES = 2  # scores whole articles and brings them in (a reranker's order of the hits)
    NOMINATES = 3  # scores articles and brings a new one in with the given passage (the best headlines)
    RESCORES = 4  # scores only articles already found (whole-article rankings)
    BOOSTS = 5  # adds absolute, already weighted gains to articles already found (recency)


@dataclass(frozen=True)
class Ranking:
    """One signal's ranking: passage ``matches`` (PASSAGES, NOMINATES) or ``articles`` as (id, score), best
    first (ARTICLES, RESCORES, BOOSTS)."""

    name: str
    weight: float
    role: Role = Role.PASSAGES
    matches: Sequence[ChunkMatch] = ()
    articles: Sequence[tuple[str, float]] = ()


@dataclass
class Passage:
    """A candidate passage and its fused score."""

    chunk: Chunk
    content_hash: str
    score: float = 0.0


@dataclass
class Fused:
    """Passages best first (by their article's score, then their own) and each article's score."""

    passages: list[Passage] = field(default_factory=list)
    article_scores: dict[str, float] = field(default_factory=dict)


def fuse(rankings: Sequence[Ranking], method: str = "score", rrf_k: int = 60) -> Fused:
    """The article-level fusion of ``rankings`` (see the module docstring)."""
    if method not in FUSIONS:
        raise ValueError(f"unknown fusion {method!r} (expected one of {', '.join(FUSIONS)})")
    passages: dict[tuple[str, str, int], Passage] = {}
    articles: dict[str, float] = {}
    for ranking in sorted(rankings, key=lambda r: r.role.value):
        if ranking.role is Role.PASSAGES:
            _add_passages(passages, articles, ranking, method, rrf_k)
        elif ranking.role is Role.NOMINATES:
            values = _values([m.score for m in ranking.matches], ranking.weight, method, rrf_k)
            for match, value in zip(ranking.matches, values, strict=True):
                article_id = match.chunk.article_id
                if article_id not in articles:
                    passages.setdefault(_key(match), Passage(match.chunk, match.content_hash))
                articles[article_id] = articles.get(article_id, 0.0) + value
        else:
            scored = ranking.articles
            if ranking.role is Role.BOOSTS:  # absolute gains; under rrf on the scale of a first rank
                values = [s if method == "score" else s / (rrf_k + 1) for _, s in scored]
            else:
                values = _values([s for _, s in scored], ranking.weight, method, rrf_k)
            for (article_id, _), value in zip(scored, values, strict=True):
                if ranking.role is Role.ARTICLES or article_id in articles:
                    articles[article_id] = articles.get(article_id, 0.0) + value
    ranked = sorted(passages.values(), key=lambda p: (articles[p.chunk.article_id], p.score), reverse=True)
    return Fused(ranked, articles)




def _add_passages(passages: dict, articles: dict[str, float], ranking: Ranking, method: str, rrf_k: int) -> None:
    values = _values([m.score for m in ranking.matches], ranking.weight, method, rrf_k)
    found: dict[str, float] = {}  # each article's value in this ranking
    for match, value in zip(ranking.matches, values, strict=True):
        passages.setdefault(_key(match), Passage(match.chunk, match.content_hash)).score += value
        article_id = match.chunk.article_id
        if method == "score":
            found[article_id] = max(found.get(article_id, 0.0), value)
        elif article_id not in found:  # rrf: the article's own rank among the articles, in order of appearance
            found[article_id] = ranking.weight / (rrf_k + len(found) + 1)
    for article_id, value in found.items():
        articles[article_id] = articles.get(article_id, 0.0) + value


def _values(scores: list[float], weight: float, method: str, rrf_k: int) -> list[float]:
    if method == "rrf":
        return [weight / (rrf_k + rank + 1) for rank in range(len(scores))]
    return [weight * s for s in scaled(scores)]


def scaled(scores: list[float]) -> list[float]:
    """Scores mapped linearly onto [0, 1] (the lowest to 0, the highest to 1; all equal: all 0)."""
    if not scores:
        return []
    low = min(scores)
    span = (max(scores) - low) or 1.0
    return [(s - low) / span for s in scores]


def _key(match: ChunkMatch) -> tuple[str, str, int]:
    return match.chunk.article_id, match.content_hash, match.chunk.index
