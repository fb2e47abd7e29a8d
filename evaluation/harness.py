"""Retrieval evaluation: run questions with known source articles and score the ranking.

A question file is JSONL with ``question`` and ``gold_doc_ids`` (the RealTime QA form; ``choices`` and
``question_date`` are used when present). Metrics are document level: a question counts as recalled
at k when any of its gold articles is among the first k hits.

Gold ids are the records' own ids, while the archive scopes a record's article id by its feed
('<feed>/<record id>', so that two feeds numbering their records alike do not collide): ranked article
ids are mapped back to record ids (``record_id_of``) before they are compared.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from archive.errors import InputError
from archive.types import Filters, record_id_of


@dataclass(frozen=True)
class Question:
    """One evaluation question and the articles that answer it."""

    question: str
    gold: tuple[str, ...]
    choices: tuple[str, ...] = ()
    asked_on: str = ""  # ISO date the question was asked (for "the past week" windows)
    answer: str = ""  # the answer text, when known (answer evaluation)


def load_questions(path: Path) -> list[Question]:
    """Read a question file; a line that is not a usable question is a clear error."""
    questions = []
    try:
        f = open(path, encoding="utf-8")  # noqa: SIM115 - opened apart, so that only its failure is "cannot read"
    except OSError as e:
        raise InputError(f"cannot read questions file {path}: {e.strerror or e}") from e
    with f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                questions.append(
                    Question(
                        question=str(record["question"]),
                        gold=tuple(str(g) for g in record.get("gold_doc_ids") or record.get("gold") or ()),
                        choices=tuple(str(c) for c in record.get("choices") or ()),
                        asked_on=str(record.get("question_date") or "").replace("/", "-")[:10],
                        answer=str(record.get("answer_text") or record.get("answer") or ""),
                    )
                )
            except (ValueError, KeyError, TypeError) as e:
                raise InputError(f"{path}:{line_no}: expected a JSON object with 'question' and 'gold_doc_ids' ({e})") from e
    return questions


def query_text(q: Question, with_choices: bool) -> str:
    """The question alone, or followed by its answer choices."""
    return f"{q.question} {' '.join(q.choices)}" if with_choices and q.choices else q.question


def window_filters(q: Question, days: int) -> Filters | None:
    """Published within ``days`` days before the question was asked (None when no date is known)."""
    if not days or not q.asked_on:
        return None
    asked = date.fromisoformat(q.asked_on)
    return Filters(date_from=(asked - timedelta(days=days)).isoformat(), date_to=asked.isoformat())


def by_record_id(article_ids: Iterable[str]) -> dict[str, str]:
    """Article id by the id a question file names it by (the first article wins when two feeds share a record id)."""
    found: dict[str, str] = {}
    for article_id in article_ids:
        found.setdefault(record_id_of(article_id), article_id)
    return found


def score_ranking(ranked: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """Recall@1/5/10, MRR@10 and nDCG@10 of one ranked list of article ids, against gold record ids.

    A gold article counts once, at its first rank, even when two feeds hold a record of that id.
    """
    gold_set = set(gold)
    top = [record_id_of(doc) for doc in ranked[:10]]
    first = next((i for i, doc in enumerate(top) if doc in gold_set), None)
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(top) if doc in gold_set and doc not in top[:i])
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold_set), 10)))
    return {
        "recall@1": float(first is not None and first < 1),
        "recall@5": float(first is not None and first < 5),
        "recall@10": float(first is not None),
        "mrr@10": 1 / (first + 1) if first is not None else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
    }


def evaluate(
    search: Callable[[str, int, Filters | None], list[str]],
    questions: Sequence[Question],
    with_choices: bool = False,
    window_days: int = 0,
    as_of_question_date: bool = False,
) -> dict[str, Any]:
    """Run every question through ``search`` (returning ranked article ids) and average the metrics.
    ``as_of_question_date``: each question is searched as of the day it was asked (``search``'s ``as_of``)."""
    totals: dict[str, float] = {}
    latencies = []
    for q in questions:
        start = time.perf_counter()
        extra = {"as_of": q.asked_on or None} if as_of_question_date else {}
        ranked = search(query_text(q, with_choices), 10, window_filters(q, window_days), **extra)
        latencies.append((time.perf_counter() - start) * 1000)
        for name, value in score_ranking(ranked, q.gold).items():
            totals[name] = totals.get(name, 0.0) + value
    n = len(questions)
    result: dict[str, Any] = {name: round(value / n, 4) for name, value in totals.items()} if n else {}
    result.update(p50_ms=round(_percentile(latencies, 50), 1), p95_ms=round(_percentile(latencies, 95), 1), n=n)
    return result


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def answer_key(text: str) -> str:
    """An answer text folded for containment checks: “Squid Game” -> squid game."""
    from archive.text.fold import normalize

    return normalize(text).strip(' "\'.,')


# The rules of the refusal gate (archive/answers/focus.py), as a refusal's note names what the closest sentence lacks.
_RULE_ITEMS = (
    ("echo", r"restates the question"),
    ("answer kind", r"an? [\w ]+ not already in the question"),
    ("names counted", r"\d names of an? [\w ]+"),
    ("speaker", r"[^,]+ as its speaker"),
    ("question words", r"any of (?:[^,…]+…(?:, )?)+"),
    ("role word", r"the [^,…]+… asked for"),
    ("counted thing", r"the [^,]+… (?:counted|whose colour is asked)"),
    ("quoted words", r"“[^”]*”"),
    ("numbers", r"(?<![\w])\d[\d.,]*(?![\w])"),
)


def refusal_rules(note: str) -> list[str]:
    """The gate's rules that a refusal's note says refused it: what the closest sentence lacks, each item named by
    its rule ("names" for the question's names); "no close sentence" when no sentence was near enough to judge."""
    if not note:
        return ["no close sentence"]
    if note.startswith("The archive does not quote"):
        return ["speaker"]
    lacks = note.removeprefix("The closest sentence ").rstrip(".")
    lacks = lacks.removeprefix("lacks ")
    rules = []
    for rule, pattern in _RULE_ITEMS:
        lacks, found = re.subn(pattern, "", lacks)
        if found:
            rules.append(rule)
    if lacks.strip(" ,"):  # what is left are the question's names (or a follow-up's)
        rules.append("names")
    return rules


def evaluate_answers(
    ask: Callable[[str, Filters | None], Any],
    article_text: Callable[[str], str],
    questions: Sequence[Question],
    window_days: int = 0,
    unanswerable: bool = False,
    archive_texts: Sequence[str] = (),
    as_of_question_date: bool = False,
    details: bool = False,
) -> dict[str, Any]:
    """Score grounded answers (``ask`` returns an ``archive.answers.answerer.Answer``; with ``as_of_question_date``
    it is also given ``as_of``, the day the question was asked).

    Answerable mode (the default): of the questions whose answer text appears in a gold article,
    the share whose answer cites a passage containing it (``answer_cited``), and the stricter share
    whose cited quote itself contains it (``answer_quoted``); the share of cited sentences the verifier
    judged supported (``citation_precision``); answers quoting a phrase absent from the cited article
    (``misquotes``, should be 0); refusals; the share whose direct answer contains the answer text
    (``short_right``). In both modes: answers quoting a sentence that restates the question (``echoes``) and
    quotes of instruction-shaped text (``injected``), both should be 0. Unanswerable mode: questions whose
    answer text appears in any of ``archive_texts`` are left out, and the rest should all be refused
    (``refusal_rate``). ``details``: also a ``questions`` list with each question's outcome.
    """
    from archive.answers.answerer import quotes_verbatim
    from archive.answers.focus import is_echo
    from archive.answers.prompts import instruction_spans
    from archive.text.fold import normalize

    folded_archive = [normalize(t) for t in archive_texts]
    latencies: list[float] = []
    counted = cited = quoted = refused = misquotes = short_right = echoes = injected = 0
    supported = citations = 0
    outcomes: list[dict[str, Any]] = []
    for q in questions:
        key = answer_key(q.answer)
        if unanswerable:
            if key and any(key in t for t in folded_archive):
                continue
        elif not key or not any(key in normalize(article_text(g)) for g in q.gold):
            continue
        start = time.perf_counter()
        extra = {"as_of": q.asked_on or None} if as_of_question_date else {}
        answer = ask(q.question, window_filters(q, window_days), **extra)
        latencies.append((time.perf_counter() - start) * 1000)
        counted += 1
        refused += answer.refused
        texts = {s.article.id: s.article.text for s in answer.sources}
        misquotes += not quotes_verbatim(answer, texts)
        for sentence in answer.sentences:
            citations += 1
            supported += sentence.supported
        echoes += any(is_echo(q.question, c.quote) for c in answer.citations)
        injected += sum(bool(instruction_spans(c.quote)) for c in answer.citations)
        outcome = {"question": q.question, "refused": answer.refused, "short": answer.short.text if answer.short else "",
                   "refused_by": refusal_rules(answer.note) if answer.refused else [],
                   "labelled": answer.note.startswith("May not answer")}
        if not unanswerable:
            passages = [normalize(s.chunk.text) for s in answer.sources]
            cited += any(key in p for p in passages)
            in_quote = any(key in normalize(c.quote) for c in answer.citations)
            right = answer.short is not None and key in normalize(answer.short.text)
            quoted += in_quote
            short_right += right
            outcome.update(answer_quoted=in_quote, short_right=right)
        outcomes.append(outcome)
    result: dict[str, Any] = {"n": counted}
    if counted:
        if unanswerable:
            result["refusal_rate"] = round(refused / counted, 4)
        else:
            result.update(
                answer_cited=round(cited / counted, 4),
                answer_quoted=round(quoted / counted, 4),
                short_right=round(short_right / counted, 4),
                refused=round(refused / counted, 4),
            )
        result.update(
            citation_precision=round(supported / citations, 4) if citations else None,
            misquotes=misquotes,
            echoes=echoes,
            injected=injected,
            p50_ms=round(_percentile(latencies, 50), 1),
            p95_ms=round(_percentile(latencies, 95), 1),
        )
    if details:
        result["questions"] = outcomes
    return result
