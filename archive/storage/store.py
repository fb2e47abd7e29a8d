"""The store: the archive's record in Chroma and the indexes derived from it, written so a failure loses nothing.

See archive/storage/__init__.py for the protocol (what is the record, what is derived, the commit
point, how readers learn of commits, how recovery works).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Collection as Names

import numpy as np

from archive.models.embedding import mean_vector
from archive.settings import Settings
from archive.storage import derive
from archive.storage.chroma import Connection, all_of, ts_clauses
from archive.storage.chunkindex import AnnIndex
from archive.storage.feed import ChangeFeed
from archive.storage.journal import Journal
from archive.storage.keyword import KeywordIndex
from archive.storage.lease import WriterLease
from archive.storage.memindex import MemoryIndex
from archive.storage.metadata import MetadataWrites
from archive.storage.namebook import NameBook, entity_counts
from archive.storage.reads import ChromaReads, MemoryReads, Reads
from archive.storage.records import (
    HASH_PREFIX,
    Version,
    article_from,
    article_meta,
    chunk_from,
    chunk_id,
    chunk_meta,
    entity_rows,
    headline_meta,
    keyword_row,
    paragraph_rows,
    parts,
    version,
)
from archive.text.dates import timestamp
from archive.text.query import ParsedQuery
from archive.types import Article, Chunk, ChunkMatch, Filters

JOURNAL = "ingest.journal"
ARTICLE_CACHE_SIZE = 200_000  # article metadata kept between searches (changed articles are dropped)
ARTICLE_PREFETCH = 50_000  # up to this many articles, the first search reads all their metadata at once


class Store(MetadataWrites):
    """Articles and chunks in Chroma, converted to typed records at this boundary."""

    def __init__(self, settings: Settings, index_name: str):
        self.settings = settings
        self.index_name = index_name
        self.conn = Connection.to(settings)
        self._batch = self.conn.max_batch
        self.chunks = self.conn.collection(f"{index_name}-chunks")
        self.articles = self.conn.collection(f"{index_name}-articles")
        # One vector per article for its headline (its title, or its first sentence when it has none).
        self.headlines = self.conn.collection(f"{index_name}-headlines")
        self.feed = ChangeFeed(self.conn.collection(f"{index_name}-changes"), self._batch)
        self.lease = WriterLease(self.conn.collection(f"{index_name}-writer"), store_location(settings))
        self.journal = Journal(settings.dir / f"{index_name}.{JOURNAL}")
        self._chunk_count: int | None = None
        self._article_cache: tuple[int, dict[str, Article]] = (-1, {})
        self._name_book: tuple[tuple[int, int], NameBook] | None = None
        self.keywords = KeywordIndex(settings.dir / f"{index_name}.keywords.sqlite")
        self.follow_lock = threading.Lock()  # one thread follows the change feed at a time; others read on
        self.followed_at = 0.0
        self.reconciling = False  # a follow is comparing the whole archive (searches wait for it only so long)
        derive.open_derived(self)
        self.memory = MemoryIndex(
            settings.dir / f"{index_name}.memory.npz", self.keywords.generation, self.keywords.live_rows,
            self.keywords.new_rows, self.vectors_of, self.headline_vectors_of,
            AnnIndex.of(settings, index_name),
        )

    @property
    def shared_server(self) -> bool:
        """Whether other hosts may write: then this host's derived indexes follow the change feed."""
        return not self.conn.embedded

    # ---- the read path -------------------------------------------------------------------------

    def reads(self) -> Reads:
        """The read path for this search: the in-memory index while the archive fits it, else Chroma and FTS5."""
        derive.follow(self)
        if self._chunk_count is None:  # counted once, then kept up to date by writes (a count costs ~10 ms)
            self._chunk_count = self.chunks.count()
        limit = self.settings.memory_index_max_chunks
        if limit > 0 and 0 < self._chunk_count <= limit:
            return MemoryReads(self.memory, self.keywords)
        return ChromaReads(self.chunks, self.articles, self.headlines, self.keywords, self.get_articles,
                           self._chunk_count)

    def _in_memory(self):
        """The in-memory index's state when it answers searches, else None."""
        reads = self.reads()
        return reads._state if isinstance(reads, MemoryReads) else None

    def query_chunks(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[ChunkMatch]:
        """The ``n`` chunks nearest to ``vector`` that pass ``filters``."""
        return self.reads().chunks(vector, n, filters or Filters())

    def keyword_chunks(self, query: ParsedQuery, n: int, filters: Filters | None = None) -> list[ChunkMatch]:
        """The ``n`` chunks that best match the query's words by BM25, passing ``filters``."""
        return self.reads().keyword_chunks(query, n, filters or Filters())

    def query_articles(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(id, cosine) of the ``n`` articles whose mean chunk vector is nearest to ``vector``, passing ``filters``."""
        return self.reads().articles(vector, n, filters or Filters())

    def query_headlines(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(id, cosine) of the ``n`` articles whose headline vector is nearest to ``vector``, passing ``filters``."""
        return self.reads().headlines(vector, n, filters or Filters())

    def keyword_articles(self, query: ParsedQuery, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(id, BM25) of the ``n`` whole articles that best match the query's words (in-memory index only)."""
        return self.reads().keyword_articles(query, n, filters or Filters())

    def any_dated_between(self, date_from: str, date_to: str) -> bool:
        """Whether any stored article is dated within the two ISO dates (inclusive; "" is open)."""
        low, high = timestamp(date_from), timestamp(date_to, end_of_day=True)
        if low is None and high is None:
            low = -(2**62)  # any date at all
        return self.reads().any_dated(low, high)

    def first_chunks(self, article_ids: Sequence[str]) -> dict[str, ChunkMatch]:
        """Each article's first chunk, by id (score 0): the passage shown for an article no chunk ranking found."""
        return self.keywords.first_chunks(list(dict.fromkeys(article_ids)))

    def articles_naming(self, names: Sequence[str]) -> list[str]:
        """Ids of the articles that name every one of ``names`` (people, organisations, places), in any of
        the spellings the archive's name book joins to it (a surname matches the full name)."""
        derive.follow(self)
        wanted = [n for n in names if n.strip()]
        if not wanted:
            return []
        book = self.name_book()
        found = [self.keywords.articles_naming_any(book.variants_of(n)) for n in wanted]
        return sorted(set.intersection(*found))

    def entity_counts(self, article_ids: Sequence[str], per_kind: int = 15) -> dict[str, dict[str, int]]:
        """kind -> name -> how many of the given articles name it (as the name book joins spellings), most
        named first, ties by name."""
        return entity_counts(self.name_book(), self.keywords.entity_names_of(list(article_ids)), per_kind)

    def name_book(self) -> NameBook:
        """The archive's names joined across articles (archive/storage/namebook.py), rebuilt when entity rows change."""
        signature = self.keywords.entity_signature()
        cached = self._name_book
        if cached is None or cached[0] != signature:
            cached = (signature, NameBook(self.keywords.entity_table()))
            self._name_book = cached
        return cached[1]

    def name_kind_lookup(self) -> Callable[[str], str | None]:
        """The kind (person, org, place) the name book gives a name, for names looked up one by one: one book
        for all of them (checking that it is current costs a query; a lookup, a dictionary's). On a shared server
        the names other hosts found are followed first, as for ``articles_naming``."""
        derive.follow(self)
        book = self.name_book()

        def kind_of(name: str) -> str | None:
            entry = book.entry(name)
            return entry.kind if entry else None

        return kind_of

    # ---- reading the record --------------------------------------------------------------------

    def count_articles(self) -> int:
        return self.articles.count()

    def count_chunks(self) -> int:
        return self.chunks.count()

    def vectors_of(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id (those Chroma no longer holds are absent)."""
        return self.chunks.vectors(list(chunk_ids), self._batch)

    def chunk_vectors(self, article: Article, chunks: Sequence[Chunk]) -> dict[int, np.ndarray]:
        """The stored vectors of an article's chunks of its current version, by chunk index."""
        ids = {chunk_id(article, c): c.index for c in chunks}
        return {ids[cid]: v for cid, v in self.vectors_of(list(ids)).items()}

    def headline_vectors_of(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored headline vectors by article id (articles without one are absent)."""
        return self.headlines.vectors(list(article_ids), self._batch)

    def article_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Each article's stored vector (its normalised mean chunk vector) by id."""
        return self.articles.vectors(list(ids), self._batch)

    def get_articles(self, ids: Sequence[str], with_text: bool = True) -> dict[str, Article]:
        """Articles by id; unknown ids are left out.

        Without text, articles come from a cache: a search reads ~100 candidates' metadata, which cost
        12-45 ms a query from Chroma. Every write bumps the generation of this host's keyword file and
        logs the articles it changed (another host's writes, through the change feed); the cache drops
        just those when the generation moves.
        """
        if not with_text:
            return self._cached_articles(ids)
        return {a: article for a, (article, _) in self.records(ids, ["metadatas", "documents"]).items()}

    def records(self, ids: Sequence[str], include: list[str]) -> dict[str, tuple[Article, dict]]:
        """Article records by id, with their raw metadata."""
        found: dict[str, tuple[Article, dict]] = {}
        for part in parts(list(dict.fromkeys(ids)), self._batch):
            res = self.articles.get(ids=part, include=include)
            docs = res.get("documents") or [""] * len(res["ids"])
            for aid, meta, doc in zip(res["ids"], res["metadatas"], docs):
                found[aid] = (article_from(aid, meta, doc or ""), meta)
        return found

    def _cached_articles(self, ids: Sequence[str]) -> dict[str, Article]:
        derive.follow(self)
        generation = self.keywords.generation()
        cached_at, known = self._article_cache
        if cached_at != generation:
            if cached_at < 0 or len(known) > ARTICLE_CACHE_SIZE:
                known = self._all_articles()
            else:  # drop only what changed since (the change log names every article any writer changed)
                for article_id in self.keywords.changed_since(cached_at):
                    known.pop(article_id, None)
            self._article_cache = (generation, known)
        missing = [a for a in ids if a not in known]
        if missing:
            known.update({a: art for a, (art, _) in self.records(missing, ["metadatas"]).items()})
        return {a: known[a] for a in ids if a in known}

    def _all_articles(self) -> dict[str, Article]:
        """Every article's metadata when the archive is small enough to hold it (the first search pays once)."""
        if self.count_articles() > ARTICLE_PREFETCH:
            return {}
        return {a.id: a for a in self.iter_articles()}

    def find_by_hash(self, hashes: Sequence[str]) -> dict[str, str]:
        """content_hash -> id of the article stored with that exact content."""
        found: dict[str, str] = {}
        for part in parts(list(dict.fromkeys(hashes)), 500):
            res = self.articles.get(where={"content_hash": {"$in": part}}, include=["metadatas"])
            for aid, meta in zip(res["ids"], res["metadatas"]):
                found.setdefault(meta["content_hash"], aid)
        return found

    def iter_articles(self, page: int = 1000, with_meta: bool = False) -> Iterator:
        """Every article's metadata (without text), in pages (``with_meta``: as (article, raw metadata))."""
        offset = 0
        while True:
            res = self.articles.get(include=["metadatas"], limit=page, offset=offset)
            for aid, meta in zip(res["ids"], res["metadatas"]):
                article = article_from(aid, meta, "")
                yield (article, meta) if with_meta else article
            if len(res["ids"]) < page:
                return
            offset += page

    def chunks_of(self, article_id: str, article: Article | None = None) -> list[Chunk]:
        """The stored chunks of an article's current version, in order (``article``: already read, with text)."""
        article = article or self.get_articles([article_id]).get(article_id)
        if article is None:
            return []
        res = self.chunks.get(where={"$and": [{"article_id": article_id}, {"hash": version(article)}]},
                              include=["metadatas"])
        return sorted((chunk_from(meta, article.text) for meta in res["metadatas"]), key=lambda c: c.index)

    def similar_articles(self, vector: np.ndarray, n: int, min_similarity: float) -> list[tuple[Article, float]]:
        """Articles (with text) whose mean chunk vector is nearest to ``vector``, most similar first."""
        total = self.articles.count()
        if total == 0:
            return []
        res = self.articles.query(query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
                                  n_results=min(n, total), include=["metadatas", "documents", "distances"])
        return [
            (article_from(aid, meta, doc or ""), 1.0 - float(dist))
            for aid, meta, doc, dist in zip(res["ids"][0], res["metadatas"][0], res["documents"][0], res["distances"][0])
            if 1.0 - float(dist) >= min_similarity
        ]

    def story_members(self, story_id: str) -> list[str]:
        """Ids of the articles of one story."""
        return list(self.articles.get(where={"story_id": story_id}, include=[])["ids"])

    def articles_missing_headlines(self) -> list[Article]:
        """Articles (with text) that have no headline vector: from before headlines existed, or an interrupted write."""
        if self.headlines.count() >= self.articles.count():
            return []
        have = set(self.headlines.all_ids())
        missing = [a for a in self.articles.all_ids() if a not in have]
        return list(self.get_articles(missing).values())

    # ---- site furniture (archive/text/furniture.py) -------------------------------------------------

    def paragraph_counts(self, keys: Names[str], leave_out: Names[str] = ()) -> dict[str, int]:
        """How many stored articles (other than ``leave_out``) hold each paragraph (archive/text/furniture.py)."""
        return self.keywords.paragraph_counts(keys, leave_out)

    def misfurnished(self, min_articles: int) -> list[str]:
        """Ids of articles whose chunk vectors were embedded with other furniture left out than now.

        An archive from before paragraph rows existed gets them first (nothing was left out then).
        """
        if not self.keywords.has_flag("paragraphs"):
            for part in parts(self.articles.all_ids(), 500):
                self.keywords.backfill_paragraphs(paragraph_rows((a, ()) for a in self.get_articles(part).values()))
            self.keywords.set_flag("paragraphs")
        return self.keywords.misfurnished(min_articles)

    def left_out(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The paragraph keys each article's stored chunk vectors were embedded without."""
        return self.keywords.left_out(article_ids)

    def save_memory_index(self) -> None:
        """Write the in-memory index's snapshot, so the next process starts without rebuilding it."""
        if self._in_memory() is not None:
            self.memory.save()

    # ---- writing (under the archive's write lock; see archive/facade.py) ---------------------------

    def write(self, versions: Sequence[Version]) -> None:
        """Store new versions of articles with their chunk vectors; old versions survive any failure.

        Headline vectors are written before the keyword rows, so that a reader that sees an article's
        new rows finds its headline too. The paragraphs each version's vectors were embedded without
        (archive/text/furniture.py) are recorded in the article's record and with its keyword rows, so that
        the next ingest, on any host, knows which articles to embed again.
        """
        if not versions:
            return
        ids = [v.article.id for v in versions]
        self.journal.begin(ids)
        self.keywords.touch(ids)
        self._chunk_count = None
        chunk_ids, vectors, metas, rows = [], [], [], []
        for v in versions:
            for chunk, vector in zip(v.chunks, v.vectors):
                chunk_ids.append(chunk_id(v.article, chunk))
                vectors.append(vector)
                metas.append(chunk_meta(v.article, chunk))
                rows.append(keyword_row(v.article, chunk))
        self.chunks.put(chunk_ids, vectors, metas, None, self._batch)
        with_headline = [v for v in versions if v.headline is not None]
        if with_headline:
            self.headlines.put([v.article.id for v in with_headline], [v.headline for v in with_headline],
                               [headline_meta(v.article) for v in with_headline], None, self._batch)
        self.keywords.add(rows, entity_rows(v.article for v in versions),
                          paragraph_rows((v.article, v.left_out) for v in versions))
        self.articles.put(ids, [mean_vector(v.vectors) for v in versions],
                          [article_meta(v.article, len(v.chunks), v.left_out) for v in versions],
                          [v.article.text for v in versions], self._batch)  # the commit point
        self._changed(ids)  # readers that cached the old metadata mid-write read it again
        for v in versions:
            if v.replaces:
                self._delete_stale_chunks(v.article.id, v.article.content_hash)
        self.journal.end(ids)

    def _changed(self, article_ids: Sequence[str]) -> None:
        """Tell every reader these articles changed: this host's through its keyword file, other hosts' through the feed."""
        self.keywords.touch(article_ids)
        self.feed.append(article_ids)

    def set_headline_vectors(self, articles: Sequence[Article], vectors: np.ndarray) -> None:
        """Store headline vectors for articles already in the archive (a backfill)."""
        if not len(articles):
            return
        self.headlines.put([a.id for a in articles], list(vectors), [headline_meta(a) for a in articles], None,
                           self._batch)
        self._changed([a.id for a in articles])  # readers' in-memory indexes fetch them

    def delete_articles(self, ids: Sequence[str]) -> None:
        """Remove articles and all their chunks (chunks first, so no chunk outlives its article)."""
        self._chunk_count = None
        for part in parts(list(ids), 100):
            self.chunks.delete(where={"article_id": {"$in": part}})
            for article_id in part:
                self.keywords.delete_stale(article_id, "")
            self.articles.delete(ids=part)
            self.headlines.delete(ids=part)
            self._changed(part)

    def recover(self) -> int:
        """Sweep chunks left by an interrupted write; returns how many articles were checked."""
        if not self.journal.exists():
            return 0
        ids = self.journal.ids()
        ids = sorted(ids) if ids is not None else [a.id for a in self.iter_articles()]
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
        self._changed(ids)  # a reader may have cached metadata the interrupted write had changed
        self.journal.clear()
        return len(ids)

    def _delete_stale_chunks(self, article_id: str, content_hash: str) -> None:
        self._chunk_count = None
        keep = content_hash[:HASH_PREFIX]
        self.chunks.delete(where={"$and": [{"article_id": article_id}, {"hash": {"$ne": keep}}]})
        self.keywords.delete_stale(article_id, keep)


def store_location(settings: Settings) -> str:
    """Where the archive lives, for messages and stats."""
    return settings.chroma_url or str(settings.dir / "chroma")


__all__ = ["Store", "store_location", "timestamp", "all_of", "ts_clauses"]
