"""Choosing the recency gain with folds of the RealTime QA dev questions, not with all of them at once.

    python bench/recency.py            # writes the "recency" section of docs/benchmarks.md

Every question is searched as of its question_date (time words resolved, later articles left out)
under each (recency_weight, recency_half_life_days) of a small grid. The questions are split into
five folds by question week (a week's questions share their distractor articles, so they stay
together). For each fold, the setting with the best mean MRR@10 on the other four folds is chosen
and scored on the held-out fold; the held-out figures are the honest estimate of what the choice
gives on questions it was not chosen on. The default is the setting the folds choose most often.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import REALTIMEQA, machine, write_section  # noqa: E402

# At most the weight of one whole ranking signal (the chunk vectors): recency may decide between articles on
# the same topic, never outweigh a clearly better match. (On dev the folds kept choosing the largest weight
# offered, up to 1.5: the pool holds each week's search results, so "from that week" is unusually telling.)
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
HALF_LIVES = (3.0, 7.0, 14.0, 30.0)
FOLDS = 5


def per_question(archive, questions, weight: float, half_life: float) -> list[dict[str, float]]:
    """Each question's metrics under one setting, searched as of its question date."""
    from archive import Archive
    from evaluation.harness import score_ranking

    tuned = Archive(archive.settings.model_copy(update={"recency_weight": weight, "recency_half_life_days": half_life}),
                    embedder=archive.embedder)
    return [score_ranking(tuned.ranked_ids(q.question, 10, None, as_of=q.asked_on or None), q.gold) for q in questions]


def folds_of(questions) -> list[int]:
    """A fold for each question: its week's place in date order, modulo FOLDS."""
    weeks = sorted({q.asked_on for q in questions})
    return [weeks.index(q.asked_on) % FOLDS for q in questions]


def mean(rows: list[dict[str, float]], metric: str) -> float:
    return sum(r[metric] for r in rows) / len(rows) if rows else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from bench.retrieval import our_archive
    from evaluation.harness import load_questions

    questions = load_questions(REALTIMEQA / "dev.jsonl")
    archive = our_archive()
    archive.search("warm up", 1)
    grid = {(w, h): per_question(archive, questions, w, h) for w in WEIGHTS for h in (HALF_LIVES if w else (7.0,))}
    for (w, h), rows in grid.items():
        print(f"weight {w:<5} half-life {h:<5} R@1 {mean(rows, 'recall@1'):.3f} R@5 {mean(rows, 'recall@5'):.3f} "
              f"MRR@10 {mean(rows, 'mrr@10'):.3f}", flush=True)
    fold = folds_of(questions)
    lines = ["| held-out fold | questions | chosen weight | half-life (days) | held-out R@5 | held-out MRR@10 | "
             "same fold, weight 0: R@5 | MRR@10 |", "|---|---|---|---|---|---|---|---|"]
    chosen, held_out, baseline = [], [], []
    for f in range(FOLDS):
        train = [i for i, x in enumerate(fold) if x != f]
        test = [i for i, x in enumerate(fold) if x == f]
        best = max(grid, key=lambda s: (round(mean([grid[s][i] for i in train], "mrr@10"), 6), -s[0]))
        chosen.append(best)
        rows, zero = [grid[best][i] for i in test], [grid[(0.0, 7.0)][i] for i in test]
        held_out += rows
        baseline += zero
        lines.append(f"| {f + 1} | {len(test)} | {best[0]} | {best[1]:g} | {mean(rows, 'recall@5'):.3f} | "
                     f"{mean(rows, 'mrr@10'):.3f} | {mean(zero, 'recall@5'):.3f} | {mean(zero, 'mrr@10'):.3f} |")
    lines.append(f"| all, each fold by its own choice | {len(held_out)} | | | {mean(held_out, 'recall@5'):.3f} | "
                 f"{mean(held_out, 'mrr@10'):.3f} | {mean(baseline, 'recall@5'):.3f} | {mean(baseline, 'mrr@10'):.3f} |")
    default, votes = Counter(chosen).most_common(1)[0]
    text = "\n".join([
        "## Recency gain, chosen on folds of dev (issue 21)",
        "",
        f"Command: `python bench/recency.py` ({len(questions)} dev questions, each searched as of its question "
        f"date; {FOLDS} folds by question week; {machine()}). Grid: weights {', '.join(map(str, WEIGHTS))} "
        f"by half-lives {', '.join(f'{h:g}' for h in HALF_LIVES)} days. Each fold's setting is the best mean "
        "MRR@10 on the other four folds, scored on the held-out fold.",
        "",
        *lines,
        "",
        f"Chosen by {votes} of {FOLDS} folds: weight {default[0]}, half-life {default[1]:g} days "
        "(the defaults of `ARCHIVE_RECENCY_WEIGHT` and `ARCHIVE_RECENCY_HALF_LIFE_DAYS`).",
    ])
    print(text)
    if not args.no_write:
        write_section("recency", text)


if __name__ == "__main__":
    main()
