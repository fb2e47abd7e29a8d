"""Hybrid search: every active ranking signal (archive/search/signals/: passage vectors and keywords,
whole-article vectors and keywords, headlines, headline nominations, recency) run and fused at the article
level (archive/search/fusion.py); one hit per article (per story, unless asked otherwise), its best passage
first, then an optional reranker.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

from archive.models.embedding import Embedder
from archive.models.rerank import Reranker
from archive.search.fusion import Fused, Passage, Ranking, Role, fuse
from archive.search.highlight import matching_sentences
from archive.search.signals import SIGNALS
from archive.search.signals.base import Query
from archive.settings import Settings
from archive.storage import Store
from archive.text.query import parse_query, plain_query
from archive.types import Article, Filters, SearchHit

_POOL = ThreadPoolExecutor(max_workers=6, thread_name_prefix="search-signals")


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
    keyword = None
    if parsed.phrases:
        # Quoted phrases must match exactly: only chunks that contain them may compete.
        keyword = store.keyword_chunks(parsed, n, filters)
        allowed = tuple(sorted({m.chunk.article_id for m in keyword}))
        if not allowed:
            return []
        filters = replace(filters or Filters(), article_ids=allowed)
    signals = Query(query, parsed, n, filters, store, settings, as_of, keyword if parsed.phrases else None)
    rankings = ranked_signals(signals, embedder)
    depth = max(k, settings.rerank_depth) if reranker else k
    hits = group_by_article(store, fuse(rankings, settings.fusion, settings.rrf_k), depth, stories)
    if reranker is not None:
        hits = reranked(hits, reranker.scores(query, hits), settings.rrf_k)[:k]
    return with_highlights(hits, query)


def ranked_signals(query: Query, embedder: Embedder) -> list[Ranking]:
    """Every active signal's ranking, in ``SIGNALS`` order. Signals that do not need the query's vector run in
    threads while it is embedded, the rest in threads after (all release the GIL); ``after`` signals rank
    from the rankings before them."""
    active = [s for s in SIGNALS if s.active(query)]
    running = {s.name: _POOL.submit(s.rank, query, []) for s in active if not s.needs_vector and not s.after}
    query = replace(query, vector=embedder.embed_query(query.text))
    running |= {s.name: _POOL.submit(s.rank, query, []) for s in active if s.needs_vector and not s.after}
    rankings: list[Ranking] = []
    for signal in active:
        items = signal.rank(query, rankings) if signal.after else running[signal.name].result()
        rankings.append(signal.ranking(items, query.settings))
    return rankings


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


