"""The in-memory index's state: one immutable snapshot of every chunk's row, vector and postings, the masks
filters make of it, its compaction, and its snapshot file (``write_snapshot``, ``read_snapshot``).

A ``State`` is never changed once a query can see it: a refresh builds the next one and swaps it in, so a
query runs on one consistent state without locks."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from archive.storage.postings import Field
from archive.storage.vectorscan import VectorIndex, vector_index

SNAPSHOT_VERSION = 1


class Derived:
    """What one state's searches share: its filter masks, the articles they pass, the article-level indexes."""

    LIMIT = 32  # masks remembered per state (a search asks for the same one five times)

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.masks: dict[tuple, np.ndarray] = {}
        self.passing: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(keep) -> (keep, articles passing)
        self.indexes: dict[str, VectorIndex] = {}

    def remembered(self, table: dict, key, make):
        """``table[key]``, made (outside the lock) and kept when missing; the table is emptied when full."""
        found = table.get(key)
        if found is None:
            found = make()
            with self.lock:
                if len(table) >= self.LIMIT:
                    table.clear()
                table[key] = found
        return found


@dataclass
class State:
    """One immutable generation of the index; a refresh builds a new one and swaps it in."""

    generation: int
    rowid: np.ndarray  # int64 keyword-file row ids
    chunk_id: list[str]
    article: np.ndarray  # int32 index into article_ids
    article_ids: list[str]
    ts: np.ndarray  # int64 published timestamp, or MISSING_TS
    source: np.ndarray  # int32 index into sources
    sources: list[str]
    vectors: np.ndarray  # float32 (n, dim), unit length
    alive: np.ndarray  # bool: the row still exists in the keyword file
    vocab: dict[str, int]
    body: Field
    title: Field
    article_index: dict[str, int] = field(default_factory=dict)
    source_index: dict[str, int] = field(default_factory=dict)
    article_cache: tuple[np.ndarray, np.ndarray] | None = None
    article_terms_cache: tuple[Field, Field, np.ndarray] | None = None
    headlines: np.ndarray | None = None  # float32 (len(article_ids), dim), unit length; None until filled
    has_headline: np.ndarray | None = None  # bool per article
    scan: VectorIndex | None = None  # over ``vectors`` (checked by identity); built when first needed
    derived: Derived = field(default_factory=Derived, init=False, repr=False)  # fresh per state

    def __post_init__(self) -> None:
        self.article_index = {a: i for i, a in enumerate(self.article_ids)}
        self.source_index = {s: i for i, s in enumerate(self.sources)}

    def __len__(self) -> int:
        return len(self.rowid)


MISSING_TS = np.iinfo(np.int64).min


def filtered(state: State, sources, ts_range, article_ids, window) -> np.ndarray:
    """The rows of ``state`` that exist and pass the filters, as a read-only mask."""
    keep = state.alive.copy()
    if sources:
        wanted = [state.source_index[s] for s in sources if s in state.source_index]
        keep &= np.isin(state.source, np.asarray(wanted, dtype=np.int32))
    if article_ids:
        wanted = [state.article_index[a] for a in article_ids if a in state.article_index]
        keep &= np.isin(state.article, np.asarray(wanted, dtype=np.int32))
    low, high = ts_range
    if low is not None or high is not None:
        keep &= state.ts != MISSING_TS
        if low is not None:
            keep &= state.ts >= low
        if high is not None:
            keep &= state.ts <= high
    low, high = window
    if low is not None or high is not None:
        inside = np.ones(len(keep), dtype=bool)
        if low is not None:
            inside &= state.ts >= low
        if high is not None:
            inside &= state.ts <= high
        keep &= inside | (state.ts == MISSING_TS)
    keep.flags.writeable = False
    return keep


DEAD_SHARE = 10  # rows of replaced or deleted chunks are dropped once they are a tenth of the index


def needs_compaction(state: State) -> bool:
    return (len(state) - int(state.alive.sum())) * DEAD_SHARE > len(state)


def compacted(state: State) -> State:
    """``state`` without its dead rows (chunks replaced or deleted since they were read).

    Every search scans every row and BM25 counts dead rows' postings in its document frequencies, so
    rows left by updates cost time and skew scores until they are dropped; an archive whose articles
    were all embedded again once would scan twice the vectors it holds.
    """
    keep = np.flatnonzero(state.alive)
    position = np.full(len(state), -1, dtype=np.int64)
    position[keep] = np.arange(len(keep))

    def field_of(f: Field) -> Field:
        term, row, tf = f.triples()
        live = state.alive[row]
        return Field.build((term[live], position[row[live]], tf[live]), len(f.indptr) - 1, f.length[keep])

    vectors = np.ascontiguousarray(state.vectors[keep])
    return replace(
        state, rowid=state.rowid[keep], chunk_id=[state.chunk_id[i] for i in keep], article=state.article[keep],
        ts=state.ts[keep], source=state.source[keep], vectors=vectors,
        alive=np.ones(len(keep), bool), body=field_of(state.body), title=field_of(state.title),
        article_cache=None, article_terms_cache=None,
        # Fitted again (off the query path: compaction runs in the background); the ANN index places the rows anew.
        scan=None if getattr(state.scan, "scalable", False) else vector_index(vectors),
    )


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


def passing(state: State, keep: np.ndarray) -> np.ndarray:
    """Articles with a row ``keep`` passes (remembered for the masks ``mask`` hands out)."""
    def make():
        passing = np.zeros(len(state.article_ids), bool)
        passing[state.article[keep]] = True
        return keep, passing
    return state.derived.remembered(state.derived.passing, id(keep), make)[1]


def article_index_of(state: State, name: str, vectors: np.ndarray) -> VectorIndex:
    """A vector index over one of the state's per-article matrices, built once per matrix."""
    index = state.derived.indexes.get(name)
    if index is None or index.vectors is not vectors:
        index = state.derived.indexes[name] = vector_index(vectors)
    return index


def article_terms(state: State) -> tuple[Field, Field, np.ndarray]:
    """Postings per article (its live chunks' terms added up; the title once), cached per state.

    Neighbouring chunks share up to ``chunk_overlap`` characters, so a word in an overlap counts
    twice: a small bias towards long articles that BM25's length normalisation mostly absorbs.
    """
    if state.article_terms_cache is None:
        n_articles, n_terms = len(state.article_ids), len(state.vocab)
        live = np.flatnonzero(state.alive)
        owners = state.article[live]
        fields = []
        for chunk_field, combine in ((state.body, "sum"), (state.title, "once")):
            term, row, tf = chunk_field.triples()
            kept = state.alive[row]
            term, row, tf = term[kept], row[kept], tf[kept]
            key = term.astype(np.int64) * n_articles + state.article[row]
            if combine == "sum":
                keys, inverse = np.unique(key, return_inverse=True)
                tf = np.bincount(inverse, weights=tf, minlength=len(keys))
                length = np.bincount(owners, weights=chunk_field.length[live], minlength=n_articles)
            else:
                keys, first = np.unique(key, return_index=True)
                tf = tf[first]
                length = np.zeros(n_articles, np.float32)
                length[owners] = chunk_field.length[live]
            fields.append(Field.build(
                ((keys // n_articles).astype(np.int64), (keys % n_articles).astype(np.int32), tf), n_terms, length,
            ))
        present = np.zeros(n_articles, bool)
        present[owners] = True
        state.article_terms_cache = (fields[0], fields[1], present)
    return state.article_terms_cache


def ranked(rowid: np.ndarray, found: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, float]]:
    """(rowid, score) pairs of the positions and scores a ranking found."""
    positions, scores = found
    return [(int(rowid[i]), float(v)) for i, v in zip(positions, scores)]


def articles_ranked(state: State, found: tuple[np.ndarray, np.ndarray]) -> list[tuple[str, float]]:
    """(article id, score) pairs of the article positions and scores a ranking found."""
    positions, scores = found
    return [(state.article_ids[i], float(v)) for i, v in zip(positions, scores)]


def write_snapshot(path: Path, state: State) -> None:
    """Write ``state`` to ``path`` atomically (a reader sees the old file or the new one)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(
                f,
                version=np.asarray(SNAPSHOT_VERSION), generation=np.asarray(state.generation),
                rowid=state.rowid, chunk_id=np.asarray(state.chunk_id, dtype=str),
                article=state.article, article_ids=np.asarray(state.article_ids, dtype=str), ts=state.ts,
                source=state.source, sources=np.asarray(state.sources, dtype=str), vectors=state.vectors,
                alive=state.alive, vocab=np.asarray(list(state.vocab), dtype=str),
                **({"headlines": state.headlines, "has_headline": state.has_headline}
                   if state.headlines is not None else {}),
                **{f"{name}_{part}": getattr(getattr(state, name), part)
                   for name in ("body", "title") for part in ("indptr", "rows", "tf", "length")},
            )
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def read_snapshot(path: Path) -> State | None:
    """The state saved at ``path``; None when it was written by another snapshot version."""
    with np.load(path, allow_pickle=False) as z:
        if int(z["version"]) != SNAPSHOT_VERSION:
            return None
        fields = {
            name: Field(*(z[f"{name}_{part}"] for part in ("indptr", "rows", "tf", "length")))
            for name in ("body", "title")
        }
        headlines = (z["headlines"], z["has_headline"]) if "headlines" in z.files else (None, None)
        return State(
            int(z["generation"]), z["rowid"], z["chunk_id"].tolist(), z["article"], z["article_ids"].tolist(),
            z["ts"], z["source"], z["sources"].tolist(), z["vectors"], z["alive"],
            {t: i for i, t in enumerate(z["vocab"].tolist())}, fields["body"], fields["title"],
            headlines=headlines[0], has_headline=headlines[1],
        )
