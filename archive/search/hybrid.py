"""Hybrid search: passage vectors and BM25 keywords, whole-article vectors and keywords, headlines and
recency, each a typed ``Ranking``, fused at the article level by ``archive/search/fusion.py``; one hit per
article (per story, unless asked otherwise), its best passage first, then an optional reranker.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

from archive.models.embedding import Embedder
from archive.models.rerank import Reranker
from archive.search.fusion import Fused, Passage, Ranking, Role, fuse
from archive.search.highlight import matching_sentences
from archive.search.recency import recency_boosts
from archive.settings import Settings
from archive.storage import Store
from archive.text.query import contains_phrase, parse_query, plain_query
from archive.types import Article, ChunkMatch, Filters, SearchHit

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="keyword-search")
MIN_KEYWORD_SCORE = 1e-3  # FTS5 floors the BM25 of words found everywhere near zero: no evidence


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
    # Whole-article rankings (mean chunk vector; BM25 over title and full text; the headline's vector)
    # rescore the articles the chunk rankings found.
    headlines = headlines_future.result() if headlines_future is not None else []
    rankings = [
        Ranking("passage vectors", settings.dense_weight, Role.PASSAGES, matches=dense),
        Ranking("passage keywords", settings.keyword_weight, Role.PASSAGES, matches=keyword),
        Ranking("article vectors", settings.article_weight, Role.RESCORES,
                articles=vectors_future.result() if vectors_future is not None else []),
        Ranking("article keywords", settings.article_keyword_weight, Role.RESCORES,
                articles=texts_future.result() if texts_future is not None else []),
        Ranking("headlines", settings.headline_weight, Role.RESCORES, articles=headlines),
    ]
    # The best headlines also nominate candidates: a headline that matches this well is evidence enough
    # to compete, even for an article none of whose passages is among the best chunks.
    if not parsed.phrases and settings.headline_candidates:
        nominated = nominations(store, headlines[: settings.headline_candidates])
        rankings.append(Ranking("headline nominations", settings.headline_weight, Role.NOMINATES, matches=nominated))
    if as_of is not None and settings.recency_weight:
        found = {m.chunk.article_id for r in rankings for m in r.matches}
        rankings.append(Ranking("recency", settings.recency_weight, Role.BOOSTS,
                                articles=list(recency_boosts(store, found, as_of, settings).items())))
    hits = group_by_article(store, fuse(rankings, settings.fusion, settings.rrf_k), depth, stories)
    if reranker is not None:
        hits = reranked(hits, reranker.scores(query, hits), settings.rrf_k)[:k]
    return with_highlights(hits, query)


def nominations(store: Store, headlines: list[tuple[str, float]]) -> list[ChunkMatch]:
    """The articles of the best headlines as matches of their first passage, scored by the headline's similarity."""
    first = store.first_chunks([a for a, _ in headlines])
    return [replace(first[a], score=score) for a, score in headlines if a in first]


def _narrow(current: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Article ids allowed by both restrictions (no current restriction allows everything)."""
    return tuple(a for a in current if a in set(allowed)) if current else allowed


def reranked(hits: list[SearchHit], scores: list[float], rrf_k: int) -> list[SearchHit]:
    """The hits in the reciprocal-rank fusion of their order and the order a reranker's ``scores`` give them."""
    ids = [h.article.id for h in hits]
    by_score = sorted(range(len(hits)), key=lambda i: -scores[i])
    fused = fuse([Ranking("search", 1.0, Role.ARTICLES, articles=[(a, 0.0) for a in ids]),
                  Ranking("reranker", 1.0, Role.ARTICLES, articles=[(ids[i], scores[i]) for i in by_score])],
                 "rrf", rrf_k).article_scores
    return [replace(hits[i], score=fused[ids[i]]) for i in sorted(range(len(hits)), key=lambda i: -fused[ids[i]])]


def with_highlights(hits: list[SearchHit], query: str) -> list[SearchHit]:
    """Mark the sentences of each hit's passage that match the query."""
    return [replace(h, highlights=matching_sentences(h.chunk, query)) for h in hits]


def group_by_article(store: Store, fused: Fused, k: int, stories: bool = True) -> list[SearchHit]:
    """Collapse fused passages into one hit per article; passages of a stale version are skipped."""
    article_scores = fused.article_scores
    by_article: dict[str, list[Passage]] = {}
    for cand in fused.passages:
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


