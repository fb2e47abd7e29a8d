"""Load benchmark: many threads searching and asking one shared Archive, as app sessions do.

    python bench/load.py                         # 8 threads x 500 searches, then 8 threads x 50 answers
    python bench/load.py --searches 50 --answers 5   # a quick run
    python bench/load.py --archive-dir /tmp/a --build 300   # an archive of the seeds + 300 pool records

Runs against the RealTime QA pool archive that bench/retrieval.py builds (bench/.cache), or the archive in
``--archive-dir`` (built from the sample articles and the pool's first ``--build`` records when empty).
Queries are the dev questions, cycled, each thread starting at a different offset. Every error is counted
and the first few printed; the target is 0 errors. Reports per-request latency p50/p95 and throughput.

The HTTP row sends the same searches through the API (archive/api): a real uvicorn on 127.0.0.1 in this
process, serving the same ``Archive``, and one keep-alive httpx client per thread (rate limit lifted). Its
latency includes the client's own work, which shares these cores with the server.
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
from bench.common import POOL_SAMPLE, REALTIMEQA, write_section  # noqa: E402


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
    parser.add_argument("--no-http", action="store_true", help="leave out the HTTP row")
    parser.add_argument("--archive-dir", default="", help="this archive instead of the pool's (bench/.cache)")
    parser.add_argument("--build", type=int, default=300, help="with --archive-dir: pool records to add when empty")
    parser.add_argument("--shared-load", action="store_true", help="say in the figures that the machine was shared")
    parser.add_argument("--client", type=int, default=0, help=argparse.SUPPRESS)  # the HTTP row's client process
    args = parser.parse_args()
    if args.client:
        clients(args.client, args.threads, args.searches)
        return
    if args.shared_load:
        global SHARED_NOTE
        SHARED_NOTE = (" Measured while other work shared the machine's two cores (other engineers' tests and "
                       "builds): the rows compare with each other, taken minutes apart, not with an idle machine.")

    import json

    questions = [json.loads(line)["question"] for line in (REALTIMEQA / "dev.jsonl").open(encoding="utf-8")]
    archive = own_archive(args.archive_dir, args.build) if args.archive_dir else pool_archive()
    archive.ask("warm up")
    rows = [hammer("search (k=10)", args.threads, args.searches, lambda q: archive.search(q, 10), questions)]
    if not args.no_http:
        rows.append(http_row(archive, args.threads, args.searches, questions))
    if args.answers:
        rows.append(hammer("ask (extractive)", args.threads, args.answers, archive.ask, questions))
    if args.no_write:
        return
    lines = ["| request | threads | requests | errors | p50 ms | p95 ms | requests/s |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['what']} | {r['threads']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | "
              f"{r['per_s']} |" for r in rows]
    command = "python bench/load.py" + ("" if (args.threads, args.searches, args.answers) == (8, 500, 50) else
                                         f" --threads {args.threads} --searches {args.searches} --answers {args.answers}")
    if args.archive_dir:
        command += f" --archive-dir DIR --build {args.build}"
        what = (f"one shared `Archive` of {archive.count_articles():,} articles (the five sample articles and the "
                f"pool's first {args.build} records, in a folder of its own: the pool archive was still building)")
    elif POOL_SAMPLE:
        command = f"ARCHIVE_BENCH_POOL_SAMPLE={POOL_SAMPLE} {command}"
        what = (f"one shared `Archive` over the pool sample, {archive.count_articles():,} articles: the dev questions' "
                f"gold articles and {POOL_SAMPLE:,} others")
    else:
        what = "one shared `Archive` over the RealTime QA pool, ~7,500 articles"
    # The pool's figures stay in their section; an archive of its own, or the sample, gets one beside them.
    section, title = ("load", "## Load")
    if args.archive_dir:
        section, title = "load-own-archive", "## Load (an archive of its own)"
    elif POOL_SAMPLE:
        section, title = "load-pool-sample", "## Load (the pool sample)"
    write_section(section, f"{title}\n\n"
                  f"Command: `{command}` ({what}, dev questions cycled; 2 cores, so latency under 8 threads is "
                  "mostly queueing). The HTTP row is the same searches through `GET /api/search` on a real uvicorn "
                  f"in the same process, asked by as many client threads in another process (one kept-alive connection each).{SHARED_NOTE}\n\n"
                  + "\n".join(lines) + "\n")


SHARED_NOTE = ""  # set by --shared-load: the machine was shared with other work during the run


def pool_archive():
    from bench.retrieval import our_archive

    return our_archive()


def own_archive(folder: str, build: int):
    """An archive in ``folder``: the sample articles and the pool's first ``build`` records (made when empty)."""
    import gzip
    import json

    from archive import Archive, Settings
    from bench.common import ROOT, pool_records

    archive = Archive(Settings(dir=Path(folder)))
    if archive.count_articles() == 0:
        Path(folder).mkdir(parents=True, exist_ok=True)
        records = Path(folder) / f"pool-first{build}.jsonl.gz"
        with gzip.open(records, "wt", encoding="utf-8") as f:
            for record in pool_records(limit=build):
                f.write(json.dumps(record) + "\n")
        report = archive.ingest([str(ROOT / "data" / "sample"), str(records)], progress=True)
        print(f"built {folder}: {report.added} added, {len(report.failed)} failed", flush=True)
    return archive


def http_row(archive, threads: int, per_thread: int, questions: list[str]) -> dict:
    """The same searches through the HTTP API, served from this process by a real uvicorn on loopback, asked by
    clients in another process (as other tools would ask it: a client in this process would share its GIL)."""
    import json
    import socket
    import subprocess

    import uvicorn

    from archive.api.server import config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = archive.settings.model_copy(update={"api_rate_per_s": 1e9, "api_rate_burst": 10**9})
    server = uvicorn.Server(config(settings, "127.0.0.1", port, archive))
    server.config.log_level = "warning"
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        done = subprocess.run([sys.executable, __file__, "--client", str(port), "--threads", str(threads),
                               "--searches", str(per_thread)], capture_output=True, text=True, timeout=3600)
        if done.returncode:
            raise RuntimeError(f"the HTTP clients failed: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(result, flush=True)
        return result
    finally:
        server.should_exit = True
        thread.join(10)


def clients(port: int, threads: int, per_thread: int) -> None:
    """``--client PORT``: the HTTP row's clients, one kept-alive standard-library connection per thread."""
    import http.client
    import json
    from urllib.parse import urlencode

    questions = [json.loads(line)["question"] for line in (REALTIMEQA / "dev.jsonl").open(encoding="utf-8")]
    local = threading.local()

    def search(q: str) -> None:
        if not hasattr(local, "c"):
            local.c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        local.c.request("GET", "/api/search?" + urlencode({"q": q, "k": 10}))
        response = local.c.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")

    print(json.dumps(hammer("search (k=10) over HTTP", threads, per_thread, search, questions)), flush=True)


if __name__ == "__main__":
    main()
