"""The refusal gate names the rule each sentence breaks (issue 32): the bench counts refusals by rule, and a rule
that refuses answerable questions more often than near misses labels the closest sentence instead."""

from __future__ import annotations

import pytest

from archive.answers.focus import Context, judge, question_focus
from evaluation.harness import refusal_rules


@pytest.mark.parametrize("question, sentence, rules", [
    ("Which hospital treated Jill Biden?", "Jill Biden tested positive for Covid on Tuesday.", ("question words",)),
    ("What did Rutte say about 2029?", "Rutte said the alliance must spend more.", ("numbers",)),
    ("How many tanks did Germany send according to Rutte?", "Germany sent 14 tanks, Scholz said.", ("speaker",)),
    ("Which pilot landed the plane on the Hudson?", "Chesley Sullenberger landed the plane on the Hudson.",
     ("role word",)),
    ("Which two countries signed the pact?", "Japan signed the pact in Tokyo.", ("names counted",)),
    ("When did the ferry sink?", "The ferry sank off Crete, the coastguard said.", ("answer kind",)),
])
def test_a_judgement_names_the_rules_it_breaks(question, sentence, rules):
    said_by = "Scholz" if "Scholz" in sentence else ""  # who the article says said it
    verdict = judge(question, question_focus(question), sentence, Context(speaker_of=lambda: said_by))
    assert not verdict.answers and verdict.rules == rules


@pytest.mark.parametrize("note, rules", [
    ("", ["no close sentence"]),
    ("The closest sentence lacks any of hospit…, treat….", ["question words"]),
    ("The closest sentence lacks 2029, Rutte as its speaker.", ["speaker", "numbers"]),
    ("The closest sentence lacks Jill Biden, a date not already in the question.", ["answer kind", "names"]),
    ("The closest sentence restates the question.", ["echo"]),
    ("The archive does not quote Rutte on this; it attributes the closest sentence to Scholz (x): “y”", ["speaker"]),
])
def test_the_bench_reads_the_rule_from_a_refusal_note(note, rules):
    assert refusal_rules(note) == rules


def test_a_labelled_rule_quotes_the_closest_sentence_with_a_warning(monkeypatch):
    from archive.answers import focus
    from archive.answers.types import Candidate
    from archive.types import Article, Chunk

    text = "Jill Biden tested positive for Covid on Tuesday."
    article = Article("a1", "First lady tests positive", text, "h", "/a1.txt")
    candidate = Candidate(0, article, Chunk("a1", 0, text, 0, len(text)), 0, len(text), 0.8, 0.5, 0.9)
    question = "Which hospital treated Jill Biden?"
    best, _, why = focus.select_answer(question, question_focus(question), [candidate], 0.3, 0.1)
    assert best is None and "lacks any of" in why  # refused while the rule refuses
    monkeypatch.setattr(focus, "LABELLED", frozenset({"question words"}))
    best, verdict, why = focus.select_answer(question, question_focus(question), [candidate], 0.3, 0.1)
    assert best is candidate and not verdict.answers and why.startswith("May not answer the question")


def test_a_name_only_the_scene_setting_holds_need_not_be_in_the_article():
    from archive.answers.focus import article_stems

    article = "Greenberg is facing 33 federal charges, including embezzlement, prosecutors said."
    ctx = Context(article_stems=lambda: article_stems(article))
    scene = "Joel Greenberg, a former tax collector in Florida, is expected to plead guilty. How many charges does he face?"
    assert judge(scene, question_focus(scene), article, ctx).answers  # the article never says Florida
    asked = "How many charges does Greenberg face in Florida?"
    verdict = judge(asked, question_focus(asked), article, ctx)
    assert not verdict.answers and "Florida" in verdict.missing  # a name the asking sentence holds still counts
