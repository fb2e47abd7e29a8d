"""Helpers shared by the benchmarks: the evaluation data, timing, and writing docs/benchmarks.md."""

from __future__ import annotations

import gzip
import json
import os
import re
import resource
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ARCHIVE_SHARED_DIR", ROOT.parent / "shared"))
REALTIMEQA = SHARED / "eval" / "realtimeqa"
BENCH_DOC = ROOT / "docs" / "benchmarks.md"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(ROOT))


# ARCHIVE_BENCH_POOL_SAMPLE=N: the pool benches use every gold article of the dev questions plus a fixed
# sample of N others instead of all 7,504 (a build of the whole pool takes an hour or more on 2 cores). Figures
# on a sample compare with each other, not with figures on the whole pool.
POOL_SAMPLE = int(os.environ.get("ARCHIVE_BENCH_POOL_SAMPLE", "0") or 0)


def pool_records(limit: int | None = None, sample: int | None = None) -> Iterator[dict]:
    """The RealTime QA article pool, read from ../shared (never copied into the project): its first ``limit``
    records, or (``sample``, by default ``POOL_SAMPLE``) the dev questions' gold articles and ``sample`` others."""
    sample = POOL_SAMPLE if sample is None and limit is None else sample
    keep = _sampled(sample) if sample else None
    with gzip.open(REALTIMEQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                return
            if keep is None or i in keep:
                yield json.loads(line)


def _sampled(others: int) -> set[int]:
    """Line numbers of the gold articles and a seeded sample of ``others`` more (the same every run)."""
    import random

    gold = {d for line in (REALTIMEQA / "dev.jsonl").open(encoding="utf-8") for d in json.loads(line)["gold_doc_ids"]}
    with gzip.open(REALTIMEQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        ids = [json.loads(line)["doc_id"] for line in f]
    golden = {i for i, d in enumerate(ids) if d in gold}
    rest = sorted(set(range(len(ids))) - golden)
    return golden | set(random.Random(7504).sample(rest, min(others, len(rest))))


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section between <!-- bench:NAME --> markers in docs/benchmarks.md."""
    BENCH_DOC.parent.mkdir(parents=True, exist_ok=True)
    doc = BENCH_DOC.read_text(encoding="utf-8") if BENCH_DOC.exists() else "# Benchmarks\n\n"
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    doc = pattern.sub(lambda _: block, doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + block + "\n"
    BENCH_DOC.write_text(doc, encoding="utf-8")


def machine() -> str:
    """The CPU this run measured on, and the precision the embedder resolved to (results depend on both)."""
    import platform

    from archive.models.embedding import resolve_precision

    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from archive import Settings

    return (f"{model}, {os.cpu_count()} cores, embedding precision {resolve_precision('auto')}, "
            f"query encoder {Settings().query_encoder}")

