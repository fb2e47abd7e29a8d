"""Load benchmark: many threads searching and asking one shared Archive, as app sessions do.

    python bench/load.py                         # 8 threads x 500 searches, then 8 threads x 50 answers
    python bench/load.py --searches 50 --answers 5   # a quick run

Runs against the RealTime QA pool archive that bench/retrieval.py builds (bench/.cache). Queries are the
dev questions, cycled, each thread starting at a different offset. Every error is counted and the
first few printed; the target is 0 errors. Reports per-request latency p50/p95 and throughput.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import REALTIMEQA, write_section  # noqa: E402


def hammer(label: str, threads: int, per_thread: int, call, questions: list[str]) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        for i in range(per_thread):
            q = questions[(offset * 7 + i) % len(questions)]
            start = time.perf_counter()
            try:
                call(q)
            except Exception:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(traceback.format_exc(limit=3))
                continue
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    result = {"what": label, "threads": threads, "requests": threads * per_thread, "errors": len(errors),
              "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "per_s": round(len(latencies) / wall, 1),
              "wall_s": round(wall, 1)}
    print(result, flush=True)
    for e in errors[:3]:
        print(e, file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--searches", type=int, default=500, help="searches per thread")
    parser.add_argument("--answers", type=int, default=50, help="extractive answers per thread")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    import json

    from bench.retrieval import our_archive

    questions = [json.loads(line)["question"] for line in (REALTIMEQA / "dev.jsonl").open(encoding="utf-8")]
    archive = our_archive()
    archive.ask("warm up")
    rows = [hammer("search (k=10)", args.threads, args.searches, lambda q: archive.search(q, 10), questions)]
    if args.answers:
        rows.append(hammer("ask (extractive)", args.threads, args.answers, archive.ask, questions))
    if args.no_write:
        return
    lines = ["| request | threads | requests | errors | p50 ms | p95 ms | requests/s |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['what']} | {r['threads']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | "
              f"{r['per_s']} |" for r in rows]
    command = "python bench/load.py" + ("" if (args.threads, args.searches, args.answers) == (8, 500, 50) else
                                         f" --threads {args.threads} --searches {args.searches} --answers {args.answers}")
    write_section("load", "## Load\n\n"
                  f"Command: `{command}` (one shared `Archive` over the RealTime QA pool, ~7,500 articles, "
                  "dev questions cycled; 2 cores, so latency under 8 threads is mostly queueing).\n\n"
                  + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
