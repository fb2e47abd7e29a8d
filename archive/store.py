"""The only module that imports chromadb: articles and chunks, written so a failure loses nothing.

Two collections share a name prefix that encodes the embedding model and chunk settings:
``<index>-chunks`` (one vector per chunk) and ``<index>-articles`` (full text, metadata and the
article's mean chunk vector, used later for story detection).

Chunk ids carry the article's content hash (``{article_id}:{hash12}:{index}``), so a new version's
chunks are written beside the old ones; the article record (which names the current hash) is the
commit point; the old version's chunks are deleted last. A crash at any step leaves either the old or
the new version readable, and the leftovers are swept by ``recover()``.
"""

from __future__ import annotations

import json
from dataclasses import replace
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from archive.embedding import mean_vector
from archive.errors import StoreError
from archive.furniture import paragraph_keys
from archive.keyword import KeywordIndex, ParsedQuery
from archive.memindex import MemoryIndex
from archive.settings import Settings
from archive.types import Article, Chunk, ChunkMatch, Filters

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb  # noqa: E402  (telemetry must be off before the import)
from chromadb.config import Settings as ChromaSettings  # noqa: E402

HASH_PREFIX = 12
JOURNAL = "ingest.journal"
ARTICLE_CACHE_SIZE = 200_000  # article metadata kept between searches (changed articles are dropped)
ARTICLE_PREFETCH = 50_000  # up to this many articles, the first search reads all their metadata at once


def timestamp(iso: str, end_of_day: bool = False) -> int | None:
    """Seconds since the epoch for an ISO date or datetime (UTC when no zone is given)."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if end_of_day and len(iso) == 10:
        moment = moment.replace(hour=23, minute=59, second=59)
    return int(moment.timestamp())


def make_client(settings: Settings):
    """Embedded Chroma in ``settings.dir``, or a Chroma server when ``chroma_url`` is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        settings.dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.dir / "chroma"), settings=chroma_settings)
    except Exception as e:
        where = settings.chroma_url or settings.dir
        raise StoreError(f"could not open the Chroma store at {where}: {e}") from e


class ChromaStore:
    """Articles and chunks in Chroma, converted to typed records at this boundary."""

    def __init__(self, settings: Settings, index_name: str, client=None):
        self.settings = settings
        self.index_name = index_name
        self._client = client or make_client(settings)
        self._journal = settings.dir / f"{index_name}.{JOURNAL}"
        space = {"hnsw": {"space": "cosine"}}
        try:
            self.chunks = self._client.get_or_create_collection(
                f"{index_name}-chunks", configuration=space, embedding_function=None
            )
            self.articles = self._client.get_or_create_collection(
                f"{index_name}-articles", configuration=space, embedding_function=None
            )
            # One vector per article for its headline (its title, or its first sentence when it has none).
            self.headlines = self._client.get_or_create_collection(
                f"{index_name}-headlines", configuration=space, embedding_function=None
            )
        except Exception as e:
            raise StoreError(f"could not open collections {index_name!r}: {e}") from e
        self._batch = max(1, min(self._client.get_max_batch_size(), 5000))
        self._chunk_count: int | None = None
        self._article_count: int | None = None
        self._article_cache: tuple[int, dict[str, Article]] = (-1, {})
        self.keywords = KeywordIndex(settings.dir / f"{index_name}.keywords.sqlite")
        if self.keywords.count() == 0 and self.chunks.count() > 0:
            self._rebuild_keywords()
            # What the chunk vectors left out is not known here: the next ingest records it again. Nor
            # whether Chroma's articles carry the copies marker: the next check backfills it if not.
            self.keywords.forget_paragraphs()
            self.keywords.clear_flag("copies")
        self.memory = MemoryIndex(
            settings.dir / f"{index_name}.memory.npz", self.keywords.generation, self.keywords.live_rows,
            self.keywords.new_rows, self.vectors_of, self.headline_vectors_of,
        )

    def _in_memory(self):
        """The in-memory index's current state, or None when the archive is too large for it (or it is off)."""
        limit = self.settings.memory_index_max_chunks
        if limit <= 0:
            return None
        if self._chunk_count is None:
            self._chunk_count = self.chunks.count()
        return self.memory.current() if self._chunk_count <= limit else None

    def _mask(self, state, f: Filters):
        """The in-memory rows that pass ``f``."""
        return self.memory.mask(state, f.sources, _ts_range(f), f.article_ids, window=_window(f))

    def vectors_of(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id (those Chroma no longer holds are absent)."""
        return self._stored_vectors(self.chunks, chunk_ids)

    def chunk_vectors(self, article: Article, chunks: Sequence[Chunk]) -> dict[int, np.ndarray]:
        """The stored vectors of an article's chunks of its current version, by chunk index."""
        ids = {_chunk_id(article, c): c.index for c in chunks}
        return {ids[cid]: v for cid, v in self.vectors_of(list(ids)).items()}

    def headline_vectors_of(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored headline vectors by article id (articles without one are absent)."""
        return self._stored_vectors(self.headlines, article_ids)

    def _stored_vectors(self, collection, ids: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for part in _parts(list(ids), self._batch):
            res = collection.get(ids=part, include=["embeddings"])
            out.update(zip(res["ids"], np.asarray(res["embeddings"], dtype=np.float32)))
        return out

    def articles_missing_headlines(self) -> list[Article]:
        """Articles (with text) that have no headline vector: from before headlines existed, or an interrupted write."""
        if self.headlines.count() >= self.articles.count():
            return []
        have = set(self._all_ids(self.headlines))
        missing = [a for a in self._all_ids(self.articles) if a not in have]
        return list(self.get_articles(missing).values())

    def _all_ids(self, collection, page: int = 5000) -> list[str]:
        ids: list[str] = []
        while True:
            res = collection.get(include=[], limit=page, offset=len(ids))
            ids += res["ids"]
            if len(res["ids"]) < page:
                return ids

    def set_headline_vectors(self, articles: Sequence[Article], vectors: np.ndarray) -> None:
        """Store headline vectors for articles already in the archive (a backfill)."""
        if not len(articles):
            return
        self._upsert(self.headlines, [a.id for a in articles], list(vectors), [_headline_meta(a) for a in articles])
        self.keywords.touch([a.id for a in articles])  # readers' in-memory indexes fetch them

    def paragraph_counts(self, keys: Collection[str], leave_out: Collection[str] = ()) -> dict[str, int]:
        """How many stored articles (other than ``leave_out``) hold each paragraph (archive/furniture.py)."""
        return self.keywords.paragraph_counts(keys, leave_out)

    def misfurnished(self, min_articles: int) -> list[str]:
        """Ids of articles whose chunk vectors were embedded with other furniture left out than now.

        An archive from before paragraph rows existed gets them first (nothing was left out then).
        """
        if not self.keywords.has_flag("paragraphs"):
            ids = self._all_ids(self.articles)
            for part in _parts(ids, 500):
                articles = self.get_articles(part)
                self.keywords.backfill_paragraphs(_paragraph_rows((a, ()) for a in articles.values()))
            self.keywords.set_flag("paragraphs")
        return self.keywords.misfurnished(min_articles)

    def left_out(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The paragraph keys each article's stored chunk vectors were embedded without."""
        return self.keywords.left_out(article_ids)

    def save_memory_index(self) -> None:
        """Write the in-memory index's snapshot, so the next process starts without rebuilding it."""
        if self._in_memory() is not None:
            self.memory.save()

    # ---- reading -------------------------------------------------------------------------------

    def count_articles(self) -> int:
        return self.articles.count()

    def count_chunks(self) -> int:
        return self.chunks.count()

    def get_articles(self, ids: Sequence[str], with_text: bool = True) -> dict[str, Article]:
        """Articles by id; unknown ids are left out.

        Without text, articles come from a cache: a search reads ~100 candidates' metadata, which cost
        12-45 ms a query from Chroma. Every write, from any process, bumps the archive's generation and
        logs the articles it changed; the cache drops just those when the generation moves.
        """
        if not with_text:
            return self._cached_articles(ids)
        return self._fetch_articles(ids, ["metadatas", "documents"])

    def _fetch_articles(self, ids: Sequence[str], include: list[str]) -> dict[str, Article]:
        found: dict[str, Article] = {}
        for part in _parts(list(dict.fromkeys(ids)), self._batch):
            res = self.articles.get(ids=part, include=include)
            docs = res.get("documents") or [""] * len(res["ids"])
            for aid, meta, doc in zip(res["ids"], res["metadatas"], docs):
                found[aid] = _article_from(aid, meta, doc or "")
        return found

    def _cached_articles(self, ids: Sequence[str]) -> dict[str, Article]:
        generation = self.keywords.generation()
        cached_at, known = self._article_cache
        if cached_at != generation:
            if cached_at < 0 or len(known) > ARTICLE_CACHE_SIZE:
                known = self._all_articles()
            else:  # drop only what changed since (the change log names every article any process rewrote)
                for article_id in self.keywords.changed_since(cached_at):
                    known.pop(article_id, None)
            self._article_cache = (generation, known)
        missing = [a for a in ids if a not in known]
        if missing:
            known.update(self._fetch_articles(missing, ["metadatas"]))
        return {a: known[a] for a in ids if a in known}

    def _all_articles(self) -> dict[str, Article]:
        """Every article's metadata when the archive is small enough to hold it (the first search pays once)."""
        if self.count_articles() > ARTICLE_PREFETCH:
            return {}
        return {a.id: a for a in self.iter_articles()}

    def find_by_hash(self, hashes: Sequence[str]) -> dict[str, str]:
        """content_hash -> id of the article stored with that exact content."""
        found: dict[str, str] = {}
        for part in _parts(list(dict.fromkeys(hashes)), 500):
            res = self.articles.get(where={"content_hash": {"$in": part}}, include=["metadatas"])
            for aid, meta in zip(res["ids"], res["metadatas"]):
                found.setdefault(meta["content_hash"], aid)
        return found

    def iter_articles(self, page: int = 1000) -> Iterator[Article]:
        """Every article's metadata (without text), in pages."""
        offset = 0
        while True:
            res = self.articles.get(include=["metadatas"], limit=page, offset=offset)
            for aid, meta in zip(res["ids"], res["metadatas"]):
                yield _article_from(aid, meta, "")
            if len(res["ids"]) < page:
                return
            offset += page

    def chunks_of(self, article_id: str, article: Article | None = None) -> list[Chunk]:
        """The stored chunks of an article's current version, in order (``article``: already read, with text)."""
        article = article or self.get_articles([article_id]).get(article_id)
        if article is None:
            return []
        res = self.chunks.get(where={"article_id": article_id}, include=["metadatas"])
        version = article.content_hash[:HASH_PREFIX]
        chunks = [_chunk_from(meta, article.text) for meta in res["metadatas"] if meta["hash"] == version]
        return sorted(chunks, key=lambda c: c.index)

    def query_chunks(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[ChunkMatch]:
        """The ``n`` chunks nearest to ``vector`` that pass ``filters``."""
        if self._chunk_count is None:  # counted once, then kept up to date by writes (a count costs ~10 ms)
            self._chunk_count = self.chunks.count()
        total = self._chunk_count
        if total == 0:
            return []
        state = self._in_memory()
        if state is not None:
            f = filters or Filters()
            keep = self._mask(state, f)
            return self.keywords.matches(self.memory.nearest(state, vector, n, keep))
        f = filters or Filters()
        try:
            kept = _nearest(self.chunks, vector, n, total, _where(f), None, _window(f))
        except Exception as e:
            raise StoreError(f"vector query failed: {e}") from e
        ids, metas, distances = [c for c, _, _ in kept], [m for _, m, _ in kept], [d for _, _, d in kept]
        texts = self.keywords.texts(ids)
        missing = {m["article_id"] for cid, m in zip(ids, metas) if cid not in texts}
        articles = self.get_articles(list(missing)) if missing else {}
        matches = []
        for cid, meta, dist in zip(ids, metas, distances):
            if cid in texts:
                chunk = Chunk(meta["article_id"], int(meta["index"]), texts[cid], int(meta["start"]), int(meta["end"]))
            elif meta["article_id"] in articles:  # keyword file lost: the article text at the span is the chunk
                chunk = _chunk_from(meta, articles[meta["article_id"]].text)
            else:
                continue
            matches.append(ChunkMatch(chunk, 1.0 - float(dist), meta["hash"]))
        return matches

    def query_articles(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(id, cosine) of the ``n`` articles whose mean chunk vector is nearest to ``vector``, passing ``filters``."""
        total = self.articles.count() if self._article_count is None else self._article_count
        self._article_count = total
        if total == 0:
            return []
        f = filters or Filters()
        state = self._in_memory()
        if state is not None:
            rows = self._mask(state, f)
            return self.memory.nearest_articles(state, vector, n, rows)
        return self._query_whole(self.articles, vector, n, total, f)

    def _query_whole(self, collection, vector: np.ndarray, n: int, total: int, f: Filters) -> list[tuple[str, float]]:
        """(id, cosine) from a collection of one vector per article (mean chunk vectors, headlines)."""
        try:
            found = _nearest(collection, vector, n, total, _where(replace(f, article_ids=())),
                             list(f.article_ids) or None, _window(f))
        except Exception:  # noqa: BLE001 - an optional signal: search goes on without it
            return []
        return [(aid, 1.0 - float(d)) for aid, _, d in found]


    def any_dated_between(self, date_from: str, date_to: str) -> bool:
        """Whether any stored article is dated within the two ISO dates (inclusive; "" is open)."""
        low, high = timestamp(date_from), timestamp(date_to, end_of_day=True)
        if low is None and high is None:
            low = -(2**62)  # any date at all
        state = self._in_memory()
        if state is not None:
            return bool(self.memory.mask(state, ts_range=(low, high)).any())
        try:
            return bool(self.articles.get(where=_all_of(_ts_clauses(low, high)), limit=1, include=[])["ids"])
        except Exception as e:
            raise StoreError(f"could not read publication dates: {e}") from e

    def query_headlines(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(id, cosine) of the ``n`` articles whose headline vector is nearest to ``vector``, passing ``filters``."""
        f = filters or Filters()
        state = self._in_memory()
        if state is not None:
            rows = self._mask(state, f)
            return self.memory.nearest_headlines(state, vector, n, rows)
        total = self.headlines.count()
        if total == 0:
            return []
        return self._query_whole(self.headlines, vector, n, total, f)

    def similar_articles(self, vector: np.ndarray, n: int, min_similarity: float) -> list[tuple[Article, float]]:
        """Articles (with text) whose mean chunk vector is nearest to ``vector``, most similar first."""
        total = self.articles.count()
        if total == 0:
            return []
        res = self.articles.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=min(n, total),
            include=["metadatas", "documents", "distances"],
        )
        return [
            (_article_from(aid, meta, doc or ""), 1.0 - float(dist))
            for aid, meta, doc, dist in zip(res["ids"][0], res["metadatas"][0], res["documents"][0], res["distances"][0])
            if 1.0 - float(dist) >= min_similarity
        ]

    def article_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Each article's stored vector (its normalised mean chunk vector) by id."""
        return self._stored_vectors(self.articles, ids)

    def set_story_ids(self, stories: dict[str, str]) -> None:
        """Move articles to other stories (article id -> story id)."""
        for part in _parts(list(stories), self._batch):
            res = self.articles.get(ids=part, include=["metadatas"])
            metas = [dict(meta, story_id=stories[aid]) for aid, meta in zip(res["ids"], res["metadatas"])]
            if metas:
                self.articles.update(ids=list(res["ids"]), metadatas=metas)
            self.keywords.touch(part)

    def story_members(self, story_id: str) -> list[str]:
        """Ids of the articles of one story."""
        res = self.articles.get(where={"story_id": story_id}, include=[])
        return list(res["ids"])

    def articles_naming(self, names: Sequence[str]) -> list[str]:
        """Ids of the articles that name every one of ``names`` (people, organisations, places)."""
        return self.keywords.articles_naming(names)

    def entity_counts(self, article_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """kind -> name -> how many of the given articles name it, most named first."""
        return self.keywords.entity_counts(article_ids)

    def keyword_chunks(self, query: ParsedQuery, n: int, filters: Filters | None = None) -> list[ChunkMatch]:
        """The ``n`` chunks that best match the query's words by BM25, passing ``filters``."""
        f = filters or Filters()
        if not query.phrases:  # phrases need FTS5's positions; free words are scored in memory
            state = self._in_memory()
            if state is not None:
                keep = self._mask(state, f)
                return self.keywords.matches(self.memory.bm25(state, query.words, n, keep))
        return self.keywords.search(query, n, f.sources, _ts_range(f), f.article_ids, window=_window(f))

    def first_chunks(self, article_ids: Sequence[str]) -> dict[str, ChunkMatch]:
        """Each article's first chunk, by id (score 0): the passage shown for an article no chunk ranking found."""
        return self.keywords.first_chunks(list(dict.fromkeys(article_ids)))

    def keyword_articles(self, query: ParsedQuery, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(id, BM25) of the ``n`` whole articles that best match the query's words, passing ``filters``.

        Computed by the in-memory index only; above its size limit this signal is left out (empty list).
        """
        state = self._in_memory()
        if state is None or not query.words:
            return []
        f = filters or Filters()
        keep = self._mask(state, f)
        return self.memory.article_bm25(state, query.words, n, keep)

    # ---- writing -------------------------------------------------------------------------------

    def write(
        self,
        batch: Sequence[tuple[Article, list[Chunk], np.ndarray]],
        replaces: Collection[str] = (),
        headlines: Mapping[str, np.ndarray] | None = None,
        furniture: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """Store new versions of articles with their chunk vectors; old versions survive any failure.

        ``replaces`` names the articles that already had a version, whose old chunks are then removed.
        ``headlines`` gives articles' headline vectors, written before the keyword rows so that a reader
        that sees an article's new rows finds its headline too. ``furniture`` gives the paragraph keys
        each article's chunk vectors were embedded without (archive/furniture.py); they are recorded
        with the keyword rows, so that the next ingest knows which articles to embed again.
        """
        if not batch:
            return
        self._write_journal([a.id for a, _, _ in batch])
        self.keywords.touch([a.id for a, _, _ in batch])
        self._chunk_count = self._article_count = None
        ids, vectors, metas, keyword_rows = [], [], [], []
        for article, chunks, chunk_vectors in batch:
            version, ts = article.content_hash[:HASH_PREFIX], timestamp(article.published_at)
            for chunk, vector in zip(chunks, chunk_vectors):
                ids.append(_chunk_id(article, chunk))
                vectors.append(vector)
                metas.append(_chunk_meta(article, chunk))
                keyword_rows.append((ids[-1], version, chunk, article.title, article.source, ts))
        self._upsert(self.chunks, ids, vectors, metas)
        with_headline = [a for a, _, _ in batch if headlines and a.id in headlines]
        if with_headline:
            self._upsert(self.headlines, [a.id for a in with_headline], [headlines[a.id] for a in with_headline],
                         [_headline_meta(a) for a in with_headline])
        self.keywords.add(keyword_rows, _entity_rows(a for a, _, _ in batch), _paragraph_rows(
            (a, (furniture or {}).get(a.id, ())) for a, _, _ in batch))
        self._upsert(
            self.articles,
            [a.id for a, _, _ in batch],
            [mean_vector(v) for _, _, v in batch],
            [_article_meta(a, len(c)) for a, c, _ in batch],
            [a.text for a, _, _ in batch],
        )
        self.keywords.touch([a.id for a, _, _ in batch])  # readers that cached the old metadata mid-write read it again
        for article, _, _ in batch:
            if article.id in replaces:
                self._delete_stale_chunks(article.id, article.content_hash)
        self._close_journal([a.id for a, _, _ in batch])

    def add_origin(self, article_id: str, origin: str) -> None:
        """Record one more origin under which an article's exact content was seen."""
        res = self.articles.get(ids=[article_id], include=["metadatas"])
        if not res["ids"]:
            return
        meta = dict(res["metadatas"][0])
        origins = json.loads(meta.get("origins") or "[]")
        if origin not in origins:
            meta["origins"] = json.dumps(origins + [origin])
            meta["has_copies"] = True
            self.articles.update(ids=[article_id], metadatas=[meta])
            self.keywords.touch([article_id])

    def set_origins(self, article_id: str, origins: Sequence[str]) -> None:
        """Replace an article's list of origins (the first becomes its primary origin)."""
        res = self.articles.get(ids=[article_id], include=["metadatas"])
        if res["ids"] and origins:
            meta = dict(res["metadatas"][0], origin=origins[0], origins=json.dumps(list(origins)),
                        has_copies=len(origins) > 1)
            self.articles.update(ids=[article_id], metadatas=[meta])
            self.keywords.touch([article_id])

    def articles_with_copies(self) -> list[Article]:
        """Articles recorded under more than one origin (the same content found in several places).

        Archives from before the ``has_copies`` marker get it first, once.
        """
        if not self.keywords.has_flag("copies"):
            for article in self.iter_articles():
                if len(article.origins) > 1:
                    self.set_origins(article.id, article.origins)
            self.keywords.set_flag("copies")
        found: list[Article] = []
        offset = 0
        while True:
            res = self.articles.get(where={"has_copies": True}, include=["metadatas"], limit=1000, offset=offset)
            found += [_article_from(aid, meta, "") for aid, meta in zip(res["ids"], res["metadatas"])]
            if len(res["ids"]) < 1000:
                return found
            offset += 1000

    def delete_articles(self, ids: Sequence[str]) -> None:
        """Remove articles and all their chunks (chunks first, so no chunk outlives its article)."""
        self._chunk_count = self._article_count = None
        for part in _parts(list(ids), 100):
            self.chunks.delete(where={"article_id": {"$in": part}})
            for article_id in part:
                self.keywords.delete_stale(article_id, "")
            self.articles.delete(ids=part)
            self.headlines.delete(ids=part)
            self.keywords.touch(part)

    def recover(self) -> int:
        """Sweep chunks left by an interrupted write; returns how many articles were checked."""
        if not self._journal.exists():
            return 0
        try:
            ids = json.loads(self._journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            ids = [a.id for a in self.iter_articles()]
        current = self.get_articles(ids, with_text=False)
        # A headline written for a version that was not committed is dropped; the next ingest embeds
        # the committed version's headline again (articles_missing_headlines).
        self.headlines.delete(ids=list(ids))
        for aid in ids:
            if aid in current:
                self._delete_stale_chunks(aid, current[aid].content_hash)
            else:
                self.chunks.delete(where={"article_id": aid})
                self.keywords.delete_stale(aid, "")
        self.keywords.touch(ids)  # a reader may have cached metadata the interrupted write had changed
        self._journal.unlink(missing_ok=True)
        return len(ids)

    def _delete_stale_chunks(self, article_id: str, content_hash: str) -> None:
        self._chunk_count = None
        self.chunks.delete(
            where={"$and": [{"article_id": article_id}, {"hash": {"$ne": content_hash[:HASH_PREFIX]}}]}
        )
        self.keywords.delete_stale(article_id, content_hash[:HASH_PREFIX])

    def _rebuild_keywords(self, page: int = 2000) -> None:
        """Fill an empty keyword index from the chunks Chroma holds (an archive from before it existed)."""
        offset = 0
        while True:
            res = self.chunks.get(include=["metadatas"], limit=page, offset=offset)
            rows = []
            texts = self.get_articles(list({m["article_id"] for m in res["metadatas"]}))
            for cid, meta in zip(res["ids"], res["metadatas"]):
                article = texts.get(meta["article_id"])
                if article is not None and article.content_hash.startswith(meta["hash"]):
                    ts = timestamp(article.published_at)
                    rows.append((cid, meta["hash"], _chunk_from(meta, article.text), article.title, article.source, ts))
            self.keywords.add(rows, _entity_rows(texts.values()))
            if len(res["ids"]) < page:
                return
            offset += page

    def _write_journal(self, ids: list[str]) -> None:
        """Name ``ids`` in the journal of writes in progress (beside any a failed write left there)."""
        self._set_journal(self._journal_ids() | set(ids))

    def _close_journal(self, ids: list[str]) -> None:
        """A write of ``ids`` completed: only the articles of writes that failed stay for the next sweep."""
        self._set_journal(self._journal_ids() - set(ids))

    def _journal_ids(self) -> set[str]:
        if not self._journal.exists():
            return set()
        try:
            return set(json.loads(self._journal.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return set()

    def _set_journal(self, ids: set[str]) -> None:
        if not ids:
            self._journal.unlink(missing_ok=True)
            return
        self._journal.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._journal.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted(ids)), encoding="utf-8")
        os.replace(tmp, self._journal)

    def _upsert(self, collection, ids, vectors, metas, docs=None) -> None:
        for start in range(0, len(ids), self._batch):
            end = start + self._batch
            try:
                collection.upsert(
                    ids=ids[start:end],
                    embeddings=np.asarray(vectors[start:end], dtype=np.float32),
                    metadatas=metas[start:end],
                    documents=docs[start:end] if docs is not None else None,
                )
            except Exception as e:
                raise StoreError(f"writing to {collection.name} failed: {e}") from e


def _parts(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _chunk_id(article: Article, chunk: Chunk) -> str:
    return f"{article.id}:{article.content_hash[:HASH_PREFIX]}:{chunk.index}"


def _chunk_meta(article: Article, chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "article_id": article.id,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "hash": article.content_hash[:HASH_PREFIX],
        "source": article.source,
    }
    ts = timestamp(article.published_at)
    if ts is not None:
        meta["published_ts"] = ts
    return meta


def _chunk_from(meta: dict[str, Any], article_text: str) -> Chunk:
    start, end = int(meta["start"]), int(meta["end"])
    return Chunk(meta["article_id"], int(meta["index"]), article_text[start:end], start, end)


_ARTICLE_FIELDS = ("title", "content_hash", "origin", "source", "url", "author", "published_at", "ingested_at", "story_id")


def _paragraph_rows(articles) -> list[tuple[str, str, str, bool]]:
    return [(a.id, a.content_hash[:HASH_PREFIX], key, key in left_out)
            for a, left_out in articles for key in paragraph_keys(a.text)]


def _entity_rows(articles) -> list[tuple[str, str, str, str]]:
    return [(a.id, a.content_hash[:HASH_PREFIX], kind, name) for a in articles for kind, name in a.entities]


def _article_meta(article: Article, n_chunks: int) -> dict[str, Any]:
    meta: dict[str, Any] = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
    origins = list(article.origins or (article.origin,))
    meta["origins"] = json.dumps(origins)
    meta["has_copies"] = len(origins) > 1  # findable: an ingest checks such articles' other origins
    meta["entities"] = json.dumps([list(e) for e in article.entities])
    meta["n_chunks"] = n_chunks
    ts = timestamp(article.published_at)
    if ts is not None:
        meta["published_ts"] = ts
    return meta


def _headline_meta(article: Article) -> dict[str, Any]:
    """What a headline vector carries for filtering when Chroma answers (source, date, article id)."""
    meta: dict[str, Any] = {"article_id": article.id, "source": article.source}
    ts = timestamp(article.published_at)
    if ts is not None:
        meta["published_ts"] = ts
    return meta


def _article_from(article_id: str, meta: dict[str, Any], text: str) -> Article:
    fields = {name: str(meta.get(name) or "") for name in _ARTICLE_FIELDS}
    entities = tuple((str(k), str(n)) for k, n in json.loads(meta.get("entities") or "[]"))
    return Article(id=article_id, text=text, origins=tuple(json.loads(meta.get("origins") or "[]")),
                   entities=entities, **fields)


def _ts_range(f: Filters) -> tuple[int | None, int | None]:
    return timestamp(f.date_from), timestamp(f.date_to, end_of_day=True)


def _window(f: Filters) -> tuple[int | None, int | None]:
    """The inferred window's bounds: dated articles outside it are left out, undated ones kept."""
    return timestamp(f.window_from), timestamp(f.window_to, end_of_day=True)


def _nearest(collection, vector: np.ndarray, n: int, total: int, where, ids, window) -> list[tuple[str, dict, float]]:
    """(id, metadata, distance) of the ``n`` nearest rows passing ``where``, ``ids`` and the inferred window.

    Chroma cannot match a missing key, so a window takes two queries: the dated rows inside it (Chroma
    filters them, exactly), and the nearest rows at all, of which the undated ones are kept."""
    def nearest(clause, count: int) -> list[tuple[str, dict, float]]:
        res = collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
                               n_results=min(count, total), where=clause, ids=ids, include=["metadatas", "distances"])
        return list(zip(res["ids"][0], [m or {} for m in res["metadatas"][0]], res["distances"][0]))

    if window == (None, None):
        return nearest(where, n)
    dated = nearest(_all_of(([where] if where else []) + _ts_clauses(*window)), n)
    undated = [row for row in nearest(where, n) if "published_ts" not in row[1]]
    return sorted(dated + undated, key=lambda row: row[2])[:n]


def _where(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.article_ids:
        clauses.append({"article_id": {"$in": list(filters.article_ids)}})
    clauses += _ts_clauses(*_ts_range(filters))
    return _all_of(clauses)


def _ts_clauses(low: int | None, high: int | None) -> list[dict[str, Any]]:
    """Chroma clauses for a published timestamp range (either end open)."""
    return ([{"published_ts": {"$gte": low}}] if low is not None else []) + (
        [{"published_ts": {"$lte": high}}] if high is not None else [])


def _all_of(clauses: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One Chroma ``where`` requiring every clause (None for none)."""
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def store_location(settings: Settings) -> str:
    """Where the archive lives, for messages and stats."""
    return settings.chroma_url or str(Path(settings.dir) / "chroma")
