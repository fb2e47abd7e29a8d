"""Ingest benchmark: our pipeline vs LangChain's default, on the same RealTime QA articles.

    python bench/ingest.py --limit 500          # the first 500 pool articles, this CPU's precision and fp32
    python bench/ingest.py                      # the whole pool (7,504 articles; LangChain takes ~1 h)
    python bench/ingest.py --limit 500 --split  # one worker vs two, writing to one `chroma run` server

Each pipeline runs in its own process (fresh model, fresh Chroma in a temporary folder) so its peak
RSS is its own. Ours runs twice: with the document precision ``embedding_precision=auto`` chooses on
this CPU, and forced to fp32 PyTorch (LangChain's, always). Also measured, per precision: the raw
encode throughput of the model on exactly the texts our pipeline embeds (chunks and headlines), the
ceiling, so the pipeline's overhead beyond encoding can be stated.

``--split`` measures docs/ingest-speed.md's two-worker recipe: the subset ingested by one worker, then
halved between two workers running at once (each its own ARCHIVE_DIR and one encoder thread), all
writing to one Chroma server.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, machine, peak_rss_mb, pool_records, write_section  # noqa: E402


def worker_ours(subset: Path, workdir: Path) -> dict:
    from archive import Archive, Settings
    from archive.models.embedding import make_embedder

    settings = Settings(dir=workdir / f"ours-{os.getpid()}")
    embedder = make_embedder(settings)
    embedder.embed_query("warm up")  # model load (and, once per machine, the precision probe) is not ingest time
    archive = Archive(settings, embedder=embedder)
    _ = archive.store  # opening Chroma (like importing it for LangChain) is not ingest time
    started, start = time.time(), time.perf_counter()
    report = archive.ingest([str(subset)])
    seconds = time.perf_counter() - start
    n = report.added + report.updated
    return {"articles": n, "chunks": report.chunks_embedded, "seconds": seconds, "precision": embedder.precision,
            "failed": len(report.failed), "rss_mb": peak_rss_mb(), "started": started, "ended": time.time()}


def pipeline_texts(subset: Path, settings) -> list[str]:
    """What our pipeline embeds for the subset, in its order: each batch's chunks, then their headlines."""
    from ingest import sources
    from ingest.chunking import chunk_article, embedding_text, headline_text
    from ingest.normalize import normalize

    texts, headlines = [], []
    for raw in sources.read(str(subset), settings):
        if hasattr(raw, "text"):
            article = normalize(raw)
            texts += [embedding_text(article.title, c.text)
                      for c in chunk_article(article.id, article.text, settings.chunk_size, settings.chunk_overlap)]
            headlines.append(headline_text(article.title, article.text))
    return texts + headlines


def worker_encode(subset: Path, workdir: Path) -> dict:
    """Encode exactly the texts our pipeline embeds, with nothing around it."""
    from archive import Settings
    from archive.models.embedding import make_embedder

    settings = Settings(dir=workdir / "encode")
    texts = pipeline_texts(subset, settings)
    embedder = make_embedder(settings)
    embedder.embed_query("warm up")
    start = time.perf_counter()
    for i in range(0, len(texts), 256):  # batches as large as the pipeline hands the model
        embedder.embed_documents(texts[i : i + 256])
    return {"chunks": len(texts), "seconds": time.perf_counter() - start, "precision": embedder.precision,
            "rss_mb": peak_rss_mb()}


def worker_langchain(subset: Path, workdir: Path) -> dict:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from archive.models.embedding import bundled_model_path

    embeddings = HuggingFaceEmbeddings(model_name=bundled_model_path(), model_kwargs={"device": "cpu"})
    embeddings.embed_query("warm up")
    start = time.perf_counter()
    with gzip.open(subset, "rt", encoding="utf-8") as f:
        docs = [Document(page_content=r["text"], metadata={"doc_id": r["doc_id"]}) for r in map(json.loads, f) if r.get("text")]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(docs)
    Chroma.from_documents(chunks, embeddings, persist_directory=str(workdir / "langchain"), collection_name="langchain")
    return {"articles": len(docs), "chunks": len(chunks), "seconds": time.perf_counter() - start, "rss_mb": peak_rss_mb()}


WORKERS = {"ours": worker_ours, "encode": worker_encode, "langchain": worker_langchain}


def run_worker(name: str, subset: Path, workdir: Path, **env: str) -> subprocess.Popen:
    """Start a worker process; ``finish`` waits for its figures."""
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", name, "--subset", str(subset), "--workdir", str(workdir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, **env},
    )


def finish(name: str, proc: subprocess.Popen) -> dict:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{name} worker failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def measure(name: str, subset: Path, workdir: Path, **env: str) -> dict:
    print(f"running {name} {env or ''}…", file=sys.stderr, flush=True)
    result = finish(name, run_worker(name, subset, workdir, **env))
    print(f"  {json.dumps(result)}", file=sys.stderr, flush=True)  # kept in the log should a later run fail
    return result


def write_subset(path: Path, records) -> int:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        n = sum(1 for record in records if f.write(json.dumps(record) + "\n"))
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="first N pool articles (default: all 7,504)")
    parser.add_argument("--skip-langchain", action="store_true")
    parser.add_argument("--split", action="store_true", help="one worker vs two on one Chroma server")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--worker", choices=WORKERS, help=argparse.SUPPRESS)
    parser.add_argument("--subset", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.subset, args.workdir)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        subset = workdir / "subset.jsonl.gz"
        write_subset(subset, pool_records(args.limit))
        if args.split:
            text, name = split_report(split_run(subset, workdir, args.limit), args), "ingest-split"
        else:
            text = report(compare(subset, workdir, args.skip_langchain), args)
            name = "ingest"
    print(text)
    if not args.no_write:
        write_section(name, text)


def compare(subset: Path, workdir: Path, skip_langchain: bool) -> dict:
    """Ours and its encode ceiling at this CPU's precision and at fp32, with LangChain between them."""
    load_before = os.getloadavg()[1]
    results = {"ours": measure("ours", subset, workdir), "encode": measure("encode", subset, workdir),
               "ours unnamed": measure("ours", subset, workdir, ARCHIVE_ENTITIES="false")}
    if not skip_langchain:
        results["langchain"] = measure("langchain", subset, workdir)
    fp32 = {"ARCHIVE_EMBEDDING_PRECISION": "fp32"}
    results["ours fp32"] = measure("ours", subset, workdir, **fp32)
    results["encode fp32"] = measure("encode", subset, workdir, **fp32)
    results["load"] = (load_before, os.getloadavg()[1])  # 5-minute load averages: was the machine quiet?
    return results


def report(results: dict, args: argparse.Namespace) -> str:
    lines = ["| pipeline | documents in | articles | chunks | seconds | articles/s | chunks/s | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|"]
    summary = []
    lc = results.get("langchain")
    for label, ours, enc in (("ours", results["ours"], results["encode"]),
                             ("ours, forced fp32", results["ours fp32"], results["encode fp32"])):
        lines.append(_row(label, ours["precision"], ours))
        lines.append(f"| raw encode of what ours embeds (ceiling) | {enc['precision']} | | {enc['chunks']} | "
                     f"{enc['seconds']:.1f} | {ours['articles'] / enc['seconds']:.2f} | "
                     f"{enc['chunks'] / enc['seconds']:.1f} | {enc['rss_mb']:.0f} |")
        overhead = (ours["seconds"] - enc["seconds"]) / ours["seconds"]
        line = f"{label} ({ours['precision']}): overhead beyond encoding {overhead:.1%} of ingest time"
        if lc:
            line += f"; {(ours['articles'] / ours['seconds']) / (lc['articles'] / lc['seconds']):.2f}x LangChain's articles/s"
        summary.append(line + ".")
    unnamed = results.get("ours unnamed")
    if unnamed:
        lines.append(_row("ours without the names pass (ARCHIVE_ENTITIES=false)", unnamed["precision"], unnamed))
        names = (results["ours"]["seconds"] - unnamed["seconds"]) / results["ours"]["seconds"]
        rest = (unnamed["seconds"] - results["encode"]["seconds"]) / unnamed["seconds"]
        summary.append(f"the names pass ({unnamed['precision']}): {names:.1%} of ours' ingest time; without it, the "
                       f"overhead beyond encoding is {rest:.1%}"
                       + (f" and ours runs at {(unnamed['articles'] / unnamed['seconds']) / (lc['articles'] / lc['seconds']):.2f}x "
                          "LangChain's articles/s" if lc else "") + ".")
    if lc:
        lines.append(_row("LangChain default (1000/200)", "fp32", lc))
    limit = f" --limit {args.limit}" if args.limit else ""
    return "\n".join([
        "## Ingest (issues 2 and 20)",
        "",
        f"Command: `python bench/ingest.py{limit}` ({'first ' + str(args.limit) if args.limit else 'all'} RealTime QA "
        f"pool articles; each pipeline in its own process, model load excluded; {machine()}; 5-minute load "
        f"average {results['load'][0]:.1f} before the run and {results['load'][1]:.1f} after it).",
        "",
        *lines,
        "",
        *[f"- {s}" for s in summary],
        "",
        "Both pipelines embed with the same MiniLM weights; ours also embeds each chunk's title as a header and "
        "each article's headline (in the same model calls, so the ceiling counts them), and finds named entities "
        "after embedding (counted in its seconds, not in the ceiling). The chunk count of the ceiling rows "
        "includes the headlines. `documents in`: the document precision (`ARCHIVE_EMBEDDING_PRECISION`; `auto` "
        "measures fp32, bf16 where native, and int8 ONNX once per machine and takes the fastest that passes "
        "the fidelity check, see docs/ingest-speed.md).",
    ])


def split_run(subset: Path, workdir: Path, limit: int | None) -> dict:
    """The subset by one worker (2 encoder threads), then halved between two at once (1 thread each), each
    time into a fresh `chroma run` server."""
    from tests.servers import chroma_run

    records = list(pool_records(limit))
    halves = [workdir / "half-0.jsonl.gz", workdir / "half-1.jsonl.gz"]
    for i, half in enumerate(halves):
        write_subset(half, records[i::2])
    results: dict = {"load": {}}
    with chroma_run(workdir / "server-one") as url:
        before = os.getloadavg()[0]
        results["one"] = [measure("ours", subset, workdir, ARCHIVE_CHROMA_URL=url)]
        results["load"]["one"] = (before, os.getloadavg()[0])
    with chroma_run(workdir / "server-two") as url:
        print("running two workers at once…", file=sys.stderr, flush=True)
        before = os.getloadavg()[0]
        procs = [run_worker("ours", half, workdir, ARCHIVE_CHROMA_URL=url, OMP_NUM_THREADS="1") for half in halves]
        results["two"] = [finish("ours", p) for p in procs]
        results["load"]["two"] = (before, os.getloadavg()[0])
    return results


def split_report(results: dict, args: argparse.Namespace) -> str:
    lines = ["| workers | articles | wall seconds of the ingests | articles/s | peak RSS MB per worker |",
             "|---|---|---|---|---|"]
    for label, runs in (("one (2 threads)", results["one"]), ("two at once (1 thread each)", results["two"])):
        n = sum(r["articles"] for r in runs)
        wall = max(r["ended"] for r in runs) - min(r["started"] for r in runs)
        rss = ", ".join(f"{r['rss_mb']:.0f}" for r in runs)
        lines.append(f"| {label} | {n} | {wall:.1f} | {n / wall:.2f} | {rss} |")
    limit = f" --limit {args.limit}" if args.limit else ""
    loads = results["load"]
    return "\n".join([
        "## Ingest split across two workers on one Chroma server (issue 20)",
        "",
        f"Command: `python bench/ingest.py{limit} --split` (one `chroma run` server; each worker its own "
        f"ARCHIVE_DIR and process, model load excluded; documents in {results['one'][0]['precision']}; {machine()}; "
        f"1-minute load average {loads['one'][0]:.1f} before one worker and {loads['one'][1]:.1f} after it, "
        f"{loads['two'][0]:.1f} before two and {loads['two'][1]:.1f} after them; on 2 cores the ingests alone "
        "make about 2). The recipe: docs/ingest-speed.md.",
        "",
        *lines,
    ])


def _row(label: str, precision: str, r: dict) -> str:
    return (f"| {label} | {precision} | {r['articles']} | {r['chunks']} | {r['seconds']:.1f} | "
            f"{r['articles'] / r['seconds']:.2f} | {r['chunks'] / r['seconds']:.1f} | {r['rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
