"""Reranking: rank fusion arithmetic, the sentence reranker's effect, configuration errors."""

from __future__ import annotations

import pytest

from archive.errors import ConfigError
from archive.models.rerank import (
    SentenceReranker,
    best_sentences,
    make_reranker,
    select_sentences,
)
from archive.search.hybrid import reranked
from archive.text.query import query_stems
from archive.types import Article, Chunk, SearchHit
from tests.fakes import HashingEmbedder


def _hit(aid: str, text: str) -> SearchHit:
    article = Article(id=aid, title="", text=text, content_hash=aid, origin=aid)
    return SearchHit(article, Chunk(aid, 0, text, 0, len(text)), 0.0)


def test_fusion_keeps_order_when_both_rankings_agree_and_breaks_ties_by_first_stage():
    hits = [_hit(x, x) for x in "abc"]
    assert [h.article.id for h in reranked(hits, [3, 2, 1], 60)] == ["a", "b", "c"]
    # reversed second ranking: a and c tie exactly and the first stage's order decides
    assert [h.article.id for h in reranked(hits, [1, 2, 3], 60)] == ["a", "c", "b"]
    four = [_hit(x, x) for x in "abcd"]
    assert [h.article.id for h in reranked(four, [3, 2, 1, 9], 60)] == ["a", "d", "b", "c"]


def test_a_passage_with_the_answering_sentence_moves_up():
    hits = [
        _hit("weather", "Rain fell on Tuesday. Clouds stayed. Wind rose in the evening."),
        _hit("answer", "Officials met. Russia loses 20,000 soldiers each month, Rutte said. Talks went on."),
        _hit("sport", "The match ended in a draw. Fans went home."),
    ]
    question = "How many soldiers does Russia lose each month?"
    scores = SentenceReranker(HashingEmbedder(dim=256)).scores(question, hits)
    assert max(range(3), key=lambda i: scores[i]) == 1
    assert reranked(hits, scores, 60)[0].article.id == "answer"


def test_only_the_sentences_sharing_most_query_words_are_scored_in_text_order():
    text = ("The summit opened in Brussels. Weather was mild. Russia loses 20,000 soldiers a month, Rutte said. "
            "Lunch was served. Soldiers on the front described the month as the hardest.")
    hit = _hit("a", text)
    chosen = best_sentences(hit, query_stems("How many soldiers does Russia lose a month?"), 2)
    assert chosen == ["Russia loses 20,000 soldiers a month, Rutte said.",
                      "Soldiers on the front described the month as the hardest."]
    assert len(best_sentences(hit, set(), 3)) == 3, "with no shared words the first sentences stand in"


@pytest.mark.parametrize("spec", ["bogus", "cross-encoder:", "sentence"])
def test_unknown_reranker_is_a_config_error(spec):
    with pytest.raises(ConfigError, match="reranker must be"):
        make_reranker(spec, HashingEmbedder())


def test_none_means_no_second_stage():
    assert make_reranker("none", HashingEmbedder()) is None
    assert make_reranker("sentences", HashingEmbedder()).name == "sentences"


def test_sentence_budget_gives_every_candidate_its_best_sentence_then_the_most_overlapping():
    query = query_stems("How many soldiers does Russia lose a month?")
    hits = [
        _hit("a", "Russia loses soldiers every month. Russia counts soldiers. The weather was cold."),
        _hit("b", "Markets fell. Soldiers marched."),
        _hit("c", "Nothing related here. Still nothing."),
    ]
    chosen = select_sentences(hits, query, 4)
    assert chosen[:3] == [(0, "Russia loses soldiers every month."), (1, "Soldiers marched."), (2, "Nothing related here.")]
    assert chosen[3] == (0, "Russia counts soldiers.")  # the spare slot goes to the next most overlapping sentence
    assert select_sentences(hits, query, 2) == chosen[:2]
    assert len(select_sentences(hits, query, 100)) == 7  # every sentence, none twice
