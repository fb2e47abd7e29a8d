"""Retrieval benchmark on RealTime QA: our search vs LangChain's default pipeline vs BM25 alone.

    python bench/retrieval.py                   # all systems whose archives are built (builds ours)
    python bench/retrieval.py --build-langchain # also build LangChain's archive (1-2 hours on 2 cores)

The 7,504 pool articles are ingested once into archives kept under bench/.cache (or
$ARCHIVE_BENCH_CACHE) and reused; ours is resumable (ingest is incremental), so an interrupted build
continues where it stopped. The 99 dev questions run in four settings: the question alone; the
question followed by its choices; the question alone restricted to the 14 days before question_date;
and the question alone searched as of its question_date (ours resolves its time words, "this week",
against that day and leaves out later articles; the baselines, which read no time words, only leave
out later articles).

    python bench/retrieval.py --no-latency      # skip the latency table (it builds a 900-article archive)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import POOL_SAMPLE, REALTIMEQA, ROOT, machine, pool_records, write_section  # noqa: E402

CACHE = Path(os.environ.get("ARCHIVE_BENCH_CACHE", ROOT / "bench" / ".cache"))
SETTINGS_RUN = (("question", False, 0, False), ("question + choices", True, 0, False),
                ("question, 14-day window", False, 14, False), ("question, as of question date", False, 0, True))

Search = Callable[[str, int, "object | None"], list[str]]


def our_archive(limit: int | None = None, reranker: str = "none", embedder=None):
    """Our archive of the pool (or of its first ``limit`` articles), built once and kept in the cache."""
    from archive import Archive, Settings

    base = Settings()
    part = f"-first{limit}" if limit else (f"-sample{POOL_SAMPLE}" if POOL_SAMPLE else "")
    name = f"ours-{base.index_name(base.embedding_model)}{part}"
    archive = Archive(Settings(dir=CACHE / name, reranker=reranker), embedder=embedder)
    wanted = min(limit or (POOL_SAMPLE + 103 if POOL_SAMPLE else 7504), 7504) * 98 // 100  # a few have no text
    if archive.store.count_articles() < wanted:
        source = REALTIMEQA / "corpus.jsonl.gz"
        if part:
            source = CACHE / f"{part[1:]}.jsonl.gz"
            CACHE.mkdir(parents=True, exist_ok=True)
            with gzip.open(source, "wt", encoding="utf-8") as f:
                for record in pool_records(limit):
                    f.write(json.dumps(record) + "\n")
        print(f"building {archive.settings.dir} (resumable)…", flush=True)
        start = time.perf_counter()
        report = archive.ingest([str(source)], progress=True)
        print(f"  {report.added} added, {len(report.failed)} failed, {time.perf_counter() - start:.0f} s", flush=True)
    elif archive.store.articles_missing_headlines() or archive.store.misfurnished(archive.settings.furniture_min_articles):
        # A cache built before headline vectors or site furniture: the next ingest brings it up to date.
        print(f"embedding headlines / furniture-free chunks for {archive.settings.dir}…", flush=True)
        start = time.perf_counter()
        report = archive.ingest([])
        print(f"  {report.refurnished} articles embedded again, {time.perf_counter() - start:.0f} s", flush=True)
    return archive


def ours(archive) -> Search:
    # time words are read as of the question's date, or not at all (as `python -m archive eval` does)
    return lambda q, k, f, as_of=None: archive.ranked_ids(q, k, f, as_of=as_of, time_words=bool(as_of))


def bm25_alone() -> Search:
    """BM25 (bm25s, English stopwords) over whole articles, title and text."""
    import bm25s

    records = list(pool_records())
    ids = [r["doc_id"] for r in records]
    dates = [_day(r.get("publish_date") or "") for r in records]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([f"{r.get('title') or ''}\n{r.get('text') or ''}" for r in records],
                                   stopwords="en", show_progress=False), show_progress=False)

    def search(query: str, k: int, filters, as_of: str | None = None) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        docs, _ = retriever.retrieve(tokens, k=len(ids) if filters or as_of else k, show_progress=False)
        ranked = [int(i) for i in docs[0]]
        if filters:
            lo, hi = date.fromisoformat(filters.date_from), date.fromisoformat(filters.date_to)
            ranked = [i for i in ranked if dates[i] and lo <= dates[i] <= hi]
        if as_of:
            known = date.fromisoformat(as_of)
            ranked = [i for i in ranked if not dates[i] or dates[i] <= known]
        return [ids[i] for i in ranked[:k]]

    return search


def langchain_store(build: bool):
    """LangChain's default: RecursiveCharacterTextSplitter(1000, 200), same model, Chroma similarity search."""
    done_file = CACHE / "langchain" / "done"
    if not build and not done_file.exists():
        return None
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from archive.models.embedding import bundled_model_path

    embeddings = HuggingFaceEmbeddings(model_name=bundled_model_path(), model_kwargs={"device": "cpu"})
    store = Chroma(collection_name="langchain", embedding_function=embeddings, persist_directory=str(CACHE / "langchain"))
    if done_file.exists():
        return store
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    have = set(store.get(include=[])["ids"])
    batch: list = []
    for record in pool_records():
        day = _day(record.get("publish_date") or "")
        meta = {"doc_id": record["doc_id"], "ts": _ts(day) if day else -1}
        for i, chunk in enumerate(splitter.split_text(record.get("text") or "")):
            cid = f"{record['doc_id']}:{i}"
            if cid not in have:
                batch.append((cid, Document(page_content=chunk, metadata=meta)))
        if len(batch) >= 512:
            store.add_documents([d for _, d in batch], ids=[c for c, _ in batch])
            batch = []
    if batch:
        store.add_documents([d for _, d in batch], ids=[c for c, _ in batch])
    done_file.write_text("ok")
    return store


def langchain(store) -> Search:
    def search(query: str, k: int, filters, as_of: str | None = None) -> list[str]:
        where = None
        if filters:
            where = {"$and": [{"ts": {"$gte": _ts(date.fromisoformat(filters.date_from))}},
                              {"ts": {"$lte": _ts(date.fromisoformat(filters.date_to)) + 86399}}]}
        elif as_of:  # undated chunks carry ts -1, so they stay in
            where = {"ts": {"$lte": _ts(date.fromisoformat(as_of)) + 86399}}
        ids: list[str] = []
        for doc in store.similarity_search(query, k=k * 5, filter=where):
            if doc.metadata["doc_id"] not in ids:
                ids.append(doc.metadata["doc_id"])
        return ids[:k]

    return search


def _day(value: str) -> date | None:
    from archive.text.dates import parse_date

    iso = parse_date(value)
    return date.fromisoformat(iso[:10]) if iso else None


def _ts(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def run(systems: dict[str, Search], questions) -> dict[str, dict[str, dict]]:
    from evaluation.harness import evaluate

    results: dict[str, dict[str, dict]] = {}
    for name, search in systems.items():
        search("warm up", 1, None)
        for label, with_choices, window, as_of in SETTINGS_RUN:
            if "rerank" in name and label == "question + choices":
                continue  # a long query with four answers in it is not what the reranker's sentences are for
            metrics = evaluate(search, questions, with_choices, window, as_of)
            results.setdefault(label, {})[name] = metrics
            print(f"{label:28s} {name:22s} " + "  ".join(f"{m} {v}" for m, v in metrics.items()), flush=True)
    return results


def latency_table(full, questions) -> str:
    from evaluation.harness import evaluate

    small = our_archive(limit=900, embedder=full.embedder)
    lines = ["| archive | chunks | reranker | p50 ms | p95 ms |", "|---|---|---|---|---|"]
    for archive in (small, full):
        chunks = archive.store.count_chunks()
        for reranker in ("none", "sentences"):
            view = our_archive(limit=900 if archive is small else None, reranker=reranker, embedder=full.embedder)
            ours(view)("warm up", 1, None)  # loads the index snapshot and the metadata cache, not query latency
            m = evaluate(ours(view), questions)
            lines.append(f"| {archive.store.count_articles()} articles | {chunks} | {reranker} | {m['p50_ms']:.0f} | {m['p95_ms']:.0f} |")
            print(lines[-1], flush=True)
    return "\n".join(lines)


def table(results: dict[str, dict[str, dict]]) -> str:
    lines = ["| setting | system | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | p50 ms | p95 ms |", "|---|---|---|---|---|---|---|---|---|"]
    for label, by_system in results.items():
        for name, m in by_system.items():
            lines.append(f"| {label} | {name} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | "
                         f"{m['mrr@10']:.3f} | {m['ndcg@10']:.3f} | {m['p50_ms']:.0f} | {m['p95_ms']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-langchain", action="store_true", help="build LangChain's archive if missing")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency table")
    args = parser.parse_args()
    from evaluation.harness import load_questions

    questions = load_questions(REALTIMEQA / "dev.jsonl")
    archive = our_archive()
    reranked = our_archive(reranker="sentences", embedder=archive.embedder)
    systems: dict[str, Search] = {
        "ours (hybrid)": ours(archive),
        "ours + sentence rerank": ours(reranked),
        "BM25 alone": bm25_alone(),
    }
    lc = langchain_store(args.build_langchain)
    if lc is not None:
        systems["LangChain default"] = langchain(lc)
    results = run(systems, questions)
    latency = "(not measured in this run: --no-latency)" if args.no_latency else latency_table(archive, questions)
    stats = archive.stats()
    text = "\n".join([
        "## Retrieval on RealTime QA dev (issue 3)",
        "",
        f"Command: `python bench/retrieval.py{' --build-langchain' if args.build_langchain else ''}"
        f"{' --no-latency' if args.no_latency else ''}` "
        f"({len(questions)} dev questions; pool of {stats.articles} articles, {stats.chunks} chunks in our index; "
        f"{machine()}). "
        "Recall@k: share of questions with a gold article in the first k results.",
        "",
        table(results),
        "" if lc is not None else "\nLangChain's archive was not built in this run (`--build-langchain`, 1-2 hours).",
        "",
        "Search latency (the 99 dev questions, question alone, warm, one query at a time):",
        "",
        latency,
    ])
    print(text)
    (CACHE / "retrieval.json").write_text(json.dumps(results, indent=1))
    if not args.no_write:
        write_section("retrieval", text)


if __name__ == "__main__":
    main()
