"""Real chunk vectors for the ANN and scale benches: pool passages and dev questions embedded once by the
bundled model, cached in bench/.cache-scale/ (never in bench/.cache, which another build owns).

    python bench/realvectors.py --chunks 4000      # embeds what is missing, prints what is cached
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import REALTIMEQA, ROOT, pool_records  # noqa: E402

CACHE = ROOT / "bench" / ".cache-scale"
PASSAGE_CHARS = 900  # about the archive's chunk size (1,000 characters with 150 of overlap)


def passages(limit: int) -> list[str]:
    """The first ``limit`` passages of the pool's articles, cut at paragraph ends near PASSAGE_CHARS."""
    out: list[str] = []
    for record in pool_records(limit=limit):
        text = " ".join(str(record.get("text") or record.get("contents") or "").split())
        for start in range(0, len(text), PASSAGE_CHARS):
            piece = text[start:start + PASSAGE_CHARS]
            if len(piece) > 200:
                out.append(piece)
        if len(out) >= limit:
            break
    return out[:limit]


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in (REALTIMEQA / "dev.jsonl").open(encoding="utf-8")]


def cached(name: str, texts_of, n: int | None = None) -> np.ndarray:
    """The cached vectors ``name`` (at least ``n`` rows), embedding and saving them when missing."""
    path = CACHE / f"{name}.npy"
    if path.exists():
        vectors = np.load(path)
        if n is None or len(vectors) >= n:
            return vectors[:n] if n else vectors
    from archive import Settings
    from archive.models.embedding import make_embedder

    texts = texts_of()
    started = time.perf_counter()
    vectors = np.asarray(make_embedder(Settings()).embed_documents(texts), dtype=np.float32)
    print(f"embedded {len(texts):,} {name} in {time.perf_counter() - started:.0f} s", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def chunk_vectors(n: int = 4000) -> np.ndarray:
    """``n`` real pool passage vectors (unit length)."""
    return cached("passages", lambda: passages(n), n)


def question_vectors() -> np.ndarray:
    """The dev questions' vectors (unit length)."""
    return cached("questions", questions)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=4000)
    args = parser.parse_args()
    print(chunk_vectors(args.chunks).shape, question_vectors().shape)
