"""Do faster document encoders find the same articles? Retrieval on RealTime QA dev, per precision.

    python bench/encoders.py --others 1000      # the dev questions' gold articles + 1,000 other pool articles

One archive per document precision (fp32 PyTorch, the reference; bf16 autocast; int8 ONNX), each built
from the same subset of the pool: every article a dev question cites as gold, plus the first
``--others`` other pool articles (the whole pool takes an hour per precision on 2 cores). Queries are
embedded as searches embed them (``query_encoder`` auto). Each archive is kept under
bench/.cache/encoders-<precision>-<n> and reused. The questions are scored with bench/retrieval.py's
settings; the figures to compare are each precision's against fp32 on the same subset.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import REALTIMEQA, machine, pool_records, write_section  # noqa: E402
from bench.retrieval import CACHE, ours, run  # noqa: E402

PRECISIONS = ("fp32", "bf16", "int8")


def subset(others: int) -> Path:
    """The gold articles of every dev question plus the first ``others`` other pool articles, as a feed."""
    gold = {d for line in (REALTIMEQA / "dev.jsonl").open(encoding="utf-8") for d in json.loads(line)["gold_doc_ids"]}
    path = CACHE / f"encoders-subset-{others}.jsonl.gz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        kept = 0
        with gzip.open(path, "wt", encoding="utf-8") as f:
            for record in pool_records():
                if record["doc_id"] in gold or kept < others:
                    kept += record["doc_id"] not in gold
                    f.write(json.dumps(record) + "\n")
    return path


def archive_for(precision: str, feed: Path, others: int):
    """This precision's archive of the subset (entities off: they do not rank); resumable, as ingest is."""
    from archive import Archive, Settings

    settings = Settings(dir=CACHE / f"encoders-{precision}-{others}", embedding_precision=precision, entities=False)
    archive = Archive(settings)
    start = time.perf_counter()
    report = archive.ingest([str(feed)], progress=True)
    archive.embedder.embed_documents(["warm up"])  # the precision settles at load: a cached archive loads nothing
    print(f"{precision}: {report.added} articles added in {time.perf_counter() - start:.0f} s "
          f"(documents embedded in {archive.embedder.precision})", flush=True)
    return archive


def deltas(results: dict, reference: str) -> list[str]:
    """Each precision's Recall@5 and MRR@10 minus fp32's, per setting."""
    lines = ["| setting | precision | R@5 | MRR@10 | ΔR@5 vs fp32 | ΔMRR@10 vs fp32 |", "|---|---|---|---|---|---|"]
    for label, by_system in results.items():
        base = by_system[reference]
        for name, m in by_system.items():
            lines.append(f"| {label} | {name} | {m['recall@5']:.3f} | {m['mrr@10']:.3f} | "
                         f"{m['recall@5'] - base['recall@5']:+.3f} | {m['mrr@10'] - base['mrr@10']:+.3f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--others", type=int, default=1000, help="pool articles added to the gold ones")
    parser.add_argument("--precisions", default=",".join(PRECISIONS), help="comma-separated, fp32 first")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    from evaluation.harness import load_questions

    feed = subset(args.others)
    precisions = args.precisions.split(",")
    archives = {p: archive_for(p, feed, args.others) for p in precisions}
    used = {p: a.embedder.precision for p, a in archives.items()}
    results = run({p: ours(a) for p, a in archives.items()}, load_questions(REALTIMEQA / "dev.jsonl"))
    text = "\n".join([
        "## Document encoders: same retrieval? (issue 20)",
        "",
        f"Command: `python bench/encoders.py --others {args.others}` (the 99 dev questions over their "
        f"{archives[precisions[0]].store.count_articles()}-article subset of the pool: every gold article plus "
        f"{args.others} others; one archive per document precision, embedded as {used}; {machine()}).",
        "",
        *deltas(results, precisions[0]),
    ])
    print(text)
    if not args.no_write:
        write_section("encoders", text)


if __name__ == "__main__":
    main()
