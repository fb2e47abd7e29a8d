"""python -m archive search|ask|lookup|stats|eval|seed|… : use the news archive from a terminal (more commands: more.py)."""

from __future__ import annotations

import argparse

from archive import Answered, Token
from archive.cli import more
from archive.cli.common import add_archive_dir, print_json, settings_from
from archive.cli.shapes import ask_json, lookup_json, make_filters, search_json, stats_json

EXAMPLES = """examples:
  python -m archive search "How many soldiers does Russia lose each month?"
  python -m archive search "NATO summit" -k 5 --source cnn.com --since 2022-06-01 --json
  python -m archive ask "How many soldiers does Russia lose each month according to Rutte?"
  python -m archive lookup "NATO remains here" --json
  python -m archive stats
  python -m archive eval --answers ../shared/eval/realtimeqa/dev.jsonl --json
  python -m archive eval ../shared/eval/realtimeqa/dev.jsonl --window-days 14 --json"""
EXAMPLES += more.EXAMPLES


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
    search.add_argument("--entity", action="append", default=[],
                        help="only articles naming this person, organisation or place (repeatable: all must match)")
    add_time_options(search)
    search.add_argument("--facets", action="store_true", help="also print counts per source, month and entity")
    search.add_argument("--json", action="store_true", help="print one JSON object with a `hits` list")
    add_archive_dir(search)
    ask = commands.add_parser("ask", help="answer a question from the archive, citing every sentence")
    ask.add_argument("question")
    ask.add_argument("--source", action="append", default=[], help="only this publisher (repeatable)")
    ask.add_argument("--since", default="", help="published on or after this date (YYYY-MM-DD)")
    ask.add_argument("--until", default="", help="published on or before this date (YYYY-MM-DD)")
    add_time_options(ask)
    ask.add_argument("--json", action="store_true",
                     help="print one JSON object: answer, short_answer, answers_question, refused, citations")
    add_archive_dir(ask)
    lookup = commands.add_parser("lookup", help="which articles contain a phrase, and who said it")
    lookup.add_argument("phrase")
    lookup.add_argument("-k", type=int, default=10, help="most places to list (default 10)")
    lookup.add_argument("--exact", action="store_true", help="exact matches only (no approximate ones)")
    lookup.add_argument("--as-of", default="", help="consult the archive as of this date (YYYY-MM-DD; default today)")
    lookup.add_argument("--json", action="store_true", help="print one JSON object with a `matches` list")
    add_archive_dir(lookup)
    ev = commands.add_parser("eval", help="score search (or answers) on questions with known source articles")
    ev.add_argument("questions", help="JSONL with `question` and `gold_doc_ids` (optional `choices`, `question_date`)")
    ev.add_argument("--with-choices", action="store_true", help="append each question's answer choices to it")
    ev.add_argument("--window-days", type=int, default=0, help="only articles published N days before question_date")
    ev.add_argument("--as-of-question-date", action="store_true",
                    help="search each question as of its question_date (time words resolve against it; later articles "
                    "are left out); without it, time words are read as plain words")
    ev.add_argument("--answers", action="store_true", help="score grounded answers instead of the ranking")
    ev.add_argument("--unanswerable", action="store_true",
                    help="with --answers: every question should be refused (those answered by the archive are left out)")
    ev.add_argument("--json", action="store_true", help="print one JSON object of metrics")
    add_archive_dir(ev)
    seed = commands.add_parser("seed", help="ingest the bundled sample articles if the archive is empty")
    add_archive_dir(seed)
    restory = commands.add_parser(
        "restory", help="decide every article's story again (after changing the ARCHIVE_STORY_* settings)"
    )
    add_archive_dir(restory)
    names = commands.add_parser(
        "names", help="find the people, organisations and places articles name (those not named yet; --all: every one)"
    )
    names.add_argument("--all", action="store_true", help="every article again (after changing ARCHIVE_ENTITY_CHARS)")
    add_archive_dir(names)
    more.add_commands(commands)
    stats = commands.add_parser("stats", help="size of the archive, sources, dates, index")
    stats.add_argument("--json", action="store_true")
    add_archive_dir(stats)
    return parser.parse_args(argv)


def add_time_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", default="",
                        help="consult the archive as of this date (YYYY-MM-DD; default today): time words such as "
                        "'this week' resolve against it, and articles published after it are left out")
    parser.add_argument("--no-time-words", action="store_true",
                        help="take 'this week', 'on Monday', 'in June' as plain words, not as a date window")


def time_words_from(args: argparse.Namespace) -> bool | None:
    return False if getattr(args, "no_time_words", False) else None


def filters_from(args: argparse.Namespace):
    return make_filters(args.source, args.since, args.until, getattr(args, "entity", ()) or ())


def cmd_search(args: argparse.Namespace) -> int:
    from archive import Archive

    filters = filters_from(args)
    archive = Archive(settings_from(args))
    if args.json:
        print_json(search_json(archive, args.query, args.k, filters, args.as_of, time_words_from(args), args.facets))
        return 0
    timed = archive.interpret(args.query, filters, args.as_of, time_words_from(args))
    hits = archive.search(args.query, k=args.k, filters=filters, as_of=args.as_of, time_words=time_words_from(args))
    facets = archive.facets_of(archive.search(args.query, 100, filters, as_of=args.as_of,
                                              time_words=time_words_from(args))) if args.facets else None
    if facets is not None:
        print("sources: " + ", ".join(f"{k} {v}" for k, v in facets.sources.items()))
        print("months:  " + ", ".join(f"{k} {v}" for k, v in facets.months.items()))
        for kind, names in facets.entities.items():
            print(f"{kind + ':':8} " + ", ".join(f"{k} {v}" for k, v in list(names.items())[:10]))
        print()
    if timed.window is not None:
        print(f"searching {timed.window.label()} (\"{timed.window.phrase}\", as of {timed.as_of.isoformat()}); "
              "--no-time-words searches all dates\n")
    elif timed.unused is not None:
        print(f"no article is dated {timed.unused.label()} (\"{timed.unused.phrase}\", as of "
              f"{timed.as_of.isoformat()}): searching all dates\n")
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


def cmd_ask(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    filters = filters_from(args)
    words = time_words_from(args)
    if args.json:
        print_json(ask_json(archive, args.question, filters, args.as_of, words))
        return 0
    timed = archive.interpret(args.question, filters, args.as_of, words)
    if timed.window is not None:
        print(f"searching {timed.window.label()} (\"{timed.window.phrase}\", as of {timed.as_of.isoformat()})\n")
    answer = None
    streamed = False
    drafts = archive.answerer.chat is not None  # a model's draft is worth showing; quoted sentences come whole
    for event in archive.ask_stream(args.question, filters=filters, as_of=args.as_of, time_words=words):
        if isinstance(event, Token) and drafts:  # generative backends: show the draft as it is written
            streamed = True
            print(event.text, end="", flush=True)
        elif isinstance(event, Answered):
            answer = event.answer
    if streamed:
        print("\n\nchecked answer:")
    print_answer_head(answer)
    if answer.refused and answer.closest:
        print("\nclosest articles:")
        for a in answer.closest:
            print(f"  - {a.title} ({a.source or 'unknown source'}, {a.published_at[:10] or 'undated'}) {a.id}")
    if answer.sources:
        print("\nsources:")
    for source in answer.sources:
        a = source.article
        print(f"[{source.n}] {a.title} · {a.source or 'unknown source'} · {a.published_at[:10] or 'undated'} · {a.id}")
        print(f"    {a.url or a.origin}")
        for c in answer.citations:
            if c.n == source.n:
                who = answer.said_by(c)
                said = f"; said by {who}" if who else ""
                print(f"    > {' '.join(c.quote.split())}  (chars {c.start}-{c.end}; {c.label}{said})")
    for sentence, why in answer.removed:
        print(f"\nremoved by verification: {sentence} ({why})")
    print(f"\n({answer.backend}, {answer.elapsed_ms:.0f} ms)")
    return 0


def print_answer_head(answer) -> None:
    """The direct answer first, then the quoted sentences, then what was checked, in plain words."""
    if answer.refused:
        print(answer.text)
        if answer.note:
            print(answer.note)
        return
    if answer.short is not None:
        print(f"answer: {answer.lead}")
    elif answer.note:
        print(answer.note)
    print()
    print(answer.text)
    verdict = "yes" if answer.answers_question else "not sure"
    why = f" ({answer.judgement.reason})" if answer.judgement else ""
    print(f"\nanswers the question: {verdict}{why}")


def cmd_lookup(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    if args.json:
        print_json(lookup_json(archive, args.phrase, args.k, not args.exact, args.as_of))
        return 0
    matches = archive.lookup(args.phrase, k=args.k, approximate=not args.exact, as_of=args.as_of)
    if not matches:
        print("no article contains that phrase")
    for rank, m in enumerate(matches, 1):
        a = m.article
        kind = "exact" if m.exact else f"approximate ({m.score:.0f})"
        print(f"{rank}. {a.title} · {a.source or 'unknown source'} · {a.published_at[:10] or 'undated'} · {a.id}")
        print(f"   {kind} match, chars {m.start}-{m.end}; speaker: {m.said_by or 'not attributed'}")
        print(f"   > {' '.join(m.sentence.split())}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    if args.json:
        print_json(stats_json(archive))
        return 0
    stats = archive.stats()
    print(f"{stats.articles} articles, {stats.chunks} chunks in {stats.location}")
    print(f"index {stats.index_name} (model {stats.embedding_model})")
    print(f"vector scan: {stats.vector_scan}")
    if stats.first_published:
        print(f"published {stats.first_published} .. {stats.last_published}")
    for source, count in list(stats.sources.items())[:20]:
        print(f"  {count:6d}  {source}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from archive import Archive
    from evaluation.harness import evaluate, load_questions

    archive = Archive(settings_from(args))
    questions = load_questions(Path(args.questions))
    archive.search("warm up", k=1)  # model load is not query latency
    if args.answers:
        from evaluation.harness import by_record_id, evaluate_answers

        texts = [a.text for a in archive.articles_by_id([x.id for x in archive.articles()]).values()] \
            if args.unanswerable else []
        gold_ids = by_record_id(a.id for a in archive.articles())  # questions name records by their own ids
        metrics = evaluate_answers(  # as for the ranking: time words only as of the question's date
            lambda q, f, as_of=None: archive.ask(q, filters=f, as_of=as_of, time_words=bool(as_of)),
            lambda doc_id: getattr(archive.article(gold_ids.get(doc_id, doc_id)), "text", ""),
            questions, args.window_days, args.unanswerable, texts, args.as_of_question_date,
        )
        metrics["backend"] = archive.answerer.name
        if args.json:
            print_json(metrics)
        else:
            print("  ".join(f"{name} {value}" for name, value in metrics.items()))
        return 0
    # A question's "this week" is the week it was asked: time words are read only as of its question_date.
    metrics = evaluate(lambda q, k, f, as_of=None: archive.ranked_ids(q, k, f, as_of=as_of, time_words=bool(as_of)),
                       questions, args.with_choices, args.window_days, args.as_of_question_date)
    if args.json:
        print_json(metrics)
    else:
        print("  ".join(f"{name} {value}" for name, value in metrics.items()))
    return 0


def cmd_restory(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    moved = archive.restory()
    print(f"{moved} of {archive.count_articles()} articles changed story")
    return 0


def cmd_names(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    named = archive.name_articles(everything=args.all, progress=None)
    print(f"names found in {named} of {archive.count_articles()} articles")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from archive import Archive

    archive = Archive(settings_from(args))
    report = archive.seed_sample()
    if report is None:
        print(f"archive already holds {archive.count_articles()} articles; sample not needed")
    else:
        print(f"sample ingested: {report.added} articles, {report.chunks_embedded} chunks")
    return 0 if report is None or report.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    commands = {"search": cmd_search, "ask": cmd_ask, "lookup": cmd_lookup, "stats": cmd_stats, "seed": cmd_seed,
                "eval": cmd_eval, "restory": cmd_restory, "names": cmd_names} | more.COMMANDS
    return commands[args.command](args)

