"""Scale benchmark: search latency and memory at 100k and 1M chunks, embedded and on a Chroma server,
and how long a second host takes to catch up with 10k new chunks.

    python bench/scale.py                               # 100k embedded + server, 1M embedded, catch-up
    python bench/scale.py --sizes 100000 --no-server    # a quicker run

Articles are synthetic and written straight to the store (the model is not run: this measures the
storage and search layers, not the encoder): 10 chunks each, words drawn from a Zipf distribution
over a 20,000-word vocabulary, random unit vectors of the bundled model's 384 dimensions, 20 sources,
dates over six years. Queries are three words from the same vocabulary, embedded by a stand-in that
returns a fixed random vector per query (a real query embedding adds 4-6 ms, see docs/benchmarks.md).
Filtered queries use one source and a one-year date range. Archives are built once under
bench/.cache/scale-* and reused. 10M chunks is projected from the measured sizes (see the notes).

    python bench/scale.py --derived 100000 1000000     # the shared ANN index against the exact scan

``--derived`` writes the derived in-memory state straight from generated pool-like vectors (mixed from real
pool passages, bench/realvectors.py) and searches it through the memory index's chunk-vector read path
(``MemoryIndex.nearest`` with the filters' masks), once with the exact float32 scan and once through the
ANN index, in one run; random vectors give a worst-case row. No Chroma record and no BM25 postings: it
measures the vector stage that grows with the archive, not a whole search.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, machine, write_section  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
DIM, CHUNKS_PER_ARTICLE, WORDS_PER_CHUNK, VOCAB, SOURCES = 384, 10, 60, 20_000, 20
BATCH_ARTICLES = 500


class QueryVectors:
    """Stands in for the model at query time: one fixed random unit vector per query text."""

    name = "synthetic-384"
    dim = DIM

    def embed_query(self, text: str) -> np.ndarray:
        rng = np.random.default_rng(int(hashlib.md5(text.encode()).hexdigest()[:8], 16))
        v = rng.standard_normal(DIM).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)


def vocabulary() -> list[str]:
    rng = np.random.default_rng(7)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, size=rng.integers(4, 10))) for _ in range(VOCAB)]


def synthetic_batch(start: int, n: int, words: list[str], rng: np.random.Generator):
    """``n`` articles (numbered from ``start``), each with its chunks, chunk vectors and headline vector."""
    from archive.storage import Version
    from archive.types import Article, Chunk
    from ingest.normalize import content_hash

    batch = []
    for i in range(start, start + n):
        picks = np.minimum(rng.zipf(1.15, size=CHUNKS_PER_ARTICLE * WORDS_PER_CHUNK), VOCAB) - 1
        texts = [" ".join(words[j] for j in picks[c * WORDS_PER_CHUNK:(c + 1) * WORDS_PER_CHUNK]) + "."
                 for c in range(CHUNKS_PER_ARTICLE)]
        text = " ".join(texts)
        chunks, offset = [], 0
        for c, t in enumerate(texts):
            chunks.append(Chunk(f"s{i:08d}", c, t, offset, offset + len(t)))
            offset += len(t) + 1
        year, day = 2020 + i % 6, 1 + i % 28
        title = " ".join(words[j] for j in picks[:6])
        article = Article(id=f"s{i:08d}", title=title, text=text, content_hash=content_hash(title, text),
                          origin=f"synthetic://{i}", source=f"Source {i % SOURCES}", url="", author="",
                          published_at=f"{year}-{1 + i % 12:02d}-{day:02d}", ingested_at="2026-12-01T00:00:00Z",
                          origins=(f"synthetic://{i}",))
        vectors = rng.standard_normal((CHUNKS_PER_ARTICLE, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        batch.append(Version(article, chunks, vectors, headline=vectors[0]))
    return batch


def open_archive(folder: Path, url: str = "", memory: bool = True, follow_every_s: float = 1.0):
    from archive import Archive, Settings

    settings = Settings(dir=folder, chroma_url=url, entities=False, follow_interval_s=follow_every_s,
                        memory_index_max_chunks=1_000_000 if memory else 0)
    return Archive(settings, embedder=QueryVectors())


def build(archive, chunks: int, start: int = 0) -> float:
    """Write articles until the archive holds ``chunks`` more chunks; returns seconds taken."""
    words, rng = vocabulary(), np.random.default_rng(start + 1)
    wanted = chunks // CHUNKS_PER_ARTICLE
    began, done = time.perf_counter(), 0
    while done < wanted:
        n = min(BATCH_ARTICLES, wanted - done)
        archive.store.write(synthetic_batch(start + done, n, words, rng))
        done += n
        if done % 10_000 < n:
            print(f"  {done * CHUNKS_PER_ARTICLE:,} chunks written, {time.perf_counter() - began:.0f} s", flush=True)
    return time.perf_counter() - began


def queries(n: int) -> list[str]:
    words, rng = vocabulary(), np.random.default_rng(3)
    picks = np.minimum(rng.zipf(1.3, size=(n, 3)), 2000) - 1
    return [" ".join(words[j] for j in row) for row in picks]


# Article i is from "Source {i % 20}" and dated 2020 + i % 6: source 3 (odd i) has articles in 2021,
# 2023 and 2025 only. (The filter used to ask for 2022, which no article of source 3 has, so the
# filtered figures before 2026-12-01's second run timed searches that matched nothing.)
FILTER_SOURCE, FILTER_YEAR = "Source 3", 2021


def filtered_search():
    """The filters of the filtered queries: one source of 20 and one year of six (1/60 of the articles)."""
    from archive.types import Filters

    return Filters(sources=(FILTER_SOURCE,), date_from=f"{FILTER_YEAR}-01-01", date_to=f"{FILTER_YEAR}-12-31")


def latency(archive, qs: list[str], filtered: bool) -> tuple[float, float]:
    f = filtered_search() if filtered else None
    archive.search(qs[0], k=10, filters=f)  # the first search loads the index: not counted
    times = []
    for q in qs:
        start = time.perf_counter()
        archive.search(q, k=10, filters=f, time_words=False)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(label: str, archive, qs: list[str]) -> dict:
    p50, p95 = latency(archive, qs, filtered=False)
    f50, f95 = latency(archive, qs, filtered=True)
    row = {"label": label, "chunks": archive.store.count_chunks(), "p50": p50, "p95": p95, "f50": f50, "f95": f95,
           "rss": rss_mb()}
    print(f"{label}: {row['chunks']:,} chunks  p50 {p50:.1f} ms  p95 {p95:.1f} ms  filtered p50 {f50:.1f} ms "
          f"p95 {f95:.1f} ms  RSS {row['rss']:.0f} MB", flush=True)
    return row


def recall_against_float32(archive, qs: list[str]) -> float:
    """Share of each search's top 10 articles (unfiltered and filtered) that the same search finds with every
    vector scanned in float32 (the in-memory index's int8 first stage is exact by construction: this checks it)."""
    from archive.storage.vectorscan import float32_scans

    def top10() -> list[list[str]]:
        return [[h.article.id for h in archive.search(q, k=10, filters=f, time_words=False)]
                for f in (None, filtered_search()) for q in qs]

    fast = top10()
    with float32_scans():
        exact = top10()
    return sum(len(set(a) & set(b)) for a, b in zip(fast, exact)) / max(sum(len(b) for b in exact), 1)


def embedded(size: int, qs: list[str], memory_off_too: bool, chroma_queries: int = 30) -> list[dict]:
    folder = CACHE / f"scale-{size}"
    archive = open_archive(folder)
    if archive.store.count_chunks() < size:
        archive.store.conn.close()  # this process's connection to the folder about to be removed
        shutil.rmtree(folder, ignore_errors=True)
        archive = open_archive(folder)
        print(f"building {size:,} chunks in {folder}", flush=True)
        print(f"  built in {build(archive, size):.0f} s", flush=True)
        archive.store.save_memory_index()
    rows = [measure(f"embedded, in-memory index, {size:,}", archive, qs)]
    rows[0]["recall"] = recall_against_float32(archive, qs[:100])
    print(f"  recall@10 against float32 scans: {rows[0]['recall']:.4f}", flush=True)
    if memory_off_too:  # the path above the in-memory limit; a filtered query takes seconds there, so fewer
        rows.append(measure(f"embedded, Chroma HNSW + FTS5, {size:,}", open_archive(folder, memory=False),
                            qs[:chroma_queries]))
    return rows


def server(size: int, qs: list[str], catch_up: int) -> tuple[list[dict], dict]:
    from tests.servers import free_port, start_chroma, stop

    work = CACHE / f"scale-server-{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    port = free_port()
    proc = start_chroma(work / "data", port)
    url = f"http://127.0.0.1:{port}"
    try:
        a = open_archive(work / "host-a", url)
        print(f"building {size:,} chunks on a Chroma server", flush=True)
        built = build(a, size)
        print(f"  built in {built:.0f} s", flush=True)
        rows = [measure(f"server, in-memory index, {size:,}", a, qs)]
        started = time.perf_counter()
        b = open_archive(work / "host-b", url, follow_every_s=0)  # its next search follows the feed
        b.search(qs[0], k=10)
        new_host = time.perf_counter() - started
        print(f"a new host derived its indexes from the record in {new_host:.1f} s", flush=True)
        build(a, catch_up, start=size // CHUNKS_PER_ARTICLE)
        started = time.perf_counter()
        b.search(qs[0], k=10)  # follows the feed, resyncs the keyword rows, refreshes the in-memory index
        caught = time.perf_counter() - started
        assert b.store.keywords.count() == a.store.keywords.count() == size + catch_up
        print(f"host B caught up with {catch_up:,} new chunks in {caught:.1f} s", flush=True)
        return rows, {"size": size, "new_host": new_host, "catch_up": catch_up, "seconds": caught}
    finally:
        stop(proc)


def table_row(r: dict) -> str:
    recall = f"{r['recall']:.3f}" if "recall" in r else ""
    return (f"| {r['label']} | {r['chunks']:,} | {r['p50']:.1f} | {r['p95']:.1f} | {r['f50']:.1f} | {r['f95']:.1f} | "
            f"{r['rss']:,.0f} | {recall} |")


def derived_state(vectors: np.ndarray):
    """A memory-index state of ``vectors`` (10 chunks an article, 20 sources, six years), without postings."""
    from archive.storage.memstate import State
    from archive.storage.postings import Field

    n = len(vectors)
    article = np.arange(n, dtype=np.int32) // CHUNKS_PER_ARTICLE
    n_articles = int(article[-1]) + 1
    years = 2020 + np.arange(n_articles) % 6
    ts = ((years - 1970) * 365.25 * 86400 + (np.arange(n_articles) % 300) * 86400).astype(np.int64)
    return State(0, np.arange(1, n + 1, dtype=np.int64), [f"s{a:08d}:h:{i % 10}" for i, a in enumerate(article)],
                 article, [f"s{a:08d}" for a in range(n_articles)], ts[article],
                 (np.arange(n_articles, dtype=np.int32) % SOURCES)[article], [f"Source {i}" for i in range(SOURCES)],
                 vectors, np.ones(n, bool), {}, Field.empty(), Field.empty())


def derived_rows(size: int, kind: str, n_queries: int, folder: Path) -> list[dict]:
    """The chunk-vector stage at ``size``: exact float32 scan, then the ANN index (built, then one segment added)."""
    from archive import Settings
    from archive.storage.chunkindex import AnnIndex
    from archive.storage.memindex import MemoryIndex
    from archive.storage.vectorscan import ExactScan
    from bench.realvectors import chunk_vectors, question_vectors
    from tests.poollike import pool_like, queries_near, random_unit

    real = chunk_vectors()
    vectors = pool_like(real, size, seed=1) if kind == "pool-like" else random_unit(size, DIM)
    qs = np.concatenate([question_vectors(), queries_near(real, n_queries)])[:n_queries]
    state = derived_state(vectors)
    year = FILTER_YEAR - 1970
    low, high = int(year * 365.25 * 86400), int((year + 1) * 365.25 * 86400) - 1

    def run(memory: MemoryIndex) -> dict:
        out = {}
        for name, keep in (("all", memory.mask(state)), ("filtered", memory.mask(state, [FILTER_SOURCE], (low, high)))):
            memory.nearest(state, qs[0], 10, keep)
            times, found = [], []
            for q in qs:
                t = time.perf_counter()
                found.append({r for r, _ in memory.nearest(state, q, 10, keep)})
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out[name] = (statistics.median(times), times[int(0.95 * (len(times) - 1))], found)
        return out

    exact_memory = MemoryIndex(folder / "unused.npz", lambda: 0, dict, list, dict)
    state.scan = ExactScan(vectors)  # the float32 scan of every row: the baseline and the truth
    exact = run(exact_memory)
    shutil.rmtree(folder / "x.ann", ignore_errors=True)
    ann = AnnIndex(folder / "x.ann", min_rows=1, nprobe=Settings().ann_nprobe,
                   tail_rows=10**9)
    head = derived_state(vectors[: size - size // 100])  # the last 1% written afterwards, as one more segment
    started = time.perf_counter()
    ann.update(head)
    built = time.perf_counter() - started
    started = time.perf_counter()
    ann.update(state)
    added = time.perf_counter() - started
    state.scan = None
    ann_memory = MemoryIndex(folder / "unused.npz", lambda: 0, dict, list, dict, ann=ann)
    fast = run(ann_memory)
    rows = []
    for label, result in ((f"exact float32 scan, {kind}", exact), (f"ANN index (IVF-SQ8, nprobe {ann.nprobe}), {kind}", fast)):
        recall = {k: sum(len(a & b) for a, b in zip(result[k][2], exact[k][2])) / (10 * len(qs)) for k in result}
        rows.append({"label": label, "chunks": size, "p50": result["all"][0], "p95": result["all"][1],
                     "f50": result["filtered"][0], "f95": result["filtered"][1], "rss": rss_mb(),
                     "recall": min(recall.values())})
        print(table_row(rows[-1]), flush=True)
    rows[-1]["built"], rows[-1]["added"] = built, added
    from archive.storage.chunkindex import AnnScan

    if not isinstance(ann_memory._chunk_index(state), AnnScan):  # its probe refused the lists (no clusters)
        rows[-1]["label"] += " (lists refused by their probe: the exact scan answered)"
    print(f"  ANN index built in {built:.0f} s; the last {size // 100:,} rows added as a segment in {added:.1f} s",
          flush=True)
    return rows


def _instruction_sets() -> str:
    """The vector instruction sets this CPU has, as the figures depend on them."""
    from archive.models.cpu import cpu_info

    info = cpu_info()
    found = info.has_any(("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16")) if info else ()
    return ", ".join(found) or "no AVX2"


def derived_main(sizes: list[int], n_queries: int, random_size: int) -> int:
    folder = ROOT / "bench" / ".cache-scale" / "derived"
    folder.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    rows = []
    for size, kind in [(s, "pool-like") for s in sizes] + ([(random_size, "random")] if random_size else []):
        rows += derived_rows(size, kind, n_queries, folder)
    notes = [f"{r['label'].rsplit(',', 1)[1].strip()} {r['chunks']:,}: built in {r['built']:.0f} s, the last 1% added "
             f"as a segment in {r['added']:.1f} s" for r in rows if "built" in r]
    lines = [
        f"Measured on {machine()} ({_instruction_sets()}), {time.strftime('%Y-%m-%d')}, with "
        f"`python bench/scale.py --derived {' '.join(map(str, sizes))}`; 1-minute load average {load:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end: compare rows of this run, not with other sections.",
        "The derived in-memory state written straight from generated vectors (pool-like: mixed from 4,000 real pool "
        "passage vectors of the bundled model; random: the worst case), 10 chunks an article, searched through "
        f"`MemoryIndex.nearest` with the filters' masks; {n_queries} queries (the dev questions, then passages' "
        "neighbours); top 10 chunks. Filtered: one source of 20 and one year of six (1/60), which the index "
        "scores exactly (under 1/16 of the rows). Recall@10: the lower of unfiltered and filtered, against the "
        "exact float32 scan. RSS: this process, holding the float32 vectors of every size so far.",
        "",
        "| chunk vectors | chunks | p50 ms | p95 ms | filtered p50 ms | filtered p95 ms | RSS MB | recall@10 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ] + [table_row(r) for r in rows] + [""] + [f"- {n}" for n in notes]
    write_section("scale-ann", "\n".join(lines))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--server-size", type=int, default=100_000)
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument("--catch-up", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--chroma-queries", type=int, default=30, help="queries on the Chroma HNSW + FTS5 path")
    parser.add_argument("--no-chroma-path", action="store_true", help="measure the in-memory index only")
    parser.add_argument("--derived", type=int, nargs="*", help="sizes for the ANN index against the exact scan")
    parser.add_argument("--random", type=int, default=100_000, help="with --derived: random vectors of this size")
    args = parser.parse_args()
    if args.derived:
        return derived_main(args.derived, args.queries, args.random)
    os.environ.setdefault("ARCHIVE_ENTITIES", "false")
    qs = queries(args.queries)
    started_load = os.getloadavg()[0]
    rows: list[dict] = []
    for size in args.sizes:
        rows += embedded(size, qs, memory_off_too=not args.no_chroma_path, chroma_queries=args.chroma_queries)
    follow = None
    if not args.no_server:
        server_rows, follow = server(args.server_size, qs, args.catch_up)
        rows += server_rows
    lines = [
        f"Measured on {machine()}, {time.strftime('%Y-%m-%d')}, with "
        f"`python bench/scale.py {' '.join(sys.argv[1:])}`.".replace(" `", " `").strip(),
        "Synthetic articles written straight to the store (10 chunks each, 384-d random unit vectors, Zipf words); "
        f"{args.queries} three-word queries; the query vector is not computed by the model (add 4-6 ms). "
        "Filtered: one source of 20 and one year of six (1/60 of the articles). "
        f"Load average (1 min, 2 cores) {started_load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end. "
        "Recall: the share of each search's top 10 articles that it also finds with every vector scanned in float32.",
        "",
        "| archive | chunks | p50 ms | p95 ms | filtered p50 ms | filtered p95 ms | RSS MB | recall@10 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [table_row(r) for r in rows]
    if follow:
        lines += ["", f"A new host on the server derived its keyword file and in-memory index from the record of "
                  f"{follow['size']:,} chunks in {follow['new_host']:.1f} s; after host A wrote {follow['catch_up']:,} "
                  f"more chunks, host B's next search followed the change feed and found them in "
                  f"{follow['seconds']:.1f} s (target: under 60 s)."]
    write_section("scale", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
