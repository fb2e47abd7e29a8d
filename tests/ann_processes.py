"""Test-only processes around the shared ANN index: ``python -m tests.ann_processes writer|reader|killed ...``.

- ``writer DIR BATCHES``: one process ingesting batch after batch into DIR (the hashing embedder), printing
  ``committed i`` after each;
- ``reader DIR BATCHES``: searches until it has found every batch's chunks through the ANN index (each
  search checks it is the ANN index that answered), then prints one JSON line: errors, and how many
  times each index file is mapped into this process (/proc/self/maps);
- ``killed FOLDER VECTORS STEP``: updates the ANN index in FOLDER from the saved vectors and SIGKILLs
  itself at STEP (``segment``: a segment file half written; ``manifest``: segments written, manifest not).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

import numpy as np

WORDS = ["harbour", "strike", "ferry", "council", "budget", "storm", "court", "election", "vaccine", "rail"]


def batch_records(i: int, per_batch: int = 6) -> list[dict]:
    """Batch ``i``'s articles: each names the batch's own word, so a search finds exactly them."""
    return [{"id": f"b{i}-{j}", "title": f"Report {i}-{j}", "source": f"Source {j % 3}",
             "text": f"The {WORDS[j % len(WORDS)]} story number {j} of batch{i}word. Officials met on the "
                     f"{WORDS[(i + j) % len(WORDS)]} question and said batch{i}word again."}
            for j in range(per_batch)]


def _archive(folder: str):
    from archive import Archive, Settings
    from tests.fakes import HashingEmbedder

    return Archive(Settings(dir=Path(folder), ann_min_chunks=1, entities=False), embedder=HashingEmbedder())


def writer(folder: str, batches: int) -> None:
    archive = _archive(folder)
    for i in range(batches):
        path = Path(folder).parent / f"batch{i}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in batch_records(i)), encoding="utf-8")
        report = archive.ingest([str(path)])
        assert report.added == len(batch_records(i)) and not report.failed, report
        print(f"committed {i}", flush=True)
        time.sleep(0.3)  # readers search between commits, and across them


def mapped_files() -> dict[str, int]:
    """How many mappings of each ANN index file this process holds."""
    lines = Path("/proc/self/maps").read_text().splitlines()
    return dict(Counter(line.split()[-1] for line in lines if ".ann/" in line))


def reader(folder: str, batches: int, timeout_s: float = 120) -> None:
    from archive.storage.chunkindex import AnnScan
    from archive.types import Filters
    from tests.fakes import HashingEmbedder

    archive, embedder = _archive(folder), HashingEmbedder()
    seen, errors, searches, ann_answers = set(), [], 0, 0
    deadline = time.monotonic() + timeout_s
    while len(seen) < batches and time.monotonic() < deadline:
        for i in sorted(set(range(batches)) - seen):
            try:
                records = batch_records(i)
                vector = embedder.embed_query(records[0]["text"])
                found = archive.store.query_chunks(vector, 5, Filters())
                searches += 1
                memory = archive.store.memory
                ann_answers += isinstance(memory._chunk_index(memory.current()), AnnScan)
                hits = archive.search(f"batch{i}word", k=10)
                if found and found[0].chunk.article_id.endswith(f"b{i}-0") and hits:
                    seen.add(i)
            except Exception:  # noqa: BLE001 - counted and reported: the test expects none
                errors.append(traceback.format_exc(limit=3))
        time.sleep(0.05)
    print(json.dumps({"seen": sorted(seen), "errors": errors, "searches": searches, "ann_answers": ann_answers,
                      "mapped": mapped_files()}), flush=True)


def killed(folder: str, vectors: str, step: str) -> None:
    from archive.storage import annfile
    from archive.storage.chunkindex import AnnIndex
    from tests.test_annindex import _state

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if step == "manifest":
        annfile._write_manifest = die
    else:
        real_write = annfile._write_index

        def half_then_die(index, path):
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            import faiss

            faiss.write_index(index, str(tmp))
            with open(tmp, "r+b") as f:
                f.truncate(tmp.stat().st_size // 2)
            die()
            real_write(index, path)

        annfile._write_index = half_then_die
    ann = AnnIndex(Path(folder), min_rows=1_000, nprobe=32, tail_rows=100)
    ann.update(_state(np.load(vectors)))


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "writer":
        writer(args[0], int(args[1]))
    elif role == "reader":
        reader(args[0], int(args[1]))
    else:
        killed(*args)
