"""Which ANN library for the scalable index: FAISS (IVF with SQ8 or PQ codes, HNSW) and usearch (HNSW, i8 and
f16), against the exact float32 scan, on pool-like vectors (mixed from real chunk vectors) and random ones.

    python bench/ann.py                          # 100k and 1M pool-like, 100k random
    python bench/ann.py --sizes 100000 --hnsw-max 100000

For each: build (train + add) seconds, p50 of one query (one thread), recall@10 against the exact scan
(the top 40 the index returns rescored in float32, as the archive does), the same with a filter that keeps
1/60 of the rows, the index file's size, and a fresh process that maps the file: its RSS and whether the
file is in its /proc/self/maps (shared through the page cache).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, write_section  # noqa: E402
from bench.realvectors import chunk_vectors, question_vectors  # noqa: E402
from tests.poollike import pool_like, queries_near, random_unit  # noqa: E402

K, RESCORE = 10, 40
FILTER_SHARE = 60


def exact(vectors, queries, keep=None):
    out = []
    for q in queries:
        s = vectors @ q
        if keep is not None:
            s = np.where(keep, s, -np.inf)
        top = np.argpartition(-s, K)[:K]
        out.append(set(top.tolist()))
    return out


def rescored(vectors, q, ids):
    ids = ids[ids >= 0]
    s = vectors[ids] @ q
    return set(ids[np.argsort(-s)[:K]].tolist())


def timed(fn, queries):
    times, found = [], []
    fn(queries[0])
    for q in queries:
        t = time.perf_counter()
        found.append(fn(q))
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), found


def recall(found, truth):
    return sum(len(a & b) for a, b in zip(found, truth)) / (K * len(truth))


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


MAPPED_CHECK = r"""
import sys, numpy as np
kind, path, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = np.random.default_rng(0).standard_normal((50, dim)).astype(np.float32)
q /= np.linalg.norm(q, axis=1, keepdims=True)
if kind == "faiss":
    import faiss
    faiss.omp_set_num_threads(1)
    index = faiss.read_index(path, faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    try:
        index.nprobe = 32
        faiss.downcast_InvertedLists(index.invlists).prefetch_nthread = 0
    except AttributeError: pass
    for v in q: index.search(v[None, :], 40)
else:
    from usearch.index import Index
    index = Index.restore(path, view=True)
    for v in q: index.search(v, 40, threads=1)
maps = open("/proc/self/maps").read()
rss = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")][0] / 1024
print(f"{rss:.0f} {int(path in maps)}")
"""


def mapped(kind, path, dim):
    out = subprocess.run([sys.executable, "-c", MAPPED_CHECK, kind, str(path), str(dim)],
                         capture_output=True, text=True, timeout=600)
    if out.returncode:
        return float("nan"), f"no ({out.stderr.strip().splitlines()[-1][:60]})"
    rss, maps = out.stdout.split()
    return float(rss), "yes" if maps == "1" else "no (read into memory)"


def faiss_rows(vectors, queries, truth, ftruth, keep, folder, label, pq_max):
    import faiss

    faiss.omp_set_num_threads(1)
    n, dim = vectors.shape
    nlist = int(2 ** round(np.log2(4 * np.sqrt(n))))
    rows = []
    ids = np.arange(n, dtype=np.int64)
    bitmap = np.packbits(keep, bitorder="little")
    specs = [("IVF-SQ8", lambda q: faiss.IndexIVFScalarQuantizer(q, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                                                  faiss.METRIC_INNER_PRODUCT)),
             ("IVF-PQ48", lambda q: faiss.IndexIVFPQ(q, dim, nlist, 48, 8, faiss.METRIC_INNER_PRODUCT))]
    for name, make in specs[:1] if n > pq_max else specs:
        quantizer = faiss.IndexFlatIP(dim)
        index = make(quantizer)
        t = time.perf_counter()
        train = vectors[np.random.default_rng(0).choice(n, min(n, 20 * nlist), replace=False)]
        index.cp.niter, index.cp.min_points_per_centroid = 10, 1  # as the archive trains its lists
        faiss.omp_set_num_threads(2)
        index.train(train)
        index.add_with_ids(vectors, ids)
        faiss.omp_set_num_threads(1)
        built = time.perf_counter() - t
        path = folder / f"{name}.faiss"
        faiss.write_index(index, str(path))
        rss, shared = mapped("faiss", path, dim)
        del index  # searched as the archive does: the file memory-mapped
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        faiss.downcast_InvertedLists(index.invlists).prefetch_nthread = 0
        for nprobe in (16, 32, 64):
            index.nprobe = nprobe

            def plain(q, index=index):
                return rescored(vectors, q, index.search(q[None, :], RESCORE)[1][0])

            params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), nprobe=nprobe)

            def filtered(q, index=index, params=params):
                return rescored(vectors, q, index.search(q[None, :], RESCORE, params=params)[1][0])

            p50, found = timed(plain, queries)
            f50, ffound = timed(filtered, queries)
            rows.append((f"FAISS {name} nlist {nlist} nprobe {nprobe}", label, built, p50, recall(found, truth), f50,
                         recall(ffound, ftruth), path.stat().st_size / 2**20, rss, shared))
            print(rows[-1], flush=True)
        del index
    return rows


def hnsw_rows(vectors, queries, truth, ftruth, keep, folder, label):
    import faiss
    from usearch.index import Index

    faiss.omp_set_num_threads(2)
    n, dim = vectors.shape
    rows = []
    index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 64
    t = time.perf_counter()
    index.add(vectors)
    built = time.perf_counter() - t
    path = folder / "hnsw.faiss"
    faiss.write_index(index, str(path))
    rss, shared = mapped("faiss", path, dim)
    faiss.omp_set_num_threads(1)
    bitmap = np.packbits(keep, bitorder="little")
    for ef in (64, 128):
        index.hnsw.efSearch = ef

        def plain(q, index=index):
            return rescored(vectors, q, index.search(q[None, :], RESCORE)[1][0])

        params = faiss.SearchParametersHNSW(sel=faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), efSearch=ef)

        def filtered(q, index=index, params=params):
            return rescored(vectors, q, index.search(q[None, :], RESCORE, params=params)[1][0])

        p50, found = timed(plain, queries)
        f50, ffound = timed(filtered, queries)
        rows.append((f"FAISS HNSW32 flat ef {ef}", label, built, p50, recall(found, truth), f50, recall(ffound, ftruth),
                     path.stat().st_size / 2**20, rss, shared))
        print(rows[-1], flush=True)
    del index
    kept = np.flatnonzero(keep)
    for dtype in ("i8", "f16"):
        index = Index(ndim=dim, metric="ip", dtype=dtype, connectivity=16, expansion_add=128, expansion_search=64)
        t = time.perf_counter()
        index.add(np.arange(n), vectors, threads=2)
        built = time.perf_counter() - t
        path = folder / f"usearch-{dtype}.usearch"
        index.save(str(path))
        rss, shared = mapped("usearch", path, dim)

        def plain(q, index=index):
            return rescored(vectors, q, np.asarray(index.search(q, RESCORE, threads=1).keys, np.int64))

        def filtered(q, index=index):  # no filter inside usearch's Python search: oversample, then drop
            keys = np.asarray(index.search(q, RESCORE * FILTER_SHARE, threads=1).keys, np.int64)
            return rescored(vectors, q, keys[keep[keys]])

        p50, found = timed(plain, queries)
        f50, ffound = timed(filtered, queries)
        rows.append((f"usearch HNSW16 {dtype} ef 64 (filter: oversample x60)", label, built, p50, recall(found, truth),
                     f50, recall(ffound, ftruth), path.stat().st_size / 2**20, rss, shared))
        print(rows[-1], flush=True)
        del index
    del kept
    return rows


def exact_row(vectors, queries, keep, label):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        p50, _ = timed(lambda q: exact(vectors, [q]), queries)
        f50, _ = timed(lambda q: exact(vectors, [q], keep), queries)
    return ("exact float32 scan (1 thread)", label, 0.0, p50, 1.0, f50, 1.0, vectors.nbytes / 2**20, float("nan"), "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--random", type=int, default=100_000, help="size of the random-vector row (0: none)")
    parser.add_argument("--hnsw-max", type=int, default=1_000_000, help="largest size HNSW is built at")
    parser.add_argument("--pq-max", type=int, default=1_000_000, help="largest size IVF-PQ is built at")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    real = chunk_vectors()
    questions = question_vectors()
    rows = []
    runs = [(n, "pool-like") for n in args.sizes] + ([(args.random, "random")] if args.random else [])
    load = os.getloadavg()[0]
    for n, kind in runs:
        vectors = pool_like(real, n) if kind == "pool-like" else random_unit(n, real.shape[1])
        queries = np.concatenate([questions, queries_near(real, args.queries)])[: args.queries]
        keep = np.zeros(n, bool)
        keep[np.random.default_rng(5).choice(n, n // FILTER_SHARE, replace=False)] = True
        truth, ftruth = exact(vectors, queries), exact(vectors, queries, keep)
        label = f"{kind} {n:,}"
        with tempfile.TemporaryDirectory(dir=Path(__file__).parent / ".cache-scale") as tmp:
            rows.append(exact_row(vectors, queries, keep, label))
            print(rows[-1], flush=True)
            rows += faiss_rows(vectors, queries, truth, ftruth, keep, Path(tmp), label, args.pq_max)
            if n <= args.hnsw_max and kind == "pool-like":
                rows += hnsw_rows(vectors, queries, truth, ftruth, keep, Path(tmp), label)
        del vectors
    lines = [
        f"Measured on {machine()} (AVX2 and FMA, no AVX-512, no VNNI, no bf16), {time.strftime('%Y-%m-%d')}, with "
        f"`python bench/ann.py {' '.join(sys.argv[1:])}`; the machine was shared by several engineers (load "
        f"average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end), so compare rows of one run.",
        f"Vectors: pool-like (mixed from {len(real):,} real pool passage vectors of the bundled model and their near "
        "neighbours, noise 0.02, renormalised) or random unit vectors. Queries: the dev questions' vectors, then "
        f"passages' neighbours ({args.queries} in all). Recall@{K}: the index's top {RESCORE} rescored in float32, "
        f"against the exact scan. Filtered: a mask keeping 1/{FILTER_SHARE} of the rows. Mapped RSS: a fresh "
        "process that opens the file memory-mapped and runs 50 queries.",
        "",
        "| index | vectors | build s | p50 ms | recall@10 | filtered p50 ms | filtered recall@10 | file MB | "
        "mapped RSS MB | file mapped |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines += [f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.2f} | {r[4]:.3f} | {r[5]:.2f} | {r[6]:.3f} | {r[7]:.0f} | "
              f"{r[8]:.0f} | {r[9]} |" for r in rows]
    print("\n".join(lines))
    if not args.no_write:
        write_section("ann", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
