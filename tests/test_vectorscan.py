"""The int8-first vector scan: exactly the float32 scan's top rows, on its own and inside the in-memory index."""

from __future__ import annotations

import numpy as np
import pytest

from archive.storage import vectorscan
from archive.storage.keyword import KeywordIndex
from archive.storage.memindex import MemoryIndex
from archive.storage.vectorscan import ExactScan, QuantizedScan, vector_index
from archive.types import Chunk


def _clustered(rows: int, dim: int = 48, clusters: int = 12, spread: float = 0.02, seed: int = 0) -> np.ndarray:
    """Unit vectors in tight clusters: many rows score within the int8 rounding of each other."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    v = centres[rng.integers(0, clusters, rows)] + spread * rng.standard_normal((rows, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _exact_top(vectors, query, n, keep=None) -> list[int]:
    scores = (vectors.astype(np.float64) @ query.astype(np.float64))
    if keep is not None:
        scores[~keep] = -np.inf
    order = np.argsort(-scores, kind="stable")[:n]
    return [int(i) for i in order if np.isfinite(scores[i])]


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(vectorscan, "QUANTIZED_ROWS", 500)


def _queries(vectors, count, seed=1):
    """Queries near stored rows (the hard case: their neighbours are close together) and random ones."""
    rng = np.random.default_rng(seed)
    near = vectors[rng.integers(0, len(vectors), count)] + 0.01 * rng.standard_normal((count, vectors.shape[1]))
    far = rng.standard_normal((count, vectors.shape[1]))
    q = np.concatenate([near, far]).astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def test_int8_scan_returns_the_exact_top_rows_of_clustered_vectors(small_threshold):
    vectors = _clustered(5000)
    index = vector_index(vectors)
    assert isinstance(index, QuantizedScan)
    for query in _queries(vectors, 40):
        positions, scores = index.top(query, 10, None)
        assert list(positions) == _exact_top(vectors, query, 10)
        assert np.allclose(scores, vectors[positions] @ query, atol=1e-6)


def test_int8_scan_rescoring_few_rows(small_threshold, monkeypatch):
    """The bound is tight enough to be worth it: on 384-d random vectors (no clusters, as in bench/scale.py)
    a small share of the rows is scored again in float32."""
    rng = np.random.default_rng(9)
    vectors = rng.standard_normal((20_000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = vector_index(vectors)
    rescored = []
    real_best = vectorscan.best
    monkeypatch.setattr(vectorscan, "best", lambda scores, keep, n, floor: rescored.append(len(scores)) or real_best(scores, keep, n, floor))
    for query in _queries(vectors, 10):
        index.top(query, 10, None)
    # at most 1 row in 40 (465 of 20,000 measured): the query is quantized to ±64, not ±127, so that the
    # integer products are exact without VNNI too, and its rounding widens the bound by about 40%
    assert max(rescored) < len(vectors) // 40


@pytest.mark.parametrize("share", [0.5, 0.03, 0.0005])
def test_filtered_int8_scans_equal_exact_ones(small_threshold, share):
    """A filter is exact whether it keeps most rows (masked int8 scan), few (float32 scan of those) or under n."""
    vectors = _clustered(5000, seed=2)
    keep = np.random.default_rng(3).random(len(vectors)) < share
    index = vector_index(vectors)
    for query in _queries(vectors, 10, seed=4):
        positions, _ = index.top(query, 10, keep)
        assert list(positions) == _exact_top(vectors, query, 10, keep)
        assert keep[positions].all()


def test_below_the_threshold_the_scan_is_plain_float32():
    assert isinstance(vector_index(_clustered(100)), ExactScan)


def test_appended_rows_keep_the_scales_and_stay_exact(small_threshold):
    vectors = _clustered(3000, seed=5)
    first = vector_index(vectors)
    more = np.concatenate([vectors, _clustered(400, seed=6)])
    second = vector_index(more, first)
    assert isinstance(second, QuantizedScan) and second.scales is first.scales
    for query in _queries(more, 10, seed=7):
        assert list(second.top(query, 10, None)[0]) == _exact_top(more, query, 10)


def test_an_appended_row_outside_the_scales_widens_the_bound(small_threshold):
    """A new row with a component beyond what the scales were fitted on is clipped, and the bound says so."""
    vectors = _clustered(3000, seed=8)
    first = vector_index(vectors)
    odd = np.zeros((1, vectors.shape[1]), np.float32)
    odd[0, 0] = 1.0
    second = first.extended(np.concatenate([vectors, odd]))
    assert second.max_residual > first.max_residual
    query = odd[0]
    assert second.top(query, 1, None)[0][0] == len(vectors)


# ---- inside the in-memory index ------------------------------------------------------------------


class _Vectors:
    """Clustered unit vectors per chunk id, with chosen ones for named chunks."""

    def __init__(self, dim=16):
        self.dim, self.chosen = dim, {}

    def __call__(self, chunk_ids):
        return {c: self.chosen.get(c, self._vector(c)) for c in chunk_ids}

    def _vector(self, chunk_id):
        rng = np.random.default_rng(int(chunk_id.split(":")[0][1:]) * 31 + int(chunk_id.rsplit(":", 1)[1]))
        v = np.ones(self.dim) * (int(chunk_id.split(":")[0][1:]) % 5 - 2) + 0.3 * rng.standard_normal(self.dim)
        return (v / np.linalg.norm(v)).astype(np.float32)


def _add(kw: KeywordIndex, first: int, count: int, chunks: int = 4) -> None:
    rows = []
    for a in range(first, first + count):
        for i in range(chunks):
            text = f"report {a} part {i}"
            rows.append((f"a{a}:v1:{i}", "v1", Chunk(f"a{a}", i, text, 0, len(text)), "", f"s{a % 3}", 1000 + a))
    kw.add(rows)


@pytest.fixture
def archive_parts(tmp_path, small_threshold):
    kw = KeywordIndex(tmp_path / "kw.sqlite")
    _add(kw, 0, 200)  # 800 chunks: above the (lowered) threshold
    vectors = _Vectors()
    memory = MemoryIndex(tmp_path / "m.npz", kw.generation, kw.live_rows, kw.new_rows, vectors)
    return kw, vectors, memory


def _nearest_ids(memory, state, query, n=10, **filters):
    rowids = [r for r, _ in memory.nearest(state, query, n, memory.mask(state, **filters))]
    by_rowid = dict(zip(state.rowid.tolist(), state.chunk_id))
    return [by_rowid[r] for r in rowids]


def _exact_ids(state, query, n=10, keep=None):
    return [state.chunk_id[i] for i in _exact_top(state.vectors, query, n, keep)]


def test_memory_index_uses_the_int8_scan_and_stays_exact(archive_parts):
    kw, vectors, memory = archive_parts
    state = memory.current()
    query = vectors(["a7:v1:2"])["a7:v1:2"]
    assert _nearest_ids(memory, state, query) == _exact_ids(state, query)
    assert isinstance(state.scan, QuantizedScan)
    keep = memory.mask(state, sources=["s1"], ts_range=(1050, 1150))
    assert _nearest_ids(memory, state, query, sources=["s1"], ts_range=(1050, 1150)) == _exact_ids(state, query, keep=keep)


def test_a_new_chunk_is_found_by_the_next_search(archive_parts):
    kw, vectors, memory = archive_parts
    before = memory.current()
    memory.nearest(before, np.ones(16, np.float32) / 4, 5, memory.mask(before))  # builds the int8 index
    target = np.zeros(16, np.float32)
    target[3] = 1.0
    vectors.chosen["a500:v1:1"] = target
    _add(kw, 500, 1)
    after = memory.current()
    assert after is not before and isinstance(after.scan, QuantizedScan)
    assert after.scan.scales is before.scan.scales  # extended, not fitted again
    assert _nearest_ids(memory, after, target, n=1) == ["a500:v1:1"]
    assert _nearest_ids(memory, after, target) == _exact_ids(after, target)


def test_snapshot_round_trip_rebuilds_the_int8_index(archive_parts, tmp_path):
    kw, vectors, memory = archive_parts
    state = memory.current()
    query = vectors(["a11:v1:0"])["a11:v1:0"]
    want = _nearest_ids(memory, state, query)
    memory.save()
    reopened = MemoryIndex(tmp_path / "m.npz", kw.generation, kw.live_rows, kw.new_rows, _Vectors())
    loaded = reopened.current()
    assert _nearest_ids(reopened, loaded, query) == want
    assert isinstance(loaded.scan, QuantizedScan)


def test_masks_are_shared_within_a_state_and_read_only(archive_parts):
    kw, vectors, memory = archive_parts
    state = memory.current()
    keep = memory.mask(state, sources=["s2"])
    assert memory.mask(state, sources=["s2"]) is keep
    assert not keep.flags.writeable
    _add(kw, 600, 1)
    newer = memory.current()
    assert memory.mask(newer, sources=["s0"]).sum() == memory.mask(state, sources=["s0"]).sum() + 4
