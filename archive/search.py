"""Search: nearest chunks from the vector index, grouped into one hit per article."""

from __future__ import annotations

from archive.embedding import Embedder
from archive.store import ChromaStore, ChunkMatch, Filters
from archive.types import SearchHit


def dense_search(
    store: ChromaStore, embedder: Embedder, query: str, k: int, filters: Filters | None, candidates: int
) -> list[SearchHit]:
    """The ``k`` articles whose best chunk is nearest to the query, best passage first."""
    query = query.strip()
    if not query or k <= 0:
        return []
    matches = store.query_chunks(embedder.embed_query(query), max(candidates, k * 5), filters)
    return group_by_article(store, matches, k)


def group_by_article(store: ChromaStore, matches: list[ChunkMatch], k: int) -> list[SearchHit]:
    """Collapse chunk matches (best first) into one hit per article; stale chunks are skipped."""
    by_article: dict[str, list[ChunkMatch]] = {}
    for match in matches:
        by_article.setdefault(match.chunk.article_id, []).append(match)
    articles = store.get_articles(list(by_article), with_text=False)
    hits: list[SearchHit] = []
    for article_id, group in by_article.items():
        article = articles.get(article_id)
        if article is None:
            continue
        # A chunk from an interrupted write carries another content hash: never show it.
        current = [m for m in group if article.content_hash.startswith(m.content_hash)]
        if not current:
            continue
        hits.append(
            SearchHit(
                article=article,
                chunk=current[0].chunk,
                score=current[0].similarity,
                passages=tuple(m.chunk for m in current[1:]),
            )
        )
        if len(hits) == k:
            break
    return hits
