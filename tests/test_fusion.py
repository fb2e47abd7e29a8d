"""Fusion and grouping: small deterministic rankings, no model and no store."""

from __future__ import annotations

import pytest

from archive.search.fusion import Ranking, Role, fuse
from archive.search.hybrid import group_by_article
from archive.types import Article, Chunk, ChunkMatch


class Store:
    """Just enough of Store for grouping: articles by id (``b`` and ``b2`` are one story)."""

    def __init__(self, stories: dict[str, str] | None = None):
        self.stories = stories or {}

    def get_articles(self, ids, with_text=True):
        return {i: Article(i, f"title {i}", "", "h" * 12, f"{i}.txt", story_id=self.stories.get(i, "")) for i in ids}


def m(article: str, index: int, score: float, version: str = "hhhhhhhhhhhh") -> ChunkMatch:
    return ChunkMatch(Chunk(article, index, f"{article} passage {index}", 0, 1), score, version)


def _ids(hits):
    return [h.article.id for h in hits]


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_agreeing_rankings_keep_their_order_and_one_hit_per_article(fusion):
    dense = [m("a", 0, 0.9), m("a", 1, 0.8), m("b", 0, 0.7), m("c", 0, 0.6)]
    keyword = [m("a", 1, 12.0), m("b", 0, 8.0), m("c", 0, 2.0)]
    hits = _fuse(fusion, Store(), [(dense, 1.0), (keyword, 1.0)], 10)
    assert _ids(hits) == ["a", "b", "c"]
    assert hits[0].chunk.index == 1  # the passage both rankings liked comes first
    assert [p.index for p in hits[0].passages] == [0]


def test_score_fusion_keeps_a_sure_first_place_that_rrf_loses():
    """The vectors are sure of ``a``; keywords never saw it and put ``b`` in the middle of a flat ranking."""
    dense = [m("a", 0, 0.95)] + [m(f"d{i}", 0, 0.50 - i * 0.001) for i in range(8)] + [m("b", 0, 0.49)]
    keyword = [m(f"k{i}", 0, 10.0 - i * 0.01) for i in range(8)] + [m("b", 0, 9.9), m("z", 0, 1.0)]
    rrf = _ids(_fuse("rrf", Store(), [(dense, 1.0), (keyword, 1.0)], 3))
    score = _ids(_fuse("score", Store(), [(dense, 1.0), (keyword, 1.0)], 3))
    assert rrf[0] == "b"  # in both lists, so it beats the vectors' clear winner under reciprocal ranks
    assert score[0] == "a"


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_weights_decide_between_rankings(fusion):
    dense = [m("a", 0, 0.9), m("b", 0, 0.1)]
    keyword = [m("b", 0, 9.0), m("a", 0, 1.0)]
    assert _ids(_fuse(fusion, Store(), [(dense, 2.0), (keyword, 1.0)], 2))[0] == "a"
    assert _ids(_fuse(fusion, Store(), [(dense, 1.0), (keyword, 2.0)], 2))[0] == "b"


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_whole_article_ranking_only_rescores_articles_found(fusion):
    dense = [m("a", 0, 0.9), m("b", 0, 0.85)]
    whole = [("x", 0.99), ("b", 0.9), ("a", 0.1)]
    hits = _fuse(fusion, Store(), [(dense, 1.0)], 5, [(whole, 2.0)])
    assert _ids(hits) == ["b", "a"]  # b's whole text is closer; x had no passage in the chunk rankings


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_the_best_headlines_nominate_articles_no_chunk_ranking_found(fusion):
    """``x``'s only passage is page furniture: no chunk ranking finds it, but its headline is the best
    match. It competes, shown with its first passage; the articles found keep their passages."""
    dense = [m("a", 2, 0.9), m("b", 0, 0.6), m("c", 0, 0.5)]
    keyword = [m("a", 2, 9.0), m("c", 0, 8.0), m("d", 0, 1.0)]
    headlines = [m("x", 0, 0.8), m("b", 0, 0.7), m("c", 0, 0.2)]
    hits = _fuse(fusion, Store(), [(dense, 1.0), (keyword, 1.0)], 5, nominated=(headlines, 1.0))
    assert "x" in _ids(hits)
    x = hits[_ids(hits).index("x")]
    assert x.chunk.index == 0 and x.chunk.text == "x passage 0"
    assert hits[_ids(hits).index("a")].chunk.index == 2, "a nomination never changes a found article's passage"
    without = _fuse(fusion, Store(), [(dense, 1.0), (keyword, 1.0)], 5)
    assert "x" not in _ids(without)
    assert _ids(without).index("c") < _ids(without).index("b")
    if fusion == "score":  # scaled: a 1+1, b 0.25+0.83 (its headline lifts it over c), x 1, c 0.875, d 0
        assert _ids(hits) == ["a", "b", "x", "c", "d"]


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_a_story_is_one_hit_with_its_other_reports(fusion):
    store = Store({"b": "s1", "b2": "s1"})
    dense = [m("b", 0, 0.9), m("b2", 0, 0.88), m("c", 0, 0.5)]
    hits = _fuse(fusion, store, [(dense, 1.0)], 2)
    assert _ids(hits) == ["b", "c"]
    assert [a.id for a in hits[0].also] == ["b2"]
    # Answers read every report: without story grouping each article is a hit of its own.
    apart = _fuse(fusion, store, [(dense, 1.0)], 2, stories=False)
    assert _ids(apart) == ["b", "b2"] and all(h.also == () for h in apart)


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_chunks_of_a_stale_version_are_never_shown(fusion):
    dense = [m("a", 0, 0.9, version="oldoldoldold"), m("b", 0, 0.5)]
    assert _ids(_fuse(fusion, Store(), [(dense, 1.0)], 5)) == ["b"]


def test_empty_rankings_give_no_hits():
    assert _fuse("score", Store(), [([], 1.0), ([], 1.0)], 5) == []
    assert _fuse("rrf", Store(), [([], 1.0)], 5) == []


def test_an_unknown_fusion_is_refused():
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse([], "sum")


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_boosts_and_rescoring_rankings_never_bring_an_article_in(fusion):
    dense = [m("a", 0, 0.9), m("b", 0, 0.5)]
    fused = fuse([Ranking("dense", 1.0, matches=dense),
                  Ranking("whole", 5.0, Role.RESCORES, articles=[("z", 1.0), ("b", 0.9), ("a", 0.1)]),
                  Ranking("recency", 0.0, Role.BOOSTS, articles=[("y", 9.0), ("b", 1.0)])], fusion)
    assert set(fused.article_scores) == {"a", "b"}
    assert [p.chunk.article_id for p in fused.passages] == ["b", "a"]


def _fuse(fusion, store, rankings, k, whole=(), stories=True, nominated=((), 0.0)):
    typed = [Ranking(f"passages {i}", w, Role.PASSAGES, matches=r) for i, (r, w) in enumerate(rankings)]
    typed += [Ranking(f"articles {i}", w, Role.RESCORES, articles=r) for i, (r, w) in enumerate(whole)]
    typed.append(Ranking("nominated", nominated[1], Role.NOMINATES, matches=list(nominated[0])))
    return group_by_article(store, fuse(typed, fusion, 60), k, stories)
