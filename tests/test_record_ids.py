"""Record ids are scoped by their feed: feeds numbering their records alike, or a record named like a
stored file's article, never overwrite each other; evaluation still names records by their own ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.types import RawDocument, record_id_of
from evaluation.harness import Question, by_record_id, evaluate
from ingest.normalize import origin_id
from tests.fakes import HashingEmbedder
from tests.test_pipeline import record_article_id, snapshot

STORIES = {
    ("a", "1"): "Floods covered a third of Pakistan after the monsoon rains.",
    ("a", "2"): "Europe had its hottest summer on record, with rivers running dry.",
    ("b", "1"): "A harbour strike closed the port of Rotterdam for two days.",
    ("b", "2"): "The central bank raised interest rates by half a point.",
}


@pytest.fixture
def archive(tmp_path) -> Archive:
    return Archive(Settings(dir=tmp_path / "archive", entities=False), embedder=HashingEmbedder())


def _feed(folder: Path, name: str, records: dict[str, str]) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("\n".join(json.dumps({"id": rid, "text": text}) for rid, text in records.items()), encoding="utf-8")
    return path


def _feeds(folder: Path) -> dict[str, Path]:
    return {name: _feed(folder, name, {rid: text for (feed, rid), text in STORIES.items() if feed == name})
            for name in ("a", "b")}


def test_two_feeds_numbering_their_records_alike_keep_all_four(archive, tmp_path):
    feeds = _feeds(tmp_path)
    report = archive.ingest([str(p) for p in feeds.values()])
    assert (report.added, report.failed) == (4, [])
    assert len(archive.articles()) == 4
    for (feed, rid), text in STORIES.items():
        article_id = record_article_id(feeds[feed], rid)
        assert archive.article(article_id).text == text
        assert archive.search(text, k=1)[0].article.id == article_id, f"{feed} #{rid} is found by its own words"


def test_a_record_named_like_a_stored_files_article_does_not_replace_it(archive, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Harbour strike ends\n\nDock workers went back to work on Monday.", encoding="utf-8")
    assert archive.ingest([str(story)]).added == 1
    (file_article,) = archive.articles()
    feed = _feed(tmp_path, "feed", {file_article.id: "The record tells a different story about elections."})
    report = archive.ingest([str(feed)])
    assert (report.added, report.failed) == (1, [])
    assert archive.article(file_article.id).text == "Dock workers went back to work on Monday."
    assert archive.article(record_article_id(feed, file_article.id)).text.startswith("The record tells")


def test_reingesting_a_feed_updates_its_records_in_place(archive, tmp_path):
    feed = _feed(tmp_path, "feed", {"1": STORIES["a", "1"], "2": STORIES["a", "2"]})
    archive.ingest([str(feed)])
    ids = sorted(a.id for a in archive.articles())
    assert ids == sorted(record_article_id(feed, rid) for rid in ("1", "2"))
    _feed(tmp_path, "feed", {"1": STORIES["a", "1"] + " Aid arrived on Friday.", "2": STORIES["a", "2"]})
    report = archive.ingest([str(feed)])
    assert (report.added, report.updated, report.unchanged, report.duplicate) == (0, 1, 1, 0)
    assert sorted(a.id for a in archive.articles()) == ids
    assert archive.article(record_article_id(feed, "1")).text.endswith("Aid arrived on Friday.")


def _bare_record_ids(raw: RawDocument) -> str:
    """Article ids as ingest gave them before they were scoped: a record's own id, else the origin's."""
    return raw.record_id.strip() if raw.record_id else origin_id(raw.origin)


def test_an_article_of_another_input_holding_the_same_id_is_kept_and_the_input_fails(archive, tmp_path, monkeypatch):
    # An archive from before scoped ids holds a record whose bare id is the id a file now gets.
    story = tmp_path / "story.txt"
    story.write_text("Harbour strike ends\n\nDock workers went back to work on Monday.", encoding="utf-8")
    taken = origin_id(str(story.resolve()))
    feed = _feed(tmp_path, "old", {taken: "An older record about a central bank decision."})
    monkeypatch.setattr("ingest.normalize.article_id_for", _bare_record_ids)
    assert archive.ingest([str(feed)]).added == 1
    monkeypatch.undo()
    before = snapshot(archive)
    report = archive.ingest([str(story)])
    assert report.added == report.updated == 0
    (failure,) = report.failed
    assert failure.path == str(story.resolve())
    assert f"article id {taken} is already taken by {feed.resolve()}#{taken}" in failure.reason
    assert "\n" not in failure.reason
    assert snapshot(archive) == before
    assert archive.article(taken).text == "An older record about a central bank decision."


def test_an_archive_from_before_scoped_ids_keeps_its_ids_and_updates_them_in_place(archive, tmp_path, monkeypatch):
    feed = _feed(tmp_path, "feed", {"1": STORIES["a", "1"], "2": STORIES["a", "2"]})
    monkeypatch.setattr("ingest.normalize.article_id_for", _bare_record_ids)
    archive.ingest([str(feed)])
    monkeypatch.undo()
    assert sorted(a.id for a in archive.articles()) == ["1", "2"]
    again = archive.ingest([str(feed)])
    assert (again.added, again.unchanged, again.duplicate) == (0, 2, 0)
    _feed(tmp_path, "feed", {"1": STORIES["a", "1"] + " Aid arrived on Friday.", "2": STORIES["a", "2"]})
    changed = archive.ingest([str(feed)], prune=True)
    assert (changed.added, changed.updated, changed.pruned, changed.failed) == (0, 1, 0, [])
    assert sorted(a.id for a in archive.articles()) == ["1", "2"]
    assert archive.article("1").text.endswith("Aid arrived on Friday.")


@pytest.mark.parametrize(
    "article_id, record_id",
    [
        ("feed-0123abcd/42", "42"),
        ("feed-0123abcd/2022/06/15/story", "2022/06/15/story"),  # a record id with slashes of its own
        ("004_d6acca71867ffea4-deaf3205", "004_d6acca71867ffea4-deaf3205"),  # a file's id
        ("42", "42"),  # a record stored before ids were scoped
        ("2022/06/15/story", "2022/06/15/story"),  # ... whose id has a slash
    ],
)
def test_record_id_of(article_id, record_id):
    assert record_id_of(article_id) == record_id


def test_evaluation_maps_scoped_ids_back_to_the_records_ids(archive, tmp_path):
    feeds = _feeds(tmp_path)
    archive.ingest([str(p) for p in feeds.values()])
    questions = [Question("Which port did a harbour strike close?", ("1",)),
                 Question("Which summer was the hottest on record in Europe?", ("2",))]
    result = evaluate(lambda q, k, f: archive.ranked_ids(q, k, f), questions)
    assert result["recall@1"] == 1.0 and result["mrr@10"] == 1.0 and result["ndcg@10"] <= 1.0
    gold = by_record_id(a.id for a in archive.articles())
    assert set(gold) == {"1", "2"} and all(archive.article(a) for a in gold.values())


def test_evaluation_of_an_archive_from_before_scoped_ids_is_unchanged():
    questions = [Question("q1", ("d1",)), Question("q2", ("d2",))]
    ranked = {"q1": ["d1", "x"], "q2": ["x", "d2"]}
    scoped = {q: [f"pool-0123abcd/{d}" for d in ids] for q, ids in ranked.items()}
    old = evaluate(lambda q, k, f: ranked[q], questions)
    new = evaluate(lambda q, k, f: scoped[q], questions)
    assert {k: v for k, v in old.items() if "ms" not in k} == {k: v for k, v in new.items() if "ms" not in k}
    assert old["mrr@10"] == 0.75
