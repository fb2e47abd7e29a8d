"""``python -m ingest feeds ...`` and ``python -m ingest watch``: subscriptions and the poller."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from archive.cli.common import add_archive_dir, print_json, settings_from

FEEDS_EXAMPLES = """examples:
  python -m ingest feeds add https://www.theguardian.com/world/rss
  python -m ingest feeds add https://apnews.com/          # a site's page: the feed it links to
  python -m ingest feeds list --json
  python -m ingest feeds import subscriptions.opml
  python -m ingest feeds export > subscriptions.opml
  python -m ingest feeds remove https://www.theguardian.com/world/rss
"""

WATCH_EXAMPLES = """examples:
  python -m ingest watch            # poll every feed on its interval until Ctrl+C
  python -m ingest watch --once     # one cycle, then exit (for cron)
  python -m ingest watch --once --all
"""


def feeds_main(argv: list[str]) -> int:
    """``python -m ingest feeds``: add, list, remove, import, export."""
    parser = argparse.ArgumentParser(prog="python -m ingest feeds", description="Subscribe the archive to feeds.",
                                     epilog=FEEDS_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="subscribe to a feed URL (or the feed a site's page links to)")
    add.add_argument("url")
    add.add_argument("--title", default="", help="a name for the feed (default: the feed's own title)")
    listing = commands.add_parser("list", help="every feed with its state")
    listing.add_argument("--json", action="store_true", help='print {"feeds": [...]} (docs/watches.md)')
    commands.add_parser("remove", help="unsubscribe (its articles stay)").add_argument("url")
    commands.add_parser("import", help="subscribe to every feed of an OPML file").add_argument("file")
    commands.add_parser("export", help="print every subscription as OPML")
    for sub in commands.choices.values():
        add_archive_dir(sub)
    args = parser.parse_args(argv)
    from archive import Archive

    archive = Archive(settings_from(args))
    if args.command == "add":
        feed, new = archive.add_feed(args.url, args.title)
        print(f"{'subscribed to' if new else 'already subscribed to'} {feed.url}" + (f" ({feed.title})" if feed.title else ""))
    elif args.command == "list":
        return _list(archive, args.json)
    elif args.command == "remove":
        if not archive.remove_feed(args.url):
            print(f"error: no feed is subscribed at {args.url}", file=sys.stderr)
            return 1
        print(f"unsubscribed from {args.url}")
    elif args.command == "import":
        added = archive.import_opml(Path(args.file).read_bytes())
        print(f"{added} new feeds; {len(archive.feeds())} in all")
    else:
        sys.stdout.write(archive.export_opml())
    return 0


def _list(archive, as_json: bool) -> int:
    feeds = archive.feeds()
    if as_json:
        print_json({"feeds": [f.as_json() for f in feeds]})
        return 0
    if not feeds:
        print("no feeds; subscribe with: python -m ingest feeds add URL")
    for f in feeds:
        print(f"{f.url}  {f.title}".rstrip())
        print(f"  last success {f.last_success or 'never'}; last new entry {f.last_new_entry or 'never'}; "
              f"{f.entries_added} entries added; next poll {f.next_poll or 'now'}")
        if f.last_error:
            print(f"  last error: {f.last_error}")
    return 0


def watch_main(argv: list[str]) -> int:
    """``python -m ingest watch``: poll the feeds in the foreground until Ctrl+C (or once)."""
    parser = argparse.ArgumentParser(prog="python -m ingest watch", epilog=WATCH_EXAMPLES,
                                     description="Poll every subscribed feed on its interval and ingest new entries.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true", help="one cycle over the due feeds, then exit")
    parser.add_argument("--all", action="store_true", help="poll every feed now, due or not")
    parser.add_argument("--json", action="store_true", help="print each feed's result as one JSON line")
    add_archive_dir(parser)
    args = parser.parse_args(argv)
    from archive import Archive

    stop = threading.Event()
    # SIGTERM (a service manager, `make run` stopping) ends the poller between feeds; Ctrl+C at once, cleanly.
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        archive = Archive(settings_from(args))
        print(f"watching {len(archive.feeds())} feeds" + ("" if args.once else "; Ctrl+C stops"), flush=True)
        results = archive.poll_feeds(once=args.once, force=args.all, stop=stop,
                                     on_result=lambda r: print(_result_json(r) if args.json else r.line(), flush=True))
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 1 if args.once and any(r.status == "error" for r in results) else 0


def _result_json(result) -> str:
    import json
    from dataclasses import asdict

    return json.dumps(asdict(result), ensure_ascii=False)
