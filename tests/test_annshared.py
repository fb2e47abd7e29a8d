"""The shared ANN index across real processes: two readers and a writer on one ARCHIVE_DIR, and a writer
killed in the middle of an index update."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from archive.storage import annfile
from archive.storage.chunkindex import AnnIndex, AnnScan
from bench.crash import ROOT, environment
from tests.poollike import pool_like, queries_near, random_unit
from tests.test_annindex import _state

BATCHES = 4


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.ann_processes", *args], cwd=ROOT, env=environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_readers_see_every_commit_of_a_writer_through_one_mapping_of_the_index(tmp_path):
    folder = tmp_path / "archive"
    writer = _start("writer", str(folder), str(BATCHES))
    assert writer.stdout.readline().strip() == "committed 0", writer.stderr.read()  # the index exists
    readers = [_start("reader", str(folder), str(BATCHES)) for _ in range(2)]
    out, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    assert out.split() == [w for i in range(1, BATCHES) for w in ("committed", str(i))]
    manifest = json.loads(next(folder.glob("*.ann")).joinpath(annfile.MANIFEST).read_text())
    assert len(manifest["segments"]) == BATCHES  # one segment per ingest: nothing rebuilt whole
    for reader in readers:
        out, err = reader.communicate(timeout=300)
        assert reader.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        assert report["errors"] == [] and report["seen"] == list(range(BATCHES)), report
        assert report["ann_answers"] == report["searches"] > 0  # every search went through the ANN index
        segments = {p: n for p, n in report["mapped"].items() if "/seg-" in p and p.endswith(".faiss")}
        assert segments and set(segments.values()) == {1}, report["mapped"]  # each file mapped once
        for entry in manifest["segments"]:  # the reader maps the index the writer committed last
            assert any(p.endswith(f"{entry['name']}.faiss") for p in segments), (entry, segments)


def _kill_during_update(tmp_path, step: str):
    base = pool_like(random_unit(200, 64, seed=1), 3_000, seed=2)
    ann = AnnIndex(tmp_path / "x.ann", min_rows=1_000, nprobe=32, tail_rows=100)
    assert ann.update(_state(base))
    before = json.loads((ann.folder / annfile.MANIFEST).read_text())
    grown = np.concatenate([base, pool_like(random_unit(200, 64, seed=1), 500, seed=3)])
    np.save(tmp_path / "grown.npy", grown)
    done = subprocess.run([sys.executable, "-m", "tests.ann_processes", "killed", str(ann.folder),
                           str(tmp_path / "grown.npy"), step], cwd=ROOT, env=environment(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == -9, done.stderr  # SIGKILL, at the step asked
    return ann, before, _state(grown)


def test_a_kill_during_an_index_update_leaves_the_last_committed_index_serving(tmp_path):
    for step in ("segment", "manifest"):
        ann, before, state = _kill_during_update(tmp_path / step, step)
        assert json.loads((ann.folder / annfile.MANIFEST).read_text()) == before
        leftovers = {p.name for p in ann.folder.iterdir()} - {"manifest.json", "lock", "trained-0.faiss",
                                                               "seg-1.faiss", "seg-1.keys.npy"}
        assert leftovers, step  # the killed writer left a file no manifest names, never served
        scan = ann.index_for(state)
        assert isinstance(scan, AnnScan) and scan.view.rows == 3_000 and scan.tail == 500
        for q in queries_near(state.vectors[-500:], 20):  # the new rows are scored exactly meanwhile
            positions, scores = scan.top(q, 10, state.alive)
            exact = np.argsort(-(state.vectors @ q))[:10]
            assert len(set(positions) & set(exact)) >= 9
        assert ann.update(state)  # the next writer finishes the job and sweeps what the killed one left
        after = json.loads((ann.folder / annfile.MANIFEST).read_text())
        named = {f"{s['name']}.{kind}" for s in after["segments"] for kind in ("faiss", "keys.npy")}
        assert {p.name for p in ann.folder.iterdir()} == named | {"manifest.json", "lock", "trained-0.faiss"}
        assert ann.index_for(state).tail == 0
