"""python -m ingest PATH... : add articles from files, folders, feeds and URLs to the archive;
python -m ingest feeds ... : subscriptions; python -m ingest watch : the feed poller."""

from __future__ import annotations

import argparse
import sys

from archive.cli.common import add_archive_dir, print_json, run_cli, settings_from
from archive.types import IngestReport

EXAMPLES = """examples:
  python -m ingest data/sample
  python -m ingest notes/*.md --source "Reuters"
  python -m ingest feed.jsonl.gz --json
  python -m ingest ~/articles --prune        # also drop articles whose files are gone
  python -m ingest https://example.org/rss   # a feed's entries, once
  python -m ingest feeds add https://example.org/rss   # subscribe (see python -m ingest feeds --help)
  python -m ingest watch                     # poll the subscribed feeds until Ctrl+C
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Read .txt .md .html .json .jsonl(.gz) files, feeds (.xml .rss .atom, or a feed's URL), folders "
        "and URLs into the news archive.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, folder (recursive) or http(s) URL")
    parser.add_argument("--source", default="", help="publisher for inputs that do not name one")
    parser.add_argument("--prune", action="store_true", help="remove articles whose files under PATH are gone")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    add_archive_dir(parser)
    return parser.parse_args(argv)


def print_report(report: IngestReport) -> None:
    print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"duplicate {report.duplicate}, pruned {report.pruned}, failed {len(report.failed)}; "
        f"{report.chunks_embedded} chunks embedded"
        + (f"; {report.skipped} files of other types skipped" if report.skipped else "")
        + (f"; {report.refurnished} stored articles embedded again without site furniture"
           if report.refurnished else "")
    )
    for origin, owner in report.duplicates:
        print(f"  duplicate: {origin} (same content as {owner})")
    for note in report.notes:
        print(f"  note: {note.path}: {note.reason}")
    for failure in report.failed:
        print(f"  failed: {failure.path}: {failure.reason}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("feeds", "watch"):  # a folder of that name: ./feeds
        from archive.cli.feeds import feeds_main, watch_main

        return (feeds_main if argv[0] == "feeds" else watch_main)(argv[1:])
    args = parse_args(argv)
    from archive import Archive

    report = Archive(settings_from(args)).ingest(args.paths, source=args.source, prune=args.prune, progress=None)
    if args.json:
        print_json(report.to_dict())
    else:
        print_report(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    run_cli(lambda: main(sys.argv[1:]))
