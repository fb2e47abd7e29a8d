"""Search: vector and BM25 keyword rankings fused at the article level, one hit per article.

Two fusions are offered. ``score`` (the default) scales each ranking's scores to [0, 1] over its
candidates and adds them, weighted; ``rrf`` adds weight / (k + rank). On the RealTime QA dev questions
score fusion found more gold articles (Recall@5 0.798 vs 0.748, MRR@10 0.631 vs 0.595): reciprocal
ranks flatten the gap between a vector ranking that is sure of its first article and a keyword ranking
that is not, so an article that both rank tenth beats one the vectors rank first.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

from archive.models.embedding import Embedder
from archive.models.rerank import Reranker
from archive.search.highlight import matching_sentences
from archive.settings import Settings
from archive.storage import Store, timestamp
from archive.text.query import contains_phrase, parse_query, plain_query
from archive.types import Article, Chunk, ChunkMatch, Facets, Filters, SearchHit

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="keyword-search")
MIN_KEYWORD_SCORE = 1e-3  # FTS5 floors the BM25 of words found everywhere near zero: no evidence


@dataclass
class _Candidate:
    chunk: Chunk
    content_hash: str
    score: float = 0.0


def hybrid_search(
    store: Store,
    embedder: Embedder,
    settings: Settings,
    query: str,
    k: int,
    filters: Filters | None,
    reranker: Reranker | None = None,
    stories: bool = True,
    as_of: date | None = None,
) -> list[SearchHit]:
    """The ``k`` best articles for ``query``, each with its best passage first.

    With ``stories`` (the default) another outlet's report of a story already shown joins that hit's
    ``also`` instead of taking a place of its own; without, every article is a hit of its own. With
    ``as_of``, articles published shortly before it gain a little (``recency_weight``).
    """
    query = plain_query(query)
    if not query or k <= 0:
        return []
    n = max(settings.search_candidates, k * 5)
    if filters is not None and filters.story:
        members = tuple(store.story_members(filters.story))
        if not members:
            return []
        filters = replace(filters, story="", article_ids=_narrow(filters.article_ids, members))
    if filters is not None and filters.entities:
        naming = tuple(store.articles_naming(filters.entities))
        filters = replace(filters, entities=(), article_ids=_narrow(filters.article_ids, naming))
        if not filters.article_ids:
            return []
    parsed = parse_query(query)
    if parsed.phrases and query.rstrip().endswith("?"):
        parsed = parsed.softened()
    if parsed.phrases:
        # Quoted phrases must match exactly: only chunks that contain them may compete.
        keyword = store.keyword_chunks(parsed, n, filters)
        allowed = tuple(sorted({m.chunk.article_id for m in keyword}))
        if not allowed:
            return []
        filters = replace(filters or Filters(), article_ids=allowed)
    # The keyword rankings run in threads while the query is embedded (all release the GIL).
    keyword_future = None if parsed.phrases else _POOL.submit(store.keyword_chunks, parsed, n, filters)
    texts_future = _POOL.submit(store.keyword_articles, parsed, n, filters) if settings.article_keyword_weight else None
    vector = embedder.embed_query(query)
    vectors_future = _POOL.submit(store.query_articles, vector, n, filters) if settings.article_weight else None
    headlines_future = _POOL.submit(store.query_headlines, vector, n, filters) if settings.headline_weight else None
    dense = store.query_chunks(vector, n, filters)
    if parsed.phrases:
        dense = [m for m in dense if all(contains_phrase(m.chunk.text, p) for p in parsed.phrases)]
    else:
        keyword = keyword_future.result()
    keyword = [m for m in keyword if m.score > MIN_KEYWORD_SCORE]
    depth = max(k, settings.rerank_depth) if reranker else k
    rankings = [(dense, settings.dense_weight), (keyword, settings.keyword_weight)]
    # Whole-article rankings (mean chunk vector; BM25 over title and full text; the headline's vector)
    # rescore the articles the chunk rankings found.
    headlines = headlines_future.result() if headlines_future is not None else []
    whole = [(f.result() if f is not None else [], w) for f, w in (
        (vectors_future, settings.article_weight), (texts_future, settings.article_keyword_weight),
    )] + [(headlines, settings.headline_weight)]
    # The best headlines also nominate candidates: a headline that matches this well is evidence enough
    # to compete, even for an article none of whose passages is among the best chunks.
    nominated = (
        [] if parsed.phrases or not settings.headline_candidates
        else nominations(store, headlines[: settings.headline_candidates])
    )
    boosts = {}
    if as_of is not None and settings.recency_weight:
        found = {m.chunk.article_id for ranking, _ in rankings for m in ranking} | {m.chunk.article_id for m in nominated}
        boosts = recency_boosts(store, found, as_of, settings)
    if settings.fusion == "score":
        hits = fuse_scores(store, rankings, depth, whole, stories, (nominated, settings.headline_weight), boosts)
    else:
        hits = fuse(store, rankings, settings.rrf_k, depth, [([a for a, _ in r], w) for r, w in whole], stories,
                    (nominated, settings.headline_weight), boosts)
    if reranker is not None:
        hits = reranker.rerank(query, hits)[:k]
    return with_highlights(hits, query)


def recency_boosts(store: Store, article_ids: set[str], as_of: date, settings: Settings) -> dict[str, float]:
    """What each found article gains for being recent: ``recency_weight`` for one published on the as-of day,
    halving every ``recency_half_life_days`` before it. Undated articles and later ones (which an as-of
    filter leaves out) gain nothing. Absolute, not scaled over the candidates, so an archive of old news
    searched today is ranked as without it."""
    if not article_ids:
        return {}
    day = datetime(as_of.year, as_of.month, as_of.day, tzinfo=timezone.utc).timestamp() + 86400
    boosts = {}
    for article_id, article in store.get_articles(sorted(article_ids), with_text=False).items():
        ts = timestamp(article.published_at)
        if ts is None or ts >= day:
            continue
        age_days = (day - ts) / 86400
        boosts[article_id] = settings.recency_weight * 0.5 ** (age_days / settings.recency_half_life_days)
    return boosts


def nominations(store: Store, headlines: list[tuple[str, float]]) -> list[ChunkMatch]:
    """The articles of the best headlines as matches of their first passage, scored by the headline's similarity."""
    first = store.first_chunks([a for a, _ in headlines])
    return [replace(first[a], score=score) for a, score in headlines if a in first]


def _nominate(
    chunks: dict[tuple[str, str, int], _Candidate],
    article_scores: dict[str, float],
    matches: list[ChunkMatch],
    values: list[float],
) -> None:
    """Add each nominated article's value; an article no chunk ranking found enters with its first passage."""
    for match, value in zip(matches, values):
        article_id = match.chunk.article_id
        if article_id not in article_scores:
            key = (article_id, match.content_hash, match.chunk.index)
            chunks.setdefault(key, _Candidate(match.chunk, match.content_hash))
        article_scores[article_id] = article_scores.get(article_id, 0.0) + value


def _narrow(current: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Article ids allowed by both restrictions (no current restriction allows everything)."""
    return tuple(a for a in current if a in set(allowed)) if current else allowed


def fuse(
    store: Store,
    rankings: list[tuple[list, float]],
    rrf_k: int,
    k: int,
    whole_articles: list[tuple[list[str], float]] = (),
    stories: bool = True,
    nominated: tuple[list[ChunkMatch], float] = ((), 0.0),
    boosts: dict[str, float] | None = None,
) -> list[SearchHit]:
    """Reciprocal rank fusion at the article level; each article's passage is its best fused chunk.

    Fusing articles rather than chunks keeps an article that one ranking puts first from losing to an
    article whose several chunks each collect a little from both rankings. ``whole_articles`` (ids
    ranked by their mean chunk vector) rescore the articles the chunk rankings found: it says what a
    whole article is about, where a chunk says what one passage is about.
    """
    chunks: dict[tuple[str, str, int], _Candidate] = {}
    article_scores: dict[str, float] = {}
    for ranking, weight in rankings:
        seen: list[str] = []
        for rank, match in enumerate(ranking):
            key = (match.chunk.article_id, match.content_hash, match.chunk.index)
            cand = chunks.setdefault(key, _Candidate(match.chunk, match.content_hash))
            cand.score += weight / (rrf_k + rank + 1)
            if match.chunk.article_id not in seen:
                seen.append(match.chunk.article_id)
        for rank, article_id in enumerate(seen):
            article_scores[article_id] = article_scores.get(article_id, 0.0) + weight / (rrf_k + rank + 1)
    matches, weight = nominated
    _nominate(chunks, article_scores, list(matches), [weight / (rrf_k + rank + 1) for rank in range(len(matches))])
    for ids, weight in whole_articles:
        for rank, article_id in enumerate(ids):
            if article_id in article_scores:
                article_scores[article_id] += weight / (rrf_k + rank + 1)
    _boost(article_scores, {a: v / (rrf_k + 1) for a, v in (boosts or {}).items()})  # on the scale of a first rank
    ranked = sorted(chunks.values(), key=lambda c: (article_scores[c.chunk.article_id], c.score), reverse=True)
    return group_by_article(store, ranked, k, article_scores, stories)


def fuse_scores(
    store: Store,
    rankings: list[tuple[list, float]],
    k: int,
    whole_articles: list[tuple[list[tuple[str, float]], float]] = (),
    stories: bool = True,
    nominated: tuple[list[ChunkMatch], float] = ((), 0.0),
    boosts: dict[str, float] | None = None,
) -> list[SearchHit]:
    """Relative score fusion at the article level: each ranking's scores scaled to [0, 1], weighted, summed.

    ``nominated`` (matches of the best headlines' articles, and a weight) adds its scaled scores too, and
    brings in the articles no chunk ranking found; ``whole_articles`` only rescore what is found.
    """
    chunks: dict[tuple[str, str, int], _Candidate] = {}
    article_scores: dict[str, float] = {}
    for ranking, weight in rankings:
        best: dict[str, float] = {}
        for match, scaled in zip(ranking, _scaled([m.score for m in ranking])):
            key = (match.chunk.article_id, match.content_hash, match.chunk.index)
            cand = chunks.setdefault(key, _Candidate(match.chunk, match.content_hash))
            value = weight * scaled
            cand.score += value
            best[match.chunk.article_id] = max(best.get(match.chunk.article_id, 0.0), value)
        for article_id, value in best.items():
            article_scores[article_id] = article_scores.get(article_id, 0.0) + value
    matches, weight = nominated
    _nominate(chunks, article_scores, list(matches), [weight * s for s in _scaled([m.score for m in matches])])
    for scored, weight in whole_articles:
        for (article_id, _), scaled in zip(scored, _scaled([s for _, s in scored])):
            if article_id in article_scores:
                article_scores[article_id] += weight * scaled
    _boost(article_scores, boosts)
    ranked = sorted(chunks.values(), key=lambda c: (article_scores[c.chunk.article_id], c.score), reverse=True)
    return group_by_article(store, ranked, k, article_scores, stories)


def _boost(article_scores: dict[str, float], boosts: dict[str, float] | None) -> None:
    """Add what each found article gains outside the rankings (recency)."""
    for article_id, value in (boosts or {}).items():
        if article_id in article_scores:
            article_scores[article_id] += value


def with_highlights(hits: list[SearchHit], query: str) -> list[SearchHit]:
    """Mark the sentences of each hit's passage that match the query."""
    return [replace(h, highlights=matching_sentences(h.chunk, query)) for h in hits]


def _scaled(scores: list[float]) -> list[float]:
    """Scores mapped linearly onto [0, 1] (the lowest to 0, the highest to 1; all equal: all 0)."""
    if not scores:
        return []
    low = min(scores)
    span = (max(scores) - low) or 1.0
    return [(s - low) / span for s in scores]


def group_by_article(
    store: Store, ranked: list[_Candidate], k: int, article_scores: dict[str, float], stories: bool = True
) -> list[SearchHit]:
    """Collapse ranked chunks into one hit per article; chunks of a stale version are skipped."""
    by_article: dict[str, list[_Candidate]] = {}
    for cand in ranked:
        by_article.setdefault(cand.chunk.article_id, []).append(cand)
    articles = store.get_articles(list(by_article), with_text=False)
    hits: list[SearchHit] = []
    also: dict[str, list[Article]] = {}
    for article_id, group in by_article.items():
        article = articles.get(article_id)
        if article is None:
            continue
        # A chunk from an interrupted write carries another content hash: never show it.
        current = [c for c in group if article.content_hash.startswith(c.content_hash)]
        if not current:
            continue
        story = (article.story_id if stories else "") or article.id
        if story in also:  # another outlet's report of a story already shown
            also[story].append(article)
            continue
        if len(hits) == k:
            continue
        also[story] = []
        passages = tuple(c.chunk for c in current[1:])
        hits.append(SearchHit(article, current[0].chunk, article_scores[article_id], passages))
    return [replace(h, also=tuple(also[(h.article.story_id if stories else "") or h.article.id])) for h in hits]


def facet_counts(hits: list[SearchHit]) -> Facets:
    """Per-source and per-month counts over the hits and the other reports of their stories."""
    articles = [a for h in hits for a in (h.article, *h.also)]
    sources = Counter(a.source or "(unknown)" for a in articles)
    months = Counter(a.published_at[:7] for a in articles if a.published_at)
    return Facets(dict(sources.most_common()), dict(sorted(months.items())), len(articles))
