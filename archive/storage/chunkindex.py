"""The chunk vectors' search at every size: the exact scan for small archives, the shared ANN index above
``ann_min_chunks``, kept up to date with the in-memory index's states.

``AnnScan`` answers ``VectorIndex.top`` for one state. Rows that the index's segments hold
(archive/storage/annfile.py) are searched there, with the filter inside FAISS (a bitmap of the row ids
it passes); rows it does not hold yet (written since the last segment: the tail) are scored exactly.
The candidates of both are scored again in float32 from the state's vectors, so every score is the
exact cosine, and a row outside the filter is never returned (each candidate is checked against the
mask). A filter that keeps under 1/16 of the rows scores just those rows exactly, as the exact path does.

``AnnIndex.update`` writes the tail as a new segment (any process may; the folder's lock makes it one at a
time), trains the lists first when there are none, and rebuilds them when the archive has grown far past
what they were trained on or too many indexed rows died.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from archive.storage import annfile
from archive.storage.topn import best
from archive.storage.vectorscan import GATHER_SHARE, VectorIndex, vector_index

log = logging.getLogger(__name__)
CANDIDATES = 4  # each segment returns 4n candidates (at least MIN_CANDIDATES) for the float32 rescoring
MIN_CANDIDATES = 64
MAX_SEGMENTS = 8  # past this, the small segments are merged into the next one written
RETRAIN_GROWTH = 8  # lists trained for an archive of n rows serve up to 8n; past that they are trained again
DEAD_SHARE = 4  # rebuilt when a quarter of the indexed rows are no longer live
K_PROBE = 10
TRAIN_PER_LIST = 20  # k-means on 20 rows a list (10 rounds): lists nearly as good as FAISS's 39, trained 4x faster


@dataclass(eq=False)
class AnnScan:
    """One state's rows as the ANN index sees them: which it holds (``indexed``), and where each key lives."""

    scalable = True  # tells compaction not to build an int8 copy for it (memstate.compacted)
    vectors: np.ndarray
    view: annfile.View
    rowid: np.ndarray
    chunk_crc: np.ndarray
    indexed: np.ndarray  # bool per state position: the view holds this row (same row id, same chunk)
    keys: np.ndarray  # every row id the view holds, sorted
    key_position: np.ndarray  # the state position of each key, or -1 (a dead row's, or a reused row id's)
    nprobe: int
    _selectors: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def of(vectors, rowid, chunk_crc, view: annfile.View, nprobe: int, previous: AnnScan | None = None) -> AnnScan:
        """The scan of a state over ``view``, reusing ``previous`` for the rows it already placed."""
        if previous is not None and previous.view is view and _extends(previous, rowid):
            keys, key_position = previous.keys, previous.key_position.copy()
            start = len(previous.rowid)
            indexed = np.concatenate([previous.indexed, np.zeros(len(rowid) - start, bool)])
        else:
            keys, key_position, start = _keys(view), None, 0
            key_position = np.full(len(keys[0]), -1, np.int64)
            indexed = np.zeros(len(rowid), bool)
        if len(keys[0]) and start < len(rowid):
            at = np.minimum(np.searchsorted(keys[0], rowid[start:]), len(keys[0]) - 1)
            hit = (keys[0][at] == rowid[start:]) & (keys[1][at] == chunk_crc[start:]) & ~keys[2][at]
            indexed[start:] = hit
            key_position[at[hit]] = np.flatnonzero(hit) + start
        return AnnScan(vectors, view, rowid, chunk_crc, indexed, keys, key_position, nprobe)

    def top(self, query, n, keep):
        query = np.asarray(query, dtype=np.float32)
        if keep is None:
            keep = np.ones(len(self.vectors), bool)
        kept, tail, selector = self._plan(keep)
        if kept * GATHER_SHARE < len(self.vectors) or kept <= n or n <= 0:
            return _exact(self.vectors, query, n, np.flatnonzero(keep))
        found = self.view.search(query, max(CANDIDATES * n, MIN_CANDIDATES), self.nprobe, selector)
        at = np.minimum(np.searchsorted(self.keys[0], found[0]), len(self.keys[0]) - 1)
        positions = self.key_position[at][self.keys[0][at] == found[0]]
        positions = positions[positions >= 0]
        positions = positions[keep[positions]]  # never a row outside the filter, whatever the index returned
        return _exact(self.vectors, query, n, np.union1d(positions, tail))

    def _plan(self, keep: np.ndarray):
        """(rows kept, the kept rows no segment holds, FAISS's filter) for a mask, made once per mask (a state
        hands out one array per set of filters): the filter is a bitmap over row ids, or None when every row
        the index holds passes."""
        with self._lock:
            made = self._selectors.get(id(keep))
            if made is not None and made[0] is keep:
                return made[1:4]
        kept = int(np.count_nonzero(keep))
        inside = keep & self.indexed
        tail = np.flatnonzero(keep & ~self.indexed)
        selector = packed = None
        if kept * GATHER_SHARE >= len(self.vectors) and np.count_nonzero(inside) != len(self.keys[0]):
            import faiss

            bits = np.zeros(int(self.keys[0][-1]) + 1, bool)
            bits[self.rowid[inside]] = True
            packed = np.packbits(bits, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed))
        with self._lock:
            if len(self._selectors) > 32:
                self._selectors.clear()
            self._selectors[id(keep)] = (keep, kept, tail, selector, packed)  # packed: the bitmap FAISS reads
        return kept, tail, selector

    @property
    def tail(self) -> int:
        return len(self.indexed) - int(np.count_nonzero(self.indexed))


def scalable(scan: VectorIndex | None) -> bool:
    """Whether ``scan`` is the ANN index's (a new state places its rows anew instead of extending an int8 copy)."""
    return isinstance(scan, AnnScan)


def _exact(vectors: np.ndarray, query: np.ndarray, n: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    picked, scores = best(vectors[rows] @ query, None, n, floor=-np.inf)
    return rows[picked], scores


def _extends(previous: AnnScan, rowid: np.ndarray) -> bool:
    n = len(previous.rowid)
    return len(rowid) >= n and (n == 0 or (rowid[0] == previous.rowid[0] and rowid[n - 1] == previous.rowid[n - 1]
                                            and np.array_equal(rowid[:n], previous.rowid)))


def _keys(view: annfile.View) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row ids sorted, their chunk CRCs, whether the row id is held twice) over every segment of ``view``."""
    if not view.segments:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)
    rowids = np.concatenate([np.asarray(s.rowids) for s in view.segments])
    chunk = np.concatenate([np.asarray(s.crcs) for s in view.segments])
    order = np.argsort(rowids, kind="stable")
    rowids, chunk = rowids[order], chunk[order]
    twice = np.zeros(len(rowids), bool)
    same = np.flatnonzero(rowids[1:] == rowids[:-1])  # a reused row id in two segments: left to the exact tail
    twice[same], twice[same + 1] = True, True
    return rowids, chunk, twice


class AnnIndex:
    """The ANN index of one archive folder, for the in-memory index of a store (one per store, files shared)."""

    def __init__(self, folder: Path, min_rows: int, nprobe: int, tail_rows: int):
        self.folder, self.min_rows, self.nprobe, self.tail_rows = folder, min_rows, nprobe, tail_rows
        self._crcs: tuple[list, np.ndarray] | None = None  # (chunk_id list, its CRCs) of the last state seen
        self._last: AnnScan | None = None
        self._seen: tuple | None = None  # the manifest key when the last index was chosen
        self._crc_lock = threading.Lock()

    @staticmethod
    def of(settings, index_name: str) -> AnnIndex:
        """The index of ``index_name`` in the archive folder, with the settings' thresholds."""
        return AnnIndex(settings.dir / f"{index_name}.ann", settings.ann_min_chunks, settings.ann_nprobe,
                        settings.ann_tail_rows)

    def index_for(self, state, previous: VectorIndex | None = None) -> VectorIndex:
        """The vector index for ``state``'s chunk vectors: an ``AnnScan`` when the archive is large enough and
        the folder holds a usable index, else the exact scan."""
        live = int(np.count_nonzero(state.alive))
        self._seen = annfile.manifest_key(self.folder)
        view = annfile.open_view(self.folder, state.vectors.shape[1]) if live >= self.min_rows else None
        if view is None:
            return vector_index(state.vectors, previous if not isinstance(previous, AnnScan) else None)
        last = previous if isinstance(previous, AnnScan) else self._last
        scan = AnnScan.of(state.vectors, state.rowid, self.crcs_of(state.chunk_id), view, self.nprobe, last)
        self._last = scan
        return scan

    def current(self) -> bool:
        """Whether the folder's index is the one the last chosen index saw (another process may have written)."""
        return annfile.manifest_key(self.folder) == self._seen

    def crcs_of(self, chunk_ids: list[str]) -> np.ndarray:
        """CRC-32 of every chunk id, computed only for ids appended since the last list seen."""
        with self._crc_lock:
            old = self._crcs
            n = len(old[0]) if old else 0
            if old and len(chunk_ids) >= n and (n == 0 or chunk_ids[n - 1] is old[0][n - 1] and chunk_ids[0] is old[0][0]):
                result = np.concatenate([old[1], annfile.crcs(chunk_ids[n:])])
            else:
                result = annfile.crcs(chunk_ids)
            self._crcs = (chunk_ids, result)
            return result

    def large(self, state) -> bool:
        """Whether ``state`` holds enough live rows for the ANN index to answer."""
        return int(np.count_nonzero(state.alive)) >= self.min_rows

    def due(self, state) -> bool:
        """Whether ``update`` has work: the archive is large enough and has no usable index, or a long tail."""
        if not self.large(state):
            return False
        if annfile.open_view(self.folder, state.vectors.shape[1]) is None:
            return not self._unfit(annfile.trained_info(self.folder), state)
        return self._last is not None and self._last.tail > self.tail_rows

    def update(self, state, wait_s: float = 0) -> bool:
        """Bring the folder's index up to ``state``: write the rows it lacks as one segment (training the lists
        first when needed). Returns False when another process is writing it (waited for up to ``wait_s``)."""
        alive = np.flatnonzero(state.alive)
        if len(alive) < self.min_rows:
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(self.folder / "lock", timeout=wait_s):
                self._update(state, alive)
        except Timeout:
            return False
        except OSError as e:  # a full disk: the old index keeps serving (its manifest was never replaced)
            log.warning("could not update the vector index in %s: %s; the previous one keeps serving", self.folder, e)
            return False
        return True

    def _unfit(self, info: dict | None, state) -> bool:
        """Whether the lists were found unfit for these vectors (their probe) and the archive has not doubled since."""
        return bool(info) and info.get("probe_recall", 1.0) < annfile.MIN_RECALL and \
            int(np.count_nonzero(state.alive)) <= 2 * info["trained_rows"]

    def _update(self, state, alive: np.ndarray) -> None:
        dim = state.vectors.shape[1]
        info = annfile.trained_info(self.folder)
        if self._unfit(info, state):
            return  # the exact scan answers; trained again once the archive has doubled
        generation = getattr(state, "generation", 0)
        if info and generation < info.get("generation", -1):
            return  # a process with a newer state wrote the index: never write an older one over it
        view = annfile.open_view(self.folder, dim) if info else None
        crc = self.crcs_of(state.chunk_id)
        scan = AnnScan.of(state.vectors, state.rowid, crc, view, self.nprobe, self._last) if view else None
        live_indexed = int(np.count_nonzero(scan.indexed & state.alive)) if scan else 0
        if (scan is None or info["dim"] != dim or len(alive) > RETRAIN_GROWTH * info["trained_rows"]
                or (view.rows - live_indexed) * DEAD_SHARE > view.rows):
            self._rebuild(state, alive, crc)
            return
        new = np.flatnonzero(state.alive & ~scan.indexed)
        segments = annfile.segments_of(self.folder)
        merge = [s["name"] for s in sorted(segments, key=lambda s: s["rows"])[:-1]] if len(segments) >= MAX_SEGMENTS else []
        if len(new) or merge:
            annfile.add_segment(self.folder, state.rowid[new], crc[new], state.vectors[new], merge, generation)
            log.info("vector index: %d rows written as a segment (%d merged) in %s", len(new), len(merge), self.folder)

    def _rebuild(self, state, alive: np.ndarray, crc: np.ndarray) -> None:
        nlist = annfile.lists_for(len(alive))
        rng = np.random.default_rng(7)
        sample = alive[np.sort(rng.choice(len(alive), min(len(alive), TRAIN_PER_LIST * nlist), replace=False))]
        log.info("vector index: training %d lists on %d rows in %s", nlist, len(sample), self.folder)
        annfile.write_trained(self.folder, state.vectors[sample], nlist, len(alive))
        annfile.add_segment(self.folder, state.rowid[alive], crc[alive], state.vectors[alive],
                            generation=getattr(state, "generation", 0))
        recall = self._probe(state, alive, crc)
        annfile.set_probe(self.folder, recall)
        if recall < annfile.MIN_RECALL:
            log.warning("vector index in %s: recall@10 %.2f on a probe of its own rows; the exact scan answers",
                        self.folder, recall)

    def _probe(self, state, alive: np.ndarray, crc: np.ndarray, queries: int = 32) -> float:
        """Recall@10 of the new index against the exact scan, for queries near random live rows (IVF lists need
        clusters: random vectors, which have none, reach a fraction of it)."""
        view = annfile.open_view(self.folder, state.vectors.shape[1])
        if view is None:
            return 0.0
        scan = AnnScan.of(state.vectors, state.rowid, crc, view, self.nprobe)
        rng = np.random.default_rng(11)
        picked = state.vectors[rng.choice(alive, min(queries, len(alive)), replace=False)]
        picked = picked + rng.standard_normal(picked.shape).astype(np.float32) * 0.03
        found = wanted = 0
        for q in picked / np.linalg.norm(picked, axis=1, keepdims=True):
            exact = best(state.vectors @ q, state.alive, K_PROBE, floor=-np.inf)[0]
            found += len(set(scan.top(q, K_PROBE, state.alive)[0].tolist()) & set(exact.tolist()))
            wanted += len(exact)  # an archive of fewer than 10 rows has fewer to find
        return found / max(wanted, 1)
