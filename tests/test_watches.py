"""Watches (issue 30, part 4; docs/watches.md): saved searches evaluated on the change feed, counted
against the last time their user looked; across processes; refused writes in a read-only archive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.errors import NotFoundError, QueryError, ReadOnlyError
from tests.conftest import ROOT
from tests.fakes import HashingEmbedder

OLD = [
    {"id": "old-1", "title": "Rutte warns Russia", "source": "cnn.com", "published_at": "2024-05-01",
     "text": "NATO Secretary General Mark Rutte warned Russia about the cost of the war on Monday."},
    {"id": "old-2", "title": "Harbour timetable", "source": "gazette", "published_at": "2024-05-02",
     "text": "Ferry operators cut their winter timetables, citing fuel costs and fewer passengers."},
]
NEW = [
    {"id": "new-1", "title": "Rutte visits Kyiv", "source": "cnn.com", "published_at": "2024-06-01",
     "text": "Mark Rutte said Russia cannot win, during a visit to Kyiv on Tuesday."},
    {"id": "new-2", "title": "Russia and Rutte", "source": "bbc.co.uk", "published_at": "2024-06-02",
     "text": "Russia answered Rutte's remarks with a statement from the Kremlin."},
    {"id": "new-3", "title": "Crane delivered", "source": "cnn.com", "published_at": "2024-06-03",
     "text": "The port's new container crane arrived before the summer season."},
    {"id": "new-4", "title": "Rutte speaks", "source": "cnn.com", "published_at": "2024-06-04",
     "text": "Mark Rutte spoke about defence budgets in Brussels, without naming any country."},
]


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def archive(tmp_path) -> Archive:
    archive = Archive(Settings(dir=tmp_path / "archive", entities=False), embedder=HashingEmbedder())
    archive.ingest([str(write_records(tmp_path / "old.jsonl", OLD))])
    return archive


def new_ids(watch) -> set[str]:
    return {m.article_id.rsplit("/", 1)[-1] for m in watch.matches if m.new}


def test_a_new_watch_lists_current_matches_none_new_then_counts_exactly_the_new_ones(archive, tmp_path):
    watch = archive.add_watch("rutte-russia", "Rutte Russia")
    assert watch.new == 0 and [m.article_id.rsplit("/", 1)[-1] for m in watch.matches] == ["old-1"]
    archive.ingest([str(write_records(tmp_path / "new.jsonl", NEW))])
    watch = archive.watch("rutte-russia")
    assert new_ids(watch) == {"new-1", "new-2"}  # new-3 names neither, new-4 names Rutte only
    assert watch.new == 2 and [m.new for m in watch.matches] == [True, True, False]  # new matches first
    data = watch.as_json()
    assert data["new"] == 2 and data["matches"][0]["new"] and set(data) == {
        "name", "query", "filters", "created_at", "seen_at", "new", "matches"}


def test_mark_seen_clears_the_count_and_an_update_is_not_new_again(archive, tmp_path):
    archive.add_watch("w", "Rutte Russia")
    feed = write_records(tmp_path / "new.jsonl", NEW)
    archive.ingest([str(feed)])
    archive.mark_watch_seen("w")
    assert archive.watch("w").new == 0
    changed = [dict(NEW[0], text=NEW[0]["text"] + " He also met soldiers.")] + NEW[1:]
    report = archive.ingest([str(write_records(feed, changed))])
    assert report.updated == 1
    watch = archive.watch("w")
    assert watch.new == 0 and "new-1" in {m.article_id.rsplit("/", 1)[-1] for m in watch.matches}


def test_a_deleted_article_or_one_that_stops_matching_leaves_the_watch(archive, tmp_path):
    archive.add_watch("w", "Rutte Russia")
    feed = write_records(tmp_path / "new.jsonl", NEW)
    archive.ingest([str(feed)])
    gone = next(m.article_id for m in archive.watch("w").matches if m.article_id.endswith("new-1"))
    archive.delete_articles([gone])
    archive.ingest([str(write_records(feed, [dict(NEW[1], text="The Kremlin issued a statement.",
                                                  title="A statement")] + NEW[2:]))])
    assert new_ids(archive.watch("w")) == set()


def test_filters_hold_for_new_matches(archive, tmp_path):
    archive.add_watch("cnn", "Rutte Russia", {"sources": ["cnn.com"], "since": "2024-05-15"})
    archive.ingest([str(write_records(tmp_path / "new.jsonl", NEW))])
    watch = archive.watch("cnn")
    assert watch.filters == {"sources": ["cnn.com"], "since": "2024-05-15"}
    assert new_ids(watch) == {"new-1"} and len(watch.matches) == 1  # old-1 predates since; new-2 is the BBC's


def test_watch_names_queries_and_filters_are_checked(archive):
    for name in ("", "a b", "x" * 65, "../etc"):
        with pytest.raises(QueryError, match="watch name"):
            archive.add_watch(name, "Rutte")
    with pytest.raises(QueryError, match="word or phrase"):
        archive.add_watch("stop", "the of and")
    with pytest.raises(QueryError, match="filters are"):
        archive.add_watch("f", "Rutte", {"colour": "red"})
    with pytest.raises(QueryError, match="date"):
        archive.add_watch("f", "Rutte", {"since": "yesterday-ish"})
    archive.add_watch("twice", "Rutte")
    with pytest.raises(QueryError, match="exists already"):
        archive.add_watch("twice", "Russia")
    with pytest.raises(NotFoundError):
        archive.watch("nope")
    with pytest.raises(NotFoundError):
        archive.remove_watch("nope")
    archive.remove_watch("twice")
    assert [w.name for w in archive.watches()] == []


def test_the_atom_feed_of_a_watch_reads_back_every_entry(archive, tmp_path):
    feedparser = pytest.importorskip("feedparser")
    archive.add_watch("w", "Rutte Russia")
    archive.ingest([str(write_records(tmp_path / "new.jsonl", NEW + [dict(
        NEW[0], id="evil", title="<script>alert(1)</script> Rutte & Russia", text="Rutte and Russia <b>x</b>")]))])
    watch = archive.watch("w")
    parsed = feedparser.parse(archive.watch_atom("w", "http://127.0.0.1:8700"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and len(parsed.entries) == len(watch.matches) == 4
    assert [e.title for e in parsed.entries] == [m.title for m in watch.matches]
    assert all(e.link for e in parsed.entries) and parsed.feed.links[0].href.endswith("/api/watches/w.atom")


def test_read_only_refuses_every_write_through_the_facade(archive, tmp_path):
    archive.add_watch("w", "Rutte")
    ro = Archive(archive.settings.model_copy(update={"read_only": True}), embedder=HashingEmbedder())
    calls = {
        "ingest": lambda: ro.ingest([str(write_records(tmp_path / "new.jsonl", NEW))]),
        "delete": lambda: ro.delete_articles([a.id for a in ro.articles()]),
        "restory": ro.restory,
        "names --all": lambda: ro.name_articles(everything=True),
        "add watch": lambda: ro.add_watch("x", "Rutte"),
        "remove watch": lambda: ro.remove_watch("w"),
        "mark seen": lambda: ro.mark_watch_seen("w"),
        "add token": lambda: ro.add_token("bot"),
    }
    before = sorted(json.dumps(a.to_dict(), sort_keys=True) for a in ro.articles()), [w.as_json() for w in ro.watches()]
    for what, call in calls.items():
        with pytest.raises(ReadOnlyError, match="read-only"):
            call()
            pytest.fail(f"{what} wrote in a read-only archive")
    assert (sorted(json.dumps(a.to_dict(), sort_keys=True) for a in ro.articles()), [w.as_json() for w in ro.watches()]) == before
    ro.mark_watch_seen("w", admin=True)  # an authenticated admin may


def test_tokens_are_stored_as_hashes_and_revoked(archive):
    token = archive.add_token("bot")
    assert archive.token_status(token) == ("ok", "bot")
    assert archive.token_status(token + "x") == ("unknown", "")
    folder = archive.settings.dir
    assert not any(token.encode() in p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert archive.tokens() == [{"name": "bot", "created_at": archive.tokens()[0]["created_at"], "revoked": False}]
    archive.revoke_token("bot")
    assert archive.token_status(token) == ("revoked", "bot")


@pytest.mark.slow
def test_a_watch_counts_exactly_the_new_matches_after_an_ingest_from_another_process(tmp_path, real_embedder):
    settings = Settings(dir=tmp_path / "archive", entities=False)
    archive = Archive(settings, embedder=real_embedder)
    archive.ingest([str(write_records(tmp_path / "old.jsonl", OLD))])
    archive.add_watch("w", "Rutte Russia")
    archive.mark_watch_seen("w")
    feed = write_records(tmp_path / "new.jsonl", NEW)
    env = dict(os.environ, ARCHIVE_ENTITIES="false", ARCHIVE_DIR=str(settings.dir))
    done = subprocess.run([sys.executable, "-m", "ingest", str(feed)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    watch = archive.watch("w")
    assert new_ids(watch) == {"new-1", "new-2"} and watch.new == 2
    again = Archive(settings, embedder=real_embedder).watch("w")  # another reader: the same matches, same times
    assert again.as_json() == watch.as_json()


def test_the_watches_and_tokens_commands(cli, tmp_path):
    d = ("--archive-dir", str(tmp_path / "archive"))
    code, _ = cli("ingest", str(write_records(tmp_path / "old.jsonl", OLD)), *d)
    assert code == 0
    code, out = cli("watches", "add", "rr", "Rutte Russia", "--source", "cnn.com", *d)
    assert code == 0 and "1 articles match now" in out
    assert cli("ingest", str(write_records(tmp_path / "new.jsonl", NEW)), *d)[0] == 0
    code, out = cli("watches", *d)
    assert code == 0 and out.startswith("rr: 1 new of 2") and "Rutte visits Kyiv" in out
    new = json.loads(cli("watches", "--new", *d)[1])
    assert [w["name"] for w in new["watches"]] == ["rr"] and new["watches"][0]["new"] == 1
    assert cli("watches", "seen", "rr", *d)[0] == 0
    assert json.loads(cli("watches", "--new", *d)[1]) == {"watches": []}
    assert cli("watches", "remove", "rr", *d)[0] == 0
    assert json.loads(cli("watches", "--json", *d)[1]) == {"watches": []}
    code, out = cli("tokens", "add", "bot", *d)
    token = out.splitlines()[0]
    assert code == 0 and token.startswith("arc_") and len(token) > 40
    listed = json.loads(cli("tokens", "list", "--json", *d)[1])["tokens"]
    assert [(t["name"], t["revoked"]) for t in listed] == [("bot", False)] and token not in json.dumps(listed)
    assert cli("tokens", "revoke", "bot", *d)[0] == 0
    assert json.loads(cli("tokens", "list", "--json", *d)[1])["tokens"][0]["revoked"] is True
