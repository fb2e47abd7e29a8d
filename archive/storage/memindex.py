"""Exact in-memory search over every chunk: brute-force cosine and BM25, with filters as masks.

At 81k chunks on 2 cores, Chroma's HNSW answers an unfiltered query in ~10 ms but a date-filtered one
in ~400 ms, and SQLite FTS5 spends ~70 ms computing BM25 for every row an OR query matches. Held in
memory as arrays, the same chunks answer both in a few milliseconds, exactly (no approximate graph),
and a filter is a boolean mask that costs the same whatever it selects. At 1M chunks the vectors are
scanned as int8 first and BM25 skips most of a common word's postings, neither changing a result
(archive/storage/vectorscan.py, archive/storage/postings.py).

The index is a cache of what the archive already holds: chunk rows come from the keyword file, vectors
from Chroma. It is rebuilt from them when missing, brought up to date when any writer (this process or
another) changed them, and saved as a snapshot beside them so a restart does not re-read everything.
Nothing is ever written to the archive from here, so losing or corrupting the snapshot loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from archive.storage.chunkindex import AnnIndex, scalable
from archive.storage.keyword_schema import Row
from archive.storage.memstate import (
    MISSING_TS,
    State,
    article_index_of,
    article_terms,
    articles_ranked,
    compacted,
    filtered,
    needs_compaction,
    passing,
    ranked,
    read_snapshot,
    unit,
    write_snapshot,
)
from archive.storage.postings import K1, B, Field, top_rows
from archive.storage.vectorscan import (
    SPLIT_ROWS,
    VectorIndex,
    similarities,
    vector_index,
)
from archive.text.words import Tokenizer

__all__ = ["B", "K1", "SPLIT_ROWS", "MemoryIndex", "Tokenizer", "similarities"]

log = logging.getLogger(__name__)
_blas_limited = False


def single_threaded_blas() -> None:
    """Keep numpy's OpenBLAS to one thread, process-wide (torch's own thread pool is left alone).

    Scoring every chunk vector is a memory-bound matrix-vector product that a second thread barely
    speeds up, while OpenBLAS's idle threads spin on the same 2 cores torch needs for the query
    embedding. Measured over the RealTime QA dev questions at 81k chunks: search p50 85 -> 42 ms.
    """
    global _blas_limited
    if _blas_limited:
        return
    _blas_limited = True
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - a dependency of the pinned set
        return
    ThreadpoolController().select(internal_api="openblas").limit(limits=1)

TITLE_WEIGHT = 0.3  # a title word counts less than a body word (titles repeat on every chunk)


class MemoryIndex:
    """Every chunk's vector and BM25 postings in memory, kept in step with the archive.

    ``live_rows()`` gives (rowid, chunk_id) of every row the keyword file holds, ``new_rows(after)`` the
    rows with a larger row id, ``generation()`` a counter bumped by every insert or delete, and
    ``vectors_of(chunk_ids)`` the stored vectors from Chroma.
    """

    def __init__(
        self,
        snapshot: Path,
        generation: Callable[[], int],
        live_rows: Callable[[], dict[int, str]],
        new_rows: Callable[[int], list[Row]],
        vectors_of: Callable[[list[str]], dict[str, np.ndarray]],
        headline_vectors_of: Callable[[list[str]], dict[str, np.ndarray]] | None = None,
        ann: AnnIndex | None = None,
    ):
        self._snapshot = snapshot
        self._generation = generation
        self._live_rows = live_rows
        self._new_rows = new_rows
        self._vectors_of = vectors_of
        self._headline_vectors_of = headline_vectors_of
        self._ann = ann  # the shared ANN index above ``ann_min_chunks`` (archive/storage/chunkindex.py)
        self._tokenizer = Tokenizer()
        single_threaded_blas()
        self._state: State | None = None
        self._lock = threading.Lock()
        self._unsaved = 0
        self._compacting = False

    # ---- reading -------------------------------------------------------------------------------

    def current(self) -> State:
        """The index as of the archive's latest write (refreshing first when something changed)."""
        state = self._state
        if state is not None and state.generation == self._generation():
            return state
        with self._lock:
            state = self._state
            generation = self._generation()
            if state is None:
                state = self._load() or self._empty()
                self._state = state
            if state.generation != generation:
                self._state = state = self._refresh(state, generation)
            elif state.headlines is None and self._headline_vectors_of is not None:
                self._state = state = self._with_headlines(state, None, ())
            if self._ann is not None and not self._compacting and self._ann.due(state):
                self._compacting = True  # one background job at a time: compaction, or a segment written
                _COMPACTOR.submit(self._update_ann, state)
            if needs_compaction(state) and not self._compacting:
                # Off the query path: this search and those until it is done scan the dead rows too.
                self._compacting = True
                _COMPACTOR.submit(self._compact, state)
            if self._unsaved > max(1000, len(state) // 10):
                self._save(state)
            return state

    def _compact(self, state: State) -> None:
        """Swap in ``state`` without its dead rows, unless a refresh replaced it meanwhile (then the next
        ``current()`` starts again from the newer state)."""
        try:
            smaller = compacted(state)
        except Exception:  # noqa: BLE001 - searching the uncompacted index is still right
            log.exception("could not compact the in-memory index")
            smaller = None
        with self._lock:
            self._compacting = False
            if smaller is not None and self._state is state:
                self._state = smaller
                self._unsaved += len(smaller) + 1  # the snapshot is rewritten without them
                if self._unsaved > max(1000, len(smaller) // 10):
                    self._save(smaller)

    def _update_ann(self, state: State) -> None:
        try:
            self._ann.update(state)
        except Exception:  # noqa: BLE001 - the exact scan and the old index still answer
            log.exception("could not update the vector index")
        finally:
            with self._lock:
                self._compacting = False

    def wait_for_compaction(self) -> None:
        """Return once a compaction started by ``current()`` has finished (tests, and before exiting)."""
        _COMPACTOR.submit(lambda: None).result()

    def mask(
        self,
        state: State,
        sources: Sequence[str] = (),
        ts_range: tuple[int | None, int | None] = (None, None),
        article_ids: Sequence[str] = (),
        window: tuple[int | None, int | None] = (None, None),
    ) -> np.ndarray:
        """Rows that exist and pass the filters (``window``: dated rows outside it are left out, undated kept).

        Read-only, and the same array for the same filters on the same state (so it is computed once a search).
        """
        key = (tuple(sources), tuple(ts_range), tuple(article_ids), tuple(window))
        return state.derived.remembered(state.derived.masks, key, lambda: filtered(state, *key))

    def nearest(self, state: State, vector: np.ndarray, n: int, keep: np.ndarray) -> list[tuple[int, float]]:
        """(rowid, cosine) of the ``n`` rows nearest to ``vector`` among ``keep``."""
        if not len(state):
            return []
        return ranked(state.rowid, self._chunk_index(state).top(vector, n, keep))

    def _chunk_index(self, state: State) -> VectorIndex:
        """The state's vector index (exact, or int8-first above ``vectorscan.QUANTIZED_ROWS``), built once."""
        scan, ann = state.scan, self._ann
        if scan is None or scan.vectors is not state.vectors or (ann is not None and not ann.current()):
            with state.derived.lock:
                if state.scan is None or state.scan.vectors is not state.vectors or (ann and not ann.current()):
                    state.scan = ann.index_for(state, state.scan) if ann else vector_index(state.vectors)
                scan = state.scan
        return scan

    def _term_ids(self, state: State, words: Sequence[str]) -> list[int]:
        terms = dict.fromkeys(self._tokenizer.terms(self._tokenizer.words(" ".join(words))))
        return [state.vocab[t] for t in terms if t in state.vocab]

    def bm25(self, state: State, words: Sequence[str], n: int, keep: np.ndarray) -> list[tuple[int, float]]:
        """(rowid, BM25) of the ``n`` best rows for the query words among ``keep`` (body + 0.3 title)."""
        ids = self._term_ids(state, words)
        if not ids or not len(state):
            return []
        lists = state.body.lists(ids, state.alive, 1.0) + state.title.lists(ids, state.alive, TITLE_WEIGHT)
        return ranked(state.rowid, top_rows(lists, keep, n, len(state)))

    def article_vectors(self, state: State) -> tuple[np.ndarray, np.ndarray]:
        """Each article's normalised mean chunk vector, and which articles have any live chunk (cached per state)."""
        if state.article_cache is None:
            sums = np.zeros((len(state.article_ids), state.vectors.shape[1]), dtype=np.float32)
            rows = np.flatnonzero(state.alive)
            if len(rows):
                rows = rows[np.argsort(state.article[rows], kind="stable")]
                owners = state.article[rows]
                starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
                sums[owners[starts]] = np.add.reduceat(state.vectors[rows], starts, axis=0)
            norms = np.linalg.norm(sums, axis=1)
            present = norms > 0
            sums[present] /= norms[present, None]
            state.article_cache = (sums, present)
        return state.article_cache

    def nearest_headlines(self, state: State, vector: np.ndarray, n: int, keep: np.ndarray) -> list[tuple[str, float]]:
        """(article id, cosine) of the ``n`` articles whose headline is nearest to ``vector``, among the rows ``keep`` passes."""
        if state.headlines is None or not len(state.headlines) or not state.headlines.shape[1]:
            return []
        index = article_index_of(state, "headlines", state.headlines)
        return articles_ranked(state, index.top(vector, n, passing(state, keep) & state.has_headline))

    def nearest_articles(self, state: State, vector: np.ndarray, n: int, keep: np.ndarray) -> list[tuple[str, float]]:
        """(article id, cosine) of the ``n`` articles whose mean chunk vector is nearest, among the rows ``keep`` passes."""
        vectors, present = self.article_vectors(state)
        index = article_index_of(state, "articles", vectors)
        return articles_ranked(state, index.top(vector, n, passing(state, keep) & present))

    def article_bm25(self, state: State, words: Sequence[str], n: int, keep: np.ndarray) -> list[tuple[str, float]]:
        """(article id, BM25) of the ``n`` best whole articles for the query words, among the rows ``keep`` passes.

        A chunk is one passage; a news question often names the event in one paragraph and the detail it
        asks about in another. Scored over the whole article (title and body, as a classic article search
        engine would), an article that holds all the question's words wins over one passage that holds
        half of them.
        """
        ids = self._term_ids(state, words)
        if not ids or not len(state):
            return []
        body, title, present = article_terms(state)
        lists = body.lists(ids, present, 1.0) + title.lists(ids, present, 1.0)  # an article's title counts once
        found = top_rows(lists, passing(state, keep) & present, n, len(state.article_ids))
        return articles_ranked(state, found)

    # ---- keeping in step ---------------------------------------------------------------------------

    def _empty(self) -> State:
        empty_field = Field.empty()
        return State(
            -1, np.zeros(0, np.int64), [], np.zeros(0, np.int32), [], np.zeros(0, np.int64),
            np.zeros(0, np.int32), [], np.zeros((0, 0), np.float32), np.zeros(0, bool), {}, empty_field, empty_field,
        )

    def _refresh(self, state: State, generation: int) -> State:
        """Mark removed rows dead and append the rows written since ``state``."""
        live = self._live_rows()
        alive = np.fromiter(
            (live.get(int(r)) == c for r, c in zip(state.rowid, state.chunk_id)), dtype=bool, count=len(state)
        ) if len(state) else np.zeros(0, bool)
        known = {int(r) for r, ok in zip(state.rowid, alive) if ok}
        missing = set(live) - known
        fresh = [r for r in self._new_rows(min(missing) - 1) if r.rowid in missing] if missing else []
        if not fresh and np.array_equal(alive, state.alive):
            # Only metadata changed (or headlines were backfilled): fetch the headlines still missing.
            return self._with_headlines(replace(state, generation=generation, article_cache=None, article_terms_cache=None), state, ())
        vectors = self._vectors_of([r.chunk_id for r in fresh]) if fresh else {}
        fresh = [r for r in fresh if r.chunk_id in vectors]  # a row whose vector is gone is being deleted
        self._unsaved += len(fresh) + int((state.alive & ~alive).sum())
        return self._with_headlines(self._extend(state, alive, fresh, vectors, generation), state, {r.article_id for r in fresh})

    def _with_headlines(self, state: State, previous: State | None, changed) -> State:
        """``state`` with headline vectors: kept from ``previous``, fetched for changed or missing articles."""
        if self._headline_vectors_of is None:
            return state
        n = len(state.article_ids)
        dim = state.vectors.shape[1] if state.vectors.ndim == 2 and state.vectors.shape[1] else 0
        old = previous is not None and previous.headlines is not None and previous.headlines.shape[1] == dim
        kept = len(previous.article_ids) if old else 0
        has = np.zeros(n, bool)
        if old:
            has[:kept] = previous.has_headline
        live = np.zeros(n, bool)
        live[state.article[state.alive]] = True
        need = [state.article_ids[i] for i in np.flatnonzero(live & ~has)]
        need += [a for a in changed if has[state.article_index[a]]]
        fetched = self._headline_vectors_of(need) if need and dim else {}
        if old and kept == n and not fetched:  # nothing new: share the previous arrays (never written to)
            return replace(state, headlines=previous.headlines, has_headline=previous.has_headline)
        headlines = np.zeros((n, dim), np.float32)
        if old:
            headlines[:kept] = previous.headlines
        for article_id, vector in fetched.items():
            i = state.article_index[article_id]
            headlines[i], has[i] = unit(vector[None, :])[0], True
        self._unsaved += len(fetched)
        return replace(state, headlines=headlines, has_headline=has)

    def _extend(self, state: State, alive: np.ndarray, fresh: list[Row], vectors: dict[str, np.ndarray], generation: int) -> State:
        tok = self._tokenizer
        vocab = dict(state.vocab)
        article_ids, sources = list(state.article_ids), list(state.sources)
        a_index, s_index = dict(state.article_index), dict(state.source_index)
        body_triples, title_triples = [state.body.triples()], [state.title.triples()]
        body_len, title_len = [state.body.length], [state.title.length]
        base = len(state)
        new_article, new_source, new_ts = [], [], []
        for offset, row in enumerate(fresh):
            for text, triples, lengths in ((row.body, body_triples, body_len), (row.title, title_triples, title_len)):
                words = tok.words(text)
                counts = Counter(tok.terms(words))
                ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in counts), dtype=np.int32, count=len(counts))
                triples.append((ids, np.full(len(ids), base + offset, np.int32), np.fromiter(counts.values(), np.float32, len(counts))))
                lengths.append(np.asarray([len(words)], np.float32))
            new_article.append(a_index.setdefault(row.article_id, len(a_index)))
            new_source.append(s_index.setdefault(row.source or "", len(s_index)))
            new_ts.append(MISSING_TS if row.ts is None else int(row.ts))
        article_ids = list(a_index)
        sources = list(s_index)

        def field_of(triples, lengths) -> Field:
            joined = tuple(np.concatenate([t[i] for t in triples]) for i in range(3))
            return Field.build(joined, len(vocab), np.concatenate(lengths))

        dim = len(next(iter(vectors.values()))) if vectors else state.vectors.shape[1]
        old_vectors = state.vectors if len(state) else np.zeros((0, dim), np.float32)
        new_vectors = np.asarray([vectors[r.chunk_id] for r in fresh], dtype=np.float32).reshape(-1, dim)
        all_vectors = np.concatenate([old_vectors, unit(new_vectors)])
        # Rows are only appended: an index already built takes the new rows (its int8 scales are kept).
        scan = vector_index(all_vectors, state.scan) if state.scan is not None and not scalable(state.scan) else None
        return State(
            generation,
            np.concatenate([state.rowid, np.asarray([r.rowid for r in fresh], np.int64)]),
            state.chunk_id + [r.chunk_id for r in fresh],
            np.concatenate([state.article, np.asarray(new_article, np.int32)]),
            article_ids,
            np.concatenate([state.ts, np.asarray(new_ts, np.int64)]),
            np.concatenate([state.source, np.asarray(new_source, np.int32)]),
            sources,
            all_vectors,
            np.concatenate([alive, np.ones(len(fresh), bool)]),
            vocab,
            field_of(body_triples, body_len),
            field_of(title_triples, title_len),
            scan=scan,
        )

    # ---- snapshot ----------------------------------------------------------------------------------

    def _save(self, state: State) -> None:
        """Write the index to the snapshot file (a read-only archive folder still searches; it just rebuilds
        next time)."""
        try:
            write_snapshot(self._snapshot, state)
            self._unsaved = 0
        except OSError as e:
            log.warning("could not save the search snapshot %s: %s", self._snapshot, e)

    def save(self) -> None:
        """Bring the index up to date and write its snapshot (after an ingest, for the next process).

        Dead rows are dropped here and now: an ingest pays for it, not the next search.
        """
        self.current()
        with self._lock:
            state = self._state
            if state is not None and needs_compaction(state):
                self._state = state = compacted(state)
                self._unsaved += len(state) + 1
            if state is not None and self._unsaved:
                self._save(state)
        if state is not None and self._ann is not None and self._ann.large(state):
            self.wait_for_compaction()  # a segment being written in the background, then the rows it left
            self._ann.update(state, wait_s=60)  # the rows this ingest added, as one segment of the shared index

    def _load(self) -> State | None:
        if not self._snapshot.exists():
            self._unsaved = 1  # whatever gets built is worth saving
            return None
        try:
            return read_snapshot(self._snapshot)
        except Exception as e:  # noqa: BLE001 - a damaged cache is rebuilt, never trusted
            log.warning("ignoring the damaged search snapshot %s: %s", self._snapshot, e)
            return None


_COMPACTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memindex-compact")


