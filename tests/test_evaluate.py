"""The evaluation harness: metric arithmetic, question files, date windows, and the CLI on the sample."""

from __future__ import annotations

import json
import math

import pytest

from archive.errors import InputError
from evaluation.harness import (
    Question,
    evaluate,
    load_questions,
    query_text,
    score_ranking,
    window_filters,
)


@pytest.mark.parametrize(
    "ranked, gold, expected",
    [
        (["g", "x", "y"], ["g"], {"recall@1": 1, "recall@5": 1, "recall@10": 1, "mrr@10": 1, "ndcg@10": 1}),
        (["x", "g"], ["g"], {"recall@1": 0, "recall@5": 1, "recall@10": 1, "mrr@10": 0.5, "ndcg@10": 1 / math.log2(3)}),
        (["x"] * 5 + ["g"], ["g"], {"recall@1": 0, "recall@5": 0, "recall@10": 1, "mrr@10": 1 / 6, "ndcg@10": 1 / math.log2(7)}),
        (["x"] * 10 + ["g"], ["g"], {"recall@1": 0, "recall@5": 0, "recall@10": 0, "mrr@10": 0, "ndcg@10": 0}),
        (["g2", "x", "g1"], ["g1", "g2"], {"recall@1": 1, "recall@5": 1, "recall@10": 1, "mrr@10": 1,
                                           "ndcg@10": (1 + 1 / 2) / (1 + 1 / math.log2(3))}),
        ([], ["g"], {"recall@1": 0, "recall@5": 0, "recall@10": 0, "mrr@10": 0, "ndcg@10": 0}),
        # records' article ids carry their feed; gold names the records by their own ids
        (["x", "feed-0123abcd/g"], ["g"], {"recall@1": 0, "recall@5": 1, "recall@10": 1, "mrr@10": 0.5,
                                           "ndcg@10": 1 / math.log2(3)}),
        # two feeds holding a record of the gold id: it counts once
        (["a-0123abcd/g", "b-89abcdef/g"], ["g"], {"recall@1": 1, "recall@5": 1, "recall@10": 1, "mrr@10": 1,
                                                   "ndcg@10": 1}),
    ],
)
def test_score_ranking(ranked, gold, expected):
    assert score_ranking(ranked, gold) == pytest.approx(expected)


def test_load_questions_reads_realtimeqa_form_and_rejects_bad_lines(tmp_path):
    good = tmp_path / "q.jsonl"
    good.write_text(json.dumps({"question": "Which automaker?", "choices": ["Ford", "BMW"], "gold_doc_ids": ["d1"],
                                "question_date": "2022/06/16"}) + "\n\n", encoding="utf-8")
    (q,) = load_questions(good)
    assert q == Question("Which automaker?", ("d1",), ("Ford", "BMW"), "2022-06-16")
    assert query_text(q, with_choices=True) == "Which automaker? Ford BMW"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok", "gold_doc_ids": []}\n{"gold_doc_ids": ["x"]}\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:2"):
        load_questions(bad)
    with pytest.raises(InputError, match="cannot read questions file"):
        load_questions(tmp_path / "missing.jsonl")


def test_window_is_the_days_before_the_question():
    f = window_filters(Question("q", ("d",), asked_on="2022-06-16"), 14)
    assert (f.date_from, f.date_to) == ("2022-06-02", "2022-06-16")
    assert window_filters(Question("q", ("d",)), 14) is None


def test_evaluate_averages_and_passes_filters():
    seen = []

    def search(query, k, filters):
        seen.append((query, filters.date_from if filters else None))
        return ["a", "b"] if "first" in query else ["b", "a"]

    questions = [Question("first", ("a",), asked_on="2022-06-16"), Question("second", ("a",), asked_on="2022-06-16")]
    result = evaluate(search, questions, window_days=7)
    assert result["recall@1"] == 0.5 and result["mrr@10"] == 0.75 and result["n"] == 2
    assert seen == [("first", "2022-06-09"), ("second", "2022-06-09")]
    assert result["p95_ms"] >= result["p50_ms"] >= 0


@pytest.mark.slow
def test_eval_cli_on_the_sample(tmp_path, sample_archive):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT, sample_id

    questions = tmp_path / "q.jsonl"
    rows = [
        {"question": "How many soldiers does Russia lose each month according to Rutte?", "gold_doc_ids": [sample_id(sample_archive, "004")]},
        {"question": "Where did Rutte warn that NATO could be Russia's next target?", "gold_doc_ids": [sample_id(sample_archive, "002")]},
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    env = {**os.environ, "ARCHIVE_DIR": str(sample_archive.settings.dir)}
    out = subprocess.run([sys.executable, "-m", "archive", "eval", str(questions), "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)
    assert set(metrics) == {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "p50_ms", "p95_ms", "n"}
    assert metrics["n"] == 2 and metrics["recall@1"] == 1.0
