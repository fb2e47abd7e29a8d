"""Stories: the same event rewritten by another outlet is one result, with "also reported by"."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from archive.search.stories import jaccard, shingles, story_of
from archive.types import Article
from ingest.normalize import clean_text
from tests.conftest import SAMPLE, sample_id


def _article(aid: str, text: str, story: str = "") -> Article:
    return Article(id=aid, title="", text=text, content_hash=aid, origin=aid, story_id=story)


def test_shingle_overlap_separates_same_story_from_same_topic():
    texts = {p.name[:3]: clean_text(p.read_text(encoding="utf-8")) for p in sorted(SAMPLE.glob("*.txt"))}
    scores = {(a, b): jaccard(shingles(texts[a]), shingles(texts[b])) for a, b in combinations(sorted(texts), 2)}
    assert scores[("000", "001")] > 0.05
    assert max(v for pair, v in scores.items() if pair != ("000", "001")) < 0.02


@pytest.mark.parametrize(
    "candidates, expected",
    [
        ([], "new"),
        ([(_article("old", "an unrelated text about floods in the valley"), 0.9)], "new"),
        ([(_article("old", "the cat sat on the mat today in the sun"), 0.9)], "old"),
        ([(_article("old", "the cat sat on the mat today in the sun", story="s1"), 0.9)], "s1"),
    ],
)
def test_story_of(candidates, expected):
    new = _article("new", "the cat sat on the mat today in the sun")
    assert story_of(new, candidates, min_jaccard=0.05) == expected


@pytest.mark.parametrize(
    ("new_date", "old_date", "max_days", "expected"),
    [
        ("2022-07-10", "2022-07-12", 7, "old"),  # same event, two days apart
        ("2021-06-29", "2020-09-21", 7, "new"),  # same wording a season apart: another story
        ("2021-06-29", "2020-09-21", 0, "old"),  # no limit
        ("", "2020-09-21", 7, "old"),  # an undated article is not held to the window
    ],
)
def test_story_needs_dates_close_together(new_date, old_date, max_days, expected):
    text = "the cat sat on the mat today in the sun"
    new = Article(id="new", title="", text=text, content_hash="n", origin="n", published_at=new_date)
    old = Article(id="old", title="", text=text, content_hash="o", origin="o", published_at=old_date)
    assert story_of(new, [(old, 0.9)], min_jaccard=0.05, max_days=max_days) == expected


TEXT = "the cat sat on the mat today in the sun"


def _from(aid: str, source: str, story: str = "") -> Article:
    return Article(id=aid, title="", text=TEXT, content_hash=aid, origin=aid, source=source, story_id=story)


@pytest.mark.parametrize(
    ("new_source", "candidates", "expected"),
    [
        ("cnn.com", [_from("a", "usatoday.com")], "a"),  # another outlet's report: one story
        ("cnn.com", [_from("a", "cnn.com")], "new"),  # the outlet's own follow-up: its own result
        ("cnn.com", [_from("a", "www.CNN.com")], "new"),  # same outlet however it is written
        ("cnn.com", [_from("a", "e.newsletters.cnn.com")], "new"),  # and from any of its subdomains
        ("bbc.co.uk", [_from("a", "news.bbc.co.uk")], "new"),
        ("bbc.co.uk", [_from("a", "itv.co.uk")], "a"),  # a country's second level is not an outlet
        ("The Guardian", [_from("a", "the guardian")], "new"),
        ("", [_from("a", "cnn.com")], "a"),  # unknown outlet: the text decides
        # a story where the outlet already has an article is closed to it; the next candidate's is not
        ("cnn.com", [_from("a", "usatoday.com", "s1"), _from("b", "cnn.com", "s1"), _from("c", "bbc.co.uk")], "c"),
    ],
)
def test_an_outlet_never_joins_a_story_it_already_reports(new_source, candidates, expected):
    new = _from("new", new_source)
    assert story_of(new, [(c, 0.9) for c in candidates], min_jaccard=0.05) == expected


def test_restory_follows_changed_rules_and_keeps_the_sample_story(settings, sample_copy):
    """Restory decides stories again in publication order: the sample keeps 000+001, and a rule change
    (a lower Jaccard threshold merges more) is applied to articles ingested before it."""
    from archive import Archive
    from tests.fakes import HashingEmbedder

    embedder = HashingEmbedder()
    archive = Archive(settings, embedder=embedder)
    archive.ingest([str(sample_copy)])
    before = {a.id: a.story_id for a in archive.articles()}
    assert archive.restory() == 0
    assert {a.id: a.story_id for a in archive.articles()} == before
    loose = Archive(settings.model_copy(update={"story_min_jaccard": 0.0, "story_min_similarity": -1.0}),
                    embedder=embedder)
    moved = loose.restory()
    after = {a.id: a.story_id for a in loose.articles()}
    assert moved > 0 and len(set(after.values())) < len(set(before.values()))
    first = sample_id(archive, "000")
    assert archive.restory() > 0  # and back under the default rules
    assert {a.id: a.story_id for a in archive.articles()} == before
    assert before[first] == before[sample_id(archive, "001")]


@pytest.mark.slow
def test_sample_has_one_story_000_and_001(sample_archive):
    stories = {Path(a.origin).name[:3]: a.story_id for a in sample_archive.articles()}
    assert stories["000"] == stories["001"]
    assert len({stories[n] for n in ("000", "002", "003", "004")}) == 4


@pytest.mark.slow
def test_story_is_one_result_with_also_reported_by(sample_archive):
    hits = sample_archive.search("Putin called Rutte intelligent and systematic", k=10)
    ids = [h.article.id for h in hits]
    pair = {sample_id(sample_archive, "000"), sample_id(sample_archive, "001")}
    grouped = [h for h in hits if h.article.id in pair]
    assert len(grouped) == 1, "the two reports of one story are one result"
    assert {a.id for a in grouped[0].also} == pair - {grouped[0].article.id}
    assert len(ids) == 4
    data = grouped[0].to_dict()
    assert data["also_reported_by"][0]["article_id"] in pair


@pytest.mark.slow
def test_story_filter(sample_archive):
    story = sample_archive.article(sample_id(sample_archive, "000")).story_id
    from archive.types import Filters

    hits = sample_archive.search("NATO", k=10, filters=Filters(story=story))
    assert len(hits) == 1 and len(hits[0].also) == 1


def test_facet_counts_include_every_report_of_a_story():
    from archive.search.facets import facet_counts
    from archive.types import Chunk, SearchHit

    def art(aid, source, date):
        return Article(id=aid, title="", text="", content_hash=aid, origin=aid, source=source, published_at=date)

    chunk = Chunk("a", 0, "", 0, 0)
    hits = [
        SearchHit(art("a", "cnn.com", "2022-06-15"), chunk, 1.0, also=(art("b", "bbc.co.uk", "2022-06-16"),)),
        SearchHit(art("c", "cnn.com", "2022-07-01T10:00:00Z"), chunk, 0.5),
        SearchHit(art("d", "", ""), chunk, 0.1),
    ]
    facets = facet_counts(hits)
    assert facets.sources == {"cnn.com": 2, "bbc.co.uk": 1, "(unknown)": 1}
    assert facets.months == {"2022-06": 2, "2022-07": 1}
    assert facets.articles == 4
