"""python -m archive article|articles|watches|tokens|serve : reading articles, watches, API tokens, the server."""

from __future__ import annotations

import argparse

from archive.cli.common import add_archive_dir, print_json, settings_from
from archive.cli.shapes import ARTICLES_PAGE, article_json, articles_json, make_filters, watches_json

EXAMPLES = """
  python -m archive article ARTICLE_ID --json        # an id from 'articles' or a search
  python -m archive articles --source cnn.com --since 2022-06-01 --json
  python -m archive watches add rutte-russia "Rutte Russia" --source cnn.com
  python -m archive watches --new
  python -m archive watches seen rutte-russia
  python -m archive tokens add newsroom-bot
  python -m archive serve --port 8700
"""


def add_commands(commands) -> None:
    """The parsers of this module's commands, under ``python -m archive``."""
    article = commands.add_parser("article", help="one article with its passages and story")
    article.add_argument("id")
    article.add_argument("--json", action="store_true", help="print one JSON object: article, passages, story")
    add_archive_dir(article)
    articles = commands.add_parser("articles", help="every article's metadata, newest first, with filters")
    articles.add_argument("--source", action="append", default=[], help="only this publisher (repeatable)")
    articles.add_argument("--since", default="", help="published on or after this date (YYYY-MM-DD)")
    articles.add_argument("--until", default="", help="published on or before this date (YYYY-MM-DD)")
    articles.add_argument("--limit", type=int, default=ARTICLES_PAGE, help=f"at most this many (default {ARTICLES_PAGE})")
    articles.add_argument("--offset", type=int, default=0, help="skip this many first")
    articles.add_argument("--json", action="store_true", help="print one JSON object with an `articles` list")
    add_archive_dir(articles)
    _add_watches(commands)
    tokens = commands.add_parser("tokens", help="write tokens of the HTTP API (stored as hashes only)")
    actions = tokens.add_subparsers(dest="action", required=True)
    for action, helptext in (("add", "make a token and print it once"), ("revoke", "revoke a name's tokens")):
        sub = actions.add_parser(action, help=helptext)
        sub.add_argument("name")
        add_archive_dir(sub)
    listing = actions.add_parser("list", help="every token's name, date and state (never the token)")
    listing.add_argument("--json", action="store_true")
    add_archive_dir(listing)
    serve = commands.add_parser("serve", help="the HTTP API on 127.0.0.1 (docs/api.md)")
    serve.add_argument("--host", default=None, help="address to listen on (default $ARCHIVE_API_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default $ARCHIVE_API_PORT, 8700)")
    add_archive_dir(serve)


def _add_watches(commands) -> None:
    watches = commands.add_parser("watches", help="saved searches that say what is new (docs/watches.md)")
    watches.add_argument("--json", action="store_true", help='print {"watches": [...]}')
    watches.add_argument("--new", action="store_true", help="only the watches with new matches, as JSON")
    add_archive_dir(watches)
    actions = watches.add_subparsers(dest="action")
    add = actions.add_parser("add", help="save a search as a watch")
    add.add_argument("name", help="1-64 letters, digits, '-' or '_'")
    add.add_argument("query")
    add.add_argument("--source", action="append", default=[], help="only this publisher (repeatable)")
    add.add_argument("--since", default="", help="published on or after this date (YYYY-MM-DD)")
    add.add_argument("--until", default="", help="published on or before this date (YYYY-MM-DD)")
    add.add_argument("--entity", action="append", default=[], help="only articles naming this (repeatable)")
    add_archive_dir(add)
    remove = actions.add_parser("remove", help="delete a watch")
    remove.add_argument("name")
    add_archive_dir(remove)
    seen = actions.add_parser("seen", help="mark a watch's matches seen (--all: every watch)")
    seen.add_argument("name", nargs="?")
    seen.add_argument("--all", action="store_true")
    add_archive_dir(seen)


def cmd_article(args: argparse.Namespace) -> int:
    from archive import Archive

    data = article_json(Archive(settings_from(args)), args.id)
    if args.json:
        print_json(data)
        return 0
    a = data["article"]
    print(f"{a['title']}\n{' · '.join(x for x in (a['source'], a['published_at'][:10], a['author']) if x)}")
    print(f"{a['url'] or a['origin']}\n\n{a['text']}")
    for other in data["story"]["also_reported_by"]:
        print(f"\nalso reported by: {other['source'] or other['title']} ({other['article_id']})")
    return 0


def cmd_articles(args: argparse.Namespace) -> int:
    from archive import Archive

    data = articles_json(Archive(settings_from(args)), make_filters(args.source, args.since, args.until),
                         max(0, args.limit), max(0, args.offset))
    if args.json:
        print_json(data)
        return 0
    for a in data["articles"]:
        print(f"{a['published_at'][:10] or 'undated':10}  {a['source'] or '(unknown)':20}  {a['title']}  {a['id']}")
    print(f"({len(data['articles'])} of {data['total']})")
    return 0


def cmd_watches(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    if args.action == "add":
        filters = {"sources": args.source, "since": args.since, "until": args.until, "entities": args.entity}
        watch = archive.add_watch(args.name, args.query, {k: v for k, v in filters.items() if v})
        print(f"watch {watch.name} saved: {len(watch.matches)} articles match now")
    elif args.action == "remove":
        archive.remove_watch(args.name)
        print(f"watch {args.name} removed")
    elif args.action == "seen":
        if not (args.name or args.all):
            raise SystemExit("error: give a watch's name, or --all")
        archive.mark_watch_seen(None if args.all else args.name)
        print("marked seen")
    else:
        watches = archive.watches()
        if args.new:
            watches = [w for w in watches if w.new]
        if args.json or args.new:
            print_json(watches_json(watches))
            return 0
        for w in watches:
            print(f"{w.name}: {w.new} new of {len(w.matches)} · {w.query!r} {w.filters or ''}")
            for m in w.matches[: w.new]:
                print(f"   new: {m.title} · {m.source or 'unknown source'} · {m.article_id}")
        if not watches:
            print("no watches")
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    if args.action == "add":
        token = archive.add_token(args.name)
        print(token)
        print(f"(the token of {args.name}; only its hash is stored, so it cannot be shown again)")
    elif args.action == "revoke":
        print(f"{archive.revoke_token(args.name)} token(s) of {args.name} revoked")
    elif args.json:
        print_json({"tokens": archive.tokens()})
    else:
        for t in archive.tokens():
            print(f"{t['name']}  {t['created_at']}  {'revoked' if t['revoked'] else 'live'}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from archive.api.server import serve

    settings = settings_from(args)
    return serve(settings, args.host or settings.api_host, args.port or settings.api_port)


COMMANDS = {"article": cmd_article, "articles": cmd_articles, "watches": cmd_watches, "tokens": cmd_tokens,
            "serve": cmd_serve}
