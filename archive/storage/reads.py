"""The read path, behind one interface: the in-memory index while the archive fits it, else Chroma and FTS5.

``Store.reads()`` picks one of the two for each search, in one place; search code never asks which.
Both answer the same questions with the same filters (sources, dates, article ids, and the inferred
time window that keeps undated articles), and tests/test_filters.py holds them to the same answers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np

from archive.errors import StoreError
from archive.storage.chroma import Collection, all_of, ts_clauses
from archive.storage.keyword import KeywordIndex
from archive.storage.memindex import MemoryIndex
from archive.storage.records import chunk_from, ts_range, where, window
from archive.text.query import ParsedQuery
from archive.types import Article, Chunk, ChunkMatch, Filters

Scored = list[tuple[str, float]]  # (article id, score), best first


class Reads(Protocol):
    def chunks(self, vector: np.ndarray, n: int, f: Filters) -> list[ChunkMatch]: ...
    def keyword_chunks(self, query: ParsedQuery, n: int, f: Filters) -> list[ChunkMatch]: ...
    def articles(self, vector: np.ndarray, n: int, f: Filters) -> Scored: ...
    def headlines(self, vector: np.ndarray, n: int, f: Filters) -> Scored: ...
    def keyword_articles(self, query: ParsedQuery, n: int, f: Filters) -> Scored: ...
    def any_dated(self, low: int, high: int | None) -> bool: ...


class MemoryReads:
    """Exact scores over every chunk held in memory; a filter is a mask (archive/storage/memindex.py)."""

    def __init__(self, memory: MemoryIndex, keywords: KeywordIndex):
        self._memory, self._keywords = memory, keywords
        self._state = memory.current()

    def _keep(self, f: Filters) -> np.ndarray:
        return self._memory.mask(self._state, f.sources, ts_range(f), f.article_ids, window=window(f))

    def chunks(self, vector, n, f):
        return self._keywords.matches(self._memory.nearest(self._state, vector, n, self._keep(f)))

    def keyword_chunks(self, query, n, f):
        if query.phrases:  # phrases need FTS5's positions
            return self._keywords.search(query, n, f.sources, ts_range(f), f.article_ids, window=window(f))
        return self._keywords.matches(self._memory.bm25(self._state, query.words, n, self._keep(f)))

    def articles(self, vector, n, f):
        return self._memory.nearest_articles(self._state, vector, n, self._keep(f))

    def headlines(self, vector, n, f):
        return self._memory.nearest_headlines(self._state, vector, n, self._keep(f))

    def keyword_articles(self, query, n, f):
        if not query.words:
            return []
        return self._memory.article_bm25(self._state, query.words, n, self._keep(f))

    def any_dated(self, low, high):
        return bool(self._memory.mask(self._state, ts_range=(low, high)).any())


class ChromaReads:
    """Chroma's vector indexes and SQLite FTS5, for an archive above the in-memory limit (or with it off)."""

    def __init__(self, chunks: Collection, articles: Collection, headlines: Collection, keywords: KeywordIndex,
                 fetch_articles, chunk_total: int):
        self._chunks, self._articles, self._headlines = chunks, articles, headlines
        self._keywords, self._fetch_articles, self._total = keywords, fetch_articles, chunk_total

    def chunks(self, vector, n, f):
        if self._total == 0:
            return []
        try:
            kept = self._chunks.nearest(vector, n, self._total, where(f), None, window(f))
        except StoreError:
            raise
        except Exception as e:
            raise StoreError(f"vector query failed: {e}") from e
        texts = self._keywords.texts([cid for cid, _, _ in kept])
        missing = {m["article_id"] for cid, m, _ in kept if cid not in texts}
        articles: dict[str, Article] = self._fetch_articles(list(missing)) if missing else {}
        matches = []
        for cid, meta, dist in kept:
            if cid in texts:
                chunk = Chunk(meta["article_id"], int(meta["index"]), texts[cid], int(meta["start"]), int(meta["end"]))
            elif meta["article_id"] in articles:  # keyword file lost: the article text at the span is the chunk
                chunk = chunk_from(meta, articles[meta["article_id"]].text)
            else:
                continue
            matches.append(ChunkMatch(chunk, 1.0 - float(dist), meta["hash"]))
        return matches

    def keyword_chunks(self, query, n, f):
        return self._keywords.search(query, n, f.sources, ts_range(f), f.article_ids, window=window(f))

    def articles(self, vector, n, f):
        return _whole(self._articles, vector, n, f)

    def headlines(self, vector, n, f):
        return _whole(self._headlines, vector, n, f)

    def keyword_articles(self, query, n, f):
        return []  # whole-article BM25 is computed by the in-memory index only: above its limit the signal is left out

    def any_dated(self, low, high):
        try:
            return bool(self._articles.get(where=all_of(ts_clauses(low, high)), limit=1, include=[])["ids"])
        except StoreError:
            raise
        except Exception as e:
            raise StoreError(f"could not read publication dates: {e}") from e


def _whole(collection: Collection, vector: np.ndarray, n: int, f: Filters) -> Scored:
    """(id, cosine) from a collection of one vector per article (mean chunk vectors, headlines)."""
    try:
        total = collection.count()
        if total == 0:
            return []
        found = collection.nearest(vector, n, total, where(replace(f, article_ids=())), list(f.article_ids) or None,
                                   window(f))
    except Exception:  # noqa: BLE001 - an optional signal: search goes on without it
        return []
    return [(aid, 1.0 - float(d)) for aid, _, d in found]
