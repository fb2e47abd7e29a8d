"""What the record holds: typed articles and chunks to and from Chroma's ids and metadata.

Chunk ids carry the article's content hash (``{article_id}:{hash12}:{index}``), so a new version's
chunks are written beside the old ones until the article record (which names the current hash)
commits the new version. Everything a host derives (keyword rows, names, the paragraphs left out of
the embedded text) can be rebuilt from an article's record and its current chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from archive.storage.chroma import all_of, ts_clauses
from archive.storage.keyword_schema import EntityRow, KeywordRow, ParagraphRow
from archive.text.dates import timestamp
from archive.text.furniture import paragraph_keys
from archive.types import Article, Chunk, Filters

HASH_PREFIX = 12


@dataclass(frozen=True)
class Version:
    """A version of an article, embedded and ready to store: what a writer hands the store."""

    article: Article
    chunks: list[Chunk]
    vectors: np.ndarray  # one per chunk, unit length
    replaces: bool = False  # an older version is stored: its chunks are removed once this one has committed
    headline: np.ndarray | None = None  # the vector of its title (or first sentence)
    left_out: frozenset[str] = frozenset()  # paragraph keys the chunk vectors were embedded without
_ARTICLE_FIELDS = ("title", "content_hash", "origin", "source", "url", "author", "published_at", "ingested_at", "story_id")


def version(article: Article) -> str:
    """The short content hash that names an article's current chunks."""
    return article.content_hash[:HASH_PREFIX]


def parts(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def chunk_id(article: Article, chunk: Chunk) -> str:
    return f"{article.id}:{version(article)}:{chunk.index}"


def chunk_meta(article: Article, chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {"article_id": article.id, "index": chunk.index, "start": chunk.start, "end": chunk.end,
                            "hash": version(article), "source": article.source}
    ts = timestamp(article.published_at)
    if ts is not None:
        meta["published_ts"] = ts
    return meta


def chunk_from(meta: dict[str, Any], article_text: str) -> Chunk:
    start, end = int(meta["start"]), int(meta["end"])
    return Chunk(meta["article_id"], int(meta["index"]), article_text[start:end], start, end)


def keyword_row(article: Article, chunk: Chunk) -> KeywordRow:
    """The keyword file's row for a chunk."""
    return KeywordRow(chunk_id(article, chunk), version(article), chunk, article.title, article.source,
                      timestamp(article.published_at))


def paragraph_rows(articles: Iterable[tuple[Article, Iterable[str]]]) -> list[ParagraphRow]:
    rows = []
    for a, left_out in articles:
        left = set(left_out)
        rows += [ParagraphRow(a.id, version(a), key, key in left) for key in paragraph_keys(a.text)]
    return rows


def entity_rows(articles: Iterable[Article]) -> list[EntityRow]:
    return [EntityRow(a.id, version(a), kind, name) for a in articles for kind, name in a.entities]


def article_meta(article: Article, n_chunks: int, left_out: Iterable[str] = ()) -> dict[str, Any]:
    meta: dict[str, Any] = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
    origins = list(article.origins or (article.origin,))
    meta["origins"] = json.dumps(origins)
    meta["has_copies"] = len(origins) > 1  # findable: an ingest checks such articles' other origins
    meta["entities"] = json.dumps([list(e) for e in article.entities])
    meta["named"] = article.named  # False until the names pass (after embedding) has read this version
    meta["left_out"] = json.dumps(sorted(left_out))  # paragraphs the chunk vectors were embedded without
    meta["n_chunks"] = n_chunks
    ts = timestamp(article.published_at)
    if ts is not None:
        meta["published_ts"] = ts
    return meta


def left_out_of(meta: dict[str, Any]) -> set[str] | None:
    """The paragraph keys an article's vectors left out, or None for a record from before they were kept."""
    raw = meta.get("left_out")
    return None if raw is None else set(json.loads(raw))


def headline_meta(article: Article) -> dict[str, Any]:
    """What a headline vector carries for filtering when Chroma answers (source, date, article id)."""
    meta: dict[str, Any] = {"article_id": article.id, "source": article.source}
    ts = timestamp(article.published_at)
    if ts is not None:
        meta["published_ts"] = ts
    return meta


def article_from(article_id: str, meta: dict[str, Any], text: str) -> Article:
    fields = {name: str(meta.get(name) or "") for name in _ARTICLE_FIELDS}
    entities = tuple((str(k), str(n)) for k, n in json.loads(meta.get("entities") or "[]"))
    return Article(id=article_id, text=text, origins=tuple(json.loads(meta.get("origins") or "[]")),
                   entities=entities, named=bool(meta.get("named", True)), **fields)


def ts_range(f: Filters) -> tuple[int | None, int | None]:
    return timestamp(f.date_from), timestamp(f.date_to, end_of_day=True)


def window(f: Filters) -> tuple[int | None, int | None]:
    """The inferred window's bounds: dated articles outside it are left out, undated ones kept."""
    return timestamp(f.window_from), timestamp(f.window_to, end_of_day=True)


def where(filters: Filters | None) -> dict[str, Any] | None:
    """Chroma's ``where`` for a search's filters (the window is applied apart: see ``Collection.nearest``)."""
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.article_ids:
        clauses.append({"article_id": {"$in": list(filters.article_ids)}})
    clauses += ts_clauses(*ts_range(filters))
    return all_of(clauses)
