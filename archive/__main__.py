"""python -m archive search|stats : query the news archive from a terminal."""

from __future__ import annotations

import argparse
import sys

from archive.cli_common import add_archive_dir, print_json, run_cli, settings_from
from archive.errors import ArchiveError

EXAMPLES = """examples:
  python -m archive search "How many soldiers does Russia lose each month?"
  python -m archive search "NATO summit" -k 5 --source cnn.com --since 2022-06-01 --json
  python -m archive stats
  python -m archive eval ../shared/eval/realtimeqa/dev.jsonl --window-days 14 --json
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m archive",
        description="Search and inspect the news archive.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    search = commands.add_parser("search", help="find the articles that best match a query")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=10, help="number of articles (default 10)")
    search.add_argument("--source", action="append", default=[], help="only this publisher (repeatable)")
    search.add_argument("--since", default="", help="published on or after this date (YYYY-MM-DD)")
    search.add_argument("--until", default="", help="published on or before this date (YYYY-MM-DD)")
    search.add_argument("--json", action="store_true", help="print one JSON object with a `hits` list")
    add_archive_dir(search)
    ev = commands.add_parser("eval", help="score search on questions with known source articles")
    ev.add_argument("questions", help="JSONL with `question` and `gold_doc_ids` (optional `choices`, `question_date`)")
    ev.add_argument("--with-choices", action="store_true", help="append each question's answer choices to it")
    ev.add_argument("--window-days", type=int, default=0, help="only articles published N days before question_date")
    ev.add_argument("--json", action="store_true", help="print one JSON object of metrics")
    add_archive_dir(ev)
    seed = commands.add_parser("seed", help="ingest the bundled sample articles if the archive is empty")
    add_archive_dir(seed)
    stats = commands.add_parser("stats", help="size of the archive, sources, dates, index")
    stats.add_argument("--json", action="store_true")
    add_archive_dir(stats)
    return parser.parse_args(argv)


def cmd_search(args: argparse.Namespace) -> int:
    from archive import Archive
    from archive.types import Filters
    from ingest.normalize import parse_date

    for flag in ("since", "until"):
        value = getattr(args, flag)
        if value and not parse_date(value):
            raise ArchiveError(f"--{flag} expects a date such as 2022-06-30, got {value!r}")
    filters = Filters(tuple(args.source), parse_date(args.since)[:10], parse_date(args.until)[:10])
    hits = Archive(settings_from(args)).search(args.query, k=args.k, filters=filters)
    if args.json:
        print_json({"query": args.query, "hits": [h.to_dict() for h in hits]})
        return 0
    if not hits:
        print("no matching articles")
    for rank, hit in enumerate(hits, 1):
        a = hit.article
        meta = " · ".join(x for x in (a.source, a.published_at[:10], a.author) if x)
        print(f"{rank}. {a.title}  [{hit.score:.3f}]")
        print(f"   {meta or 'source unknown'} · {a.id}")
        print(f"   {a.origin}  chars {hit.chunk.start}-{hit.chunk.end}")
        print("   " + " ".join(hit.chunk.text.split())[:400])
        for start, end in hit.highlights:
            print("   > " + " ".join(hit.chunk.text[start - hit.chunk.start : end - hit.chunk.start].split()))
        if hit.also:
            print("   also reported by: " + "; ".join(f"{o.source or o.title} ({o.id})" for o in hit.also))
        print()
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from archive import Archive

    stats = Archive(settings_from(args)).stats()
    if args.json:
        print_json(stats.to_dict())
        return 0
    print(f"{stats.articles} articles, {stats.chunks} chunks in {stats.location}")
    print(f"index {stats.index_name} (model {stats.embedding_model})")
    if stats.first_published:
        print(f"published {stats.first_published} .. {stats.last_published}")
    for source, count in list(stats.sources.items())[:20]:
        print(f"  {count:6d}  {source}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from archive import Archive
    from archive.evaluate import evaluate, load_questions

    archive = Archive(settings_from(args))
    questions = load_questions(Path(args.questions))
    archive.search("warm up", k=1)  # model load is not query latency
    metrics = evaluate(lambda q, k, f: archive.ranked_ids(q, k, f), questions, args.with_choices, args.window_days)
    if args.json:
        print_json(metrics)
    else:
        print("  ".join(f"{name} {value}" for name, value in metrics.items()))
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    report = archive.seed_sample()
    if report is None:
        print(f"archive already holds {archive.store.count_articles()} articles; sample not needed")
    else:
        print(f"sample ingested: {report.added} articles, {report.chunks_embedded} chunks")
    return 0 if report is None or report.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return {"search": cmd_search, "stats": cmd_stats, "seed": cmd_seed, "eval": cmd_eval}[args.command](args)


if __name__ == "__main__":
    run_cli(lambda: main(sys.argv[1:]))
