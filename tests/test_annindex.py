"""The shared ANN index of chunk vectors (archive/storage/chunkindex.py, annfile.py) against the exact scan.

Its vectors are pool-like: 50k made from 200 real passages embedded by the bundled model
(tests/poollike.py), so the index meets the clusters and near-duplicates of real news.
"""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from archive.storage import annfile
from archive.storage.chunkindex import AnnIndex, AnnScan
from archive.storage.vectorscan import ExactScan
from tests.conftest import SAMPLE, SHARED
from tests.poollike import pool_like, queries_near

ROWS, K = 50_000, 10


def _real_texts(n: int = 200) -> list[str]:
    """Passages of the RealTime QA pool (or, without it, the sample's sentences): real news text."""
    corpus = SHARED / "eval" / "realtimeqa" / "corpus.jsonl.gz"
    texts: list[str] = []
    if corpus.exists():
        with gzip.open(corpus, "rt", encoding="utf-8") as f:
            for line in f:
                words = json.loads(line)["text"].split()
                texts += [" ".join(words[i:i + 40]) for i in range(0, min(len(words), 160), 40)]
                if len(texts) >= n:
                    return texts[:n]
    for path in sorted(SAMPLE.glob("*.txt")):
        texts += [s.strip() for s in path.read_text(encoding="utf-8").split(".") if len(s.split()) > 5]
    return texts[:n]


@pytest.fixture(scope="module")
def real(real_embedder) -> np.ndarray:
    return np.asarray(real_embedder.embed_documents(_real_texts()), np.float32)


def _state(vectors: np.ndarray, first_rowid: int = 1, alive=None) -> SimpleNamespace:
    n = len(vectors)
    rowid = np.arange(first_rowid, first_rowid + n, dtype=np.int64)
    return SimpleNamespace(vectors=vectors, rowid=rowid, chunk_id=[f"a{r // 10}:v1:{r % 10}" for r in rowid],
                           alive=np.ones(n, bool) if alive is None else alive)


@pytest.fixture(scope="module")
def built(real, tmp_path_factory):
    vectors = pool_like(real, ROWS, seed=3)
    state = _state(vectors)
    ann = AnnIndex(tmp_path_factory.mktemp("ann") / "x.ann", min_rows=10_000, nprobe=32, tail_rows=1_000)
    assert ann.update(state)
    return ann, state


def _exact(vectors, query, keep):
    rows = np.flatnonzero(keep)
    return set(rows[np.argsort(-(vectors[rows] @ query))[:K]].tolist())


def _recall(scan, state, queries, keep) -> float:
    found = 0
    for q in queries:
        positions, scores = scan.top(q, K, keep)
        assert keep[positions].all(), "a row outside the filter"
        np.testing.assert_allclose(scores, state.vectors[positions] @ q, rtol=1e-5, atol=1e-6)  # exact cosines
        found += len(set(positions.tolist()) & _exact(state.vectors, q, keep))
    return found / (K * len(queries))


def test_the_ann_index_finds_the_exact_top_10_of_50k_pool_like_chunks(built, real):
    ann, state = built
    scan = ann.index_for(state)
    assert isinstance(scan, AnnScan) and scan.tail == 0
    assert _recall(scan, state, queries_near(real, 100, seed=11), np.ones(ROWS, bool)) >= 0.99


@pytest.mark.parametrize("share", [2, 5, 12, 40])
def test_a_filtered_search_holds_only_rows_the_filter_keeps_and_finds_its_top_10(built, real, share):
    """1/2 .. 1/12 go through FAISS's bitmap filter; 1/40 keeps under 1/16 of the rows and is scored exactly."""
    ann, state = built
    scan = ann.index_for(state)
    keep = np.random.default_rng(share).integers(0, share, ROWS) == 0  # like a source or a date range
    assert _recall(scan, state, queries_near(real, 100, seed=share), keep) >= 0.99


def test_rows_written_after_the_last_segment_are_found_and_dead_rows_never(built, real):
    ann, state = built
    fresh = pool_like(real, 500, seed=99)
    vectors = np.concatenate([state.vectors, fresh])
    alive = np.ones(len(vectors), bool)
    alive[:5_000] = False  # replaced or deleted chunks
    later = _state(vectors, alive=alive)
    scan = ann.index_for(later)
    assert isinstance(scan, AnnScan) and scan.tail == 500
    for i in range(0, 500, 25):
        positions, _ = scan.top(fresh[i], K, later.alive)
        assert positions[0] == ROWS + i  # a new chunk is its own nearest neighbour at once
    for q in queries_near(real, 50, seed=5):
        positions, _ = scan.top(q, K, later.alive)
        assert later.alive[positions].all()


def test_a_row_id_reused_for_another_chunk_is_scored_as_the_new_chunk(built, real):
    """SQLite may give a deleted row's id to a new row: the CRC of the chunk id tells them apart."""
    ann, state = built
    moved = state.vectors.copy()
    moved[7] = -state.vectors[7]  # row id 8 now holds another chunk, pointing the other way
    reused = _state(moved)
    reused.chunk_id[7] = "other:v9:0"
    scan = ann.index_for(reused)
    assert not scan.indexed[7] and scan.tail == 1
    positions, _ = scan.top(moved[7], K, np.ones(ROWS, bool))
    assert positions[0] == 7


def test_small_archives_keep_the_exact_scan(tmp_path, real):
    ann = AnnIndex(tmp_path / "x.ann", min_rows=10_000, nprobe=32, tail_rows=1_000)
    state = _state(pool_like(real, 2_000))
    assert not ann.update(state) and not (tmp_path / "x.ann").exists()
    assert isinstance(ann.index_for(state), ExactScan)


@pytest.fixture(scope="module")
def small(real, tmp_path_factory):
    """A smaller index (12k rows) for the tests that rebuild one."""
    state = _state(pool_like(real, 12_000, seed=4))
    ann = AnnIndex(tmp_path_factory.mktemp("small") / "x.ann", min_rows=10_000, nprobe=32, tail_rows=1_000)
    assert ann.update(state)
    return ann, state


def _copy_of(built, folder: Path) -> AnnIndex:
    ann, _ = built
    import shutil

    shutil.copytree(ann.folder, folder)
    return AnnIndex(folder, ann.min_rows, ann.nprobe, ann.tail_rows)


@pytest.mark.parametrize("damage", ["truncated segment", "another format", "unreadable manifest", "missing keys"])
def test_a_damaged_index_is_never_served_and_is_rebuilt_with_a_log_line(small, tmp_path, caplog, damage):
    _, state = small
    ann = _copy_of(small, tmp_path / "x.ann")
    segment = next(ann.folder.glob("seg-*.faiss"))
    manifest = ann.folder / annfile.MANIFEST
    if damage == "truncated segment":
        segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    elif damage == "another format":
        manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"format": 0}))
    elif damage == "unreadable manifest":
        manifest.write_text("{not json")
    else:
        next(ann.folder.glob("seg-*.keys.npy")).unlink()
    with caplog.at_level(logging.WARNING, logger="archive.storage.annfile"):
        assert isinstance(ann.index_for(state), ExactScan)  # searched exactly meanwhile
    assert "not serving the vector index" in caplog.text
    assert ann.due(state) and ann.update(state)
    scan = ann.index_for(state)
    assert isinstance(scan, AnnScan) and scan.tail == 0


def test_a_disk_that_fills_during_an_update_leaves_the_old_index_serving_and_says_so(small, real, tmp_path,
                                                                                    caplog, monkeypatch):
    import errno

    _, state = small
    ann = _copy_of(small, tmp_path / "x.ann")
    before = (ann.folder / annfile.MANIFEST).read_text()
    grown = _state(np.concatenate([state.vectors, pool_like(real, 2_000, seed=8)]))

    def full(index, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(annfile, "_write_index", full)
    with caplog.at_level(logging.WARNING, logger="archive.storage.chunkindex"):
        assert not ann.update(grown)
    assert "No space left on device" in caplog.text and "the previous one keeps serving" in caplog.text
    assert (ann.folder / annfile.MANIFEST).read_text() == before
    scan = ann.index_for(grown)
    assert isinstance(scan, AnnScan) and scan.view.rows == 12_000 and scan.tail == 2_000


def test_lists_that_cannot_find_random_vectors_neighbours_are_not_served(tmp_path, caplog):
    """Vectors without clusters (random ones) defeat IVF lists: the probe at build time finds it and the exact
    scan keeps answering, without training again on every update."""
    from tests.poollike import random_unit

    state = _state(random_unit(12_000, 384, seed=2))
    ann = AnnIndex(tmp_path / "x.ann", min_rows=10_000, nprobe=8, tail_rows=1_000)
    with caplog.at_level(logging.WARNING):
        assert ann.update(state)
    assert "on a probe of its own rows" in caplog.text
    assert isinstance(ann.index_for(state), ExactScan)
    assert not ann.due(state)
    trained = json.loads((ann.folder / annfile.MANIFEST).read_text())
    assert ann.update(state) and json.loads((ann.folder / annfile.MANIFEST).read_text()) == trained


def test_the_probe_finds_pool_like_lists_fit(small):
    ann, _ = small
    assert json.loads((ann.folder / annfile.MANIFEST).read_text())["probe_recall"] >= 0.95
